"""database.engine: cloudnative-pg (issue #15): the custom resources are valid against the
vendored CRDs, the backend's DATABASE_URL is the operator's Secret by wiring, the NetworkPolicies
open exactly the documented paths, the CNPG TypedDicts cost no import, local is unchanged."""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from typing import get_args

import cdk8s
import jsonschema
import pytest
import yaml

from tests.support.paths import ROOT
from tests.support.synth import synth_app
from tests.support.profiles import by_id, objects_of
from taskora_constructs import (CloudNativePgDatabase, CloudNativePgOptions, CloudNativePgProps, NetworkPeer,
                                ObjectStoreBackup,
                                PgBouncerPooler, PostgresDatabase, PostgresProps, Taskora, TaskoraConfigError,
                                TaskoraProps, TaskoraSecretValues, TaskoraValidation)

CRD_DIR = ROOT / "crds" / "cloudnative-pg-v1.29.2"
sys.path.insert(0, str(ROOT / "scripts"))
import validate  # noqa: E402
CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.4"


@functools.cache
def crd_schemas() -> dict[str, dict]:
    """kind -> the openAPIV3Schema of its vendored CRD (metadata is Kubernetes' own)."""
    schemas = {}
    for path in CRD_DIR.glob("*.yaml"):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        schema = copy.deepcopy(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
        schema["properties"]["metadata"] = {"type": "object"}
        schemas[crd["spec"]["names"]["kind"]] = schema
    return schemas


def assert_valid(manifest: dict) -> None:
    schema = crd_schemas().get(manifest["kind"])
    if schema is not None:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
        assert errors == []
        assert manifest["apiVersion"] == "postgresql.cnpg.io/v1"
    # and strictly (an unknown field refused), against whichever vendored CRD defines it
    assert validate.check_object(manifest, file="test", versions=(), crd_dir=validate.CRD_DIR) == []
    assert validate.crd_validator(validate.CRD_DIR, manifest["apiVersion"], manifest["kind"]) is not None


def secrets(**fields) -> TaskoraSecretValues:
    return TaskoraSecretValues(cohere_api_key="c", better_auth_secret="b", gemini_api_key="g",
                               database_credentials_from_operator=True, **fields)


def taskora(**database) -> dict[str, dict]:
    app = cdk8s.Testing.app()
    props = CloudNativePgProps(image=CNPG_IMAGE, **database)
    Taskora(app, "taskora", TaskoraProps(secrets=secrets(), database=props))
    return by_id(synth_app(app))


def env_of(found: dict[str, dict]) -> list[dict]:
    return found["Deployment/taskora-backend"]["spec"]["template"]["spec"]["containers"][0]["env"]


def test_production_is_a_3_instance_cluster_with_a_scheduled_backup_valid_against_the_crds():
    found = by_id(objects_of("production"))
    cluster = found["Cluster/taskora-db"]
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["bootstrap"] == {"initdb": {"database": "taskora", "owner": "taskora"}}
    assert cluster["spec"]["affinity"]["enablePodAntiAffinity"] is True
    assert cluster["spec"]["affinity"]["topologyKey"] == "kubernetes.io/hostname"
    assert cluster["spec"]["imageName"].startswith("ghcr.io/cloudnative-pg/postgresql:15.8@sha256:")
    assert cluster["spec"]["storage"] == {"size": "50Gi"}
    # backups through the Barman Cloud plugin, not the in-tree barmanObjectStore (removed in 1.32)
    assert "backup" not in cluster["spec"]
    assert cluster["spec"]["plugins"] == [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": True,
                                           "parameters": {"barmanObjectName": "taskora-db-store"}}]
    store = found["ObjectStore/taskora-db-store"]
    assert store["spec"]["configuration"]["destinationPath"] == "s3://taskora-backups/production"
    assert store["spec"]["configuration"]["s3Credentials"]["accessKeyId"] == {"name": "taskora-backup-s3",
                                                                              "key": "ACCESS_KEY_ID"}
    assert store["spec"]["retentionPolicy"] == "30d"
    backup = found["ScheduledBackup/taskora-db"]
    assert backup["spec"]["cluster"] == {"name": "taskora-db"} and backup["spec"]["method"] == "plugin"
    assert backup["spec"]["pluginConfiguration"] == {"name": "barman-cloud.cloudnative-pg.io"}
    assert backup["spec"]["backupOwnerReference"] == "none"
    for manifest in (cluster, backup, store):
        assert_valid(manifest)
    # the store is applied before the Cluster whose plugin entry names it
    kinds = [o["kind"] for o in objects_of("production")]
    assert kinds.index("ObjectStore") < kinds.index("Cluster")
    # no StatefulSet, no credentials Secret, no pg_dump CronJob
    assert not [k for k in found if k.split("/")[0] in ("StatefulSet", "CronJob")]
    assert "Secret/taskora-db-credentials" not in found


