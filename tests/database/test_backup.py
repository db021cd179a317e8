"""Backups out of the data's failure domain (issue 11): GIVEN production WHEN nothing is
configured THEN the dumps stay in their claim and nothing about an object store is invented;
WHEN `database.backup.offSite` names an S3-compatible endpoint, a bucket and an existing Secret
THEN the job dumps in an init container and then copies the newest dump there with the AWS
CLI's image, its credentials read from files, let out by its NetworkPolicy to the endpoint's
port only, still meeting the restricted Pod Security level and the 1.28 and newest schemas."""

from __future__ import annotations

import json

import cdk8s
import kubernetes_validate
import pytest
import yaml

from tests.support.synth import synth_app
from tests.support.strict_schema import validate_strict
from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, STATEFULSET_LAYER, STATEFULSET_SECRETS, STATEFULSET_PROFILE, objects_of
from taskora_app.values import load
from taskora_constructs import OffSiteBackup, Taskora, TaskoraConfigError
from tests.support.pod_security import restricted_violations

OFF_SITE = {"enabled": True, "endpoint": "https://s3.eu-central-1.amazonaws.com", "bucket": "taskora-backups",
            "prefix": "production/", "region": "eu-central-1", "existingSecret": "taskora-backup-s3"}


def production(tmp_path, off_site: dict | None) -> list[dict]:
    # the StatefulSet engine's pg_dump (production runs CloudNativePG, which backs up by itself)
    layer = yaml.safe_load(DIGESTS_LAYER)
    layer["database"].update(yaml.safe_load(STATEFULSET_LAYER)["database"])
    if off_site is not None:
        layer["database"]["backup"] = {**layer["database"]["backup"], "offSite": off_site}
    path = tmp_path / "release.yaml"
    path.write_text(yaml.safe_dump(layer))
    props = load({"TASKORA_ENV": "production", "TASKORA_VALUES": str(path), **STATEFULSET_SECRETS},
                 secrets_file=NO_SECRETS_FILE)[1]
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", props)
    return synth_app(app)


def by_id(objects: list[dict]) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


def job_pod(objects: list[dict]) -> dict:
    return by_id(objects)["CronJob/taskora-db-backup"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_without_configuration_the_dumps_stay_in_the_cluster_and_nothing_is_invented():
    objects = objects_of(STATEFULSET_PROFILE)
    pod = job_pod(objects)
    assert [c["name"] for c in pod["containers"]] == ["backup"] and "initContainers" not in pod
    text = json.dumps(objects)
    assert "aws" not in text.lower() and "s3://" not in text and "object-store" not in text


def test_an_off_site_copy_follows_each_complete_dump(tmp_path):
    objects = production(tmp_path, OFF_SITE)
    pod = job_pod(objects)
    default_pod = job_pod(objects_of(STATEFULSET_PROFILE))
    # the dump is unchanged, now an init container: the copy starts only after it succeeded
    assert pod["initContainers"] == default_pod["containers"]
    [upload] = pod["containers"]
    assert upload["name"] == "upload" and upload["image"] == "amazon/aws-cli:2.31.9"
    script = upload["command"][-1]
    assert 'aws --endpoint-url "$ENDPOINT" s3 cp' in script and 's3://$BUCKET/$PREFIX' in script
    assert 'ls -1t "$BACKUP_DIR"/*.dump | head -n 1' in script and script.startswith("set -eu")
    env = {e["name"]: e["value"] for e in upload["env"]}
    assert env == {"ENDPOINT": OFF_SITE["endpoint"], "BUCKET": "taskora-backups", "PREFIX": "production/",
                   "AWS_DEFAULT_REGION": "eu-central-1", "CREDENTIALS": "/etc/object-store-credentials",
                   "BACKUP_DIR": "/backup", "HOME": "/tmp"}
    # credentials: the existing Secret as files, readable by owner and group only; never env
    volume = next(v for v in pod["volumes"] if v["name"] == "object-store-credentials")
    assert volume["secret"] == {"secretName": "taskora-backup-s3", "defaultMode": 0o440}
    assert "secretKeyRef" not in json.dumps(upload) and 'cat "$CREDENTIALS/AWS_SECRET_ACCESS_KEY"' in script
    assert {"name": "backup", "mountPath": "/backup", "readOnly": True} in upload["volumeMounts"]
    # no Secret is synthesized for it
    assert "Secret/taskora-backup-s3" not in by_id(objects)
    # restricted Pod Security, strict schemas
    assert restricted_violations(pod) == []
    cronjob = by_id(objects)["CronJob/taskora-db-backup"]
    for version in ("1.28.0", kubernetes_validate.latest_version()):
        validate_strict(cronjob, version)


@pytest.mark.parametrize("endpoint, port", [("https://s3.eu-central-1.amazonaws.com", 443),
                                            ("https://minio.example.com:9000", 9000)])
def test_the_job_may_reach_the_endpoints_port_on_public_addresses_and_nothing_else(tmp_path, endpoint, port):
    objects = production(tmp_path, {**OFF_SITE, "endpoint": endpoint})
    egress = by_id(objects)["NetworkPolicy/taskora-db-backup"]["spec"]["egress"]
    default = by_id(objects_of(STATEFULSET_PROFILE))["NetworkPolicy/taskora-db-backup"]["spec"]["egress"]
    assert egress[:len(default)] == default
    [store] = egress[len(default):]
    assert store["ports"] == [{"protocol": "TCP", "port": port}]
    blocks = [peer["ipBlock"] for peer in store["to"]]
    assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}
    assert "10.0.0.0/8" in next(b for b in blocks if b["cidr"] == "0.0.0.0/0")["except"]


def test_missing_settings_are_named(tmp_path):
    with pytest.raises(TaskoraConfigError) as raised:
        production(tmp_path, {"enabled": True, "prefix": "x/"})
    fields = [p.field for p in raised.value.problems]
    assert fields == ["database.backup.offSite.endpoint", "database.backup.offSite.bucket",
                      "database.backup.offSite.existingSecret"]


def test_bad_settings_are_refused():
    with pytest.raises(TaskoraConfigError) as raised:
        OffSiteBackup(endpoint="s3.amazonaws.com", bucket="Bad_Bucket", existing_secret="s3", prefix="/x",
                      region="EU", image="not an image")
    assert [p.field for p in raised.value.problems] == ["endpoint", "bucket", "prefix", "region", "image"]
