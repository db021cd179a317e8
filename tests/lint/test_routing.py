"""The lint's rules for what routes and guards traffic and capacity (taskora_constructs/lint/routing.py):
GIVEN the synthesized objects (or a valid app) with one reference broken WHEN checked THEN the
problem names the object, the field, the value and the fix - a NetworkPolicy, budget or
autoscaler that selects nothing, a port no pod listens on, a Service selecting no pod or
targeting a port its pods lack, an Ingress or HTTPRoute backend that is no Service port, a
Secret missing a key its consumers require, a Secret declared external that is also defined.
The unbroken profiles pass."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import (Taskora, TaskoraConfigError, TaskoraValidation, check_manifests,
                                config_error_from_synth, declare_external_secret)
from tests.support.lint_helpers import (API_INGRESS, APP_SECRET, BACKEND, BACKEND_SERVICE, CONTAINER, CREDENTIALS,
                                        PLACEHOLDERS, assert_message, build, patch, plain_deployment,
                                        plain_service, problems_after, refused, the_problem)
from tests.support.profiles import PROFILES, STATEFULSET_PROFILE, by_id, objects_of, props_of
from tests.support.synth import synth_app


@pytest.mark.parametrize("profile", PROFILES)
def test_the_profiles_pass(profile):
    assert check_manifests(objects_of(profile)) == []


def test_a_policy_that_selects_no_pod_is_refused():
    def change(found):
        found["NetworkPolicy/taskora-backend"]["spec"]["podSelector"]["matchLabels"] = {"app": "taskora-backnd"}
    (message,) = problems_after(change)
    assert message.startswith("NetworkPolicy/taskora-backend: spec.podSelector.matchLabels={'app': 'taskora-backnd'}: "
                              "must match the pod labels of a workload of the app in namespace 'taskora'")


def test_a_peer_that_selects_no_pod_is_refused():
    def change(found):
        found["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] = \
            {"app": "backend"}
    (message,) = problems_after(change)
    assert message.startswith("NetworkPolicy/taskora-db: spec.ingress[0].from[0].podSelector.matchLabels="
                              "{'app': 'backend'}: must match the pod labels of a workload")


def test_a_port_no_pod_listens_on_is_refused_in_both_directions():
    def change(found):
        found["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["ports"][0]["port"] = 5433
        found["NetworkPolicy/taskora-frontend"]["spec"]["egress"][0]["ports"][0]["port"] = "web"
    messages = problems_after(change)
    assert [m.split(": must")[0] for m in messages] == [
        "NetworkPolicy/taskora-db: spec.ingress[0].ports[0].port=5433",
        "NetworkPolicy/taskora-frontend: spec.egress[0].ports[0].port='web'"]
    assert "StatefulSet/taskora-db: 5432/postgres" in messages[0]
    # by name is fine
    ok = objects_of("local")
    by_id(ok)["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["ports"][0]["port"] = "postgres"
    assert check_manifests(ok) == []


def test_an_ip_block_must_except_only_ranges_inside_it():
    def change(found):
        block = found["NetworkPolicy/taskora-backend"]["spec"]["egress"][1]["to"][0]["ipBlock"]
        block["cidr"] = "10.0.0.0/8"
        block["except"] = ["192.168.0.0/16"]
    (message,) = problems_after(change)
    assert "spec.egress[1].to[0].ipBlock.except[0]='192.168.0.0/16': must lie inside the block's cidr" in message


def test_a_disruption_budget_must_select_pods_and_leave_one_evictable():
    def change(found):
        found["PodDisruptionBudget/taskora-frontend"]["spec"]["selector"]["matchLabels"] = {"app": "web"}
        backend = found["PodDisruptionBudget/taskora-backend"]["spec"]
        del backend["maxUnavailable"]
        backend["minAvailable"] = 3
    messages = problems_after(change)
    assert messages[0].startswith("PodDisruptionBudget/taskora-backend: spec.minAvailable=3: must be below the "
                                  "selected pods' replica count (3)")
    assert messages[1].startswith("PodDisruptionBudget/taskora-frontend: spec.selector.matchLabels={'app': 'web'}")


def test_under_an_autoscaler_the_budget_counts_its_floor():
    # production's backend runs at least 4 (its autoscaler's floor), no spec.replicas
    def change(found):
        spec = found["PodDisruptionBudget/taskora-backend"]["spec"]
        del spec["maxUnavailable"]
        spec["minAvailable"] = 4
    (message,) = problems_after(change, STATEFULSET_PROFILE)
    assert "spec.minAvailable=4: must be below the selected pods' replica count (4)" in message


def test_an_autoscaler_must_target_a_workload_of_the_app():
    def change(found):
        found["HorizontalPodAutoscaler/taskora-backend"]["spec"]["scaleTargetRef"]["name"] = "backend"
        found["HorizontalPodAutoscaler/taskora-frontend"]["spec"]["maxReplicas"] = 2
    messages = problems_after(change, "production")
    assert messages[0].startswith("HorizontalPodAutoscaler/taskora-backend: spec.scaleTargetRef=")
    assert "must name a Deployment or StatefulSet of the app" in messages[0]
    assert messages[1].startswith("HorizontalPodAutoscaler/taskora-frontend: spec.maxReplicas=2: "
                                  "must be >= spec.minReplicas (3)")


def test_the_synth_refuses_a_broken_policy_naming_its_construct():
    # GIVEN an escape hatch that breaks the frontend's policy WHEN the app is synthesized
    app = cdk8s.Testing.app()
    taskora = Taskora(app, "taskora", props_of("local"))
    policy = cdk8s.ApiObject.of(taskora.network_policies["frontend"])  # its child "Resource"
    policy.add_json_patch(cdk8s.JsonPatch.replace("/spec/ingress/0/ports/0/port", 80))
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    error = config_error_from_synth(raised.value, app)
    # THEN the synth fails with one problem, at the policy's construct path
    assert isinstance(error, TaskoraConfigError)
    assert [str(p).split(": must")[0] for p in error.problems] == [
        "taskora-frontend/network-policy/Resource: spec.ingress[0].ports[0].port=80"]
    assert TaskoraValidation.of(app).last_problems == error.problems


# --- Services, and the Secrets declared as managed outside the app ---------------------------

def test_orphaned_service_selector_is_refused():
    # GIVEN the backend Service selecting a misspelt app label
    app, _ = build()
    patch(app, BACKEND_SERVICE, cdk8s.JsonPatch.replace("/spec/selector", {"app": "taskora-backnd"}))
    problem = the_problem(refused(app), BACKEND_SERVICE, "spec.selector")
    # THEN the message names the selector and the pods that are there
    assert_message(problem, value={"app": "taskora-backnd"},
                   rule="must match the pod labels of a workload of the app in namespace 'taskora'",
                   fix="select on labels the target pods carry")
    assert "Deployment/taskora-backend (app=taskora-backend, component=backend)" in problem.rule


@pytest.mark.parametrize("target", [8080, "web"])
def test_service_target_port_must_exist_on_the_selected_container(target):
    app, _ = build()
    patch(app, BACKEND_SERVICE, cdk8s.JsonPatch.replace("/spec/ports/0/targetPort", target))
    assert_message(the_problem(refused(app), BACKEND_SERVICE, "spec.ports[0].targetPort"), value=target,
                   rule="must be a container port of the pods it selects, by number or by name "
                        "(Deployment/taskora-backend declares backend: 8000/http)",
                   fix="target a declared containerPort")


def test_service_target_port_by_name_passes():
    app, _ = build()
    patch(app, BACKEND_SERVICE, cdk8s.JsonPatch.replace("/spec/ports/0/targetPort", "http"))
    assert synth_app(app)


def test_external_secret_declaration_is_checked_on_its_own():
    app, _ = build()
    with pytest.raises(TaskoraConfigError) as raised:
        declare_external_secret(app, name="Smtp_Secret", namespace="taskora", keys=[])
    assert {p.field for p in raised.value.problems} == {"name", "keys"}
    declare_external_secret(app, name="smtp", namespace="taskora", keys=["A"])
    with pytest.raises(TaskoraConfigError, match=r"contradicts the earlier declaration"):
        declare_external_secret(app, name="smtp", namespace="taskora", keys=["B"])


def test_a_secret_both_declared_external_and_defined_is_refused():
    app, _ = build()
    declare_external_secret(app, name="taskora-secrets", namespace="taskora", keys=["DATABASE_URL"])
    error = refused(app)
    assert_message(the_problem(error, TaskoraValidation.ID, "externalSecrets"), value="taskora/taskora-secrets",
                   rule="must not be a Secret the app defines too", fix="declare the Secret external or define it")
    # the declared keys also lack the ones TaskoraSecrets requires
    assert_message(the_problem(error, TaskoraValidation.ID, "externalSecrets[taskora/taskora-secrets].keys"),
                   value=["DATABASE_URL"],
                   rule="must include every required key (missing: COHERE_API_KEY, BETTER_AUTH_SECRET, "
                        "GEMINI_API_KEY)", fix="declare them")


# --- Ingresses, HTTPRoutes and the Secrets their consumers require ---------------------------

def test_ingress_backend_must_name_an_existing_service():
    app, _ = build()
    backend = "/spec/rules/0/http/paths/0/backend/service/name"
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace(backend, "taskora-api"))
    field = "spec.rules[0].http.paths[0].backend.service.name"
    assert_message(the_problem(refused(app), API_INGRESS, field), value="taskora-api",
                   rule="must name a Service the app defines in namespace 'taskora'",
                   fix="route to one of the app's Services (taskora-backend, taskora-db, taskora-frontend)")


@pytest.mark.parametrize("port,field", [({"number": 80}, "number"), ({"name": "web"}, "name")])
def test_ingress_backend_port_must_be_a_port_of_the_service(port, field):
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/port", port))
    problem = the_problem(refused(app), API_INGRESS, f"spec.rules[0].http.paths[0].backend.service.port.{field}")
    assert_message(problem, value=port[field],
                   rule="must be a port of Service 'taskora-backend', by number or by name (it has: 8000/http)",
                   fix="use one of the Service's ports")


def test_ingress_backend_port_by_service_port_name_passes():
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/port",
                                                    {"name": "http"}))
    assert synth_app(app)


def test_ingress_host_in_an_object_must_be_a_dns_name():
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/host", "taskora..local"))
    assert_message(the_problem(refused(app), API_INGRESS, "spec.rules[0].host"), value="taskora..local",
                   rule="must be a DNS name", fix="use a host like 'taskora.local'")


def test_http_route_backend_refs_must_name_a_service_and_port():
    # GIVEN a Gateway API HTTPRoute routing to a missing Service and to a wrong port
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "web", "namespace": "web"},
             "spec": {"hostnames": ["Web.Example"], "rules": [
                 {"backendRefs": [{"name": "web", "port": 8080}, {"name": "api", "port": 80},
                                  {"name": "other", "namespace": "elsewhere", "port": 80}]}]}}
    problems = check_manifests([plain_deployment("web", "web"), plain_service("web", "web"), route])
    # THEN each is named; the explicitly cross-namespace reference is left to its ReferenceGrant
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("HTTPRoute/web", "spec.hostnames[0]", "Web.Example"),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[0].port", 8080),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[1].name", "api"),
    ]


def test_secret_missing_a_required_key_is_refused_with_every_consumer():
    # GIVEN the app Secret without GEMINI_API_KEY
    app, _ = build()
    patch(app, APP_SECRET, cdk8s.JsonPatch.remove("/stringData/GEMINI_API_KEY"))
    error = refused(app)
    # THEN the Secret is refused, and so is the variable that reads the key
    assert_message(the_problem(error, APP_SECRET, "stringData"),
                   value=["BETTER_AUTH_SECRET", "COHERE_API_KEY", "DATABASE_URL"],
                   rule="must hold every required key (missing: GEMINI_API_KEY); required by taskora-config/secrets",
                   fix="add GEMINI_API_KEY to the Secret")
    assert the_problem(error, BACKEND, f"{CONTAINER}.env[4].valueFrom.secretKeyRef.key").value == "GEMINI_API_KEY"


def test_empty_required_secret_value_is_refused_without_echoing_any_secret():
    app, _ = build()
    patch(app, CREDENTIALS, cdk8s.JsonPatch.replace("/stringData/password", ""))
    error = refused(app)
    assert_message(the_problem(error, CREDENTIALS, "stringData.password"), value="",
                   rule="must be a non-empty string", fix="provide a value")
    for secret in (PLACEHOLDERS.cohere_api_key, PLACEHOLDERS.better_auth_secret, PLACEHOLDERS.gemini_api_key,
                   PLACEHOLDERS.database_password):
        assert secret not in str(error)
