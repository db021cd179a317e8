"""Issue #3: bad configuration fails the synth with a clear error, before anything is written.

One failing case per rule, asserting the message: the construct path, the field, the bad
value, the rule and the fix. Props that are wrong on their own raise when built; what needs
the whole app is refused by the opt-in whole-app lint (``tests.support.synth.synth_app`` switches it on,
as ``main.py`` does), shown here through ``cdk8s.Testing.synth`` and ``App.synth()`` (the
CLI: ``test_validation_cli.py``; more rules: ``test_lint_objects.py``). The
cross-object cases break a valid app the way another construct, an escape-hatch JSON patch
or a hand-written object would.
"""

from __future__ import annotations


import cdk8s
import pytest

from tests.support.synth import synth_app
from taskora_constructs import (BackendProps, ComputeResources, FrontendProps, IngressProps, PostgresProps,
                                Resources, Taskora, TaskoraConfigError, TaskoraProps, TaskoraSecretValues,
                                TaskoraValidation, check_manifests, declare_external_secret)
from tests.support.lint_helpers import (CONTAINER, PATCH_CONTAINER, BACKEND, BACKEND_SERVICE, DATABASE, PLACEHOLDERS, build,
                          patch, refused, the_problem, assert_message, props_error)


# --- the valid default app passes every rule --------------------------------------------------

def test_default_app_passes_every_rule(default_objects):
    # GIVEN the documented app WHEN its objects are checked THEN no rule is broken
    assert check_manifests(default_objects) == []
    app, _ = build()
    validation = TaskoraValidation.of(app)
    assert validation.problems() == []
    synth_app(app)
    assert validation.last_problems == ()


def test_default_app_registers_one_validation_under_the_app_root():
    # GIVEN the app WHEN built THEN there is one TaskoraValidation, which emits no object
    app, _ = build()
    assert TaskoraValidation.of(app) is app.node.find_child(TaskoraValidation.ID)
    assert [c.node.id for c in app.node.children if isinstance(c, TaskoraValidation)] == [TaskoraValidation.ID]
    assert all(isinstance(c, cdk8s.Chart) for c in app.charts)


def test_other_valid_shapes_pass_too():
    # GIVEN two instances side by side, and an instance using existing Secrets
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    Taskora(app, "taskora-staging", TaskoraProps(secrets=PLACEHOLDERS, app_name="taskora-staging", namespace="staging"))
    external = TaskoraSecretValues(existing_secret="app-secrets", database_existing_secret="pg-credentials")
    other = cdk8s.Testing.app()
    Taskora(other, "taskora", TaskoraProps(secrets=external))
    # WHEN synthesized THEN nothing is refused
    assert synth_app(app) and synth_app(other)


# --- props wrong on their own raise at once -------------------------------------------------

def test_replicas_below_one_are_refused():
    error = props_error(lambda: BackendProps(replicas=0))
    assert_message(the_problem(error, "BackendProps", "replicas"), value=0, rule="must be >= 1",
                   fix="set at least 1 replica")


def test_replicas_must_be_an_integer():
    error = props_error(lambda: FrontendProps(replicas=2.5))  # type: ignore[arg-type]
    assert_message(the_problem(error, "FrontendProps", "replicas"), value=2.5, rule="must be an integer",
                   fix="write a whole number")


def test_malformed_quantity_is_refused():
    resources = Resources(requests=ComputeResources(cpu="lots", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="512Mi"))
    error = props_error(lambda: BackendProps(resources=resources))
    assert_message(the_problem(error, "BackendProps", "resources.requests.cpu"), value="lots",
                   rule="must be a Kubernetes quantity", fix="write it like '250m'")


def test_request_above_limit_is_refused():
    resources = Resources(requests=ComputeResources(cpu="2", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="512Mi"))
    error = props_error(lambda: BackendProps(resources=resources))
    assert_message(the_problem(error, "BackendProps", "resources.requests.cpu"), value="2",
                   rule="must be <= resources.limits.cpu (500m)", fix="raise the limit to at least 2")


def test_storage_below_one_gibibyte_is_refused():
    error = props_error(lambda: PostgresProps(storage="512Mi"))
    assert_message(the_problem(error, "PostgresProps", "storage"), value="512Mi", rule="must be >= 1Gi",
                   fix="request at least 1Gi")


