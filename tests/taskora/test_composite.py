"""GIVEN one non-default prop WHEN synthesized THEN the output changes exactly as asked and
nothing else does (compared field by field with the default output)."""

from __future__ import annotations

import re
from dataclasses import replace

import cdk8s
import pytest

from tests.support.conformance import diff_objects, object_id
from tests.support.synth import by_kind_name, synth_app, synth_taskora
from taskora_constructs import (ComputeResources, PostgresProps, Resources, Taskora, TaskoraBackendProps,
                                TaskoraConfigError, TaskoraFrontendProps, TaskoraIngressProps, TaskoraProps,
                                TaskoraSecretValues)

CONTAINER = "spec.template.spec.containers[0]"


def _frozen(value):
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


CHECKSUM = re.compile(r'^spec\.template\.metadata\.annotations\["checksum/(\w+)"\]$')


def all_changes(default_objects, **props) -> set[tuple]:
    _, objects = synth_taskora(**props)
    return {(d.object, d.path, _frozen(d.model), _frozen(d.synthesized))
            for d in diff_objects(default_objects, objects)}


def changes(default_objects, **props) -> set[tuple]:
    """The changes, without the checksum annotations that roll pods (see test_config_rollout.py)."""
    return {c for c in all_changes(default_objects, **props) if not CHECKSUM.match(c[1])}


def rolled(default_objects, **props) -> set[str]:
    """``Kind/name:checksum`` of every pod template whose checksum annotation changed."""
    return {f"{c[0]}:{CHECKSUM.match(c[1])[1]}" for c in all_changes(default_objects, **props)
            if CHECKSUM.match(c[1])}


def test_five_backend_replicas_change_only_the_backend_replicas(default_objects):
    assert changes(default_objects, backend=TaskoraBackendProps(replicas=5)) == {
        ("Deployment/taskora-backend", "spec.replicas", 3, 5)}


def test_another_frontend_image_changes_only_the_frontend_container_image(default_objects):
    assert changes(default_objects, frontend=TaskoraFrontendProps(image="registry.example/taskora/frontend:1.4.2")) == {
        ("Deployment/taskora-frontend", f"{CONTAINER}.image",
         "taskora/frontend:latest", "registry.example/taskora/frontend:1.4.2"),
        # the model's "documented local image" exceptions explain the documented image only: with
        # another image they are no longer written, whether the check is met (CKV_K8S_14: a fixed
        # tag) or not (CKV_K8S_15, CKV_K8S_43: the new image's owner must meet them or say why)
        ("Deployment/taskora-frontend", 'metadata.annotations["checkov.io/skip-ckv-k8s-14"]',
         "CKV_K8S_14=documented local image: built into the node as :latest, never pulled", "<missing>"),
        ("Deployment/taskora-frontend", 'metadata.annotations["checkov.io/skip-ckv-k8s-15"]',
         "CKV_K8S_15=documented local image: loaded into the node, so IfNotPresent (Always would fail to pull)",
         "<missing>"),
        ("Deployment/taskora-frontend", 'metadata.annotations["checkov.io/skip-ckv-k8s-43"]',
         "CKV_K8S_43=documented local image: loaded into the node, it has no registry digest", "<missing>")}


def test_backend_resources_change_only_the_backend_resources(default_objects):
    resources = Resources(requests=ComputeResources(cpu="500m", memory="512Mi"),
                          limits=ComputeResources(cpu="2", memory="2Gi"))
    prefix = f"{CONTAINER}.resources"
    assert changes(default_objects, backend=TaskoraBackendProps(resources=resources)) == {
        ("Deployment/taskora-backend", f"{prefix}.requests.cpu", "200m", "500m"),
        ("Deployment/taskora-backend", f"{prefix}.requests.memory", "256Mi", "512Mi"),
        ("Deployment/taskora-backend", f"{prefix}.limits.cpu", "1000m", "2"),
        ("Deployment/taskora-backend", f"{prefix}.limits.memory", "1Gi", "2Gi"),
    }


#: The app's database props: the model's, with the claims' StorageClass taskora-retain (D9).
APP_DATABASE = TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()).database


def test_database_storage_changes_only_the_claim_template(default_objects):
    assert changes(default_objects, database=replace(APP_DATABASE, storage="50Gi")) == {
        ("StatefulSet/taskora-db", "spec.volumeClaimTemplates[0].spec.resources.requests.storage", "10Gi", "50Gi"),
    }