def test_the_backend_reads_database_url_from_the_operators_secret():
    found = by_id(objects_of("production"))
    env = {e["name"]: e for e in env_of(found)}
    assert env["DATABASE_URL"]["valueFrom"] == {"secretKeyRef": {"name": "taskora-db-app", "key": "uri"}}
    # not typed twice: the app Secret does not hold a DATABASE_URL of its own
    assert "DATABASE_URL" not in found["Secret/taskora-secrets"]["stringData"]


def test_local_keeps_the_statefulset_and_no_custom_resource():
    kinds = {o["kind"] for o in objects_of("local")}
    assert "StatefulSet" in kinds and not kinds & {"Cluster", "ScheduledBackup", "Pooler"}


def test_the_database_policy_opens_exactly_clients_peers_and_the_operator():
    policy = by_id(objects_of("production"))["NetworkPolicy/taskora-db"]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "taskora-db"}}
    sources = [(rule["from"], sorted(p["port"] for p in rule["ports"])) for rule in policy["ingress"]]
    assert sources == [
        ([{"podSelector": {"matchLabels": {"app": "taskora-backend"}}}], [5432]),
        ([{"podSelector": {"matchLabels": {"cnpg.io/cluster": "taskora-db"}}}], [5432, 8000]),
        ([{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}},
           "podSelector": {"matchLabels": {"app.kubernetes.io/name": "cloudnative-pg"}}}], [5432, 8000]),
    ]
    # the instances reach each other, the API server and the object store, nothing else
    assert [sorted(p["port"] for p in rule["ports"]) for rule in policy["egress"]] == [[5432, 8000], [443, 6443], [443]]
    backend = by_id(objects_of("production"))["NetworkPolicy/taskora-backend"]["spec"]
    assert backend["egress"][0] == {"to": [{"podSelector": {"matchLabels": {
        "cnpg.io/cluster": "taskora-db", "cnpg.io/instanceRole": "primary"}}}],
        "ports": [{"protocol": "TCP", "port": 5432}]}


def test_the_operator_namespace_is_configurable():
    found = taskora(cloudnative_pg=CloudNativePgOptions(operator_namespace="postgres-operator",
                                                        operator_pod_labels={"app": "cnpg"}))
    peers = [rule["from"][0] for rule in found["NetworkPolicy/taskora-db"]["spec"]["ingress"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "postgres-operator"}},
            "podSelector": {"matchLabels": {"app": "cnpg"}}} in peers


def test_without_an_object_store_nothing_is_invented():
    found = taskora()
    assert "backup" not in found["Cluster/taskora-db"]["spec"]
    assert not [k for k in found if k.startswith(("ScheduledBackup/", "Pooler/"))]
    assert len(found["NetworkPolicy/taskora-db"]["spec"]["egress"]) == 2  # peers and the API server only
    assert_valid(found["Cluster/taskora-db"])


