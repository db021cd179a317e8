"""Issue #3: bad configuration fails the synth with a clear error, before anything is written.

One failing case per rule, asserting the message: the construct path, the field, the bad
value, the rule and the fix. Props that are wrong on their own raise when built; what needs
the whole app is refused by the app-wide ``node.add_validation`` check, shown here through
``cdk8s.Testing.synth`` and ``App.synth()`` (the CLI: ``test_validation_cli.py``). The
cross-object cases break a valid app the way another construct, an escape-hatch JSON patch
or a hand-written object would.
"""

from __future__ import annotations

import copy

import cdk8s
import pytest

from conftest import synth_app
from taskora_constructs import (BackendProps, ComputeResources, Declarations, FrontendProps, IngressProps,
                                PostgresProps, Problem, Resources, Taskora, TaskoraConfigError, TaskoraProps,
                                TaskoraSecretValues, TaskoraValidation, check_manifests,
                                config_error_from_synth, declare_external_secret)

CONTAINER = "spec.template.spec.containers[0]"
PATCH_CONTAINER = "/spec/template/spec/containers/0"
BACKEND = "taskora-backend/backend/deployment"
BACKEND_SERVICE = "taskora-backend/backend/service"
DATABASE = "taskora-database/postgres/statefulset"
DATABASE_SERVICE = "taskora-database/postgres/service"
CREDENTIALS = "taskora-database/postgres/credentials"
APP_SECRET = "taskora-config/secrets/secret"
CONFIG_MAP = "taskora-config/config/configmap"
API_INGRESS = "taskora-ingress/ingress/api-ingress"
PLACEHOLDERS = TaskoraSecretValues.development_placeholders()


# --- helpers --------------------------------------------------------------------------------

def build(**props) -> tuple[cdk8s.App, Taskora]:
    props.setdefault("secrets", PLACEHOLDERS)
    app = cdk8s.Testing.app()
    return app, Taskora(app, "taskora", TaskoraProps(**props))


def patch(app: cdk8s.App, path: str, *patches: cdk8s.JsonPatch) -> None:
    """Apply JSON patches to the ApiObject at construct ``path`` (the escape hatch)."""
    api_object = app
    for part in path.split("/"):
        api_object = api_object.node.find_child(part)
    api_object.add_json_patch(*patches)


def refused(app: cdk8s.App) -> TaskoraConfigError:
    """Synthesize like the test suite does; the synth must fail with a configuration error."""
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    error = config_error_from_synth(raised.value, app)
    assert error is not None, f"not a configuration error: {raised.value}"
    return error


def the_problem(error: TaskoraConfigError, where: str, field: str) -> Problem:
    found = [p for p in error.problems if p.where == where and p.field == field]
    assert len(found) == 1, f"expected one problem at {where} {field}, got:\n{error}"
    assert f"  - {found[0]}" in str(error).splitlines()
    return found[0]


def assert_message(problem: Problem, *, value, rule: str, fix: str) -> None:
    message = str(problem)
    assert message.startswith(f"{problem.where}: {problem.field}={value!r}: "), message
    assert rule in problem.rule and rule in message
    assert fix in problem.fix and f"Fix: {problem.fix}" in message


