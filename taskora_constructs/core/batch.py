"""The library's constructs are made in Node in one call per constructor of the library (issue 22).

Why: every construct made across jsii is a round trip to the jsii Node process - a JSON message
through two Node processes and back, about 0.2 ms of wall time, more than the work it asks for -
and a ``Taskora`` instance makes about forty of them (its constructs, charts and objects). So
the library's own constructs are queued as Python makes them (:func:`make`) and made in Node
together, in the order Python made them, by one ``ConstructBatch.make`` call
(``native/index.ts``), then bound to their Python objects, as ``jsii.create`` binds one:

* when the outermost constructor of the library returns (``reach.LibraryMeta``), or a library
  method that made one (:func:`make` outside any constructor makes it at once);
* before anything reads the Node reference (``__jsii_ref__``) of any construct of the library,
  bound or queued - a call on or with it, the library's own code included - so that whatever
  asks Node a question finds the whole tree, in creation order.

Code outside the library never runs while a construct is queued, so it never sees a tree Node
does not hold. A caller's subclass of a library construct may override what jsii sees, so jsii
makes it itself, at once, after the queue.
"""

from __future__ import annotations

import json
from typing import Any

import jsii
from constructs import Construct
from jsii import _reference_map

from .._native import ConstructBatch

# (construct, scope, id, kind, arg): what Node has still to make, in creation order (a dependency:
# construct None, scope the dependent, arg what it depends on).
_QUEUE: list[tuple[Any, Any, str, str, Any]] = []
_FLUSHING = [False]
# How many constructors (or methods) of the library are running: the queue is made when none is.
_OPEN = [0]


def make(construct: Any, scope: Any, construct_id: str, kind: str, arg: Any = None) -> None:
    """Have Node make ``construct`` under ``scope``: ``kind`` ``construct`` (a Construct), ``chart``
    (a ManifestChart, ``arg`` its props) or ``object`` (a ManifestObject, ``arg`` its manifest,
    read when the batch is made). Outside any constructor of the library, at once."""
    if kind == "construct" and not type(construct).__module__.startswith("taskora_constructs."):
        flush()
        Construct.__init__(construct, scope, construct_id)  # jsii finds the caller's overrides
        return
    _QUEUE.append((construct, scope, construct_id, kind, arg))
    if not _OPEN[0]:
        flush()


def depend(construct: Any, on: Any) -> None:
    """``construct.node.add_dependency(on)``, made with the batch (both are the library's)."""
    _QUEUE.append((None, construct, "", "dependency", on))
    if not _OPEN[0]:
        flush()


def open_scope() -> None:
    """A constructor (or method) of the library starts: what it makes is queued."""
    _OPEN[0] += 1


def close_scope() -> None:
    """It returned (or raised): when it was the outermost, Node makes the queue now."""
    _OPEN[0] -= 1
    if not _OPEN[0]:
        flush()


def flushing() -> bool:
    """Whether the batch is being made (its reads of Node references are jsii's bookkeeping)."""
    return _FLUSHING[0]


def pending() -> bool:
    """Whether Node has constructs of the library still to make (and is not making them now)."""
    return bool(_QUEUE) and not _FLUSHING[0]


def flush() -> None:
    """Make every queued construct in Node, in one call, and bind each to its Python object."""
    if not _QUEUE or _FLUSHING[0]:
        return
    _FLUSHING[0] = True
    try:
        queue = list(_QUEUE)
        _QUEUE.clear()
        scopes: list[Any] = []
        index: dict[int, int] = {}  # id() of a scope or construct -> its place (see ConstructBatch.make)
        specs = []

        def place(scope: Any) -> int:
            at = index.get(id(scope))
            if at is None:
                scopes.append(scope)
                at = index[id(scope)] = -len(scopes)
            return at

        for construct, scope, construct_id, kind, arg in queue:
            specs.append([place(scope), construct_id, kind,
                          node_manifest(arg) if kind == "object" else place(arg) if kind == "dependency" else arg])
            if construct is not None:
                index[id(construct)] = len(specs) - 1
        made = jsii.sinvoke(ConstructBatch, "make", [scopes, node_text(specs)])
        made_here = [(construct, node_construct) for (construct, *_), node_construct in zip(queue, made)
                     if construct is not None]
        for construct, node_construct in made_here:
            construct.__jsii_ref__ = node_construct.__jsii_ref__
        for construct, _ in made_here:
            _reference_map.register_reference(construct)  # jsii hands back this object for it
    finally:
        _FLUSHING[0] = False


def node_manifest(manifest: Any) -> Any:
    """The manifest as Node is handed it: the metadata keys that are ``None`` left out."""
    return {**manifest, "metadata": {key: value for key, value in manifest["metadata"].items() if value is not None}}


def node_text(value: Any) -> str:
    """``value`` as the JSON text Node is handed (one value across jsii; a NaN is a bug, refused)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
