"""The lint's index and its one entry point (taskora_constructs/lint/index.py): GIVEN an app broken
in several places WHEN synthesized by any path THEN every problem is reported in one run with the
same messages; GIVEN plain manifests WHEN ``check_manifests`` reads them THEN it names them by kind
and name, tolerates malformed ones, places an app that creates no namespace, and counts the pods
operators start (cert-manager's solvers). The rules themselves: test_pods.py, test_routing.py."""

from __future__ import annotations

import copy

import cdk8s
import pytest

from taskora_constructs import (Declarations, Problem, Taskora, TaskoraProps, TaskoraValidation, check_manifests,
                                config_error_from_synth)
from tests.support.lint_helpers import (API_INGRESS, BACKEND, BACKEND_SERVICE, CONTAINER, DATABASE,
                                        DATABASE_SERVICE, PATCH_CONTAINER, PLACEHOLDERS, build, patch,
                                        plain_deployment, plain_service, refused)


# --- all problems at once, identically on every synth path ----------------------------------

def break_in_five_places(app: cdk8s.App) -> None:
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0),
          cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/livenessProbe/httpGet/port", 9000))
    patch(app, BACKEND_SERVICE, cdk8s.JsonPatch.replace("/spec/selector", {"app": "nothing"}))
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/name", "gone"))
    patch(app, DATABASE_SERVICE, cdk8s.JsonPatch.remove("/spec/clusterIP"))


FIVE_PROBLEMS = {
    (BACKEND, "spec.replicas"),
    (BACKEND, f"{CONTAINER}.livenessProbe.httpGet.port"),
    (BACKEND_SERVICE, "spec.selector"),
    (API_INGRESS, "spec.rules[0].http.paths[0].backend.service.name"),
    (DATABASE, "spec.serviceName"),
}


def test_several_problems_are_all_reported_in_one_run():
    app, _ = build()
    break_in_five_places(app)
    error = refused(app)
    assert {(p.where, p.field) for p in error.problems} == FIVE_PROBLEMS
    assert str(error).startswith("5 configuration problems:\n")
    assert len(str(error).splitlines()) == 6


def test_app_synth_and_testing_synth_refuse_with_the_same_messages(tmp_path):
    # GIVEN the same broken app twice
    first, _ = build()
    break_in_five_places(first)
    second = cdk8s.App(outdir=str(tmp_path / "out"))
    Taskora(second, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    TaskoraValidation.of(second)  # the opt-in lint (synth_app switches it on for the first)
    break_in_five_places(second)
    # WHEN one goes through Testing.synth and the other through App.synth()
    via_testing = refused(first)
    with pytest.raises(RuntimeError) as raised:
        second.synth()
    via_app = config_error_from_synth(raised.value, second)
    # THEN both report the same problems, and App.synth() wrote nothing
    assert via_app is not None and via_app.problems == via_testing.problems
    assert list((tmp_path / "out").glob("*")) == []


# --- the pure function, for loaders and tests -----------------------------------------------

def test_check_manifests_names_plain_objects_by_kind_and_name(default_objects):
    # GIVEN the default objects as plain dicts, one Service broken
    objects = copy.deepcopy(default_objects)
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "taskora-frontend")
    service["spec"]["ports"][0]["targetPort"] = 3001
    # WHEN checked without construct paths THEN the problem names Kind/name
    problems = check_manifests(objects)
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("Service/taskora-frontend", "spec.ports[0].targetPort", 3001)]


def test_check_manifests_tolerates_malformed_objects():
    # GIVEN objects another tool might produce, half-written WHEN checked THEN problems, no crash
    problems = check_manifests([
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "ns"},
         "spec": {"template": "not a template", "selector": None}},
        {"kind": "Service", "metadata": {"name": "s", "namespace": "ns"}, "spec": {"selector": ["app"]}},
        {"kind": "Ingress", "metadata": {"namespace": "ns"}, "spec": {"rules": [None]}},
        "not an object",
    ])
    assert problems and all(isinstance(p, Problem) for p in problems)


def test_an_app_that_creates_no_namespace_deploys_into_one():
    # GIVEN objects for an existing namespace, the app creating none
    objects = [plain_deployment("web", "web"), plain_service("web", "web")]
    # THEN one namespace is fine, a second one is not
    assert check_manifests(objects) == []
    stray = plain_service("web", "other")
    problems = check_manifests(objects + [stray])
    assert ("Service/web", "metadata.namespace", "other") in [(p.where, p.field, p.value) for p in problems]
    assert check_manifests(objects + [plain_deployment("web", "other"), stray],
                           Declarations(allowed_namespaces=("other",))) == []
    # AND a cluster-scoped object's namespace means nothing, so it is not held to it
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "reader", "namespace": "other"}, "rules": []}
    assert check_manifests(objects + [cluster_role]) == []


@pytest.mark.parametrize("annotation, selected", [("cert-manager.io/cluster-issuer", True),
                                                   ("cert-manager.io/issuer", True),
                                                   ("nginx.ingress.kubernetes.io/ssl-redirect", False)])
def test_an_ingress_with_an_issuer_implies_cert_managers_solver_pods_a_policy_may_select(annotation, selected):
    # GIVEN a NetworkPolicy selecting cert-manager's HTTP-01 solver pods, and an Ingress
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "ns", "annotations": {annotation: "letsencrypt"}},
               "spec": {"rules": [{"host": "tasks.example.com"}]}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "solver", "namespace": "ns"},
              "spec": {"podSelector": {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
                       "policyTypes": ["Ingress"],
                       "ingress": [{"ports": [{"protocol": "TCP", "port": 8089}]}]}}
    problems = [p for p in check_manifests([ingress, policy]) if p.where == "NetworkPolicy/solver"]
    # THEN with an issuer the policy selects the solver (cert-manager starts it), without one it selects nothing
    assert (problems == []) is selected, problems