def test_ingress_host_must_be_a_dns_name():
    error = props_error(lambda: IngressProps(host="Taskora_Local"))
    assert_message(the_problem(error, "IngressProps", "host"), value="Taskora_Local",
                   rule="must be a DNS-1123 subdomain", fix="use a name like 'taskora.local'")


def test_image_reference_must_parse():
    error = props_error(lambda: FrontendProps(image="Taskora/Frontend:"))
    assert_message(the_problem(error, "FrontendProps", "image"), value="Taskora/Frontend:",
                   rule="must be an image reference", fix="'taskora/backend:1.4.2'")


def test_app_name_must_make_valid_object_names():
    error = props_error(lambda: Taskora(cdk8s.Testing.app(), "taskora",
                                        TaskoraProps(secrets=PLACEHOLDERS, app_name="Taskora_App")))
    assert_message(the_problem(error, "taskora", "app"), value="Taskora_App",
                   rule="must be a DNS-1123 label", fix="'taskora-staging'")


def test_empty_secret_value_is_refused_and_no_secret_is_echoed():
    error = props_error(lambda: TaskoraSecretValues(cohere_api_key="", better_auth_secret="s3cr3t-auth",
                                                    gemini_api_key="g3m1n1", database_password="pw-123"))
    assert_message(the_problem(error, "TaskoraSecretValues", "cohere_api_key"), value="",
                   rule="must be a non-empty string", fix="provide a value")
    assert not {"s3cr3t-auth", "g3m1n1", "pw-123"} & set(str(error).replace("'", " ").split())


def test_props_problems_are_all_reported_at_once():
    # GIVEN three things wrong in one props object WHEN built THEN all three are reported
    resources = Resources(requests=ComputeResources(cpu="2", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="lots"))
    error = props_error(lambda: BackendProps(replicas=0, image="BAD IMAGE", resources=resources))
    assert {p.field for p in error.problems} == {"replicas", "image", "resources.limits.memory"}
    assert str(error).startswith("3 configuration problems:\n")


# --- checks across constructs: node.add_validation ------------------------------------------

def test_missing_requests_are_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.remove(f"{PATCH_CONTAINER}/resources/requests"))
    problem = the_problem(refused(app), BACKEND, f"{CONTAINER}.resources.requests")
    assert_message(problem, value=None, rule="must be defined, with cpu and memory (missing: cpu, memory)",
                   fix="set resources.requests of container 'backend'")


@pytest.mark.parametrize("probe", ["livenessProbe", "readinessProbe"])
def test_missing_probes_are_refused(probe):
    app, _ = build()
    patch(app, DATABASE, cdk8s.JsonPatch.remove(f"{PATCH_CONTAINER}/{probe}"))
    kind = probe.removesuffix("Probe")
    assert_message(the_problem(refused(app), DATABASE, f"{CONTAINER}.{probe}"), value=None,
                   rule=f"must be defined: every container of a StatefulSet needs a {kind} probe",
                   fix=f"add a {probe}")


def test_replicas_patched_to_zero_are_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0))
    assert_message(the_problem(refused(app), BACKEND, "spec.replicas"), value=0, rule="must be >= 1",
                   fix="set at least 1 replica")


def test_malformed_quantity_in_an_object_is_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/resources/limits/memory", "1 GB"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.resources.limits.memory"), value="1 GB",
                   rule="must be a Kubernetes quantity", fix="write it like '256Mi'")


def test_request_above_limit_in_an_object_is_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/resources/requests/memory", "2Gi"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.resources.requests.memory"), value="2Gi",
                   rule="must be <= resources.limits.memory (1Gi)", fix="raise the limit to at least 2Gi")


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


def test_probe_port_must_exist_on_the_container_by_number():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/livenessProbe/httpGet/port", 9000))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.livenessProbe.httpGet.port"), value=9000,
                   rule="must be a port of container 'backend', by number or by name (it declares: 8000/http)",
                   fix="probe a declared containerPort")


def test_probe_port_must_exist_on_the_container_by_name():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/readinessProbe/httpGet/port", "web"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.readinessProbe.httpGet.port"), value="web",
                   rule="must be a port of container 'backend'", fix="probe a declared containerPort")


