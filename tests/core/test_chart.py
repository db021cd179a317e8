"""LibraryChart (taskora_constructs/core/chart.py): GIVEN an App of LibraryCharts WHEN
``app.synth()`` writes them THEN each chart renders its objects (in Node), once, without cdk8s's
per-chart whole-App validation, and writes exactly what cdk8s's own ``Chart.toJson()`` writes;
WHEN the App was not just validated (``Testing.synth``, a second rendering, a construct created
since) THEN the chart renders through cdk8s's own method."""

from __future__ import annotations

import cdk8s
import constructs
import jsii
import yaml

from taskora_constructs.core.chart import LibraryChart
from taskora_constructs.core.manifest import emit


def config_map(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}


def two_charts() -> tuple[cdk8s.App, list[LibraryChart]]:
    """An App of two LibraryCharts, each with an emitted object and a plain cdk8s one."""
    app = cdk8s.App()
    charts = []
    for part in ("config", "web"):
        chart = LibraryChart(app, f"shop-{part}", disable_resource_name_hashes=True)
        emit(chart, "emitted", config_map(f"{part}-emitted"))
        cdk8s.ApiObject(chart, "plain", api_version="v1", kind="ConfigMap",
                        metadata=cdk8s.ApiObjectMetadata(name=f"{part}-plain"))
        charts.append(chart)
    return app, charts


@jsii.implements(constructs.IValidation)
class CountedValidation:
    """Counts each whole-App validation: cdk8s's own chart rendering runs one per chart."""

    def __init__(self) -> None:
        self.runs = 0

    def validate(self) -> list[str]:
        self.runs += 1
        return []


def counted(app: cdk8s.App) -> CountedValidation:
    validation = CountedValidation()
    app.node.add_validation(validation)
    return validation


def test_plain_charts_validate_the_whole_app_again_per_chart():
    # GIVEN an App of two plain cdk8s Charts WHEN it synthesizes THEN validate(app) runs 1 + 2 times
    # (the cost LibraryChart removes: quadratic in the charts of an App of many instances)
    app = cdk8s.App()
    for part in ("config", "web"):
        cdk8s.ApiObject(cdk8s.Chart(app, f"shop-{part}"), "plain", api_version="v1", kind="ConfigMap")
    validations = counted(app)
    app.synth_yaml()
    assert validations.runs == 3


def test_app_synth_renders_each_chart_once_validated_and_writes_what_cdk8s_writes():
    # GIVEN an App of two LibraryCharts WHEN the App synthesizes
    app, charts = two_charts()
    validations = counted(app)
    documents = [d for d in yaml.load_all(app.synth_yaml(), Loader=yaml.CSafeLoader) if d]
    # THEN the App was validated once, not again for each chart
    assert validations.runs == 1
    # AND the documents are the ones cdk8s's own rendering gives, chart by chart, in order
    assert documents == [o for chart in charts for o in cdk8s.Testing.synth(chart)]
    assert [d["metadata"]["name"] for d in documents] == ["config-emitted", "config-plain", "web-emitted",
                                                          "web-plain"]


def test_outside_a_validated_synth_the_chart_renders_through_cdk8s():
    # GIVEN an App that was synthesized once
    app, charts = two_charts()
    validations = counted(app)
    app.synth_yaml()
    # WHEN a chart is rendered again on its own (its one rendering is spent)
    objects = cdk8s.Testing.synth(charts[1])
    # THEN cdk8s's own method renders it, validating the App first, with the same objects
    assert validations.runs == 2
    assert [o["metadata"]["name"] for o in objects] == ["web-emitted", "web-plain"]


def test_a_construct_created_after_the_validation_withdraws_the_shortcut():
    # GIVEN an App validated for this synth (as app.synth() does before it renders any chart)
    app, charts = two_charts()
    validations = counted(app)
    app.synth_yaml()
    cdk8s.Testing.synth(charts[1])  # validates the App: two renderings allowed again
    # WHEN a library construct is created in it and the chart renders
    emit(charts[1], "late", config_map("web-late"))
    objects = charts[1].to_json()
    # THEN the changed tree is validated again by cdk8s's own rendering, the new object included
    assert validations.runs == 3
    assert [o["metadata"]["name"] for o in objects] == ["web-emitted", "web-plain", "web-late"]