def test_an_existing_storage_class_replaces_the_created_one(default_objects):
    # GIVEN the model's PostgresProps with a class of the cluster's WHEN synthesized THEN the
    # claims use it and the app creates no StorageClass (its reclaim policy is the cluster's)
    assert changes(default_objects, database=PostgresProps(storage_class_name="fast")) == {
        ("StatefulSet/taskora-db", "spec.volumeClaimTemplates[0].spec.storageClassName", "taskora-retain", "fast"),
        ("StorageClass/taskora-retain", "", None, None),
    }


def test_database_user_flows_to_credentials_url_and_probes(default_objects):
    assert changes(default_objects, database=replace(APP_DATABASE, username="app_user")) == {
        ("Secret/taskora-db-credentials", "stringData.username", "taskora", "app_user"),
        ("Secret/taskora-secrets", "stringData.DATABASE_URL",
         "postgresql://taskora:your-secure-password@taskora-db:5432/taskora",
         "postgresql://app_user:your-secure-password@taskora-db:5432/taskora"),
        # pg_isready -U <user>: the user is the third word of all three probe commands
        ("StatefulSet/taskora-db", f"{CONTAINER}.livenessProbe.exec.command[2]", "taskora", "app_user"),
        ("StatefulSet/taskora-db", f"{CONTAINER}.readinessProbe.exec.command[2]", "taskora", "app_user"),
        ("StatefulSet/taskora-db", f"{CONTAINER}.startupProbe.exec.command[2]", "taskora", "app_user"),
    }
    # no pod annotation derives from the credentials (a reader of pods could test guesses):
    # the database's pod template changes by its probes; database.credentialsRevision rolls both
    assert rolled(default_objects, database=PostgresProps(username="app_user")) == set()


def test_database_password_is_url_encoded_in_database_url_and_verbatim_in_credentials():
    secrets = TaskoraSecretValues(cohere_api_key="c", better_auth_secret="b", gemini_api_key="g",
                                  database_password="p@ss:w/rd%")
    objects = by_kind_name(synth_taskora(secrets=secrets)[1])
    assert objects[("Secret", "taskora-db-credentials")]["stringData"]["password"] == "p@ss:w/rd%"
    assert objects[("Secret", "taskora-secrets")]["stringData"]["DATABASE_URL"] == \
        "postgresql://taskora:p%40ss%3Aw%2Frd%25@taskora-db:5432/taskora"


def test_backend_port_flows_to_service_probes_config_and_ingress(default_objects):
    found = changes(default_objects, backend=TaskoraBackendProps(port=9000))
    assert ("ConfigMap/taskora-config", "data.API_BASE_URL",
            "http://taskora-backend:8000", "http://taskora-backend:9000") in found
    assert ("Ingress/taskora-ingress-api", "spec.rules[0].http.paths[0].backend.service.port.number",
            8000, 9000) in found
    assert {path for obj, path, *_ in found if obj == "Service/taskora-backend"} == {
        "spec.ports[0].port", "spec.ports[0].targetPort"}
    # the backend's NetworkPolicy admits the new port, the frontend's lets its calls out to it
    assert {path for obj, path, *_ in found if obj.startswith("NetworkPolicy/")} == {
        "spec.ingress[0].ports[0].port", "spec.ingress[1].ports[0].port", "spec.egress[0].ports[0].port"}
    assert {obj for obj, *_ in found} == {"ConfigMap/taskora-config", "Ingress/taskora-ingress-api",
                                          "Service/taskora-backend", "Deployment/taskora-backend",
                                          "NetworkPolicy/taskora-backend", "NetworkPolicy/taskora-frontend"}


def test_ingress_host_changes_both_ingresses_only(default_objects):
    assert changes(default_objects, ingress=TaskoraIngressProps(host="tasks.example.com")) == {
        ("Ingress/taskora-ingress", "spec.rules[0].host", "taskora.local", "tasks.example.com"),
        ("Ingress/taskora-ingress-api", "spec.rules[0].host", "taskora.local", "tasks.example.com"),
    }


