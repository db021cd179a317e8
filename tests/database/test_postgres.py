"""PostgresDatabase (taskora_constructs/database/postgres.py): GIVEN a chart WHEN the construct is
created THEN it emits its credentials Secret, ServiceAccount, headless Service and one-replica
StatefulSet wired to each other, and refuses wrong input with a problem naming path, field,
rule and fix (the password never shown)."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresBackup, PostgresDatabase, RetainedStorageClass, TaskoraConfigError
from taskora_constructs.core import policy
from taskora_constructs.database.postgres_props import POSTGRES_EXCEPTIONS

PASSWORD = "sentinel pg/9f3a"  # needs URL-escaping: a space and a slash


def shop() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")


def objects(chart: cdk8s.Chart) -> dict[str, dict]:
    return {o["kind"]: o for o in cdk8s.Testing.synth(chart)}


def refused(**kwargs) -> TaskoraConfigError:
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresDatabase(shop(), "db", **kwargs)
    return raised.value


def test_the_objects_share_the_name_and_the_secret_holds_the_credentials():
    # GIVEN a chart WHEN a database is created with a password, a database and a user name
    chart = shop()
    db = PostgresDatabase(chart, "orders-db", password=PASSWORD, database_name="orders", username="orders_app")
    found = objects(chart)
    # THEN exactly these four objects exist, in the namespace of the chart
    assert sorted(found) == ["Secret", "Service", "ServiceAccount", "StatefulSet"]
    assert {o["metadata"]["namespace"] for o in found.values()} == {"shop"}
    assert found["Secret"]["metadata"]["name"] == db.credentials_secret_name == "orders-db-credentials"
    assert found["Secret"]["stringData"] == {"username": "orders_app", "password": PASSWORD}
    # AND the Service is headless on the postgres port, selecting the StatefulSet's pods
    spec = found["Service"]["spec"]
    assert spec["clusterIP"] == "None" and spec["selector"] == {"app": "orders-db"}
    assert spec["ports"] == [{"name": "postgres", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]
    assert found["ServiceAccount"]["automountServiceAccountToken"] is False
    # AND the wiring attributes say the same
    assert (db.service_name, db.port, db.port_name, db.database_name, db.username) == (
        "orders-db", 5432, "postgres", "orders", "orders_app")
    assert db.manages_credentials is True and db.stateful_set is not None and db.credentials is not None


def test_the_statefulset_keeps_its_data_and_reads_credentials_from_files():
    chart = shop()
    PostgresDatabase(chart, "db", password=PASSWORD)
    statefulset = objects(chart)["StatefulSet"]
    spec = statefulset["spec"]
    # THEN one replica whose claims survive deleting or scaling the StatefulSet (deviation D4)
    assert spec["replicas"] == 1 and spec["serviceName"] == "db"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    [claim] = spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                             "resources": {"requests": {"storage": "10Gi"}}}
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    # AND the credentials are files of the Secret (deviation D7), PGDATA a subdirectory of the volume
    assert env == {"POSTGRES_DB": "taskora", "POSTGRES_USER_FILE": "/etc/postgres-credentials/username",
                   "POSTGRES_PASSWORD_FILE": "/etc/postgres-credentials/password",
                   "PGDATA": "/var/lib/postgresql/data/pgdata"}
    [secret_volume] = [v for v in pod["volumes"] if "secret" in v]
    assert secret_volume["secret"] == {"secretName": "db-credentials", "defaultMode": 0o440}
    assert {"name": "data", "mountPath": "/var/lib/postgresql/data"} in container["volumeMounts"]
    # AND the password is nowhere in the StatefulSet, only the revision counter that rolls it
    assert PASSWORD not in str(statefulset)
    assert spec["template"]["metadata"]["annotations"] == {"revision/credentials": "0"}
    assert pod["securityContext"]["runAsUser"] == 70 and pod["terminationGracePeriodSeconds"] == 120
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # AND the probes ask the server over TCP as the application's user (deviation D5)
    assert container["readinessProbe"]["exec"]["command"] == [
        "pg_isready", "-U", "taskora", "-d", "taskora", "-h", "127.0.0.1", "-p", "5432"]


def test_without_credential_files_the_environment_references_the_secret():
    chart = shop()
    PostgresDatabase(chart, "db", password=PASSWORD, credentials_from_files=False)
    pod = objects(chart)["StatefulSet"]["spec"]["template"]["spec"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in pod["containers"][0]["env"] if "valueFrom" in e}
    assert refs == {"POSTGRES_USER": {"name": "db-credentials", "key": "username"},
                    "POSTGRES_PASSWORD": {"name": "db-credentials", "key": "password"}}
    assert not any("secret" in v for v in pod["volumes"])


def test_an_existing_secret_is_referenced_and_no_secret_is_synthesized():
    chart = shop()
    db = PostgresDatabase(chart, "db", existing_secret="pg-creds")
    found = objects(chart)
    assert "Secret" not in found and db.credentials is None and db.manages_credentials is False
    assert db.credentials_secret_name == "pg-creds"
    assert db.key_ref(PostgresDatabase.PASSWORD_KEY) == {"secretKeyRef": {"name": "pg-creds", "key": "password"}}
    # WHEN a URL is asked of it THEN it is refused: this app never sees that password
    with pytest.raises(TaskoraConfigError) as raised:
        db.connection_url("shop")
    [problem] = raised.value.problems
    assert (problem.where, problem.field, problem.value) == ("shop/db", "existingSecret", "pg-creds")
    assert "secrets.existingSecret" in problem.fix


def test_the_connection_url_escapes_the_credentials_and_names_the_host():
    db = PostgresDatabase(shop(), "orders-db", password=PASSWORD, database_name="orders", username="orders_app")
    assert db.connection_url("shop") == "postgresql://orders_app:sentinel%20pg%2F9f3a@orders-db:5432/orders"
    assert db.connection_url("web") == \
        "postgresql://orders_app:sentinel%20pg%2F9f3a@orders-db.shop.svc:5432/orders"


def test_a_missing_password_names_the_field_and_the_fix():
    [problem] = refused().problems
    assert (problem.where, problem.field, problem.value) == ("shop/db", "password", None)
    assert problem.rule == "must be a non-empty string" and "Secrets" in problem.fix


def test_password_with_existing_secret_is_refused_without_showing_it():
    error = refused(password=PASSWORD, existing_secret="pg-creds")
    [problem] = error.problems
    assert problem.field == "password" and problem.value == "<redacted>"
    assert problem.rule == "must not be given together with existingSecret"
    assert PASSWORD not in str(error)


def test_an_invalid_existing_secret_name_is_refused():
    [problem] = refused(existing_secret="Bad_Name").problems
    assert (problem.field, problem.value) == ("existingSecret", "Bad_Name")
    assert problem.rule.startswith("must be a DNS-1123 subdomain")


def test_a_volume_below_the_model_minimum_is_refused():
    [problem] = refused(password=PASSWORD, storage="500Mi").problems
    assert (problem.where, problem.field, problem.value, problem.rule) == ("shop/db", "storage", "500Mi", "must be >= 1Gi")
    assert problem.fix == "request at least 1Gi"


def test_a_retained_storage_class_needs_a_class_name():
    error = refused(password=PASSWORD, storage_class_name=None, retained_storage_class=RetainedStorageClass())
    [problem] = error.problems
    assert problem.field == "storageClassName" and "retainedStorageClass" in problem.rule
    assert PASSWORD not in str(error)


def test_a_retained_storage_class_is_created_for_the_claims():
    chart = shop()
    db = PostgresDatabase(chart, "db", password=PASSWORD, storage_class_name="taskora-retain",
                          retained_storage_class=RetainedStorageClass())
    found = objects(chart)
    assert db.storage_class is not None
    assert found["StorageClass"]["metadata"]["name"] == "taskora-retain"
    assert found["StorageClass"]["reclaimPolicy"] == "Retain"
    assert found["StatefulSet"]["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "taskora-retain"


def test_key_ref_refuses_a_key_the_secret_does_not_have():
    db = PostgresDatabase(shop(), "orders-db", password=PASSWORD)
    assert db.key_ref("username") == {"secretKeyRef": {"name": "orders-db-credentials", "key": "username"}}
    with pytest.raises(TaskoraConfigError) as raised:
        db.key_ref("uri")
    [problem] = raised.value.problems
    assert (problem.where, problem.field, problem.value) == ("shop/orders-db", "secretKeyRef.key", "uri")
    assert "(username, password)" in problem.rule and "PASSWORD_KEY" in problem.fix


def test_a_backup_adds_its_cronjob_and_mounts_the_backups_read_only():
    chart = shop()
    db = PostgresDatabase(chart, "db", password=PASSWORD, backup=PostgresBackup())
    found = objects(chart)
    assert db.backup_name == "db-backup" and found["CronJob"]["metadata"]["name"] == "db-backup"
    spec = found["StatefulSet"]["spec"]
    assert [c["metadata"]["name"] for c in spec["volumeClaimTemplates"]] == ["data", "backup"]
    mounts = spec["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "backup", "mountPath": PostgresBackup.MOUNT_PATH, "readOnly": True} in mounts
    assert PASSWORD not in str(found["CronJob"])


def test_a_name_too_long_for_the_backup_cronjob_is_refused():
    # GIVEN a name valid for the StatefulSet but whose '-backup' CronJob exceeds 52 characters
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresDatabase(shop(), "db", name="d" * 50, password=PASSWORD, backup=PostgresBackup())
    assert [p.field for p in raised.value.problems] == ["metadata.name"]
    assert "d" * 50 + "-backup" in str(raised.value)


# --- its documented checkov exceptions (POSTGRES_EXCEPTIONS), from PostgresProps' own defaults ---

OTHER_IMAGE = {"image": "registry.example/shop/pg:15"}  # a tag, no digest, IfNotPresent: unmet alike
#: Another value of what each documented exception explains, leaving the check unmet all the same.
OTHER_VALUE = {policy.IMAGE_PULL_ALWAYS: OTHER_IMAGE, policy.IMAGE_DIGEST: OTHER_IMAGE,
               policy.HIGH_UID: {"run_as_user": 999}}


def statefulset_annotation(check: str, **props) -> str | None:
    chart = shop()
    PostgresDatabase(chart, "db", password=PASSWORD, **props)
    statefulset = objects(chart)["StatefulSet"]
    assert policy.unmet(check, statefulset["spec"]["template"]["spec"])  # the check is left unmet
    return statefulset["metadata"].get("annotations", {}).get(policy.annotation_key(check))


def test_every_documented_exception_says_which_value_it_explains():
    assert set(OTHER_VALUE) == set(POSTGRES_EXCEPTIONS)


@pytest.mark.parametrize("check", sorted(POSTGRES_EXCEPTIONS))
def test_a_documented_exception_is_written_while_its_documented_value_is_in_use(check):
    # GIVEN the model's database (postgres:15-alpine, IfNotPresent, uid 70) WHEN synthesized
    # THEN the unmet check is excused on the StatefulSet with the table's reason
    assert statefulset_annotation(check) == f"{check}={POSTGRES_EXCEPTIONS[check]}"


@pytest.mark.parametrize("check", sorted(POSTGRES_EXCEPTIONS))
def test_a_documented_exception_is_not_written_for_another_value(check):
    # GIVEN another image (or uid) that leaves the same check unmet, the default exceptions kept
    # THEN the documented reason does not explain it: not written, checkov reports the finding
    assert statefulset_annotation(check, **OTHER_VALUE[check]) is None


@pytest.mark.parametrize("image", ["postgres:16-alpine", "postgres:15"])
def test_any_tag_of_the_upstream_image_is_the_documented_upstream_tag(image):
    # GIVEN another tag of the documented repository WHEN synthesized THEN its image exceptions hold
    assert statefulset_annotation(policy.IMAGE_DIGEST, image=image) == (
        f"{policy.IMAGE_DIGEST}={POSTGRES_EXCEPTIONS[policy.IMAGE_DIGEST]}")
