"""Props shared by the workload constructs: resources, probe timing, container image.

All props are frozen, keyword-only dataclasses whose defaults are the documented model's
values. Each validates itself on construction and raises one
:class:`~taskora_constructs.errors.TaskoraConfigError` naming every problem it found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping

from . import policy, rules
from .errors import Problem, raise_if_any
from ._manifest import Json


@dataclass(frozen=True, kw_only=True)
class ComputeResources:
    """CPU and memory quantities, e.g. ``cpu="100m"``, ``memory="128Mi"``."""

    cpu: str
    memory: str

    def problems(self, where: str, field_prefix: str) -> list[Problem]:
        return (rules.check_quantity(where, f"{field_prefix}.cpu", self.cpu, example="250m")
                + rules.check_quantity(where, f"{field_prefix}.memory", self.memory, example="256Mi"))

    def to_json(self) -> Json:
        return {"cpu": self.cpu, "memory": self.memory}


@dataclass(frozen=True, kw_only=True)
class Resources:
    """Container requests and limits. Requests are required (model section 11)."""

    requests: ComputeResources
    limits: ComputeResources

    def problems(self, where: str, field_prefix: str = "resources") -> list[Problem]:
        found = (self.requests.problems(where, f"{field_prefix}.requests")
                 + self.limits.problems(where, f"{field_prefix}.limits"))
        if found:
            return found
        for resource in ("cpu", "memory"):
            request = getattr(self.requests, resource)
            limit = getattr(self.limits, resource)
            if rules.parse_quantity(request) > rules.parse_quantity(limit):  # type: ignore[operator]
                found.append(Problem(
                    where=where, field=f"{field_prefix}.requests.{resource}", value=request,
                    rule=f"must be <= {field_prefix}.limits.{resource} ({limit})",
                    fix=f"lower the request or raise the limit to at least {request}"))
        return found

    def to_json(self) -> Json:
        return {"requests": self.requests.to_json(), "limits": self.limits.to_json()}


@dataclass(frozen=True, kw_only=True)
class ProbeTiming:
    """Timing of a liveness or readiness probe (seconds / attempts)."""

    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    #: Consecutive failures before the probe fails (model): 3.
    failure_threshold: int = 3

    def problems(self, where: str, field_prefix: str) -> list[Problem]:
        found = rules.check_positive_int(where, f"{field_prefix}.initialDelaySeconds",
                                         self.initial_delay_seconds, minimum=0)
        for name, value in (("periodSeconds", self.period_seconds),
                            ("timeoutSeconds", self.timeout_seconds),
                            ("failureThreshold", self.failure_threshold)):
            found += rules.check_positive_int(where, f"{field_prefix}.{name}", value)
        return found

    def to_json(self) -> Json:
        return {
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "failureThreshold": self.failure_threshold,
        }


@dataclass(frozen=True, kw_only=True)
class Probes:
    """Liveness and readiness timing; both probes are always defined (model section 11).

    ``startup``, when set, adds a startupProbe with the readiness check: liveness and
    readiness wait until it has passed, so a slow start (initdb, crash recovery, heavy
    imports) is never killed by the liveness probe. Its budget is
    ``period_seconds * failure_threshold`` seconds.
    """

    liveness: ProbeTiming
    readiness: ProbeTiming
    startup: ProbeTiming | None = None

    def problems(self, where: str) -> list[Problem]:
        found = (self.liveness.problems(where, "probes.liveness")
                 + self.readiness.problems(where, "probes.readiness"))
        if self.startup is not None:
            found += self.startup.problems(where, "probes.startup")
        return found


@dataclass(frozen=True, kw_only=True)
class WorkloadProps:
    """What every Taskora workload has: image, pull policy, resources and probe timing.

    Subclasses set the documented defaults; see :class:`~taskora_constructs.FrontendProps`,
    :class:`~taskora_constructs.BackendProps` and :class:`~taskora_constructs.PostgresProps`.
    """

    image: str
    #: imagePullPolicy (model): IfNotPresent.
    image_pull_policy: str = "IfNotPresent"
    resources: Resources
    probes: Probes
    def problems(self, where: str) -> list[Problem]:
        return (rules.check_image(where, "image", self.image)
                + rules.check_pull_policy(where, "imagePullPolicy", self.image_pull_policy)
                + self.resources.problems(where)
                + self.probes.problems(where))

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


def _resources(cpu_request: str, memory_request: str, cpu_limit: str, memory_limit: str) -> Resources:
    return Resources(requests=ComputeResources(cpu=cpu_request, memory=memory_request),
                     limits=ComputeResources(cpu=cpu_limit, memory=memory_limit))


def _probes(liveness_delay: int, readiness_delay: int, startup: ProbeTiming | None = None) -> Probes:
    """The model's probe timing: liveness every 10 s (5 s timeout), readiness every 5 s (3 s)."""
    return Probes(
        liveness=ProbeTiming(initial_delay_seconds=liveness_delay, period_seconds=10, timeout_seconds=5),
        readiness=ProbeTiming(initial_delay_seconds=readiness_delay, period_seconds=5, timeout_seconds=3),
        startup=startup,
    )


