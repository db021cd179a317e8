"""Where a construct sits in the construct tree, known in Python: its path, App and Chart.

Why: every ``construct.node.path`` is two calls across jsii (``node``, then ``path``), each a
round trip to the Node process, and the constructs asked for paths, Apps and Charts about 110
times per ``Taskora`` instance (issue 22: more than half of its jsii calls). A construct of
this library records its scope and id once (:func:`note`); from then on its path, App and
Chart are derived in Python from its ancestors. A construct nobody noted (a user's Chart, the
App) is asked across jsii once, and the answer kept. Nothing here adds to the construct tree,
and a construct's scope and id never change after construction, so nothing goes stale.
"""

from __future__ import annotations

import weakref
from typing import Any, Mapping

import cdk8s
from constructs import IConstruct

# construct -> (scope, id), as given to its constructor.
_PARENT: "weakref.WeakKeyDictionary[Any, tuple[Any, str]]" = weakref.WeakKeyDictionary()
_PATH: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()
_ROOT: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_CHART: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
# chart -> (namespace or None, labels): what cdk8s adds to each ApiObject of the chart.
_CHART_METADATA: "weakref.WeakKeyDictionary[Any, tuple[str | None, dict[str, str]]]" = weakref.WeakKeyDictionary()


def note(construct: IConstruct, scope: IConstruct, construct_id: str) -> None:
    """Record that ``construct`` was created as ``construct_id`` under ``scope`` (no jsii call)."""
    _PARENT[construct] = (scope, construct_id)


def note_chart(chart: cdk8s.Chart, scope: IConstruct, construct_id: str, *, namespace: str | None = None,
               labels: Mapping[str, str] | None = None) -> None:
    """:func:`note` for a Chart created with ``namespace`` and ``labels`` (fixed at creation in cdk8s)."""
    note(chart, scope, construct_id)
    _CHART_METADATA[chart] = (namespace, dict(labels or {}))


def path_of(construct: IConstruct) -> str:
    """``construct.node.path``: the ids from the App down, joined by ``/`` (the App's is empty)."""
    path = _PATH.get(construct)
    if path is None:
        parent = _PARENT.get(construct)
        if parent is None:
            path = construct.node.path
        else:
            scope_path = path_of(parent[0])
            path = f"{scope_path}/{parent[1]}" if scope_path else parent[1]
        _PATH[construct] = path
    return path


def root_of(construct: IConstruct) -> Any:
    """``construct.node.root``: the App (or other root construct) ``construct`` belongs to."""
    root = _ROOT.get(construct)
    if root is None:
        parent = _PARENT.get(construct)
        if parent is not None:
            root = root_of(parent[0])
        elif isinstance(construct, cdk8s.App):
            root = construct  # an App has no scope: it is always a root
        else:
            root = construct.node.root
        _ROOT[construct] = root
    return root


def has_chart(construct: IConstruct) -> bool:
    """Whether a Chart encloses ``construct`` (at or above it); jsii is asked only above the noted part."""
    node: Any = construct
    while not isinstance(node, cdk8s.Chart):
        parent = _PARENT.get(node)
        if parent is None:
            return not isinstance(node, cdk8s.App) and any(isinstance(s, cdk8s.Chart) for s in node.node.scopes)
        node = parent[0]
    return True


def chart_of(construct: IConstruct) -> cdk8s.Chart:
    """``cdk8s.Chart.of(construct)``: the nearest Chart at or above ``construct``."""
    chart = _CHART.get(construct)
    if chart is None:
        parent = _PARENT.get(construct)
        if isinstance(construct, cdk8s.Chart):
            chart = construct
        elif parent is not None:
            chart = chart_of(parent[0])
        else:
            chart = cdk8s.Chart.of(construct)
        _CHART[construct] = chart
    return chart


def is_default_child(construct: IConstruct, child: IConstruct) -> bool:
    """Whether ``child`` is a noted child of ``construct`` of the id ``Resource``: what
    ``construct.node.default_child`` returns when none was set (constructs' ``Node.defaultChild``;
    it looks for ``Default`` too, which this library never names a child)."""
    return _PARENT.get(child) == (construct, "Resource")


def chart_metadata(construct: IConstruct) -> tuple[str | None, dict[str, str]]:
    """The namespace (``None``: none) and labels the enclosing Chart gives its ApiObjects."""
    chart = chart_of(construct)
    metadata = _CHART_METADATA.get(chart)
    if metadata is None:
        metadata = (chart.namespace, dict(chart.labels))
        _CHART_METADATA[chart] = metadata
    return metadata
