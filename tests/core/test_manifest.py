"""GIVEN an object emitted by the library (rendered in Python, issue 22) and the same object
built the plain cdk8s way (one ApiObject, one JSON patch per top-level key) WHEN both are
synthesized THEN cdk8s writes the same JSON for both: the Chart's labels and namespace, key
order, a caller's JSON patches and metadata changes."""

from __future__ import annotations

import json

import cdk8s
import pytest

from taskora_constructs.core.manifest import emit

MANIFEST = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "api", "labels": {"z": "1", "app": "api"}, "annotations": {"b": "2", "a": "1"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}}, "template": {"spec": {"containers": []}}},
    "status": {},
}


def plain(scope, construct_id: str, manifest: dict) -> cdk8s.ApiObject:
    metadata = manifest["metadata"]
    api_object = cdk8s.ApiObject(scope, construct_id, api_version=manifest["apiVersion"], kind=manifest["kind"],
                                 metadata=cdk8s.ApiObjectMetadata(name=metadata["name"], labels=metadata.get("labels"),
                                                                  annotations=metadata.get("annotations"),
                                                                  namespace=metadata.get("namespace")))
    for key, value in manifest.items():
        if key not in ("apiVersion", "kind", "metadata"):
            api_object.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return api_object


def rendered(chart_props: dict, manifest: dict, change=lambda api_object: None) -> tuple[str, str]:
    """The synthesized JSON (key order included) of the plain and the emitted object."""
    out = []
    for make in (plain, emit):
        chart = cdk8s.Chart(cdk8s.Testing.app(), "c", **chart_props)
        change(make(chart, "obj", json.loads(json.dumps(manifest))))
        out.append(json.dumps(cdk8s.Testing.synth(chart)))
    return out[0], out[1]


def test_the_charts_labels_and_namespace_and_the_key_order_are_cdk8s_own():
    for chart_props in ({}, {"namespace": "shop", "labels": {"team": "orders", "app": "chart"}}):
        expected, actual = rendered(chart_props, MANIFEST)
        assert actual == expected
        assert '"namespace": "shop"' in actual or not chart_props
    with_namespace = {**MANIFEST, "metadata": {**MANIFEST["metadata"], "namespace": "own"}}
    expected, actual = rendered({"namespace": "shop"}, with_namespace)
    assert actual == expected and '"namespace": "own"' in actual


def test_a_callers_json_patches_and_metadata_changes_apply_in_order():
    def change(api_object: cdk8s.ApiObject) -> None:
        api_object.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/containers/-", {"name": "a"}),
                                  cdk8s.JsonPatch.replace("/spec/replicas", 3))
        api_object.add_json_patch(cdk8s.JsonPatch.add("/aaa", 1), cdk8s.JsonPatch.remove("/status"))
        api_object.metadata.add_label("patched", "yes")
        api_object.metadata.add_annotation("note", "x")

    expected, actual = rendered({"namespace": "shop", "labels": {"team": "orders"}}, MANIFEST, change)
    assert actual == expected
    assert '"patched": "yes"' in actual and '"replicas": 3' in actual and '"status"' not in actual


def test_node_holds_the_manifests_own_metadata_as_cdk8s_would():
    # GIVEN an emitted object and the plain one (the emitted one's props go to Node as the plain map
    # jsii sends a struct as, without ApiObject.__init__'s type checks)
    with_namespace = {**MANIFEST, "metadata": {**MANIFEST["metadata"], "namespace": "own"}}
    seen = []
    for make in (plain, emit):
        api_object = make(cdk8s.Chart(cdk8s.Testing.app(), "c", namespace="shop"), "obj",
                          json.loads(json.dumps(with_namespace)))
        # WHEN a caller reads them back through Node
        metadata = api_object.metadata
        seen.append((api_object.api_version, api_object.kind, api_object.name, metadata.name, metadata.namespace,
                     metadata.get_label("app"), metadata.get_label("z"), metadata.to_json()))
    # THEN Node holds the same: kind, name, namespace, labels and annotations
    assert seen[1] == seen[0]
    assert seen[1][:5] == ("apps/v1", "Deployment", "api", "api", "own")