def _hardening_problems(props: "WebWorkloadProps | PostgresProps", where: str) -> list[Problem]:
    """The rules of the hardening fields every workload's props have (issue #5)."""
    found = rules.check_positive_int(where, "runAsGroup", props.run_as_group)
    found += rules.check_writable_paths(where, "writablePaths", props.writable_paths)
    found += rules.check_quantity(where, "writableSizeLimit", props.writable_size_limit, example="256Mi")
    if props.seccomp_profile not in rules.SECCOMP_PROFILES:
        found.append(Problem(where=where, field="seccompProfile", value=props.seccomp_profile,
                             rule=f"must be one of {', '.join(rules.SECCOMP_PROFILES)}",
                             fix="use RuntimeDefault, the container runtime's default filter"))
    for name, value in (("readOnlyRootFilesystem", props.read_only_root_filesystem),
                        ("automountServiceAccountToken", props.automount_service_account_token)):
        if not isinstance(value, bool):
            found.append(Problem(where=where, field=name, value=value, rule="must be a boolean",
                                 fix="write true or false"))
    found += rules.check_policy_exceptions(where, "policyExceptions", props.policy_exceptions)
    return found


@dataclass(frozen=True, kw_only=True)
class DisruptionBudget:
    """A PodDisruptionBudget: how many pods a voluntary disruption (node drain, cluster
    upgrade) may take down at once. Set exactly one of the two; the default lets one pod go
    at a time whatever the replica count (also under an autoscaler).

    Attributes:
        max_unavailable: at most this many pods down at once (>= 1: 0 would block every drain).
        min_available: instead, at least this many pods up (< replicas, for the same reason).
    """

    max_unavailable: int | None = 1
    min_available: int | None = None

    def problems(self, where: str, field_prefix: str, replicas: int) -> list[Problem]:
        if (self.max_unavailable is None) == (self.min_available is None):
            return [Problem(where=where, field=field_prefix, value={"maxUnavailable": self.max_unavailable,
                                                                   "minAvailable": self.min_available},
                            rule="must set exactly one of maxUnavailable and minAvailable",
                            fix="set maxUnavailable: 1 (one pod at a time), or minAvailable")]
        if self.max_unavailable is not None:
            return rules.check_positive_int(where, f"{field_prefix}.maxUnavailable", self.max_unavailable)
        found = rules.check_positive_int(where, f"{field_prefix}.minAvailable", self.min_available)
        if not found and isinstance(replicas, int) and self.min_available >= replicas:  # type: ignore[operator]
            found.append(Problem(
                where=where, field=f"{field_prefix}.minAvailable", value=self.min_available,
                rule=f"must be below the replica count ({replicas}): otherwise no pod may ever be evicted "
                     "and every node drain hangs",
                fix=f"set minAvailable to at most {replicas - 1}, or use maxUnavailable: 1"))
        return found


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """A HorizontalPodAutoscaler on CPU utilization (of the pods' CPU requests).

    With an autoscaler the Deployment leaves ``spec.replicas`` to it (a value there would
    reset the replica count on every ``kubectl apply``); ``min_replicas`` may not go below
    the workload's ``replicas``.

    Attributes:
        min_replicas / max_replicas: the bounds.
        target_cpu_utilization_percent: average CPU use to keep, in percent of the pods'
            requests (default 70).
    """

    min_replicas: int
    max_replicas: int
    target_cpu_utilization_percent: int = 70

    def problems(self, where: str, field_prefix: str, replicas: int) -> list[Problem]:
        found = rules.check_replicas(where, f"{field_prefix}.minReplicas", self.min_replicas)
        found += rules.check_replicas(where, f"{field_prefix}.maxReplicas", self.max_replicas)
        found += rules.check_positive_int(where, f"{field_prefix}.targetCPUUtilizationPercentage",
                                          self.target_cpu_utilization_percent)
        if found:
            return found
        if self.max_replicas < self.min_replicas:
            found.append(Problem(where=where, field=f"{field_prefix}.maxReplicas", value=self.max_replicas,
                                 rule=f"must be >= minReplicas ({self.min_replicas})",
                                 fix=f"raise maxReplicas to at least {self.min_replicas}"))
        if isinstance(replicas, int) and self.min_replicas < replicas:
            found.append(Problem(where=where, field=f"{field_prefix}.minReplicas", value=self.min_replicas,
                                 rule=f"must be >= replicas ({replicas}): the autoscaler may not run fewer "
                                      "pods than the workload is sized for",
                                 fix=f"set minReplicas to at least {replicas}"))
        return found