def props_error(build_props) -> TaskoraConfigError:
    with pytest.raises(TaskoraConfigError) as raised:
        build_props()
    return raised.value


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
    assert_message(the_problem(error, "TaskoraNames", "app"), value="Taskora_App",
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


def test_statefulset_service_name_must_name_a_headless_service():
    # GIVEN the database Service made a ClusterIP Service
    app, _ = build()
    patch(app, DATABASE_SERVICE, cdk8s.JsonPatch.remove("/spec/clusterIP"))
    assert_message(the_problem(refused(app), DATABASE, "spec.serviceName"), value="taskora-db",
                   rule="must name a headless Service (clusterIP: None) in namespace 'taskora': "
                        "Service 'taskora-db' is not headless",
                   fix="set spec.clusterIP: None on Service 'taskora-db'")


def test_statefulset_service_name_must_name_an_existing_service():
    app, _ = build()
    patch(app, DATABASE, cdk8s.JsonPatch.replace("/spec/serviceName", "postgres"))
    assert_message(the_problem(refused(app), DATABASE, "spec.serviceName"), value="postgres",
                   rule="the app defines no Service of that name",
                   fix="add a headless Service named 'postgres', or name a headless Service of the app (taskora-db)")


def test_storage_patched_below_one_gibibyte_is_refused():
    app, _ = build()
    patch(app, DATABASE, cdk8s.JsonPatch.replace(
        "/spec/volumeClaimTemplates/0/spec/resources/requests/storage", "100Mi"))
    field = "spec.volumeClaimTemplates[0].spec.resources.requests.storage"
    assert_message(the_problem(refused(app), DATABASE, field), value="100Mi", rule="must be >= 1Gi",
                   fix="request at least 1Gi")


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


@pytest.mark.parametrize("kind_path,field,name,rule", [
    (CONFIG_MAP, "metadata.name", "Taskora_Config", "must be a DNS-1123 subdomain"),
    (BACKEND_SERVICE, "metadata.name", "taskora.backend", "must be a DNS-1123 label"),
])
def test_object_names_must_be_valid(kind_path, field, name, rule):
    app, _ = build()
    patch(app, kind_path, cdk8s.JsonPatch.replace("/metadata/name", name))
    assert_message(the_problem(refused(app), kind_path, field), value=name, rule=rule, fix="use a name like")


def test_label_values_must_be_valid():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/metadata/labels/component", "back end!"))
    assert_message(the_problem(refused(app), BACKEND, "metadata.labels.component"), value="back end!",
                   rule="must be a label value: at most 63 letters, digits", fix="use a value like 'taskora-backend'")


def test_selector_must_match_the_pod_template():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/selector/matchLabels", {"app": "backend"}))
    assert_message(the_problem(refused(app), BACKEND, "spec.selector.matchLabels"), value={"app": "backend"},
                   rule="must be non-empty and match the pod template's labels (app=taskora-backend, "
                        "component=backend)", fix="select on labels every pod of the template carries")


def test_image_reference_in_an_object_must_parse():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/image", "taskora/backend:"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.image"), value="taskora/backend:",
                   rule="must be an image reference [registry/]repository[:tag][@digest]",
                   fix="write it like 'taskora/backend:1.4.2'")


def test_objects_live_in_the_apps_namespace_unless_declared_cross_namespace():
    # GIVEN a ServiceAccount added in a namespace the app does not create
    app, taskora = build()
    cdk8s.ApiObject(taskora.charts["backend"], "monitoring-sa", api_version="v1", kind="ServiceAccount",
                    metadata=cdk8s.ApiObjectMetadata(name="scraper", namespace="monitoring"))
    where = "taskora-backend/monitoring-sa"
    # THEN it is refused
    assert_message(the_problem(refused(app), where, "metadata.namespace"), value="monitoring",
                   rule="must be the app's namespace ('taskora'): objects live in the app's namespace unless "
                        "declared cross-namespace",
                   fix="move the object into 'taskora', or declare the namespace with "
                       "TaskoraValidation.of(app).allow_namespace('monitoring')")
    # WHEN the namespace is declared cross-namespace THEN it passes
    TaskoraValidation.of(app).allow_namespace("monitoring")
    assert synth_app(app)


def test_a_namespaced_object_without_a_namespace_is_refused():
    app, taskora = build()
    cdk8s.ApiObject(taskora.charts["config"], "extra", api_version="v1", kind="ConfigMap",
                    metadata=cdk8s.ApiObjectMetadata(name="extra"))
    assert_message(the_problem(refused(app), "taskora-config/extra", "metadata.namespace"), value=None,
                   rule="must be set: a ConfigMap without a namespace lands in whatever namespace kubectl's "
                        "context points at", fix="set it to the app's namespace ('taskora')")


