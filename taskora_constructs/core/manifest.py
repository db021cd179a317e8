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
from constructs import Construct

from .._generated import k8s_types as k8s

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
    api_object = cdk8s.ApiObject(
        scope,
        construct_id,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=cdk8s.ApiObjectMetadata(**{_snake(k): v for k, v in metadata.items()}),
    )
    for key, value in manifest.items():
        if key not in ("apiVersion", "kind", "metadata"):
            api_object.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    _EMITTED[api_object] = library_containers
    return api_object


# The ApiObjects this package emitted, with the containers it built in them: the opt-in lint
# holds those (and only those) to the model's policy rules. jsii hands back the same Python
# object for an object created in Python, so the look-up needs no call across jsii.
_EMITTED: "weakref.WeakKeyDictionary[cdk8s.ApiObject, bool | frozenset[str]]" = weakref.WeakKeyDictionary()


def library_containers(api_object: cdk8s.ApiObject) -> bool | frozenset[str]:
    """The containers of ``api_object`` a Taskora construct built (``True``: all; ``False``:
    the object is not the library's)."""
    return _EMITTED.get(api_object, False)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


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