@dataclass(frozen=True, kw_only=True)
class WebWorkloadProps(WorkloadProps):
    """A stateless HTTP workload (frontend or backend): replicas, port and health path."""

    replicas: int
    port: int
    health_path: str
    #: Pod ``securityContext.runAsUser``; 1001 is the model's (the images' app user).
    run_as_user: int = 1001
    #: Pod ``securityContext.fsGroup``, the group of its volumes (model): 1001.
    fs_group: int = 1001
    # --- hardening (issue #5) ---
    #: Pod ``securityContext.runAsGroup``, the primary group (without it: group 0); default 1001.
    run_as_group: int = 1001
    #: Run every container with a read-only root filesystem (default true).
    read_only_root_filesystem: bool = True
    #: The only paths the process writes, each an emptyDir (default: /tmp).
    writable_paths: tuple[str, ...] = ("/tmp",)
    #: Upper bound of each writable path's emptyDir; above it the pod is evicted. Default 256Mi.
    writable_size_limit: str = "256Mi"
    #: Pod ``securityContext.seccompProfile.type``: the runtime's default filter, RuntimeDefault.
    seccomp_profile: str = "RuntimeDefault"
    #: Mount the ServiceAccount token? Nothing here calls the Kubernetes API: false.
    automount_service_account_token: bool = False
    #: checkov findings allowed to stay unmet, check id -> one-line reason (see policy.py).
    policy_exceptions: Mapping[str, str] = field(default_factory=dict)
    #: PodDisruptionBudget, ``None`` for none; default: one pod at a time (maxUnavailable 1).
    disruption_budget: DisruptionBudget | None = field(default_factory=DisruptionBudget)
    #: HorizontalPodAutoscaler; default None: a fixed ``replicas``.
    autoscaling: Autoscaling | None = None
    #: Spread the pods over nodes (soft), when there can be more than one; default true.
    spread_across_nodes: bool = True

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        found += rules.check_replicas(where, "replicas", self.replicas)
        found += rules.check_port(where, "port", self.port)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "fsGroup", self.fs_group)
        found += _hardening_problems(self, where)
        minimum = self.replicas
        if self.autoscaling is not None:
            found += self.autoscaling.problems(where, "autoscaling", self.replicas)
            minimum = self.autoscaling.min_replicas
        if self.disruption_budget is not None:
            found += self.disruption_budget.problems(where, "disruptionBudget", minimum)
        if not isinstance(self.health_path, str) or not self.health_path.startswith("/"):
            found.append(Problem(where=where, field="healthPath", value=self.health_path,
                                 rule="must be an absolute HTTP path", fix="write it like '/health'"))
        return found


@dataclass(frozen=True, kw_only=True)
class FrontendProps(WebWorkloadProps):
    """The Next.js frontend (model section 2.1). Every default is the model's."""

    #: Pods (model: 2), replicas: 2.
    replicas: int = 2
    #: Container image (model): taskora/frontend:latest.
    image: str = "taskora/frontend:latest"
    #: Requests 100m CPU / 128Mi, limits 500m / 512Mi (model).
    resources: Resources = field(default_factory=lambda: _resources("100m", "128Mi", "500m", "512Mi"))
    #: Liveness after 30 s every 10 s (5 s timeout), readiness after 5 s every 5 s (3 s) (model).
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=30, readiness_delay=5))
    #: Container and Service port (model): 3000.
    port: int = 3000
    #: Probe path (model): /api/health.
    health_path: str = "/api/health"
    #: Next.js writes its cache (ISR pages, optimized images) under ``.next/cache`` of its
    #: working directory (``/app`` in the standard image), and temporary files to ``/tmp``.
    writable_paths: tuple[str, ...] = ("/app/.next/cache", "/tmp")
    #: Room for the Next.js cache: 512Mi per directory.
    writable_size_limit: str = "512Mi"
    #: The model's image (:latest, IfNotPresent, no digest) and user 1001 (policy.FRONTEND_EXCEPTIONS).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(policy.FRONTEND_EXCEPTIONS))