def test_references_do_not_cross_namespaces():
    # GIVEN two instances, the staging backend reading the first instance's Secret
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    Taskora(app, "taskora-staging", TaskoraProps(secrets=PLACEHOLDERS, app_name="taskora-staging"))
    patch(app, "taskora-staging-backend/backend/deployment",
          cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/env/0/valueFrom/secretKeyRef/name", "taskora-secrets"))
    # THEN it is refused: a pod reads Secrets of its own namespace only
    problem = the_problem(refused(app), "taskora-staging-backend/backend/deployment",
                          f"{CONTAINER}.env[0].valueFrom.secretKeyRef.name")
    assert "must name a Secret the app defines in namespace 'taskora-staging'" in problem.rule


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


def test_a_failed_validation_of_another_library_is_reported_too():
    # GIVEN a construct of another library whose own validation fails
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Refuses:
        def validate(self):
            return ["bucket name is taken"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Refuses())
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0))
    error = refused(app)
    # THEN its message is kept beside ours
    assert [(p.where, p.field) for p in error.problems] == [(BACKEND, "spec.replicas")]
    assert error.messages == ("[taskora-config] bucket name is taken",)
    assert str(error).splitlines()[-1] == "  - [taskora-config] bucket name is taken"


def test_a_bug_is_not_turned_into_a_configuration_error():
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Broken:
        def validate(self):
            return {}["boom"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Broken())
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    assert config_error_from_synth(raised.value, app) is None


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


def _deployment(name: str, namespace: str, **pod_spec) -> dict:
    container = {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "http"}],
                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                 "livenessProbe": {"tcpSocket": {"port": 80}}, "readinessProbe": {"tcpSocket": {"port": "http"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [container], **pod_spec}}}}


def _service(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def test_volumes_must_name_existing_secrets_and_config_maps_and_their_keys():
    # GIVEN a pod mounting a missing ConfigMap and a key its Secret does not hold
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "web"},
              "stringData": {"tls.crt": "x"}}
    deployment = _deployment("web", "web", volumes=[
        {"name": "config", "configMap": {"name": "nginx-conf"}},
        {"name": "certs", "secret": {"secretName": "tls", "items": [{"key": "tls.key", "path": "k"}]}},
        {"name": "optional", "configMap": {"name": "maybe", "optional": True}},
    ])
    # WHEN checked THEN both are reported, the optional one is not
    problems = check_manifests([secret, deployment])
    assert [(p.field, p.value) for p in problems] == [
        ("spec.template.spec.volumes[0].configMap.name", "nginx-conf"),
        ("spec.template.spec.volumes[1].secret.items[0].key", "tls.key"),
    ]
    assert "must be a key of Secret 'tls' (it holds: tls.crt)" in problems[1].rule


def test_http_route_backend_refs_must_name_a_service_and_port():
    # GIVEN a Gateway API HTTPRoute routing to a missing Service and to a wrong port
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "web", "namespace": "web"},
             "spec": {"hostnames": ["Web.Example"], "rules": [
                 {"backendRefs": [{"name": "web", "port": 8080}, {"name": "api", "port": 80},
                                  {"name": "other", "namespace": "elsewhere", "port": 80}]}]}}
    problems = check_manifests([_deployment("web", "web"), _service("web", "web"), route])
    # THEN each is named; the explicitly cross-namespace reference is left to its ReferenceGrant
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("HTTPRoute/web", "spec.hostnames[0]", "Web.Example"),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[0].port", 8080),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[1].name", "api"),
    ]


def test_an_app_that_creates_no_namespace_deploys_into_one():
    # GIVEN objects for an existing namespace, the app creating none
    objects = [_deployment("web", "web"), _service("web", "web")]
    # THEN one namespace is fine, a second one is not
    assert check_manifests(objects) == []
    stray = _service("web", "other")
    problems = check_manifests(objects + [stray])
    assert ("Service/web", "metadata.namespace", "other") in [(p.where, p.field, p.value) for p in problems]
    assert check_manifests(objects + [_deployment("web", "other"), stray],
                           Declarations(allowed_namespaces=("other",))) == []
    # AND a cluster-scoped object's namespace means nothing, so it is not held to it
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "reader", "namespace": "other"}, "rules": []}
    assert check_manifests(objects + [cluster_role]) == []


def test_jobs_need_no_probes_but_their_references_are_checked():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "web"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "migrate", "image": "taskora/backend:latest",
                "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}}]}]}}}}
    problems = check_manifests([_deployment("web", "web"), job])
    assert [(p.where, p.field) for p in problems] == [
        ("Job/migrate", "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name")]
