"""Props shared by the workload constructs: resources, probe timing, container image.

All props are frozen, keyword-only dataclasses whose defaults are the documented model's
values. Each validates itself on construction and raises one
:class:`~taskora_constructs.errors.TaskoraConfigError` naming every problem it found.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from .frozen import frozen_props
from . import rules
from .errors import Problem, raise_if_any
from .._generated import k8s_types as k8s
from .pod import PodOptions


@frozen_props
class ComputeResources:
    """CPU and memory quantities, e.g. ``cpu="100m"``, ``memory="128Mi"``."""

    cpu: str
    memory: str

    def problems(self, where: str, field_prefix: str) -> list[Problem]:
        return (rules.check_quantity(where, f"{field_prefix}.cpu", self.cpu, example="250m")
                + rules.check_quantity(where, f"{field_prefix}.memory", self.memory, example="256Mi"))

    def to_json(self) -> dict[str, k8s.Quantity]:
        return {"cpu": self.cpu, "memory": self.memory}


@frozen_props
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

    def to_json(self) -> k8s.ResourceRequirements:
        return {"requests": self.requests.to_json(), "limits": self.limits.to_json()}


@frozen_props
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

    def to_json(self) -> k8s.Probe:
        return {
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "failureThreshold": self.failure_threshold,
        }


@frozen_props
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


@frozen_props
class WorkloadProps(PodOptions):
    """What every workload of the library has: image, pull policy, resources and probe timing,
    and the caller's additions to its pods (:class:`~taskora_constructs.PodOptions`).

    Subclasses set the documented defaults; see :class:`~taskora_constructs.TaskoraFrontendProps`,
    :class:`~taskora_constructs.TaskoraBackendProps` and :class:`~taskora_constructs.PostgresProps`.
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
                + self.probes.problems(where)
                + self.pod_problems(where))

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


def _hardening_problems(props: Any, where: str) -> list[Problem]:
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


@frozen_props
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


@frozen_props
class Autoscaling:
    """A HorizontalPodAutoscaler on CPU utilization (of the pods' CPU requests).

    With an autoscaler the Deployment leaves ``spec.replicas`` to it (a value there would
    reset the replica count on every ``kubectl apply``); ``min_replicas`` may not go below
    the workload's ``replicas``.

    Attributes:
        min_replicas: the lower bound (default None: the workload's ``replicas``).
        max_replicas: the upper bound (required).
        target_cpu_utilization_percent: average CPU use to keep, in percent of the pods'
            requests (default 70).
    """

    max_replicas: int
    min_replicas: int | None = None
    target_cpu_utilization_percent: int = field(default=70, metadata={"values_key": "targetCPUUtilizationPercentage"})

    def floor(self, replicas: int) -> int:
        """The effective lower bound for a workload of ``replicas``."""
        return self.min_replicas if self.min_replicas is not None else replicas

    def problems(self, where: str, field_prefix: str, replicas: int) -> list[Problem]:
        found = rules.check_replicas(where, f"{field_prefix}.minReplicas", self.floor(replicas))
        found += rules.check_replicas(where, f"{field_prefix}.maxReplicas", self.max_replicas)
        found += rules.check_positive_int(where, f"{field_prefix}.targetCPUUtilizationPercentage",
                                          self.target_cpu_utilization_percent)
        if found:
            return found
        minimum = self.floor(replicas)
        if self.max_replicas < minimum:
            found.append(Problem(where=where, field=f"{field_prefix}.maxReplicas", value=self.max_replicas,
                                 rule=f"must be >= minReplicas ({minimum})",
                                 fix=f"raise maxReplicas to at least {minimum}"))
        if isinstance(replicas, int) and minimum < replicas:
            found.append(Problem(where=where, field=f"{field_prefix}.minReplicas", value=self.min_replicas,
                                 rule=f"must be >= replicas ({replicas}): the autoscaler may not run fewer "
                                      "pods than the workload is sized for",
                                 fix=f"set minReplicas to at least {replicas}"))
        return found
