"""The scheduled logical backup of a :class:`~taskora_constructs.PostgresDatabase`: its props
(:class:`PostgresBackup`) and the CronJob that runs ``pg_dump``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

import cdk8s

from . import policy, rules
from . import k8s_types as k8s
from ._manifest import emit, object_metadata
from ._workload import container_security_context, env_value, pod_security_context, pod_template, service_account, writable_dirs
from .errors import Problem, raise_if_any
from .props import Resources, _resources

if TYPE_CHECKING:
    from .postgres import PostgresDatabase

#: Model rule (section 11): a database volume below this is refused.
MIN_STORAGE = "1Gi"
#: The claim template of the backups, and the volume that mounts it.
BACKUP_VOLUME = "backup"
#: Where the credentials Secret is mounted, in the database and the backup containers.
CREDENTIALS_VOLUME = "credentials"
CREDENTIALS_PATH = "/etc/postgres-credentials"

#: The backup job: dump to a temporary name, rename when complete, keep the newest $KEEP.
BACKUP_SCRIPT = """set -eu
umask 027
export PGPASSWORD="$(cat "$CREDENTIALS/password")"
user="$(cat "$CREDENTIALS/username")"
rm -f "$BACKUP_DIR"/*.partial
file="$BACKUP_DIR/$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --username="$user" --format=custom --file="$file.partial"
mv "$file.partial" "$file"
ls -1t "$BACKUP_DIR/$PGDATABASE"-*.dump | tail -n +$((KEEP + 1)) | xargs -r rm -f --
echo "backup: wrote $file ($(du -h "$file" | cut -f1)); keeping the newest $KEEP"
"""


@dataclass(frozen=True, kw_only=True)
class PostgresBackup:
    """A scheduled logical backup: a CronJob runs ``pg_dump`` (custom format) into a claim
    of its own and keeps the newest ``retention`` dumps.

    The claim comes from a second volumeClaimTemplate (``backup``) of the database's
    StatefulSet - so, like the data, it is never an object in ``dist/`` and is retained when
    the StatefulSet is deleted or scaled down - and the database container mounts it
    read-only at :attr:`MOUNT_PATH`, ready for ``pg_restore``. The job runs on the
    database's node (the claim is ReadWriteOnce) as its own non-root user in the database's
    group. StatefulSet claim templates cannot change on a live StatefulSet: enabling backups
    for an existing database needs ``kubectl delete statefulset <name> --cascade=orphan``
    before the apply (the pod and its data stay).

    Attributes:
        schedule: cron schedule in ``time_zone`` (default ``0 3 * * *``: 03:00 every day).
        time_zone: IANA time zone of the schedule (default ``Etc/UTC``).
        retention: how many of the newest dumps to keep (default 7).
        storage / storage_class_name: the claim (default 10Gi; ``None``: the database's class).
        resources: of the backup container (default requests 100m/128Mi, limits 500m/512Mi).
        run_as_user: the job's uid, a high one; its group is the database's (default 10070).
        active_deadline_seconds: a dump running longer is stopped and counts as failed
            (default 3600).
        policy_exceptions: checkov findings the job may leave unmet (default none).
    """

    schedule: str = "0 3 * * *"
    time_zone: str = "Etc/UTC"
    retention: int = 7
    storage: str = "10Gi"
    storage_class_name: str | None = None
    resources: Resources = field(default_factory=lambda: _resources("100m", "128Mi", "500m", "512Mi"))
    run_as_user: int = 10070
    active_deadline_seconds: int = 3600
    policy_exceptions: Mapping[str, str] = field(default_factory=dict)

    MOUNT_PATH = "/var/lib/postgresql/backup"

    def problems(self, where: str) -> list[Problem]:
        found = rules.check_cron_schedule(where, "schedule", self.schedule)
        if not isinstance(self.time_zone, str) or not re.fullmatch(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                                                                self.time_zone):
            found.append(Problem(where=where, field="timeZone", value=self.time_zone,
                                 rule="must be an IANA time zone name", fix="write it like 'Etc/UTC' or 'Europe/Berlin'"))
        found += rules.check_positive_int(where, "retention", self.retention)
        found += (rules.check_quantity(where, "storage", self.storage, example="10Gi")
                  or rules.check_min_quantity(where, "storage", self.storage, MIN_STORAGE))
        if self.storage_class_name is not None:
            found += rules.check_dns_subdomain(where, "storageClassName", self.storage_class_name)
        found += self.resources.problems(where)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "activeDeadlineSeconds", self.active_deadline_seconds)
        found += rules.check_policy_exceptions(where, "policyExceptions", self.policy_exceptions)
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


def add_backup(db: "PostgresDatabase", backup: PostgresBackup) -> tuple[cdk8s.ApiObject, cdk8s.ApiObject]:
    """Add the backup CronJob and its ServiceAccount to ``db``; returns both objects."""
    self, props, namespace = db, db.props, db.namespace
    name = f"{db.service_name}-backup"
    labels = {"app": name}
    pod_labels = {"app": name, "component": "backup"}
    account = emit(self, "backup-service-account", service_account(
        name=name, namespace=namespace, labels=labels, automount=props.automount_service_account_token))
    volumes, scratch_mounts = writable_dirs(("/tmp",), props.writable_size_limit)
    backup_dir = "/backup"
    volumes += [
        # The claim the StatefulSet's "backup" template creates for its only pod.
        {"name": BACKUP_VOLUME, "persistentVolumeClaim": {
            "claimName": f"{BACKUP_VOLUME}-{db.service_name}-0"}},
        db.credentials_volume(),
    ]
    pod_spec: k8s.PodSpec = {
        "serviceAccountName": name,
        "automountServiceAccountToken": props.automount_service_account_token,
        "securityContext": pod_security_context(
            run_as_user=backup.run_as_user, run_as_group=props.run_as_group, fs_group=props.fs_group,
            seccomp_profile=props.seccomp_profile),
        "restartPolicy": "Never",
        # The claim is ReadWriteOnce and attached to the database's node: run there.
        "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": db.selector_labels},
            "topologyKey": "kubernetes.io/hostname",
        }]}},
        "containers": [{
            "name": "backup",
            # The server's own image: pg_dump of the same major version.
            "image": props.image,
            "imagePullPolicy": props.image_pull_policy,
            "command": ["/bin/sh", "-c", BACKUP_SCRIPT],
            "env": [
                env_value("PGHOST", db.service_name),
                env_value("PGPORT", str(props.port)),
                env_value("PGDATABASE", props.database_name),
                env_value("CREDENTIALS", CREDENTIALS_PATH),
                env_value("BACKUP_DIR", backup_dir),
                env_value("KEEP", str(backup.retention)),
            ],
            "resources": backup.resources.to_json(),
            "volumeMounts": [
                {"name": BACKUP_VOLUME, "mountPath": backup_dir},
                {"name": CREDENTIALS_VOLUME, "mountPath": CREDENTIALS_PATH, "readOnly": True},
                *scratch_mounts,
            ],
            "securityContext": container_security_context(read_only_root_filesystem=True),
        }],
        "volumes": volumes,
    }
    job: k8s.CronJob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": object_metadata(name=name, namespace=namespace, labels=labels,
                                    annotations=policy.skip_annotations(backup.policy_exceptions, pod_spec)),
        "spec": {
            "schedule": backup.schedule,
            "timeZone": backup.time_zone,
            "concurrencyPolicy": "Forbid",
            # A run missed by more than this (cluster down at 03:00) is skipped, not made up.
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": backup.active_deadline_seconds,
                "template": pod_template(labels=pod_labels, spec=pod_spec),
            }},
        },
    }
    cron_job = emit(self, "backup", job)
    return account, cron_job
