"""No data loss (issue #5): GIVEN each profile WHEN synthesized THEN no PersistentVolumeClaim
is an object of the output (so `kubectl delete -f dist/` cannot delete the database), the
StatefulSet retains its claims on delete and scale-down, and production (not local) dumps
the database on a schedule into a claim of its own, keeping the newest dumps."""

from __future__ import annotations

import pytest
import yaml

from tests.support.profiles import STATEFULSET_PROFILE, by_id, objects_of, props_of, written_files

#: The StatefulSet's data guarantees (production's CloudNativePG: tests/database/test_cloudnative_pg.py).
PROFILES = ("local", STATEFULSET_PROFILE)
from taskora_constructs import PostgresBackup, PostgresProps, TaskoraConfigError


@pytest.mark.parametrize("profile", PROFILES)
def test_no_persistent_volume_claim_is_in_the_output(profile):
    # GIVEN the files `make synth` writes WHEN read as `kubectl delete -f dist/` reads them
    files = written_files(profile)
    kinds = {o["kind"] for path in files for o in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)}
    # THEN nothing in them is a claim: the claims come from the StatefulSet's templates
    assert "PersistentVolumeClaim" not in kinds and "StatefulSet" in kinds


@pytest.mark.parametrize("profile", PROFILES)
def test_the_statefulset_retains_its_claims_on_delete_and_scale_down(profile):
    spec = by_id(objects_of(profile))["StatefulSet/taskora-db"]["spec"]
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_local_has_no_backup_and_the_models_single_claim():
    found = by_id(objects_of("local"))
    assert [o for o in found.values() if o["kind"] == "CronJob"] == []
    templates = found["StatefulSet/taskora-db"]["spec"]["volumeClaimTemplates"]
    assert [t["metadata"]["name"] for t in templates] == ["data"]


def test_production_dumps_the_database_on_a_schedule_into_its_own_claim():
    found = by_id(objects_of(STATEFULSET_PROFILE))
    backup = props_of(STATEFULSET_PROFILE).database.backup
    cronjob = found["CronJob/taskora-db-backup"]
    spec = cronjob["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == ("0 3 * * *", "Etc/UTC", "Forbid")
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    # pg_dump of the server's own image, custom format, keeping the newest `retention` dumps
    statefulset = found["StatefulSet/taskora-db"]
    assert container["image"] == statefulset["spec"]["template"]["spec"]["containers"][0]["image"]
    script = container["command"][-1]
    assert "pg_dump" in script and "--format=custom" in script and "tail -n +$((KEEP + 1))" in script
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"PGHOST": "taskora-db", "PGPORT": "5432", "PGDATABASE": "taskora",
                   "CREDENTIALS": "/etc/postgres-credentials", "BACKUP_DIR": "/backup", "KEEP": "14"}
    assert backup.retention == 14
    # its own claim: the StatefulSet's second template (never an object in the output,
    # retained like the data), mounted read-only in the database for pg_restore
    templates = {t["metadata"]["name"]: t for t in statefulset["spec"]["volumeClaimTemplates"]}
    assert templates["backup"]["spec"]["resources"]["requests"]["storage"] == "50Gi"
    claim = next(v for v in pod["volumes"] if v["name"] == "backup")
    assert claim["persistentVolumeClaim"]["claimName"] == "backup-taskora-db-0"
    db_mounts = statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "backup", "mountPath": "/var/lib/postgresql/backup", "readOnly": True} in db_mounts
    # on the database's node (the claim is ReadWriteOnce), as a non-root user of its group
    affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert affinity == [{"labelSelector": {"matchLabels": {"app": "taskora-db"}},
                         "topologyKey": "kubernetes.io/hostname"}]
    assert pod["securityContext"]["fsGroup"] == statefulset["spec"]["template"]["spec"]["securityContext"]["fsGroup"]
    # the password comes from the credentials file, never from the job's environment
    assert "secretKeyRef" not in str(container) and 'PGPASSWORD="$(cat "$CREDENTIALS/password")"' in script


def test_backup_props_refuse_bad_values():
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresProps(backup=PostgresBackup(schedule="every night", retention=0, storage="100Mi"))
    assert [p.field for p in raised.value.problems] == ["schedule", "retention", "storage"]