@dataclass(frozen=True, kw_only=True)
class BackendProps(WebWorkloadProps):
    """The FastAPI backend (model section 2.2). Every default is the model's."""

    #: Pods (model: 3), replicas: 3.
    replicas: int = 3
    #: Container image (model): taskora/backend:latest.
    image: str = "taskora/backend:latest"
    #: Requests 200m CPU / 256Mi, limits 1000m / 1Gi (model).
    resources: Resources = field(default_factory=lambda: _resources("200m", "256Mi", "1000m", "1Gi"))
    #: Plus a startup probe: the LLM client libraries make the first start slow; it allows
    #: 2 minutes before liveness takes over.
    probes: Probes = field(default_factory=lambda: _probes(
        liveness_delay=30, readiness_delay=10,
        startup=ProbeTiming(initial_delay_seconds=0, period_seconds=5, timeout_seconds=3, failure_threshold=24)))
    #: Container and Service port (model): 8000.
    port: int = 8000
    #: Probe path (model): /health.
    health_path: str = "/health"
    #: uvicorn writes only temporary files (request bodies spooled to disk) to ``/tmp``.
    writable_paths: tuple[str, ...] = ("/tmp",)
    #: As the frontend's, plus its env contract (policy.BACKEND_EXCEPTIONS).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(policy.BACKEND_EXCEPTIONS))


@dataclass(frozen=True, kw_only=True)
class PostgresProps(WorkloadProps):
    """The PostgreSQL StatefulSet (model section 3). Every default is the model's.

    There is deliberately no ``replicas``: the model runs one instance, and more replicas of
    this plain StatefulSet would be independent, diverging databases, not replication.
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
    database_name: str = "taskora"
    #: The database user, written to the credentials Secret (model): taskora.
    username: str = "taskora"
    #: Size of the data volume claim (model): 10Gi; at least 1Gi.
    storage: str = "10Gi"
    #: StorageClass of the claim (model: minikube's standard); None for the cluster default.
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
    backup: "PostgresBackup | None" = None
    #: checkov findings allowed to stay unmet, check id -> one-line reason (see policy.py).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(policy.POSTGRES_EXCEPTIONS))

    #: Model rule (section 11): a database volume below this is refused.
    MIN_STORAGE = "1Gi"

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
        if self.backup is not None:
            found += [replace(p, field=f"backup.{p.field}") for p in self.backup.problems(where)]
        found += rules.check_quantity(where, "storage", self.storage, example="10Gi")
        if not found:
            found += rules.check_min_quantity(where, "storage", self.storage, self.MIN_STORAGE)
        if self.storage_class_name is not None:
            found += rules.check_dns_subdomain(where, "storageClassName", self.storage_class_name)
        if not isinstance(self.database_name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", self.database_name):
            found.append(Problem(where=where, field="name", value=self.database_name,
                                 rule="must be a PostgreSQL identifier (letters, digits, '_', at most 63)",
                                 fix="use a name like 'taskora'"))
        if not isinstance(self.username, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", self.username):
            found.append(Problem(where=where, field="username", value=self.username,
                                 rule="must be a PostgreSQL role name (letters, digits, '_', at most 63)",
                                 fix="use a name like 'taskora'"))
        return found



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
        if not isinstance(self.time_zone, str) or not re.match(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                                                                self.time_zone):
            found.append(Problem(where=where, field="timeZone", value=self.time_zone,
                                 rule="must be an IANA time zone name", fix="write it like 'Etc/UTC' or 'Europe/Berlin'"))
        found += rules.check_positive_int(where, "retention", self.retention)
        found += (rules.check_quantity(where, "storage", self.storage, example="10Gi")
                  or rules.check_min_quantity(where, "storage", self.storage, PostgresProps.MIN_STORAGE))
        if self.storage_class_name is not None:
            found += rules.check_dns_subdomain(where, "storageClassName", self.storage_class_name)
        found += self.resources.problems(where)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "activeDeadlineSeconds", self.active_deadline_seconds)
        found += rules.check_policy_exceptions(where, "policyExceptions", self.policy_exceptions)
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))
