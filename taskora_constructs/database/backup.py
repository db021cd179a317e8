"""The scheduled logical backup of a :class:`~taskora_constructs.PostgresDatabase`: its props
(:class:`PostgresBackup`) and the CronJob that runs ``pg_dump``."""

from __future__ import annotations

import re
from dataclasses import field, replace
from typing import TYPE_CHECKING, Mapping

import cdk8s

from ..core.frozen import frozen_props
from ..core import policy, rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.podspec import container_security_context, env_value, pod_security_context, pod_template, service_account, writable_dirs
from ..core.errors import Problem, raise_if_any
from ..lint.app import declare_external_secret
from ..core.props import Resources, _resources

if TYPE_CHECKING:
    from .postgres import PostgresDatabase

#: Model rule (section 11): a database volume below this is refused.
MIN_STORAGE = rules.MIN_STORAGE
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


#: The S3 client of an off-site copy: the AWS CLI's official image, maintained by AWS; it talks
#: to any S3-compatible store (AWS S3, MinIO, Ceph RGW, R2, ...) through ``--endpoint-url``.
S3_CLIENT_IMAGE = "amazon/aws-cli:2.31.9"
#: The existing Secret of an off-site copy, mounted as files (never environment variables).
OBJECT_STORE_VOLUME = "object-store-credentials"
OBJECT_STORE_PATH = "/etc/object-store-credentials"
OBJECT_STORE_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")

#: The off-site copy: after the dump (an init container), copy the newest dump to the bucket.
UPLOAD_SCRIPT = """set -eu
export AWS_ACCESS_KEY_ID="$(cat "$CREDENTIALS/AWS_ACCESS_KEY_ID")"
export AWS_SECRET_ACCESS_KEY="$(cat "$CREDENTIALS/AWS_SECRET_ACCESS_KEY")"
file="$(ls -1t "$BACKUP_DIR"/*.dump | head -n 1)"
aws --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "$file" "s3://$BUCKET/$PREFIX$(basename "$file")"
echo "backup: copied $(basename "$file") to s3://$BUCKET/$PREFIX"
"""

# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
_ENDPOINT = r"^(https?)://([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:([0-9]{1,5}))?/?$"
_BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
_PREFIX = r"^([A-Za-z0-9!_.*'()-]+/)*$"
_REGION = r"^[a-z0-9][a-z0-9-]{0,62}$"


@frozen_props
class OffSiteBackup:
    """A copy of every dump in an S3-compatible object store outside the cluster's failure
    domain: the dumps otherwise share the data's namespace, node, storage and cluster.

    The backup job then dumps in an init container (as before, into its claim) and, when the
    dump is complete, copies the newest dump to ``s3://<bucket>/<prefix><file>`` with the AWS
    CLI's image (:data:`S3_CLIENT_IMAGE`), as the job's non-root user. The credentials come
    from an existing Secret (keys ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``), mounted
    as files; nothing is created in the store, and how long copies are kept is the bucket's
    lifecycle rules' business. The job's NetworkPolicy lets it out to the endpoint's port on
    the public HTTPS ranges (``networkPolicy.httpsEgress*``): a store on a private address
    needs its range there.

    Attributes:
        endpoint: the store's URL, ``https://host[:port]`` (e.g. ``https://s3.eu-central-1.amazonaws.com``); required.
        bucket: the bucket; required.
        existing_secret: the Secret holding ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``; required.
        prefix: key prefix, empty or ending in ``/`` (default ``""``).
        region: the signing region (default ``us-east-1``, what most S3-compatible stores accept).
        image: the S3 client image (default ``amazon/aws-cli:2.31.9``; pin a digest in production).
    """

    endpoint: str
    bucket: str
    existing_secret: str
    prefix: str = ""
    region: str = "us-east-1"
    image: str = S3_CLIENT_IMAGE

    def problems(self, where: str) -> list[Problem]:
        found = []
        if not isinstance(self.endpoint, str) or not re.fullmatch(_ENDPOINT, self.endpoint):
            found.append(Problem(where=where, field="endpoint", value=self.endpoint,
                                 rule="must be a URL https://host[:port] (http:// only for a store you trust the path to)",
                                 fix="write it like 'https://s3.eu-central-1.amazonaws.com'"))
        if not isinstance(self.bucket, str) or not re.fullmatch(_BUCKET, self.bucket):
            found.append(Problem(where=where, field="bucket", value=self.bucket,
                                 rule="must be a bucket name: 3-63 lower-case letters, digits, '.' and '-'",
                                 fix="write it like 'taskora-backups'"))
        found += rules.check_dns_subdomain(where, "existingSecret", self.existing_secret)
        if not isinstance(self.prefix, str) or not re.fullmatch(_PREFIX, self.prefix):
            found.append(Problem(where=where, field="prefix", value=self.prefix,
                                 rule="must be empty or path segments each ending in '/'",
                                 fix="write it like 'taskora/production/'"))
        if not isinstance(self.region, str) or not re.fullmatch(_REGION, self.region):
            found.append(Problem(where=where, field="region", value=self.region,
                                 rule="must be a region name", fix="write it like 'eu-central-1'"))
        found += rules.check_image(where, "image", self.image)
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))

    @property
    def port(self) -> int:
        """The endpoint's port (443 for https, 80 for http, unless given)."""
        match = re.fullmatch(_ENDPOINT, self.endpoint)
        assert match is not None
        return int(match[5]) if match[5] else (443 if match[1] == "https" else 80)


