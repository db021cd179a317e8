"""A stateless HTTP workload: Deployment, Service, ServiceAccount, PodDisruptionBudget and,
optionally, a HorizontalPodAutoscaler - for any image. ``TaskoraFrontend`` and ``TaskoraBackend`` are the
documented model's presets of it."""

from __future__ import annotations

import typing
from dataclasses import field
from typing import Any, Mapping, Sequence

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from .._generated import k8s_types as k8s
from ..core import policy, rules
from ..core.manifest import emit, object_metadata
from ..core.resource import MAIN_ID, TaskoraResource, props_from  # noqa: F401 (props_from: kept importable)
from ..network.connections import HasConnections
from ..core.podspec import (container, container_security_context, http_get_probe, pod_identity, pod_template,
                        service_account, service_spec, writable_dirs)
from ..core.errors import Problem, raise_if_any
from ..core import pod_security
from ..core.pod import apply_to_pod, merged, owned_key_problems
from ..core.props import (Autoscaling, DisruptionBudget, Probes, Resources, WorkloadProps, _hardening_problems, _probes,
                    _resources)

#: Container port name; Services and Ingresses may refer to it.
HTTP_PORT_NAME = "http"


@frozen_props
class WebWorkloadProps(WorkloadProps):
    """A stateless HTTP workload: any image, port, health path, environment.

    Only ``image`` is required; :class:`~taskora_constructs.TaskoraFrontendProps` and
    :class:`~taskora_constructs.TaskoraBackendProps` are the documented model's presets.
    """

    #: Pods; default 1.
    replicas: int = 1
    #: The container's port; default 8080.
    port: int = 8080
    #: The Service's port, when it differs from the container's; default None: ``port``.
    service_port: int | None = None
    #: The HTTP path of the liveness, readiness (and startup) probes; default /healthz.
    health_path: str = "/healthz"
    #: Requests 100m CPU / 128Mi, limits 500m / 512Mi.
    resources: Resources = field(default_factory=lambda: _resources("100m", "128Mi", "500m", "512Mi"))
    #: Liveness after 10 s every 10 s (5 s timeout), readiness after 5 s every 5 s (3 s).
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=10, readiness_delay=5))
    #: The container's entrypoint; default None: the image's.
    command: tuple[str, ...] | None = None
    #: The container's arguments; default None: the image's.
    args: tuple[str, ...] | None = None
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

    def _documented_exceptions(self) -> Mapping[str, policy.InUse]:
        """reason -> "is the documented value it explains in use?" (core/policy.py). A preset's
        props document their own default image and user; any image documents none: each of
        ``policy_exceptions`` is the caller's own, written while its check is unmet."""
        return {}

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        found += rules.check_replicas(where, "replicas", self.replicas)
        found += rules.check_port(where, "port", self.port)
        if self.service_port is not None:
            found += rules.check_port(where, "servicePort", self.service_port)
        found += rules.check_positive_int(where, "runAsUser", self.run_as_user)
        found += rules.check_positive_int(where, "fsGroup", self.fs_group)
        found += _hardening_problems(self, where)
        minimum = self.replicas
        if self.autoscaling is not None:
            found += self.autoscaling.problems(where, "autoscaling", self.replicas)
            minimum = self.autoscaling.floor(self.replicas)
        if self.disruption_budget is not None:
            found += self.disruption_budget.problems(where, "disruptionBudget", minimum)
        if not isinstance(self.health_path, str) or not self.health_path.startswith("/"):
            found.append(Problem(where=where, field="healthPath", value=self.health_path,
                                 rule="must be an absolute HTTP path", fix="write it like '/health'"))
        return found



