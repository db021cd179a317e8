"""The order of the objects in each of Taskora's files (taskora_constructs/core/chart.py,
core/reach.py, issue 22): GIVEN an App WHEN ``app.synth()`` writes Taskora's charts THEN each
file lists its objects as cdk8s's own rendering of the chart does; with nothing of the
caller's in the App, without asking Node for the order (no ``DependencyGraph``), and with a
dependency or a construct the caller declared in a chart, as cdk8s orders them."""

from __future__ import annotations

from pathlib import Path

import cdk8s
import constructs
import pytest
import yaml

from taskora_constructs import Taskora, TaskoraConfig
from tests.support.profiles import PROFILES, props_of


@pytest.fixture
def graphs(monkeypatch) -> list[object]:
    """Every ``cdk8s.DependencyGraph`` made while the test runs."""
    made: list[object] = []

    class Counted(cdk8s.DependencyGraph):
        def __init__(self, node: constructs.Node) -> None:
            super().__init__(node)
            made.append(self)

    monkeypatch.setattr(cdk8s, "DependencyGraph", Counted)
    return made


def written(outdir: Path) -> dict[str, list[tuple[str, str]]]:
    return {path.name: [(doc["kind"], doc["metadata"]["name"]) for doc in yaml.safe_load_all(path.read_text()) if doc]
            for path in sorted(outdir.glob("*.k8s.yaml"))}


def cdk8s_own(app: cdk8s.App) -> list[list[tuple[str, str]]]:
    """cdk8s's rendering of each chart in file order (``Testing.synth``, after the synth:
    Chart.toJson's own)."""
    return [[(doc["kind"], doc["metadata"]["name"]) for doc in cdk8s.Testing.synth(chart)] for chart in app.charts]


def synthesized(tmp_path: Path, profile: str = "local") -> tuple[cdk8s.App, Taskora]:
    app = cdk8s.App(outdir=str(tmp_path))
    return app, Taskora(app, "taskora", props_of(profile))


@pytest.mark.parametrize("profile", PROFILES)
def test_an_app_of_the_library_alone_is_written_in_cdk8s_order_without_asking_node(tmp_path, graphs, profile):
    # GIVEN an App of Taskora's constructs only WHEN it is synthesized
    app, taskora = synthesized(tmp_path, profile)
    app.synth()
    # THEN Node was not asked for any chart's order
    assert graphs == []
    # AND every file lists its objects as cdk8s's own rendering of its chart
    files = written(tmp_path)
    assert list(files.values()) == cdk8s_own(app)
    assert sum(len(objects) for objects in files.values()) > 20


@pytest.mark.parametrize("declare", [
    lambda first, then: first.node.add_dependency(then),
    lambda first, then: first.add_dependency(then),
    lambda first, then: constructs.Node.of(first).add_dependency(then),  # deprecated, still a way
], ids=["node.add_dependency", "ApiObject.add_dependency", "Node.of"])
def test_a_dependency_declared_inside_a_chart_orders_it_as_cdk8s_does(tmp_path, graphs, declare):
    # GIVEN the backend's ServiceAccount made to depend on its Service, written after it in the tree
    app, taskora = synthesized(tmp_path)
    declare(taskora.backend.service_account, taskora.backend.service)
    # WHEN the app is synthesized
    app.synth()
    # THEN Node was asked, and the Service comes first, as in cdk8s's own rendering
    assert graphs
    backend = written(tmp_path)["0003-taskora-backend.k8s.yaml"]
    assert backend.index(("Service", "taskora-backend")) < backend.index(("ServiceAccount", "taskora-backend"))
    assert list(written(tmp_path).values()) == cdk8s_own(app)


def test_constructs_with_numeric_ids_come_first_as_javascript_keeps_them(tmp_path, graphs):
    # GIVEN two more ConfigMaps in Taskora's config chart, of ids "10" and "2" (JavaScript lists
    # an object's array-index keys first, in numeric order; cdk8s keeps children by id)
    app, taskora = synthesized(tmp_path)
    config = taskora.charts["config"]
    TaskoraConfig(config, "10", namespace="taskora", api_base_url="http://ten:8000")
    TaskoraConfig(config, "2", namespace="taskora", api_base_url="http://two:8000")
    # WHEN the app is synthesized
    app.synth()
    # THEN they come first, "2" before "10", as in cdk8s's own rendering, without asking Node
    assert graphs == []
    objects = written(tmp_path)["0001-taskora-config.k8s.yaml"]
    assert objects[:2] == [("ConfigMap", "2"), ("ConfigMap", "10")]
    assert list(written(tmp_path).values()) == cdk8s_own(app)


def test_a_callers_object_inside_a_library_construct_is_written_where_cdk8s_writes_it(tmp_path, graphs):
    # GIVEN a plain ApiObject of the caller's inside the backend workload (no dependency)
    app, taskora = synthesized(tmp_path)
    cdk8s.ApiObject(taskora.backend, "extra", api_version="v1", kind="ConfigMap",
                    metadata=cdk8s.ApiObjectMetadata(name="extra", namespace="taskora"))
    # WHEN the app is synthesized
    app.synth()
    # THEN Node was asked, and the object is written among the backend's own, as cdk8s writes it
    assert graphs
    assert ("ConfigMap", "extra") in written(tmp_path)["0003-taskora-backend.k8s.yaml"]
    assert list(written(tmp_path).values()) == cdk8s_own(app)


def test_the_library_declares_no_dependency_but_the_composites_chart_chain():
    # GIVEN the library's sources (the order in Python relies on no dependency inside a chart)
    import ast

    import taskora_constructs

    root = Path(taskora_constructs.__file__).parent
    calls = sorted(f"{path.relative_to(root)}:{node.lineno}"
                   for path in root.rglob("*.py")
                   for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and node.func.attr in ("add_dependency", "addDependency"))
    # WHEN every call that declares a dependency is listed THEN it is the composite's, chart after chart
    assert len(calls) == 1 and calls[0].startswith("taskora/composite.py:")
    source = (root / "taskora" / "composite.py").read_text().splitlines()[int(calls[0].split(":")[1]) - 1]
    assert source.strip() == "after.add_dependency(before)"
