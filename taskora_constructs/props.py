"""Props shared by the workload constructs: resources, probe timing, container image.

All props are frozen, keyword-only dataclasses whose defaults are the documented model's
values. Each validates itself on construction and raises one
:class:`~taskora_constructs.errors.TaskoraConfigError` naming every problem it found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import rules
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
    """Liveness and readiness timing; both probes are always defined (model section 11)."""

    liveness: ProbeTiming
    readiness: ProbeTiming

    def problems(self, where: str) -> list[Problem]:
        return (self.liveness.problems(where, "probes.liveness")
                + self.readiness.problems(where, "probes.readiness"))


@dataclass(frozen=True, kw_only=True)
class WorkloadProps:
    """What every Taskora workload has: image, pull policy, resources and probe timing.

    Subclasses set the documented defaults; see :class:`~taskora_constructs.FrontendProps`,
    :class:`~taskora_constructs.BackendProps` and :class:`~taskora_constructs.PostgresProps`.
    """

    image: str
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


def _probes(liveness_delay: int, readiness_delay: int) -> Probes:
    """The model's probe timing: liveness every 10 s (5 s timeout), readiness every 5 s (3 s)."""
    return Probes(
        liveness=ProbeTiming(initial_delay_seconds=liveness_delay, period_seconds=10, timeout_seconds=5),
        readiness=ProbeTiming(initial_delay_seconds=readiness_delay, period_seconds=5, timeout_seconds=3),
    )


@dataclass(frozen=True, kw_only=True)
class WebWorkloadProps(WorkloadProps):
    """A stateless HTTP workload (frontend or backend): replicas, port and health path."""

    replicas: int
    port: int
    health_path: str
    #: Pod ``securityContext.runAsUser``/``fsGroup``; 1001 is the model's (the images' app user).
    run_as_user: int = 1001
    fs_group: int = 1001

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        found += rules.check_replicas(where, "replicas", self.replicas)
        found += rules.check_port(where, "port", self.port)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "fsGroup", self.fs_group)
        if not isinstance(self.health_path, str) or not self.health_path.startswith("/"):
            found.append(Problem(where=where, field="healthPath", value=self.health_path,
                                 rule="must be an absolute HTTP path", fix="write it like '/health'"))
        return found


@dataclass(frozen=True, kw_only=True)
class FrontendProps(WebWorkloadProps):
    """The Next.js frontend (model section 2.1). Every default is the model's."""

    replicas: int = 2
    image: str = "taskora/frontend:latest"
    resources: Resources = field(default_factory=lambda: _resources("100m", "128Mi", "500m", "512Mi"))
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=30, readiness_delay=5))
    port: int = 3000
    health_path: str = "/api/health"


@dataclass(frozen=True, kw_only=True)
class BackendProps(WebWorkloadProps):
    """The FastAPI backend (model section 2.2). Every default is the model's."""

    replicas: int = 3
    image: str = "taskora/backend:latest"
    resources: Resources = field(default_factory=lambda: _resources("200m", "256Mi", "1000m", "1Gi"))
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=30, readiness_delay=10))
    port: int = 8000
    health_path: str = "/health"


@dataclass(frozen=True, kw_only=True)
class PostgresProps(WorkloadProps):
    """The PostgreSQL StatefulSet (model section 3). Every default is the model's.

    There is deliberately no ``replicas``: the model runs one instance, and more replicas of
    this plain StatefulSet would be independent, diverging databases, not replication.
    """

    image: str = "postgres:15-alpine"
    resources: Resources = field(default_factory=lambda: _resources("100m", "256Mi", "500m", "512Mi"))
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=30, readiness_delay=5))
    port: int = 5432
    database_name: str = "taskora"
    username: str = "taskora"
    storage: str = "10Gi"
    storage_class_name: str | None = "standard"
    data_path: str = "/var/lib/postgresql/data"

    #: Model rule (section 11): a database volume below this is refused.
    MIN_STORAGE = "1Gi"

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        found += rules.check_port(where, "port", self.port)
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

