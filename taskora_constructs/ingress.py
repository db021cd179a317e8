"""External HTTP access through ingress-nginx (model section 7)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import Construct

from . import rules
from . import k8s_types as k8s
from ._manifest import emit, object_metadata
from .errors import Problem, raise_if_any
from ._scope import claim, name_from_id, resolve_namespace
from .names import DEFAULT_NAMES
from .web import WebWorkload

NGINX = "nginx.ingress.kubernetes.io"


@dataclass(frozen=True, kw_only=True)
class IngressProps:
    """Ingress settings. Every default is the model's.

    Attributes:
        host: the virtual host (default ``taskora.local``); a DNS name (model section 11).
        class_name: ``ingressClassName`` (default ``nginx``, minikube's addon).
        api_path_prefix: requests under this prefix go to the backend with the prefix
            stripped (default ``/api``); everything else goes to the frontend unchanged.
        proxy_body_size: largest request body (default ``10m``).
        proxy_read_timeout_seconds: upstream read timeout (default 60).
    """

    host: str = "taskora.local"
    class_name: str = "nginx"
    api_path_prefix: str = "/api"
    proxy_body_size: str = "10m"
    proxy_read_timeout_seconds: int = 60

    def __post_init__(self) -> None:
        where = "IngressProps"
        problems = rules.check_dns_subdomain(where, "host", self.host)
        problems += rules.check_dns_subdomain(where, "className", self.class_name)
        if not isinstance(self.api_path_prefix, str) or not re.fullmatch(r"^(/[A-Za-z0-9._~-]+)+$", self.api_path_prefix):
            problems.append(Problem(where=where, field="apiPathPrefix", value=self.api_path_prefix,
                                    rule="must be an absolute path without a trailing '/' or regex characters",
                                    fix="write it like '/api'"))
        if not isinstance(self.proxy_body_size, str) or not re.fullmatch(r"^\d+[kKmMgG]?$", self.proxy_body_size):
            problems.append(Problem(where=where, field="proxyBodySize", value=self.proxy_body_size,
                                    rule="must be an nginx size (digits with an optional k, m or g)",
                                    fix="write it like '10m'"))
        problems += rules.check_positive_int(where, "proxyReadTimeoutSeconds", self.proxy_read_timeout_seconds)
        raise_if_any(problems)


class TaskoraIngress(Construct):
    """Routes ``host`` to the frontend, and ``host/api/...`` to the backend without the prefix.

    Two Ingress objects (deviation D2): ``<name>`` sends every path to the frontend
    unchanged, and ``<name>-api`` rewrites ``<prefix>/x`` to ``/x`` for the backend. The
    model's single Ingress applied ``rewrite-target: /$2`` to its frontend rule ``/(.*)``
    too, which has no second capture group, so every page, asset and deep link reached
    Next.js as ``/``. ingress-nginx annotations apply per Ingress, hence the split.

    Attributes:
        ingress_name / api_ingress_name: the two Ingress names.
    """

    def __init__(self, scope: Construct, construct_id: str, *, frontend: WebWorkload, backend: WebWorkload,
                 name: str | None = None, namespace: str | None = None,
                 app_name: str | None = None, props: IngressProps = IngressProps()) -> None:
        super().__init__(scope, construct_id)
        name = name or name_from_id(construct_id)
        namespace = resolve_namespace(self, namespace)
        raise_if_any(rules.check_dns_subdomain(self.node.path, "name", name))
        self.ingress_name = name
        self.api_ingress_name = f"{name}-api"
        claim(self, [("Ingress", namespace, name), ("Ingress", namespace, self.api_ingress_name)])
        self.host = props.host
        proxy = {
            f"{NGINX}/proxy-body-size": props.proxy_body_size,
            f"{NGINX}/proxy-read-timeout": str(props.proxy_read_timeout_seconds),
        }
        labels = {"app": app_name or name}
        #: The two Ingresses' ``cdk8s.ApiObject`` (the escape hatch); ``api_object`` is the first.
        self.ingress = emit(self, "ingress", self._ingress(
            name=name, namespace=namespace, labels=labels, annotations=proxy, class_name=props.class_name,
            host=props.host, path="/", path_type="Prefix", workload=frontend))
        self.api_object = self.ingress
        self.node.default_child = self.ingress  # cdk8s.ApiObject.of(construct) finds it
        self.api_ingress = emit(self, "api-ingress", self._ingress(
            name=self.api_ingress_name, namespace=namespace, labels=labels,
            annotations={f"{NGINX}/rewrite-target": "/$2", f"{NGINX}/use-regex": "true", **proxy},
            class_name=props.class_name, host=props.host,
            path=f"{props.api_path_prefix}(/|$)(.*)", path_type="ImplementationSpecific", workload=backend))

    @staticmethod
    def _ingress(*, name: str, namespace: str | None, labels: dict, annotations: dict, class_name: str, host: str,
                 path: str, path_type: str, workload: WebWorkload) -> k8s.Ingress:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=annotations),
            "spec": {
                "ingressClassName": class_name,
                "rules": [{"host": host, "http": {"paths": [{
                    "path": path,
                    "pathType": path_type,
                    "backend": {"service": {"name": workload.service_name, "port": {"number": workload.port}}},
                }]}}],
            },
        }