def test_a_pooler_fronts_the_primary_and_the_backend_connects_through_it():
    found = taskora(cloudnative_pg=CloudNativePgOptions(pooler=PgBouncerPooler(instances=2),
                                                        enable_pod_monitor=True))
    pooler = found["Pooler/taskora-db-pooler-rw"]
    assert pooler["spec"] == {"cluster": {"name": "taskora-db"}, "instances": 2, "type": "rw",
                              "pgbouncer": {"poolMode": "session"}}
    assert_valid(pooler)
    assert_valid(found["Cluster/taskora-db"])
    assert found["Cluster/taskora-db"]["spec"]["monitoring"] == {"enablePodMonitor": True}
    env = env_of(found)
    assert [e["name"] for e in env[:3]] == ["DATABASE_URL_USERNAME", "DATABASE_URL_PASSWORD", "DATABASE_URL"]
    assert env[2]["value"] == ("postgresql://$(DATABASE_URL_USERNAME):$(DATABASE_URL_PASSWORD)"
                               "@taskora-db-pooler-rw:5432/taskora")
    assert env[1]["valueFrom"] == {"secretKeyRef": {"name": "taskora-db-app", "key": "password"}}
    backend = found["NetworkPolicy/taskora-backend"]["spec"]["egress"][0]["to"]
    assert backend == [{"podSelector": {"matchLabels": {"cnpg.io/poolerName": "taskora-db-pooler-rw"}}}]
    instances = found["NetworkPolicy/taskora-db"]["spec"]["ingress"]
    assert instances[0]["from"] == [{"podSelector": {"matchLabels": {"cnpg.io/poolerName": "taskora-db-pooler-rw"}}}]
    assert instances[-1]["ports"] == [{"protocol": "TCP", "port": 9187}]
    pooler_policy = found["NetworkPolicy/taskora-db-pooler-rw"]["spec"]
    assert pooler_policy["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"app": "taskora-backend"}}}]


def test_the_custom_resources_match_the_generated_typeddicts():
    from tests.support.typed_dicts import mismatches

    from taskora_constructs._generated import barman_types, cnpg_types
    kinds = {cls.__name__: cls for cls in get_args(cnpg_types.Manifest)}
    kinds["ObjectStore"] = barman_types.Manifest
    found = taskora(cloudnative_pg=CloudNativePgOptions(
        pooler=PgBouncerPooler(), backup=ObjectStoreBackup(destination_path="s3://b/p", credentials_secret="s3",
                                                           endpoint_url="https://minio.example.com")))
    custom = [o for o in found.values() if o["kind"] in kinds]
    assert {o["kind"] for o in custom} == {"Cluster", "ScheduledBackup", "Pooler", "ObjectStore"}
    for manifest in custom:
        assert_valid(manifest)
        assert mismatches(manifest, kinds[manifest["kind"]], manifest["kind"]) == []


@pytest.mark.parametrize("compression, data", [("gzip", True), ("lz4", True), ("zstd", False), ("xz", False)])
def test_each_compression_gives_an_object_store_its_crd_accepts(compression, data):
    found = taskora(cloudnative_pg=CloudNativePgOptions(backup=ObjectStoreBackup(
        destination_path="s3://b/p", credentials_secret="s3", compression=compression)))
    store = found["ObjectStore/taskora-db-store"]
    assert_valid(store)
    configuration = store["spec"]["configuration"]
    assert configuration["wal"] == {"compression": compression}
    assert configuration.get("data") == ({"compression": compression} if data else None)


def test_importing_the_library_does_not_import_the_cnpg_types():
    code = ("import sys, taskora_constructs, taskora_constructs.database.cloudnative_pg; "
            "print([m for m in sys.modules if m.endswith('cnpg_types') or m == 'imports' or m.startswith('imports.')])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_another_team_uses_the_construct_and_the_lint_accepts_the_operators_secret():
    app = cdk8s.Testing.app()
    TaskoraValidation.of(app)
    chart = cdk8s.Chart(app, "orders", namespace="orders")
    db = CloudNativePgDatabase(chart, "orders-db", database_name="orders", username="orders", image=CNPG_IMAGE,
                               storage_class_name=None)
    assert (db.service_name, db.app_secret_name, db.key_ref("uri")) == (
        "orders-db-rw", "orders-db-app", {"secretKeyRef": {"name": "orders-db-app", "key": "uri"}})
    assert cdk8s.ApiObject.of(db) is db.cluster
    found = by_id(synth_app(app))
    assert found["Cluster/orders-db"]["spec"]["bootstrap"]["initdb"] == {"database": "orders", "owner": "orders"}
    assert_valid(found["Cluster/orders-db"])


@pytest.mark.parametrize("build, message", [
    (lambda: CloudNativePgProps(image="postgres:15-alpine"), "must be a CloudNativePG operand image"),
    (lambda: PostgresDatabase(cdk8s.Chart(cdk8s.Testing.app(), "c"), "db", password="p", engine="cloudnative-pg",
                              image=CNPG_IMAGE), "engine='cloudnative-pg': is not a field of PostgresProps"),
    (lambda: ObjectStoreBackup(destination_path="bucket", credentials_secret="s3"), "must be an object-store URL"),
    (lambda: ObjectStoreBackup(destination_path="s3://b", credentials_secret="s3", schedule="0 3 * * *"),
     "six-field cron"),
    (lambda: Taskora(cdk8s.Testing.app(), "t", TaskoraProps(
        secrets=secrets(database_password="p" * 30),
        database=CloudNativePgProps(image=CNPG_IMAGE))), "the operator generates"),
])
def test_misconfigurations_are_refused(build, message):
    with pytest.raises(TaskoraConfigError) as error:
        build()
    assert message in str(error.value)


def test_another_database_client_is_let_onto_the_pooler_or_the_instances():
    for pooler, policy in ((None, "taskora-db"), (PgBouncerPooler(), "taskora-db-pooler-rw")):
        app = cdk8s.Testing.app()
        instance = Taskora(app, "taskora", TaskoraProps(secrets=secrets(), database=CloudNativePgProps(
            image=CNPG_IMAGE, cloudnative_pg=CloudNativePgOptions(pooler=pooler))))
        instance.allow_database_client(NetworkPeer.pods({"app": "reports"}, namespace="analytics"))
        ingress = by_id(synth_app(app))[f"NetworkPolicy/{policy}"]["spec"]["ingress"]
        assert ingress[-1]["from"][0]["namespaceSelector"] == {
            "matchLabels": {"kubernetes.io/metadata.name": "analytics"}}
