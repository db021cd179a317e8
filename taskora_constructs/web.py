"""A stateless HTTP workload: a Deployment and its ClusterIP Service (model sections 2, 4),
with its own ServiceAccount, a PodDisruptionBudget and, optionally, an autoscaler."""

from __future__ import annotations

from typing import Mapping, Sequence

from constructs import Construct

from . import policy, rules
from ._manifest import Json, emit, object_metadata
from ._workload import (container, container_security_context, http_get_probe, pod_identity, pod_template,
                        service_account, service_spec, writable_dirs)
from .errors import raise_if_any
from .props import WebWorkloadProps
from .validation import TaskoraValidation

#: Container port name; Services and Ingresses may refer to it.
HTTP_PORT_NAME = "http"


class WebWorkload(Construct):
    """Base of :class:`~taskora_constructs.Frontend` and :class:`~taskora_constructs.Backend`.

    Objects, in apply order: a ServiceAccount of its own (token not mounted), the Deployment,
    the Service, a PodDisruptionBudget (``props.disruption_budget``) and a
    HorizontalPodAutoscaler (``props.autoscaling``). The pods run as the props' non-root
    user with no capabilities, no privilege escalation, the runtime's seccomp filter and a
    read-only root filesystem, writing only to ``props.writable_paths`` (emptyDirs); with
    more than one replica they spread over nodes.

    Attributes:
        service_name: the Service's name (equal to the Deployment's).
        service_account_name: the pods' ServiceAccount (equal to the Deployment's name).
        namespace: where both live.
        port: the Service port (equal to the container port, as in the model).
        url: ``http://<service>:<port>``, for clients in the same namespace.
        selector_labels: the immutable Deployment selector and the Service selector.
        pod_labels: the labels every pod carries.
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str, namespace: str,
                 component: str, container_name: str, props: WebWorkloadProps,
                 env: Sequence[Json], pod_annotations: Mapping[str, str | None] | None = None) -> None:
        super().__init__(scope, construct_id)
        where = self.node.path
        raise_if_any(rules.check_dns_label(where, "name", name)
                     + rules.check_dns_label(where, "namespace", namespace))
        self.props = props
        TaskoraValidation.of(self)  # the app-wide cross-object checks
        self.service_name = name
        self.namespace = namespace
        self.port = props.port
        #: Name of the container and Service port (``http``), for callers that refer to it by name.
        self.port_name = HTTP_PORT_NAME
        self.url = f"http://{name}:{props.port}"
        # Only `app` selects: a selector is immutable on a live Deployment, so any extra
        # label here would make a later change a delete-and-recreate.
        self.selector_labels = {"app": name}
        self.pod_labels = {"app": name, "component": component}

        self.service_account_name = name
        emit(self, "service-account", service_account(
            name=name, namespace=namespace, labels=self.selector_labels,
            automount=props.automount_service_account_token))

        volumes, mounts = writable_dirs(props.writable_paths, props.writable_size_limit)
        probes = props.probes
        pod_spec: Json = pod_identity(name, props)
        max_replicas = props.autoscaling.max_replicas if props.autoscaling else props.replicas
        if props.spread_across_nodes and max_replicas > 1:
            # Soft: on a single node (minikube) every pod still schedules.
            pod_spec["topologySpreadConstraints"] = [{
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": self.selector_labels},
            }]
        pod_spec["containers"] = [container(
            name=container_name,
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
        )]
        if volumes:
            pod_spec["volumes"] = volumes

        spec: Json = {}
        if props.autoscaling is None:  # with an autoscaler the replica count is its business
            spec["replicas"] = props.replicas
        spec["selector"] = {"matchLabels": self.selector_labels}
        spec["template"] = pod_template(labels=self.pod_labels, annotations={
            key: value for key, value in (pod_annotations or {}).items() if value is not None
        }, spec=pod_spec)
        emit(self, "deployment", {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.pod_labels,
                                        annotations=policy.skip_annotations(props.policy_exceptions, pod_spec)),
            "spec": spec,
        })
        emit(self, "service", {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
            "spec": service_spec(selector=self.selector_labels, port_name=HTTP_PORT_NAME, port=props.port),
        })
        if props.disruption_budget is not None:
            budget = props.disruption_budget
            emit(self, "disruption-budget", {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
                "spec": {
                    **({"maxUnavailable": budget.max_unavailable} if budget.max_unavailable is not None
                       else {"minAvailable": budget.min_available}),
                    "selector": {"matchLabels": self.selector_labels},
                    # A crash-looping pod never counts as available: let a drain evict it anyway.
                    "unhealthyPodEvictionPolicy": "AlwaysAllow",
                },
            })
        if props.autoscaling is not None:
            scaling = props.autoscaling
            emit(self, "autoscaler", {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": scaling.min_replicas,
                    "maxReplicas": scaling.max_replicas,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": scaling.target_cpu_utilization_percent}}}],
                },
            })
