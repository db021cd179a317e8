"""The library's constructs are made in Node in one call per constructor (taskora_constructs/core/batch.py,
issue 22): GIVEN the library's constructors WHEN they return THEN Node holds every construct they
made, in creation order, as jsii would have made them one by one; WHEN anything asks Node about a
construct before that THEN Node holds the tree first; a caller's subclass is made by jsii itself."""

from __future__ import annotations

import cdk8s
import constructs
import jsii
import pytest
from jsii._kernel.providers import process as jsii_process

from taskora_constructs import Taskora, TaskoraConfig, TaskoraSecretValues, WebWorkload
from taskora_constructs.core import batch, tree
from taskora_constructs.core.manifest import changed, emit

SECRETS = TaskoraSecretValues.development_placeholders()


@pytest.fixture
def requests(monkeypatch) -> list[str]:
    """The name of every request this process sends the jsii Node process while the test runs."""
    sent: list[str] = []
    send = jsii_process._NodeProcess.send

    def counted(self, request, response_type):
        sent.append(type(request).__name__)
        return send(self, request, response_type)

    monkeypatch.setattr(jsii_process._NodeProcess, "send", counted)
    return sent


def test_node_holds_every_construct_of_an_instance_when_its_constructor_returns(requests):
    # GIVEN an App WHEN a Taskora instance is built in it
    app = cdk8s.App()
    before = len(requests)
    taskora = Taskora(app, "taskora", secrets=SECRETS)
    # THEN it took one call across jsii (and the App's path, once per App), not one per
    # construct (about forty)
    assert requests[before:].count("StaticInvokeRequest") == 1 and len(requests) - before <= 3
    # AND a walk of the App in Node (from the App, which the library does not watch) finds every
    # construct the library made, at the path Python knows it by, in creation order
    in_node = [c.node.path for c in app.node.find_all()][1:]
    made = [c.node.path for chart in taskora.charts.values() for c in chart.node.find_all()]
    assert len(made) == 39 and set(in_node) == {"taskora", *made}
    assert [tree.path_of(c) for c in app.node.find_all()[1:]] == in_node


def test_what_jsii_hands_back_is_the_librarys_own_object():
    # GIVEN an instance WHEN Node hands back one of its objects THEN it is the very Python object
    app = cdk8s.App()
    taskora = Taskora(app, "taskora", secrets=SECRETS)
    assert cdk8s.ApiObject.of(taskora.backend) is taskora.backend.api_object
    assert taskora.backend.node.scope is taskora.charts["backend"]


def test_asking_node_about_a_construct_before_the_constructor_returns_makes_the_tree_first():
    # GIVEN a construct of the library still being built (a caller's subclass, so its own
    # code runs inside the constructor)
    seen = {}

    class Counting(TaskoraConfig):
        def __init__(self, scope, construct_id, **fields):
            super().__init__(scope, construct_id, **fields)
            # WHEN its code asks Node about it
            seen["children"] = [c.node.id for c in self.node.children]

    app = cdk8s.App()
    chart = cdk8s.Chart(app, "shop", namespace="shop")
    Counting(chart, "config", api_base_url="http://api:8000")
    # THEN Node already holds what the constructor made
    assert seen["children"] == ["Resource"]


def test_a_callers_subclass_is_made_by_jsii_with_its_overrides():
    # GIVEN a caller's subclass overriding a jsii member (constructs' Construct.toString)
    class Named(WebWorkload):
        def to_string(self) -> str:
            return "named by the caller"

    chart = cdk8s.Chart(cdk8s.App(), "shop", namespace="shop")
    workload = Named(chart, "api", image="registry.example/shop/api:2.3.0")
    # WHEN Node calls that member THEN it is the caller's Python method
    assert jsii.invoke(workload, "toString", []) == "named by the caller"


def test_a_duplicate_id_is_refused_and_nothing_of_the_batch_is_made():
    # GIVEN a chart with a TaskoraConfig of id "config"
    app = cdk8s.App()
    chart = cdk8s.Chart(app, "shop", namespace="shop")
    TaskoraConfig(chart, "config", api_base_url="http://api:8000")
    # WHEN a second construct of that id is made THEN Node refuses it, as jsii would have
    with pytest.raises(RuntimeError, match="There is already a Construct with name 'config'"):
        TaskoraConfig(chart, "config", name="other", api_base_url="http://api:8000")
    # AND the chart still holds the first one only
    assert [c.node.id for c in chart.node.children] == ["config"]
    assert not batch.pending()


def test_a_manifest_changed_after_it_was_made_renders_anew():
    # GIVEN an object the library made (Node holds it)
    chart = cdk8s.Chart(cdk8s.App(), "shop", namespace="shop")
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
    config_map = emit(chart, "settings", manifest)
    assert config_map.to_json()["data"] == {"a": "1"}
    # WHEN the library changes its manifest and says so
    manifest["data"]["b"] = "2"
    changed(config_map)
    # THEN Node renders the new manifest, metadata as cdk8s made it
    assert config_map.to_json() == {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "settings", "namespace": "shop"},
                                    "data": {"a": "1", "b": "2"}}


def test_a_construct_made_outside_any_constructor_is_made_at_once():
    # GIVEN no constructor of the library running WHEN emit() makes an object THEN Node holds it now
    chart = cdk8s.Chart(cdk8s.App(), "shop", namespace="shop")
    emit(chart, "settings", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}})
    assert not batch.pending()
    assert [c.node.id for c in constructs.Node.of(chart).children] == ["settings"]


def test_the_librarys_own_classes_override_nothing_jsii_would_have_to_call_back():
    # GIVEN every class of the library the batch makes in Node as a plain construct, chart or object
    import importlib
    import pkgutil

    import taskora_constructs
    from jsii._kernel import _get_overides

    from taskora_constructs.core.reach import LibraryMeta

    for module in pkgutil.walk_packages(taskora_constructs.__path__, "taskora_constructs."):
        if module.name != "taskora_constructs.plus":  # imports cdk8s-plus: its classes are not batched
            importlib.import_module(module.name)
    classes = {cls for cls in _subclasses(constructs.Construct) if isinstance(cls, LibraryMeta)
               and cls.__module__.startswith("taskora_constructs.")}
    assert len(classes) >= 16  # TaskoraResource and its constructs, LibraryChart, the object class
    # WHEN jsii looks for overrides, as jsii.create would THEN it finds none: nothing is lost by
    # making them in Node without registering any
    assert {cls.__qualname__: _get_overides(cls, cls.__new__(cls)) for cls in classes
            if _get_overides(cls, cls.__new__(cls))} == {}


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found