def test_probe_port_by_declared_name_passes():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/readinessProbe/httpGet/port", "http"))
    assert synth_app(app)


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


def test_secret_key_ref_to_an_unknown_secret_is_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/env/0/valueFrom/secretKeyRef/name", "app-secret"))
    problem = the_problem(refused(app), BACKEND, f"{CONTAINER}.env[0].valueFrom.secretKeyRef.name")
    assert_message(problem, value="app-secret",
                   rule="must name a Secret the app defines in namespace 'taskora' or one declared as "
                        "managed outside the app (the pod would fail with CreateContainerConfigError)",
                   fix="name one of the app's Secrets in 'taskora' (taskora-db-credentials, taskora-secrets)")
    assert "declare_external_secret" in problem.fix


def test_secret_key_ref_to_an_unknown_key_is_refused():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/env/1/valueFrom/secretKeyRef/key", "COHERE_KEY"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.env[1].valueFrom.secretKeyRef.key"),
                   value="COHERE_KEY",
                   rule="must be a key of Secret 'taskora-secrets' (it holds: BETTER_AUTH_SECRET, COHERE_API_KEY, "
                        "DATABASE_URL, GEMINI_API_KEY); environment variable COHERE_API_KEY would fail",
                   fix="reference one of its keys, or add 'COHERE_KEY' to the Secret")


def test_config_map_key_ref_to_an_unknown_key_is_refused():
    app, _ = build()
    env = "/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/key"
    patch(app, "taskora-frontend/frontend/deployment", cdk8s.JsonPatch.replace(env, "API_URL"))
    problem = the_problem(refused(app), "taskora-frontend/frontend/deployment",
                          f"{CONTAINER}.env[0].valueFrom.configMapKeyRef.key")
    assert_message(problem, value="API_URL", rule="must be a key of ConfigMap 'taskora-config' (it holds: API_BASE_URL",
                   fix="reference one of its keys")


@pytest.mark.parametrize("source,kind", [("configMapRef", "ConfigMap"), ("secretRef", "Secret")])
def test_env_from_an_unknown_object_is_refused(source, kind):
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.add(f"{PATCH_CONTAINER}/envFrom", [{source: {"name": "extra"}}]))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.envFrom[0].{source}.name"), value="extra",
                   rule=f"must name a {kind} the app defines in namespace 'taskora'",
                   fix=f"name one of the app's {kind}s in 'taskora'")


def test_a_secret_declared_as_managed_outside_the_app_may_be_referenced():
    # GIVEN the backend reading extra variables from a Secret an operator manages
    app, _ = build()
    declare_external_secret(app, name="smtp", namespace="taskora", keys=["SMTP_PASSWORD"])
    patch(app, BACKEND,
          cdk8s.JsonPatch.add(f"{PATCH_CONTAINER}/env/-", {"name": "SMTP_PASSWORD", "valueFrom": {
              "secretKeyRef": {"name": "smtp", "key": "SMTP_PASSWORD"}}}),
          cdk8s.JsonPatch.add(f"{PATCH_CONTAINER}/envFrom", [{"secretRef": {"name": "smtp"}}]))
    # WHEN synthesized THEN it passes
    assert synth_app(app)


def test_a_key_the_external_secret_is_not_declared_to_hold_is_refused():
    app, _ = build()
    declare_external_secret(app, name="smtp", namespace="taskora", keys=["SMTP_PASSWORD"])
    patch(app, BACKEND, cdk8s.JsonPatch.add(f"{PATCH_CONTAINER}/env/-", {"name": "SMTP_USER", "valueFrom": {
        "secretKeyRef": {"name": "smtp", "key": "SMTP_USER"}}}))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.env[9].valueFrom.secretKeyRef.key"),
                   value="SMTP_USER", rule="must be a key of Secret 'smtp' (it holds: SMTP_PASSWORD)",
                   fix="reference one of its keys")


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
    # the declared keys also lack the ones AppSecrets requires
    assert_message(the_problem(error, TaskoraValidation.ID, "externalSecrets[taskora/taskora-secrets].keys"),
                   value=["DATABASE_URL"],
                   rule="must include every required key (missing: COHERE_API_KEY, BETTER_AUTH_SECRET, "
                        "GEMINI_API_KEY)", fix="declare them")
