"""A stateless HTTP workload: a Deployment and its ClusterIP Service (model sections 2, 4)."""

from __future__ import annotations

from typing import Mapping, Sequence

from constructs import Construct

from . import rules
from ._manifest import Json, emit, object_metadata
from ._workload import container, http_get_probe, pod_template, service_spec
from .errors import raise_if_any
from .props import WebWorkloadProps
from .validation import TaskoraValidation

#: Container port name; Services and Ingresses may refer to it.
HTTP_PORT_NAME = "http"


class WebWorkload(Construct):
    """Base of :class:`~taskora_constructs.Frontend` and :class:`~taskora_constructs.Backend`.

    Attributes:
        service_name: the Service's name (equal to the Deployment's).
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
        self.url = f"http://{name}:{props.port}"
        # Only `app` selects: a selector is immutable on a live Deployment, so any extra
        # label here would make a later change a delete-and-recreate.
        self.selector_labels = {"app": name}
        self.pod_labels = {"app": name, "component": component}

        emit(self, "deployment", {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.pod_labels),
            "spec": {
                "replicas": props.replicas,
                "selector": {"matchLabels": self.selector_labels},
                "template": pod_template(labels=self.pod_labels, annotations={
                    key: value for key, value in (pod_annotations or {}).items() if value is not None
                }, spec={
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": props.run_as_user,
                        "fsGroup": props.fs_group,
                    },
                    "containers": [container(
                        name=container_name,
                        image=props.image,
                        image_pull_policy=props.image_pull_policy,
                        port=props.port,
                        port_name=HTTP_PORT_NAME,
                        env=env,
                        resources=props.resources,
                        liveness_probe=http_get_probe(props.health_path, props.port, props.probes.liveness),
                        readiness_probe=http_get_probe(props.health_path, props.port, props.probes.readiness),
                    )],
                }),
            },
        })
        emit(self, "service", {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
            "spec": service_spec(selector=self.selector_labels, port_name=HTTP_PORT_NAME, port=props.port),
        })
