"""Emit exact Kubernetes objects into a cdk8s construct tree.

Why not the typed L1 classes (``cdk8s_plus_28.k8s.Kube*``)? Two measured reasons,
recorded in ``docs/decisions.md``:

* cdk8s-plus-28 is 7.7 MB of generated Python plus a 1.3 MB jsii assembly; importing it
  adds ~0.33 s to every synth on the 2-core reference machine (``import cdk8s`` alone:
  0.52 s, with ``cdk8s_plus_28.k8s``: 0.85 s) - more than the whole synth budget of
  issue #7 allows over the bare-cdk8s floor.
* The L1 props are converted field by field across the jsii bridge (~22 calls per
  instance in the prototype); one JSON body per object is one call.

What replaces the L1 type checks: every object this module emits is validated in the test
suite against the Kubernetes 1.28 OpenAPI schema in strict mode (kubernetes-validate), a
Gateway API HTTPRoute against its vendored CRD's schema, and the values that reach it come
from typed, validated props. L2 (cdk8s-plus) is not used at
all: its defaults (selector label ``cdk8s.io/metadata.addr``, ``imagePullPolicy: Always``,
default resources, startup probes) contradict the documented model.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Mapping

import cdk8s
import jsii
from constructs import Construct

from .._generated import k8s_types as k8s
from . import tree
from .reach import LibraryMeta, library_code

if TYPE_CHECKING:  # the custom resources' TypedDicts: read by the type checker only (no import cost)
    from .._generated import barman_types, cnpg_types, eso_types

_METADATA_FIELDS = ("name", "namespace", "labels", "annotations")


def emit(scope: Construct, construct_id: str, manifest: "k8s.Manifest | cnpg_types.Manifest | barman_types.Manifest | eso_types.Manifest",
         library_containers: bool | frozenset[str] = True) -> cdk8s.ApiObject:
    """Add ``manifest`` (a complete Kubernetes object as plain JSON) to ``scope``.

    The object is written as given, plus what cdk8s adds from the enclosing Chart: its
    labels, and its namespace where the manifest has none. ``library_containers`` names the
    containers the library built (``True``: all of them), to which the model's policy rules
    apply; a caller's sidecars are the caller's.
    """
    metadata: Mapping[str, Any] = manifest["metadata"]
    unknown = set(metadata) - set(_METADATA_FIELDS)
    if unknown:  # a programming error in this package, not a user error
        raise ValueError(f"unsupported metadata fields {sorted(unknown)}")
    api_object = _Manifest(scope, construct_id, manifest)
    _EMITTED[api_object] = library_containers
    return api_object


class _SharedMetadata:
    """``api_object.metadata``, noting that the caller may have changed it.

    A non-data descriptor on purpose: jsii registers a Python property that shadows a jsii
    one as an override (Node would call back into Python on every read of ``metadata``);
    this one it does not see. :meth:`_Manifest.to_json` then asks Node for the metadata.
    """

    def __get__(self, api_object: Any, owner: type | None = None) -> Any:
        if api_object is None:
            return self
        api_object._metadata_shared = True
        return cdk8s.ApiObject.metadata.__get__(api_object, owner)


class _Manifest(cdk8s.ApiObject, metaclass=LibraryMeta):
    """A ``cdk8s.ApiObject`` whose JSON Python renders: one jsii call to create it, one
    callback from Node to render it in ``app.synth()`` (issue 22).

    The plain ``ApiObject`` route took one ``JsonPatch.add`` and one ``add_json_patch`` call per
    top-level key, plus the calls cdk8s makes to render. :meth:`to_json` returns exactly what
    ``ApiObject.toJson()`` returns for the same object built that way (cdk8s 2.70,
    ``api-object.js``): ``apiVersion``, ``kind``, the metadata cdk8s makes (the Chart's labels
    under the manifest's, the Chart's namespace where the manifest has none, keys sorted,
    empty maps dropped), then the manifest's other keys in its order; then the JSON patches a
    caller added, applied by cdk8s's own ``JsonPatch.apply``.
    """

    metadata = _SharedMetadata()

    def __init__(self, scope: Construct, construct_id: str, manifest: Mapping[str, Any]) -> None:
        # The metadata also goes to Node: cdk8s's own ``metadata`` (what a caller reads or
        # changes through ``api_object.metadata``) and ``name`` stay what they were. The props go
        # as the plain map jsii sends a struct as, not through ``ApiObject.__init__``: its runtime
        # type checks (typeguard, on the scope, the id, the props and the metadata) were about a
        # fifth of the library's Python time per object (issue 22), and every value here comes
        # from a typed manifest whose metadata ``emit`` checked.
        metadata = {key: value for key, value in manifest["metadata"].items() if value is not None}
        jsii.create(type(self), self, [scope, construct_id, {
            "apiVersion": manifest["apiVersion"], "kind": manifest["kind"], "metadata": metadata}])
        tree.note(self, scope, construct_id)
        self._manifest = manifest
        self._patches: list[cdk8s.JsonPatch] = []
        self._metadata_shared = False

    def add_json_patch(self, *ops: cdk8s.JsonPatch) -> None:
        """``ApiObject.add_json_patch``: kept here and applied by :meth:`to_json`, in order."""
        self._patches.extend(ops)

    @library_code
    def to_json(self) -> Any:
        """The object as Kubernetes JSON, as ``cdk8s.ApiObject.to_json`` renders it."""
        manifest = self._manifest
        if self._metadata_shared or "name" not in manifest["metadata"]:
            metadata = cdk8s.ApiObject.metadata.__get__(self).to_json()  # the caller's changes included
        else:
            metadata = self._chart_metadata(manifest["metadata"])
        document: dict[str, Any] = {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
                                    "metadata": metadata}
        for key, value in manifest.items():
            if key not in document:
                document[key] = value
        if not self._patches:
            return document
        patched = cdk8s.JsonPatch.apply(document, *self._patches)
        ordered = {key: patched[key] for key in ("apiVersion", "kind", "metadata") if key in patched}
        ordered.update(patched)  # cdk8s moves these three first, the rest in the patched order
        return ordered

    def _chart_metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """``ApiObjectMetadataDefinition.toJson()`` of this object, without asking Node."""
        namespace, labels = tree.chart_metadata(self)
        merged: dict[str, Any] = {"name": metadata["name"],
                                  "namespace": metadata["namespace"] if metadata.get("namespace") is not None
                                  else namespace,
                                  "labels": {**labels, **metadata.get("labels", {})},
                                  "annotations": metadata.get("annotations")}
        return _sanitized(merged)


def _sanitized(value: Any) -> Any:
    """cdk8s's ``sanitizeValue`` for metadata: keys sorted, ``None`` and empty lists and maps dropped."""
    if isinstance(value, dict):
        result = {}
        for key in sorted(value):
            item = _sanitized(value[key])
            if item is not None:
                result[key] = item
        return result or None
    if isinstance(value, list):
        return [_sanitized(item) for item in value] or None
    return value


# The ApiObjects this package emitted, with the containers it built in them: the opt-in lint
# holds those (and only those) to the model's policy rules. jsii hands back the same Python
# object for an object created in Python, so the look-up needs no call across jsii.
_EMITTED: "weakref.WeakKeyDictionary[cdk8s.ApiObject, bool | frozenset[str]]" = weakref.WeakKeyDictionary()


def library_containers(api_object: cdk8s.ApiObject) -> bool | frozenset[str]:
    """The containers of ``api_object`` a Taskora construct built (``True``: all; ``False``:
    the object is not the library's)."""
    return _EMITTED.get(api_object, False)


def object_metadata(
    *,
    name: str,
    namespace: str | None,
    labels: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
) -> k8s.ObjectMeta:
    """Metadata in the model's field order (name, namespace, labels, annotations)."""
    metadata: k8s.ObjectMeta = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata
