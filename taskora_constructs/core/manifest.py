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
from . import batch, tree
from .._native import ManifestObject
from .reach import LibraryMeta

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
    app = tree.root_of(api_object).__jsii_ref__.ref
    if app not in _EMITTED:
        for gone in [ref for ref, objects in _EMITTED.items() if not objects]:  # Apps no longer alive
            del _EMITTED[gone]
        _EMITTED[app] = weakref.WeakKeyDictionary()
    _EMITTED[app][api_object] = library_containers
    return api_object


class _Manifest(ManifestObject, metaclass=LibraryMeta):
    """A ``cdk8s.ApiObject`` given whole: made in Node from its manifest, handed over as JSON with
    the constructs made around it (:mod:`batch`), and rendered by Node at synth
    (``native/index.ts``, ``ManifestObject``; issue 22).

    Why: jsii's kernel walks every value that crosses it, node by node, on both sides; a
    manifest as jsii's plain JSON cost more there than cdk8s's own work on it, and rendering it
    in Python meant a call back from Node per chart at synth, whose answer crossed the same way.
    Node holds the object as cdk8s would: ``api_object.metadata`` (the Chart's labels and
    namespace merged in), ``add_json_patch``, ``to_json()`` and ``cdk8s.ApiObject.of`` are
    cdk8s's own.
    """

    def __init__(self, scope: Construct, construct_id: str, manifest: Mapping[str, Any]) -> None:
        # Not through ManifestObject.__init__: its runtime type checks (typeguard) were about a
        # fifth of the library's Python time per object (issue 22), and ``emit`` checked its input.
        batch.make(self, scope, construct_id, "object", manifest)
        tree.note(self, scope, construct_id)
        self._manifest = manifest


def changed(api_object: cdk8s.ApiObject) -> None:
    """The library changed the manifest it emitted ``api_object`` with (never its metadata):
    Node renders the new one (an object still queued reads it when it is made)."""
    if isinstance(api_object, _Manifest) and "__jsii_ref__" in api_object.__dict__:
        jsii.invoke(api_object, "replaceManifest", [batch.node_text(batch.node_manifest(api_object._manifest))])


# The ApiObjects this package emitted, with the containers it built in them, by the jsii
# reference of their App: the opt-in lint holds those (and only those) to the model's policy
# rules. By App, so the lint of one App reads that App's objects, not every object the process
# made (a test session makes thousands of Apps: one list of them all made each lint quadratic
# in the session, issue 22). By reference, not by the Python object: an App made in JavaScript
# (cdk8s.Testing.app()) may come back to Python as more than one proxy object.
_EMITTED: "dict[str, weakref.WeakKeyDictionary[cdk8s.ApiObject, bool | frozenset[str]]]" = {}


def library_containers_by_path(root: Any) -> dict[str, bool | frozenset[str]]:
    """The containers a Taskora construct built in each object the library emitted in the App
    ``root`` (``True``: all), by construct path (known in Python: no jsii call); an object of
    the App not listed is not the library's."""
    emitted = _EMITTED.get(root.__jsii_ref__.ref)
    return {tree.path_of(api_object): containers for api_object, containers in list(emitted.items())} if emitted else {}


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
