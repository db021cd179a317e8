"""The order of the objects in each of Taskora's files (taskora_constructs/core/chart.py,
native/index.ts ``ManifestChart``, issue 22): GIVEN an App WHEN ``app.synth()`` writes Taskora's
charts THEN each file lists its objects as cdk8s's own rendering of the chart does: with
nothing of the caller's in the App, and with a dependency or a construct the caller declared
in a chart, as cdk8s orders them."""

from __future__ import annotations

from pathlib import Path

import cdk8s
import constructs
import pytest
import yaml

from taskora_constructs import Taskora, TaskoraConfig
from tests.support.profiles import PROFILES, props_of


def written(outdir: Path) -> dict[str, list[tuple[str, str]]]:
    return {path.name: [(doc["kind"], doc["metadata"]["name"]) for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if doc]
            for path in sorted(outdir.glob("*.k8s.yaml"))}


def cdk8s_own(app: cdk8s.App) -> list[list[tuple[str, str]]]:
    """cdk8s's rendering of each chart in file order (``Testing.synth``, after the synth:
    Chart.toJson's own)."""
    return [[(doc["kind"], doc["metadata"]["name"]) for doc in cdk8s.Testing.synth(chart)] for chart in app.charts]


def synthesized(tmp_path: Path, profile: str = "local") -> tuple[cdk8s.App, Taskora]:
    app = cdk8s.App(outdir=str(tmp_path))
    return app, Taskora(app, "taskora", props_of(profile))


@pytest.mark.parametrize("profile", PROFILES)
def test_an_app_of_the_library_alone_is_written_in_cdk8s_order(tmp_path, profile):
    # GIVEN an App of Taskora's constructs only WHEN it is synthesized
    app, taskora = synthesized(tmp_path, profile)
    app.synth()
    # THEN every file lists its objects as cdk8s's own rendering of its chart
    files = written(tmp_path)
    assert list(files.values()) == cdk8s_own(app)
    assert sum(len(objects) for objects in files.values()) > 20


@pytest.mark.parametrize("declare", [
    lambda first, then: first.node.add_dependency(then),
    lambda first, then: first.add_dependency(then),
    lambda first, then: constructs.Node.of(first).add_dependency(then),  # deprecated, still a way
], ids=["node.add_dependency", "ApiObject.add_dependency", "Node.of"])
def test_a_dependency_declared_inside_a_chart_orders_it_as_cdk8s_does(tmp_path, declare):
    # GIVEN the backend's ServiceAccount made to depend on its Service, written after it in the tree
    app, taskora = synthesized(tmp_path)
    declare(taskora.backend.service_account, taskora.backend.service)
    # WHEN the app is synthesized
    app.synth()
    # THEN the Service comes first, as in cdk8s's own rendering
    backend = written(tmp_path)["0003-taskora-backend.k8s.yaml"]
    assert backend.index(("Service", "taskora-backend")) < backend.index(("ServiceAccount", "taskora-backend"))
    assert list(written(tmp_path).values()) == cdk8s_own(app)


def test_constructs_with_numeric_ids_come_first_as_javascript_keeps_them(tmp_path):
    # GIVEN two more ConfigMaps in Taskora's config chart, of ids "10" and "2" (JavaScript lists
    # an object's array-index keys first, in numeric order; cdk8s keeps children by id)
    app, taskora = synthesized(tmp_path)
    config = taskora.charts["config"]
    TaskoraConfig(config, "10", namespace="taskora", api_base_url="http://ten:8000")
    TaskoraConfig(config, "2", namespace="taskora", api_base_url="http://two:8000")
    # WHEN the app is synthesized
    app.synth()
    # THEN they come first, "2" before "10", as in cdk8s's own rendering
    objects = written(tmp_path)["0001-taskora-config.k8s.yaml"]
    assert objects[:2] == [("ConfigMap", "2"), ("ConfigMap", "10")]
    assert list(written(tmp_path).values()) == cdk8s_own(app)


def test_a_callers_object_inside_a_library_construct_is_written_where_cdk8s_writes_it(tmp_path):
    # GIVEN a plain ApiObject of the caller's inside the backend workload (no dependency)
    app, taskora = synthesized(tmp_path)
    cdk8s.ApiObject(taskora.backend, "extra", api_version="v1", kind="ConfigMap",
                    metadata=cdk8s.ApiObjectMetadata(name="extra", namespace="taskora"))
    # WHEN the app is synthesized
    app.synth()
    # THEN the object is written among the backend's own, as cdk8s writes it
    assert ("ConfigMap", "extra") in written(tmp_path)["0003-taskora-backend.k8s.yaml"]
    assert list(written(tmp_path).values()) == cdk8s_own(app)
