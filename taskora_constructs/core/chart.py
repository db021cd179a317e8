"""The Charts the library creates: a cdk8s Chart that renders in Node without redoing the whole App.

Why: cdk8s writes each chart through ``App._synthChart`` (cdk8s 2.70, ``app.js``), which first
runs ``resolveDependencies(app)`` and ``validate(app)`` over the whole App again - work
``App.synth()`` has just done once for all charts - so an App of N instances (6 N charts) costs
O(N^2) in Node (issue 22). ``ManifestChart`` (``native/index.ts``) notes each whole-App
validation and lets each of the App's ManifestCharts render once after it without that work, as
long as no chart or object of the library was created since; otherwise (``cdk8s.Testing.synth
(chart)``, a ``chart.to_json()`` of your own, a second rendering) it renders through cdk8s's own
``Chart.toJson()``. Its objects and their order are cdk8s's either way (``chartToKube``:
``DependencyGraph(chart.node).topology()``, each object only in its closest chart).

One case this cannot tell apart: a ``validate(app)`` that ran but failed (``app.synth()``
raised) leaves its renderings allowed, so a ``Testing.synth(chart)`` right after it, with no
library chart or object created in between, renders without validating the App again.
"""

from __future__ import annotations

import cdk8s
from constructs import Construct

from . import batch, tree
from .._native import ManifestChart
from .reach import LibraryMeta


class LibraryChart(ManifestChart, metaclass=LibraryMeta):
    """A ``cdk8s.Chart`` (no namespace, no labels) whose ``app.synth()`` rendering skips the
    whole-App work cdk8s repeats per chart; the files are the same."""

    def __init__(self, scope: Construct, construct_id: str, *, disable_resource_name_hashes: bool = False) -> None:
        # Made in Node with the constructs around it (core/batch.py), without runtime type checks.
        batch.make(self, scope, construct_id, "chart", {"disableResourceNameHashes": disable_resource_name_hashes})
        tree.note_chart(self, scope, construct_id)

    @staticmethod
    def chain(charts: "list[cdk8s.Chart]") -> None:
        """Make each chart depend on the one before it, with the batch (no call of its own)."""
        for before, after in zip(charts, charts[1:]):
            batch.depend(after, before)