def taskora_app(tmp_path):
    from taskora_constructs import Taskora, TaskoraProps, TaskoraSecretValues

    app = cdk8s.App(outdir=str(tmp_path))
    return app, Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()))


def test_taskoras_charts_write_a_callers_objects_in_them_in_cdk8s_order(tmp_path):
    # GIVEN a plain ApiObject of the caller's, and a dependency, inside Taskora's backend chart
    app, taskora = taskora_app(tmp_path)
    backend = taskora.charts["backend"]
    extra = cdk8s.ApiObject(backend, "extra", api_version="v1", kind="ConfigMap",
                            metadata=cdk8s.ApiObjectMetadata(name="extra", namespace="taskora"))
    service = taskora.backend.service
    service.node.add_dependency(extra)  # cdk8s writes what an object depends on before it
    # WHEN the app is synthesized, twice
    app.synth()
    first = (tmp_path / "0003-taskora-backend.k8s.yaml").read_text()
    app.synth()
    # THEN the caller's object is written, before the Service, and the second synth writes the same
    names = [line for line in first.splitlines() if line.startswith("  name: ")]
    assert "  name: extra" in names
    kinds = [line for line in first.splitlines() if line.startswith("kind: ")]
    assert kinds.index("kind: ConfigMap") < kinds.index("kind: Service")
    assert (tmp_path / "0003-taskora-backend.k8s.yaml").read_text() == first
    # AND cdk8s's own rendering of the chart (Testing.synth) gives the same objects
    assert cdk8s.Testing.synth(backend) == [doc for doc in __import__("yaml").safe_load_all(first)]


def test_a_chart_rendered_on_its_own_is_validated_by_cdk8s(tmp_path):
    # GIVEN the opt-in lint and a Service patched to select no pod, after a clean synth
    from taskora_constructs import TaskoraValidation

    app, taskora = taskora_app(tmp_path)
    TaskoraValidation.of(app)
    app.synth()
    taskora.backend.service.add_json_patch(cdk8s.JsonPatch.replace("/spec/selector", {"app": "nobody"}))
    # WHEN one of Taskora's charts is rendered on its own THEN cdk8s's validation still refuses it
    with pytest.raises(RuntimeError, match="must match the pod labels"):
        cdk8s.Testing.synth(taskora.charts["backend"])


def test_an_apps_library_objects_are_found_without_reading_another_apps(monkeypatch):
    # GIVEN two Apps, each with objects the library emitted (a test session makes thousands)
    from taskora_constructs.core import manifest, tree

    apps = [cdk8s.Testing.app() for _ in range(2)]
    for app in apps:
        chart = cdk8s.Chart(app, "c")
        emit(chart, "one", json.loads(json.dumps(MANIFEST)))
        emit(chart, "two", json.loads(json.dumps(MANIFEST)), frozenset({"app"}))
    # WHEN the lint of the first App asks which containers the library built in its objects
    read = []
    monkeypatch.setattr(tree, "path_of", lambda construct, _path_of=tree.path_of: read.append(construct) or _path_of(construct))
    monkeypatch.setattr(tree, "root_of", lambda construct, _root_of=tree.root_of: read.append(construct) or _root_of(construct))
    found = manifest.library_containers_by_path(apps[0])
    # THEN it gets the first App's two objects, and read no object of the other App to find them
    assert found == {"c/one": True, "c/two": frozenset({"app"})}
    objects_read = {id(o): o for o in read if isinstance(o, cdk8s.ApiObject)}.values()
    first = apps[0].__jsii_ref__.ref
    assert len(objects_read) == 2 and all(tree.root_of(o).__jsii_ref__.ref == first for o in objects_read)