@frozen_props
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
        off_site: a copy of each dump in an S3-compatible object store (default None: the
            dumps stay in the cluster, beside the data; see :class:`OffSiteBackup`).
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
    off_site: OffSiteBackup | None = None

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
        if self.off_site is not None:
            found += [replace(p, field=f"offSite.{p.field}") for p in self.off_site.problems(where)]
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
    dump: k8s.Container = {
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
    }
    init_containers: list[k8s.Container] = []
    containers = [dump]
    off_site = backup.off_site
    if off_site is not None:
        # Dump first (an init container: the copy starts only after a complete dump), then copy.
        init_containers, containers = [dump], [_upload_container(off_site, props.image_pull_policy, backup,
                                                                 backup_dir, scratch_mounts)]
        volumes.append({"name": OBJECT_STORE_VOLUME,
                        "secret": {"secretName": off_site.existing_secret, "defaultMode": 0o440}})
        if namespace is not None:
            declare_external_secret(db, name=off_site.existing_secret, namespace=namespace, keys=OBJECT_STORE_KEYS)
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
        "containers": containers,
        "volumes": volumes,
    }
    if init_containers:
        pod_spec["initContainers"] = init_containers
    job: k8s.CronJob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": object_metadata(name=name, namespace=namespace, labels=labels,
                                    annotations=policy.skip_annotations(backup.policy_exceptions, pod_spec, None,
                                                                        props._documented_exceptions())),
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


def _upload_container(off_site: OffSiteBackup, pull_policy: str, backup: PostgresBackup, backup_dir: str,
                      scratch_mounts: list[k8s.VolumeMount]) -> k8s.Container:
    """The container that copies the newest dump to the object store."""
    return {
        "name": "upload",
        "image": off_site.image,
        "imagePullPolicy": pull_policy,
        "command": ["/bin/sh", "-c", UPLOAD_SCRIPT],
        "env": [
            env_value("ENDPOINT", off_site.endpoint),
            env_value("BUCKET", off_site.bucket),
            env_value("PREFIX", off_site.prefix),
            env_value("AWS_DEFAULT_REGION", off_site.region),
            env_value("CREDENTIALS", OBJECT_STORE_PATH),
            env_value("BACKUP_DIR", backup_dir),
            # The root filesystem is read-only: the CLI's home (config, cache) is the /tmp emptyDir.
            env_value("HOME", "/tmp"),
        ],
        "resources": backup.resources.to_json(),
        "volumeMounts": [
            {"name": BACKUP_VOLUME, "mountPath": backup_dir, "readOnly": True},
            {"name": OBJECT_STORE_VOLUME, "mountPath": OBJECT_STORE_PATH, "readOnly": True},
            *scratch_mounts,
        ],
        "securityContext": container_security_context(read_only_root_filesystem=True),
    }