class WebWorkload(TaskoraResource, HasConnections):
    """A stateless HTTP workload for any image: ``WebWorkload(scope, id, props)`` or
    ``WebWorkload(scope, id, image="nginx:1.27", port=8080)``.

    Objects, in apply order: a ServiceAccount of its own (token not mounted), the Deployment,
    the Service, a PodDisruptionBudget (``props.disruption_budget``) and a
    HorizontalPodAutoscaler (``props.autoscaling``). The pods run as the props' non-root
    user with no capabilities, no privilege escalation, the runtime's seccomp filter and a
    read-only root filesystem, writing only to ``props.writable_paths`` (emptyDirs); with
    more than one replica they spread over nodes. What a caller adds (``props.env``,
    ``sidecars``, ``volumes``, labels, scheduling: :class:`~taskora_constructs.PodOptions`)
    comes after the construct's own.

    Args:
        name: of every object; default: the construct id as a DNS label.
        namespace: default: the enclosing Chart's namespace (none if it has none).
        component: the pods' ``component`` label; default: ``name``.
        container_name: the main container's name; default: ``name``.

    Attributes:
        deployment / service / service_account / disruption_budget / autoscaler: the
            ``cdk8s.ApiObject`` of each object (``None`` when not created): the escape hatch,
            e.g. ``workload.deployment.add_json_patch(...)``. ``api_object`` is the Deployment.
        service_name: the Service's name (equal to the Deployment's).
        service_account_name: the pods' ServiceAccount (equal to the Deployment's name).
        namespace: where they live (``None``: kubectl's current namespace).
        port: the Service port; ``container_port``: the container's.
        port_name: the name of both ports (``http``).
        url: ``http://<service>:<port>``, for clients in the same namespace.
        selector_labels: the immutable Deployment selector and the Service selector.
        pod_labels: the labels every pod carries.
        container_name: the main container's name.
    """

    def __init__(self, scope: Construct, construct_id: str, props: WebWorkloadProps | None = None, *,
                 name: str | None = None, namespace: str | None = None, component: str | None = None,
                 container_name: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(WebWorkloadProps, props, props_fields)
        self._build(props, component=component, container_name=container_name, env=(), pod_annotations=None)

    def _build(self, props: WebWorkloadProps, *, component: str | None,
               container_name: str | None, env: Sequence[k8s.EnvVar],
               pod_annotations: Mapping[str, str | None] | None) -> None:
        """Build the objects; presets (``TaskoraFrontend``, ``TaskoraBackend``) call it with their own env."""
        where = tree.path_of(self)
        name, namespace = self.name, self.namespace
        self._check()
        self.props = props
        self.service_name = name
        self.namespace = namespace
        self.container_port = props.port
        self.port = props.service_port if props.service_port is not None else props.port
        #: Name of the container and Service port (``http``), for callers that refer to it by name.
        self.port_name = HTTP_PORT_NAME
        self.url = f"http://{name}:{self.port}"
        # Only `app` selects: a selector is immutable on a live Deployment, so any extra
        # label here would make a later change a delete-and-recreate.
        self.selector_labels = {"app": name}
        self.pod_labels = merged({"app": name, "component": component or name}, props.pod_labels)
        self.container_name = container_name or name
        self.service_account_name = name
        kinds = ["ServiceAccount", "Deployment", "Service"]
        kinds += ["PodDisruptionBudget"] if props.disruption_budget is not None else []
        kinds += ["HorizontalPodAutoscaler"] if props.autoscaling is not None else []
        self._claim([(kind, name) for kind in kinds])
        labels = merged(self.selector_labels, props.labels)

        volumes, mounts = writable_dirs(props.writable_paths, props.writable_size_limit)
        probes = props.probes
        pod_spec: k8s.PodSpec = pod_identity(name, props)
        max_replicas = props.autoscaling.max_replicas if props.autoscaling else props.replicas
        if props.spread_across_nodes and max_replicas > 1:
            # Soft: on a single node (minikube) every pod still schedules.
            pod_spec["topologySpreadConstraints"] = [{
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": self.selector_labels},
            }]
        main = container(
            name=self.container_name,
            image=props.image,
            image_pull_policy=props.image_pull_policy,
            port=props.port,
            port_name=HTTP_PORT_NAME,
            env=env,
            resources=props.resources,
            volume_mounts=mounts,
            liveness_probe=http_get_probe(props.health_path, props.port, probes.liveness),
            readiness_probe=http_get_probe(props.health_path, props.port, probes.readiness),
            startup_probe=(http_get_probe(props.health_path, props.port, probes.startup)
                           if probes.startup is not None else None),
            security_context=container_security_context(
                read_only_root_filesystem=props.read_only_root_filesystem),
        )
        if props.command is not None:
            main["command"] = list(props.command)
        if props.args is not None:
            main["args"] = list(props.args)
        pod_spec["containers"] = [main]
        # Always a list, so a caller's JSON patch ".../volumes/-" appends even to no volumes.
        pod_spec["volumes"] = volumes
        problems = apply_to_pod(where, props, pod_spec, main, level=pod_security.level_for(self, namespace))
        own_labels = {"app": name, "component": component or name}
        own_pod_annotations = {key: value for key, value in (pod_annotations or {}).items() if value is not None}
        built = frozenset({self.container_name})
        skips = policy.skip_annotations(props.policy_exceptions, pod_spec, built, props._documented_exceptions())
        problems += owned_key_problems(where, props, pod_labels=own_labels, labels=own_labels,
                                       pod_annotations=own_pod_annotations, annotations=skips)
        raise_if_any(problems)

        spec = typing.cast("k8s.DeploymentSpec", {})  # keys in the model's order, each type-checked
        if props.autoscaling is None:  # with an autoscaler the replica count is its business
            spec["replicas"] = props.replicas
        spec["selector"] = {"matchLabels": self.selector_labels}
        annotations = {key: value for key, value in (pod_annotations or {}).items() if value is not None}
        spec["template"] = pod_template(labels=self.pod_labels, annotations={**props.pod_annotations, **annotations},
                                        spec=pod_spec)
        self.service_account: cdk8s.ApiObject = emit(self, "service-account", service_account(
            name=name, namespace=namespace, labels=labels, automount=props.automount_service_account_token,
            annotations=props.annotations))
        deployment: k8s.Deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": object_metadata(
                name=name, namespace=namespace, labels=merged(self.pod_labels, props.labels),
                annotations={**props.annotations, **skips}),
            "spec": spec,
        }
        self.deployment: cdk8s.ApiObject = emit(self, MAIN_ID, deployment, library_containers=built)
        self._expose(self.deployment)
        service: k8s.Service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=props.annotations),
            "spec": service_spec(selector=self.selector_labels, port_name=HTTP_PORT_NAME, port=self.port,
                                 target_port=props.port),
        }
        self.service: cdk8s.ApiObject = emit(self, "service", service)
        self.disruption_budget: cdk8s.ApiObject | None = None
        if props.disruption_budget is not None:
            budget = props.disruption_budget
            budget_spec: k8s.PodDisruptionBudgetSpec = {}
            if budget.max_unavailable is not None:
                budget_spec["maxUnavailable"] = budget.max_unavailable
            elif budget.min_available is not None:
                budget_spec["minAvailable"] = budget.min_available
            budget_spec["selector"] = {"matchLabels": self.selector_labels}
            # A crash-looping pod never counts as available: let a drain evict it anyway.
            budget_spec["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
            pdb: k8s.PodDisruptionBudget = {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": object_metadata(name=name, namespace=namespace, labels=labels,
                                            annotations=props.annotations),
                "spec": budget_spec,
            }
            self.disruption_budget = emit(self, "disruption-budget", pdb)
        self.autoscaler: cdk8s.ApiObject | None = None
        if props.autoscaling is not None:
            scaling = props.autoscaling
            hpa: k8s.HorizontalPodAutoscaler = {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": object_metadata(name=name, namespace=namespace, labels=labels,
                                            annotations=props.annotations),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": scaling.floor(props.replicas),
                    "maxReplicas": scaling.max_replicas,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": scaling.target_cpu_utilization_percent}}}],
                },
            }
            self.autoscaler = emit(self, "autoscaler", hpa)
