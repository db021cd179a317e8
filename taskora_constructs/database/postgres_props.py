"""The props of the databases: :class:`DatabaseProps`, what both engines share (image,
resources, storage, database and user, hardening, backup), and :class:`PostgresProps`, the
StatefulSet's (:class:`~taskora_constructs.PostgresDatabase`); the CloudNativePG engine's are
:class:`~taskora_constructs.CloudNativePgProps` beside its construct. No props carries an
engine switch: the construct is the engine (the values file's ``database.engine`` chooses it).
Every default is the documented model's; the rules run when the props are built."""

from __future__ import annotations

from dataclasses import field, replace
from typing import Mapping

from ..core.frozen import frozen_props
from ..core import policy, rules
from .backup import MIN_STORAGE, PostgresBackup
from ..core.errors import Problem
from ..core.props import ProbeTiming, Probes, Resources, WorkloadProps, _hardening_problems, _probes, _resources
from .storage import RetainedStorageClass


#: The documented model's database exceptions (the props' defaults): its upstream tag, pulled
#: IfNotPresent, and the alpine image's own user.
POSTGRES_EXCEPTIONS: Mapping[str, str] = {
    policy.IMAGE_PULL_ALWAYS: "documented upstream tag with IfNotPresent; pin a digest to meet it",
    policy.IMAGE_DIGEST: "documented upstream tag; pin a digest to meet it",
    policy.HIGH_UID: "runs as the image's own postgres user (uid 70 in the alpine image), which owns the data",
}