def test_another_app_name_and_namespace_rename_everything_consistently():
    # GIVEN app name taskora-staging in namespace staging
    taskora, objects = synth_taskora(app_name="taskora-staging", namespace="staging")
    ids = sorted(object_id(o) for o in objects)
    # THEN every name derives from the app name and everything namespaced lives in `staging`
    assert ids == sorted([
        "Namespace/staging", "ConfigMap/taskora-staging-config", "Secret/taskora-staging-secrets",
        "Secret/taskora-staging-db-credentials", "Service/taskora-staging-db", "StatefulSet/taskora-staging-db",
        "Deployment/taskora-staging-backend", "Service/taskora-staging-backend",
        "Deployment/taskora-staging-frontend", "Service/taskora-staging-frontend",
        "Ingress/taskora-staging-ingress", "Ingress/taskora-staging-ingress-api",
        # hardening (issue #5)
        "NetworkPolicy/taskora-staging-default-deny", "ServiceAccount/taskora-staging-db",
        "NetworkPolicy/taskora-staging-db", "ServiceAccount/taskora-staging-backend",
        "PodDisruptionBudget/taskora-staging-backend", "NetworkPolicy/taskora-staging-backend",
        "ServiceAccount/taskora-staging-frontend", "PodDisruptionBudget/taskora-staging-frontend",
        "NetworkPolicy/taskora-staging-frontend",
        # the claims' StorageClass (shared by every instance: cluster-wide, same settings); the
        # deletion protection's policy is cluster-wide and outside dist/ (make protection)
        "StorageClass/taskora-retain"])
    cluster_scoped = {"Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "StorageClass"}
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] not in cluster_scoped} == {"staging"}
    objs = by_kind_name(objects)
    assert objs[("Secret", "taskora-staging-secrets")]["stringData"]["DATABASE_URL"] == \
        "postgresql://taskora:your-secure-password@taskora-staging-db:5432/taskora"
    assert objs[("ConfigMap", "taskora-staging-config")]["data"]["API_BASE_URL"] == \
        "http://taskora-staging-backend:8000"
    deployment = objs[("Deployment", "taskora-staging-backend")]
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "taskora-staging-backend"}}
    assert [c.node.id for c in taskora.charts.values()] == [
        f"taskora-staging-{part}" for part in ("namespace", "database", "config", "backend", "frontend", "ingress")]


def test_two_instances_synthesize_side_by_side_without_collision(default_objects):
    app = cdk8s.Testing.app()
    secrets = TaskoraSecretValues.development_placeholders()
    Taskora(app, "taskora", TaskoraProps(secrets=secrets))
    Taskora(app, "taskora-staging", TaskoraProps(secrets=secrets, app_name="taskora-staging"))
    objects = synth_app(app)
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    # the StorageClass is cluster-wide and the same for both: written once, by the first
    assert len(keys) == len(set(keys)) == 2 * len(default_objects) - 1
    assert [k for k in keys if k[0] == "StorageClass"] == [("StorageClass", None, "taskora-retain")]
    # the first instance is untouched by the second
    assert objects[:len(default_objects)] == default_objects


def test_props_defaults_are_the_models_tables():
    # The model's tables (sections 2.1, 2.2, 3), restated as data.
    frontend, backend, database = TaskoraFrontendProps(), TaskoraBackendProps(), PostgresProps()
    assert (frontend.replicas, frontend.image, frontend.port) == (2, "taskora/frontend:latest", 3000)
    assert frontend.resources.to_json() == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                            "limits": {"cpu": "500m", "memory": "512Mi"}}
    assert (backend.replicas, backend.image, backend.port) == (3, "taskora/backend:latest", 8000)
    assert backend.resources.to_json() == {"requests": {"cpu": "200m", "memory": "256Mi"},
                                           "limits": {"cpu": "1000m", "memory": "1Gi"}}
    assert (database.image, database.storage, database.storage_class_name, database.database_name) == (
        "postgres:15-alpine", "10Gi", "standard", "taskora")


def test_props_are_frozen_and_keyword_only():
    with pytest.raises(TypeError):
        TaskoraBackendProps(3)  # type: ignore[misc]
    props = TaskoraBackendProps()
    with pytest.raises(AttributeError):
        props.replicas = 4  # type: ignore[misc]


@pytest.mark.parametrize("field", ["existing_secret", "database_existing_secret"])
def test_an_existing_secret_name_the_api_server_refuses_is_refused_by_the_secret_values(field):
    # GIVEN a Secret name no API server accepts (upper case and an underscore)
    # WHEN the secret values name it THEN they refuse it at once, naming the field and the rule
    with pytest.raises(TaskoraConfigError) as raised:
        replace(TaskoraSecretValues.development_placeholders(), **{field: "Bad_Name"})
    [problem] = raised.value.problems
    assert (problem.field, problem.value) == (field, "Bad_Name")
    assert "DNS" in problem.rule or "lowercase" in problem.rule
    # AND a valid name is kept
    assert getattr(replace(TaskoraSecretValues.development_placeholders(),
                           **{field: "taskora-app"}), field) == "taskora-app"
