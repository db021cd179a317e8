"""GIVEN a second team's chart holding its own objects beside a reused Taskora construct WHEN
synthesized THEN nothing of the library looks at the team's objects; only when the app opts in
to the whole-app lint are their references checked, and the model's policy rules (requests,
probes, replicas >= 1, storage >= 1Gi) still bind only the Taskora objects."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresDatabase, TaskoraValidation


def team_app(container: dict, *, replicas: int = 0) -> cdk8s.App:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "orders", disable_resource_name_hashes=True)
    cdk8s.ApiObject(chart, "ns", api_version="v1", kind="Namespace", metadata={"name": "orders"})
    PostgresDatabase(chart, "db", name="orders-db", namespace="orders", password="pw")
    web = cdk8s.ApiObject(chart, "web", api_version="apps/v1", kind="Deployment",
                          metadata={"name": "web", "namespace": "orders"})
    web.add_json_patch(cdk8s.JsonPatch.add("/spec", {
        "replicas": replicas,  # scaled to zero: valid Kubernetes, refused only for Taskora's own
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}}))
    return app


def test_without_the_opt_in_a_callers_objects_are_never_inspected():
    # even a dangling reference and zero replicas: the team's objects are the team's
    app = team_app({"name": "web", "image": "nginx:1.27", "env": [
        {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "orders-db-credentials", "key": "pasword"}}}]})
    assert len(cdk8s.Testing.synth(app.charts[0])) == 6


def test_a_callers_workload_without_requests_or_probes_is_not_held_to_the_model():
    app = team_app({"name": "web", "image": "nginx:1.27"})
    assert TaskoraValidation.of(app).problems() == []
    assert len(cdk8s.Testing.synth(app.charts[0])) == 6


def test_with_the_opt_in_a_callers_dangling_reference_is_refused():
    app = team_app({"name": "web", "image": "nginx:1.27", "env": [
        {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "orders-db-credentials", "key": "pasword"}}}]})
    TaskoraValidation.of(app)
    with pytest.raises(RuntimeError, match=r"secretKeyRef.key='pasword': must be a key of Secret 'orders-db-credentials'"):
        cdk8s.Testing.synth(app.charts[0])


def test_the_taskora_objects_in_the_same_chart_are_still_held_to_the_model():
    app = team_app({"name": "web", "image": "nginx:1.27"})
    statefulset = next(c for c in app.charts[0].node.find_all()
                       if isinstance(c, cdk8s.ApiObject) and c.kind == "StatefulSet")
    statefulset.add_json_patch(cdk8s.JsonPatch.replace(
        "/spec/volumeClaimTemplates/0/spec/resources/requests/storage", "512Mi"))
    TaskoraValidation.of(app)
    with pytest.raises(RuntimeError, match=r"storage='512Mi': must be >= 1Gi"):
        cdk8s.Testing.synth(app.charts[0])