@frozen_props
class DatabaseProps(WorkloadProps):
    """What every database of the library takes (model section 3). Every default is the model's.

    The hardening fields and ``backup`` are the StatefulSet's (the CloudNativePG operator runs
    its own pods and backs up to an object store: it refuses ``backup``).
    """

    #: Container image (model): postgres:15-alpine.
    image: str = "postgres:15-alpine"
    #: Requests 100m CPU / 256Mi, limits 500m / 512Mi (model).
    resources: Resources = field(default_factory=lambda: _resources("100m", "256Mi", "500m", "512Mi"))
    #: Plus a startup probe allowing 5 minutes: initdb of an empty volume, or crash recovery
    #: after an unclean stop, must not be cut short by the liveness probe.
    probes: Probes = field(default_factory=lambda: _probes(
        liveness_delay=30, readiness_delay=5,
        startup=ProbeTiming(initial_delay_seconds=0, period_seconds=10, timeout_seconds=5, failure_threshold=30)))
    #: Container and Service port (model): 5432.
    port: int = 5432
    #: POSTGRES_DB (model): taskora.
    database_name: str = field(default="taskora", metadata={"values_key": "name"})
    #: The database user, written to the credentials Secret (model): taskora.
    username: str = "taskora"
    #: Size of the data volume claim (model): 10Gi; at least 1Gi.
    storage: str = "10Gi"
    #: StorageClass of the claims (model: minikube's standard, default); None for the cluster default.
    storage_class_name: str | None = "standard"
    #: Mount path of the data volume (model): /var/lib/postgresql/data; PGDATA is its pgdata subdirectory.
    data_path: str = "/var/lib/postgresql/data"
    # --- hardening (issue #5) ---
    #: The server writes its socket and lock file, and temporary files, besides its volume.
    #: Default: /var/run/postgresql and /tmp (emptyDirs; the root filesystem is read-only).
    writable_paths: tuple[str, ...] = ("/var/run/postgresql", "/tmp")
    #: The alpine image's ``postgres`` user, which owns the data directory: uid 70.
    run_as_user: int = 70
    #: Its group, gid 70.
    run_as_group: int = 70
    #: Group of the volumes, so a fresh volume is writable and initdb runs: gid 70.
    fs_group: int = 70
    #: Run the container with a read-only root filesystem (default true).
    read_only_root_filesystem: bool = True
    #: Upper bound of each writable path's emptyDir; above it the pod is evicted. Default 256Mi.
    writable_size_limit: str = "256Mi"
    #: Pod ``securityContext.seccompProfile.type``: the runtime's default filter, RuntimeDefault.
    seccomp_profile: str = "RuntimeDefault"
    #: Mount the ServiceAccount token? Postgres never calls the Kubernetes API: false.
    automount_service_account_token: bool = False
    #: A preStop hook asks for a fast shutdown (``pg_ctl stop -m fast``: checkpoint, close
    #: connections) instead of SIGTERM's "smart" one, which waits for every client to leave.
    #: Time allowed for it before SIGKILL: 120 seconds.
    termination_grace_period_seconds: int = 120
    #: Read POSTGRES_USER/POSTGRES_PASSWORD from the credentials Secret mounted as files
    #: (``*_FILE``, which the image's entrypoint supports), not from the environment: true.
    credentials_from_files: bool = True
    #: A scheduled logical backup (``pg_dump``, see PostgresBackup); default None: none.
    backup: PostgresBackup | None = None
    #: checkov findings allowed to stay unmet, check id -> one-line reason (POSTGRES_EXCEPTIONS).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(POSTGRES_EXCEPTIONS))
    #: Create ``storage_class_name`` as a StorageClass with reclaimPolicy Retain, so a deleted
    #: claim (alone or with its namespace) leaves its volume and data behind. Default None
    #: (values: ``enabled: false``): the class must exist, and its reclaim policy is the
    #: cluster's. The Taskora app turns it on with ``storage_class_name`` taskora-retain
    #: (deviation D9; README, Teardown).
    retained_storage_class: RetainedStorageClass | None = None
    #: A counter in the pod template (``revision/credentials``): bump it after
    #: changing the password or user so the pod (and a backend reading the URL) rolls. A digest
    #: of the credentials would let whoever may read pods test guesses (docs/hardening.md): 0.
    credentials_revision: int = 0

    #: Model rule (section 11): a database volume below this is refused.
    MIN_STORAGE = MIN_STORAGE

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        found += rules.check_port(where, "port", self.port)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "fsGroup", self.fs_group)
        found += _hardening_problems(self, where)
        found += rules.check_positive_int(where, "terminationGracePeriodSeconds",
                                          self.termination_grace_period_seconds, minimum=30)
        if not isinstance(self.credentials_from_files, bool):
            found.append(Problem(where=where, field="credentialsFromFiles", value=self.credentials_from_files,
                                 rule="must be a boolean", fix="write true or false"))
        found += rules.check_positive_int(where, "credentialsRevision", self.credentials_revision, minimum=0)
        if self.backup is not None:
            found += [replace(p, field=f"backup.{p.field}") for p in self.backup.problems(where)]
        found += rules.check_quantity(where, "storage", self.storage, example="10Gi")
        if not found:
            found += rules.check_min_quantity(where, "storage", self.storage, self.MIN_STORAGE)
        if self.storage_class_name is not None:
            found += rules.check_dns_subdomain(where, "storageClassName", self.storage_class_name)
        if self.retained_storage_class is not None:
            found += [replace(p, field=f"retainedStorageClass.{p.field}")
                      for p in self.retained_storage_class.problems(where)]
            if self.storage_class_name is None:
                found.append(Problem(
                    where=where, field="storageClassName", value=None,
                    rule="must name the StorageClass that retainedStorageClass creates",
                    fix="set a name (e.g. taskora-retain), or disable retainedStorageClass to use the "
                        "cluster's default class (then make sure its reclaimPolicy is Retain)"))
        found += rules.check_postgres_name(where, "name", self.database_name, "identifier")
        found += rules.check_postgres_name(where, "username", self.username, "role name")
        return found


@frozen_props
class PostgresProps(DatabaseProps):
    """The PostgreSQL StatefulSet (model section 3): :class:`DatabaseProps` as they are.

    There is deliberately no ``replicas``: the model runs one instance, and more replicas of
    this plain StatefulSet would be independent, diverging databases, not replication.
    """

    def _documented_exceptions(self) -> Mapping[str, policy.InUse]:
        """reason -> "is the documented value it explains in use?" (core/policy.py); the
        backup job, which runs this image, asks the same of its containers."""
        return _POSTGRES_DOCUMENTED


#: POSTGRES_EXCEPTIONS hold while PostgresProps' own default image (its repository, at any
#: tag: "documented upstream tag") and user (the alpine image's 70) are in use; another image
#: or user leaves its findings to its caller.
_POSTGRES_IMAGE_IN_USE = policy.image_in_use(PostgresProps.image, any_tag=True)
_POSTGRES_DOCUMENTED: Mapping[str, policy.InUse] = {
    POSTGRES_EXCEPTIONS[policy.IMAGE_PULL_ALWAYS]: _POSTGRES_IMAGE_IN_USE,
    POSTGRES_EXCEPTIONS[policy.IMAGE_DIGEST]: _POSTGRES_IMAGE_IN_USE,
    POSTGRES_EXCEPTIONS[policy.HIGH_UID]: policy.user_in_use(PostgresProps.run_as_user),
}
