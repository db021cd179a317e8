"""The Charts ``Taskora`` creates: rendered in Python when ``app.synth()`` writes them.

Why: cdk8s writes each chart through ``App._synthChart`` (cdk8s 2.70, ``app.js``), which first
runs ``resolveDependencies(app)`` and ``validate(app)`` over the whole App again - work
``App.synth()`` has just done once for all charts - so an App of N instances (6 N charts) costs
O(N^2) in Node, more than every other part of the synth together at N = 30 (issue 22). A
:class:`LibraryChart` writes its objects the way ``_synthChart`` does (cdk8s's own dependency
order, ``DependencyGraph(chart.node).topology()``, each object only in its closest chart),
without redoing that whole-App work, when it knows the App was just validated in this synth:

* ``App.synth()`` and ``App.synthYaml()`` run ``validate(app)`` (and ``resolveDependencies``)
  before they render any chart; a validation this module adds to the App's first
  LibraryChart notes it, and allows one rendering per LibraryChart of the App.
* Any construct the library creates after that (:func:`tree.note`) withdraws it: the tree
  changed, so the next rendering validates again.
* Otherwise - ``cdk8s.Testing.synth(chart)``, a ``chart.to_json()`` of your own, a second
  rendering - the chart renders through cdk8s's own ``Chart.toJson()``, as any Chart does.

The order: cdk8s's ``DependencyGraph(chart.node).topology()`` is the construct tree's preorder
unless a construct of the chart depends on another construct of it. The library declares no
such dependency (only one chart after another) and notes every construct it creates, so while
no code outside the library reached a construct of the App (:mod:`reach`: no construct of
yours added to a chart, no dependency of yours declared) the order is :func:`tree.preorder`,
with no jsii call at all; otherwise Node is asked (three calls per chart).

One case this cannot tell apart: a ``validate(app)`` that ran but failed (``app.synth()``
raised) leaves its renderings allowed, so a ``Testing.synth(chart)`` right after it, with no
library construct created in between, renders without validating the App again.
"""

from __future__ import annotations

import weakref
from typing import Any

import cdk8s
import constructs
import jsii
from constructs import Construct

from . import tree
from .reach import LibraryMeta, library_code, reached
from .manifest import _Manifest

# App root -> how many LibraryCharts it has.
_CHARTS: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
# App root -> (tree.generation when validate(app) last ran, renderings left).
_VALIDATED: "weakref.WeakKeyDictionary[Any, list[int]]" = weakref.WeakKeyDictionary()


@jsii.implements(constructs.IValidation)
class _ValidatedNow:
    """Added to the App's first LibraryChart: cdk8s calls it in every ``validate(app)``."""

    def __init__(self, root: Any) -> None:
        self._root = weakref.ref(root)

    def validate(self) -> list[str]:
        root = self._root()
        if root is not None:
            _VALIDATED[root] = [tree.generation(), _CHARTS.get(root, 0)]
        return []


class LibraryChart(cdk8s.Chart, metaclass=LibraryMeta):
    """A ``cdk8s.Chart`` (no namespace, no labels) whose ``app.synth()`` rendering skips the
    whole-App work cdk8s repeats per chart; the files are the same."""

    def __init__(self, scope: Construct, construct_id: str, *, disable_resource_name_hashes: bool = False) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=disable_resource_name_hashes)
        tree.note_chart(self, scope, construct_id)
        root = tree.root_of(self)
        count = _CHARTS.get(root, 0)
        if count == 0:
            self.node.add_validation(_ValidatedNow(root))
        _CHARTS[root] = count + 1

    @library_code
    def to_json(self) -> Any:
        """``Chart.toJson()``: the chart's objects as JSON, in cdk8s's order."""
        root = tree.root_of(self)
        validated = _VALIDATED.get(root)
        if validated is None or validated[0] != tree.generation() or validated[1] <= 0:
            return super().to_json()  # cdk8s's own: jsii calls the JavaScript method, not this one
        validated[1] -= 1
        if not reached(root):  # only the library's constructs, no dependency inside a chart
            return [construct.to_json() for construct in tree.preorder(self)
                    if isinstance(construct, _Manifest) and tree.chart_of(construct) is self]
        objects = []
        for construct in cdk8s.DependencyGraph(self.node).topology():
            if isinstance(construct, _Manifest):
                if tree.chart_of(construct) is self:
                    objects.append(construct.to_json())
            elif isinstance(construct, cdk8s.ApiObject) and cdk8s.Chart.of(construct) is self:
                objects.append(construct.to_json())
        return objects
