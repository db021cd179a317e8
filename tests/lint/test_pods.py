"""The lint's rules for objects and the pods they run (taskora_constructs/lint/pods.py; issue #3):
GIVEN a valid app broken in one place, the way another construct, an escape-hatch JSON patch or a
hand-written object would WHEN the opt-in whole-app lint checks it (``synth_app`` switches it on,
as ``main.py`` does) THEN the synth is refused with one problem naming the construct path, the
field, the bad value, the rule and the fix: requests and probes, replicas and quantities, probe
ports, Secret and ConfigMap references, names, labels, selectors, images, namespaces, volumes,
StatefulSet storage, Jobs, ServiceAccounts and claims. Props wrong on their own:
tests/core/test_props.py; the CLI: tests/e2e/test_validation_cli.py.
"""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import (Declarations, Taskora, TaskoraProps, TaskoraValidation, check_manifests,
                                declare_external_secret)
from tests.support.lint_helpers import (BACKEND, BACKEND_SERVICE, CONFIG_MAP, CONTAINER, DATABASE,
                                        DATABASE_SERVICE, PATCH_CONTAINER, PLACEHOLDERS, assert_message, build,
                                        patch, plain_deployment, problems_after, refused, the_problem)
from tests.support.profiles import STATEFULSET_PROFILE
from tests.support.synth import synth_app


# --- requests, probes, replicas and the references a container makes ------------------------

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
    patch(app, "taskora-frontend/frontend/Resource", cdk8s.JsonPatch.replace(env, "API_URL"))
    problem = the_problem(refused(app), "taskora-frontend/frontend/Resource",
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


# --- names, labels, selectors, images, namespaces, volumes, StatefulSets, Jobs ---------------

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
    patch(app, "taskora-staging-backend/backend/Resource",
          cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/env/0/valueFrom/secretKeyRef/name", "taskora-secrets"))
    # THEN it is refused: a pod reads Secrets of its own namespace only
    problem = the_problem(refused(app), "taskora-staging-backend/backend/Resource",
                          f"{CONTAINER}.env[0].valueFrom.secretKeyRef.name")
    assert "must name a Secret the app defines in namespace 'taskora-staging'" in problem.rule



def test_volumes_must_name_existing_secrets_and_config_maps_and_their_keys():
    # GIVEN a pod mounting a missing ConfigMap and a key its Secret does not hold
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "web"},
              "stringData": {"tls.crt": "x"}}
    deployment = plain_deployment("web", "web", volumes=[
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



def test_jobs_need_no_probes_but_their_references_are_checked():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "web"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "migrate", "image": "taskora/backend:latest",
                "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}}]}]}}}}
    problems = check_manifests([plain_deployment("web", "web"), job])
    assert [(p.where, p.field) for p in problems] == [
        ("Job/migrate", "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name")]


# --- the ServiceAccount and the claims a pod names -------------------------------------------

def test_a_service_account_must_exist_or_be_declared():
    def change(found):
        found["Deployment/taskora-backend"]["spec"]["template"]["spec"]["serviceAccountName"] = "backend"
    (message,) = problems_after(change)
    assert message.startswith("Deployment/taskora-backend: spec.template.spec.serviceAccountName='backend': "
                              "must name a ServiceAccount the app defines")
    declared = Declarations(external_objects=(("ServiceAccount", "taskora", "backend"),))
    assert problems_after(change, declarations=declared) == []



def test_a_claim_must_be_one_the_app_creates():
    def change(found):
        volumes = found["CronJob/taskora-db-backup"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        next(v for v in volumes if v["name"] == "backup")["persistentVolumeClaim"]["claimName"] = "backup-taskora-db-1"
    (message,) = problems_after(change, STATEFULSET_PROFILE)
    assert "persistentVolumeClaim.claimName='backup-taskora-db-1': must name a claim of the app" in message
    assert "(backup-taskora-db-0, data-taskora-db-0)" in message
