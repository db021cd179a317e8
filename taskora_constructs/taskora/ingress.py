"""External HTTP access (model section 7): through ingress-nginx, or through a Gateway API
Gateway (``routing: gateway``); optionally over HTTPS (``tls``)."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core.api_rules import check_host_name
from ..core import rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.errors import Problem, raise_if_any
from ..routing.httproute import GatewayParentRef, HttpRoute, HttpRouteRule
from ..core.resource import MAIN_ID, TaskoraResource
from ..web.workload import WebWorkload

NGINX = "nginx.ingress.kubernetes.io"
CERT_MANAGER = "cert-manager.io"
#: The values of ``TaskoraIngressProps.routing``.
ROUTINGS = ("ingress", "gateway")


@frozen_props
class IngressTLS:
    """HTTPS on the Ingresses, with plain HTTP redirected to it.

    Either a TLS Secret managed outside the app (``secret_name`` alone: type
    ``kubernetes.io/tls`` with ``tls.crt`` and ``tls.key``, in the app's namespace), or a
    certificate cert-manager issues (``cluster_issuer`` or ``issuer``) into ``secret_name``.
    """

    #: The TLS Secret; default None: required without an issuer, ``<ingress name>-tls`` with one.
    secret_name: str | None = None
    #: A cert-manager ClusterIssuer that issues the certificate
    #: (annotation ``cert-manager.io/cluster-issuer``); default None.
    cluster_issuer: str | None = None
    #: A cert-manager Issuer in the app's namespace (annotation ``cert-manager.io/issuer``); default None.
    issuer: str | None = None
    #: The hosts the certificate serves; default none: the route's host (each must be the route's host).
    hosts: tuple[str, ...] = ()
    #: Redirect plain HTTP to HTTPS (ingress-nginx ``ssl-redirect``, status 308); default true.
    redirect_http: bool = True

    def __post_init__(self) -> None:
        where = "IngressTLS"
        problems: list[Problem] = []
        for key, value in (("secretName", self.secret_name), ("clusterIssuer", self.cluster_issuer),
                           ("issuer", self.issuer)):
            if value is not None:
                problems += rules.check_dns_subdomain(where, key, value)
        if self.cluster_issuer is not None and self.issuer is not None:
            problems.append(Problem(where=where, field="issuer", value=self.issuer,
                                    rule="must not be set together with clusterIssuer: cert-manager uses one issuer",
                                    fix="keep clusterIssuer or issuer"))
        if self.secret_name is None and self.cluster_issuer is None and self.issuer is None:
            problems.append(Problem(where=where, field="secretName", value=None,
                                    rule="is required without a cert-manager issuer: the Ingress needs a certificate",
                                    fix="name an existing TLS Secret, or set clusterIssuer (or issuer) for "
                                        "cert-manager"))
        if not isinstance(self.hosts, tuple):
            problems.append(Problem(where=where, field="hosts", value=self.hosts, rule="must be a list of hosts",
                                    fix="write it like [taskora.example.com], or leave it out"))
        else:
            for i, host in enumerate(self.hosts):
                problems += rules.check_host(where, f"hosts[{i}]", host)
        if not isinstance(self.redirect_http, bool):
            problems.append(Problem(where=where, field="redirectHttp", value=self.redirect_http,
                                    rule="must be a boolean", fix="write true or false"))
        raise_if_any(problems)

    def secret_for(self, ingress_name: str) -> str:
        """The Secret holding the certificate of the Ingress ``ingress_name``."""
        return self.secret_name if self.secret_name is not None else f"{ingress_name}-tls"


@frozen_props
class GatewayRouting:
    """The Gateway the HTTPRoute attaches to, with ``routing: gateway``. TLS and the
    HTTP-to-HTTPS redirect are the Gateway's listeners' business, not the route's."""

    #: The Gateways (or listeners: ``sectionName``) to attach to; default none (at least one is required with
    #: routing gateway).
    parent_refs: tuple[GatewayParentRef, ...] = ()
    #: Namespaces of the Gateway's proxy pods, which the NetworkPolicies admit to the frontend and backend;
    #: default none: the parentRefs' namespaces (Istio, NGINX Gateway Fabric; Envoy Gateway runs its proxies
    #: in envoy-gateway-system).
    proxy_namespaces: tuple[str, ...] = ()
    #: Whether the listeners serve HTTPS: the scheme of the public URL (the route does not configure it);
    #: default true.
    https: bool = True

    def __post_init__(self) -> None:
        where = "GatewayRouting"
        problems: list[Problem] = []
        if not isinstance(self.parent_refs, tuple) or not all(isinstance(r, GatewayParentRef)
                                                              for r in self.parent_refs):
            problems.append(Problem(where=where, field="parentRefs", value=self.parent_refs,
                                    rule="must be a list of Gateways ({name, namespace, sectionName})",
                                    fix="write it like [{name: public, namespace: gateways}]"))
        if not isinstance(self.proxy_namespaces, tuple):
            problems.append(Problem(where=where, field="proxyNamespaces", value=self.proxy_namespaces,
                                    rule="must be a list of namespaces", fix="write it like [gateways]"))
        else:
            for i, namespace in enumerate(self.proxy_namespaces):
                problems += rules.check_dns_label(where, f"proxyNamespaces[{i}]", namespace)
        if not isinstance(self.https, bool):
            problems.append(Problem(where=where, field="https", value=self.https, rule="must be a boolean",
                                    fix="write true or false"))
        raise_if_any(problems)

    def namespaces(self, route_namespace: str | None) -> tuple[str, ...]:
        """Where the Gateway's proxies run: ``proxy_namespaces``, else each parentRef's namespace
        (the route's own for a parentRef without one), in order, once each."""
        found = list(self.proxy_namespaces) or [ref.namespace or route_namespace or "" for ref in self.parent_refs]
        return tuple(dict.fromkeys(n for n in found if n))


@frozen_props
class TaskoraIngressProps:
    """Ingress settings. Every default is the model's.

    Attributes:
        host: the virtual host (default ``taskora.local``); a DNS name (model section 11).
        class_name: ``ingressClassName`` (default ``nginx``, minikube's addon).
        api_path_prefix: requests under this prefix go to the backend with the prefix
            stripped (default ``/api``); everything else goes to the frontend unchanged.
        proxy_body_size: largest request body (default ``10m``).
        proxy_read_timeout_seconds: upstream read timeout (default 60).

    ``class_name``, ``proxy_body_size`` and ``proxy_read_timeout_seconds`` are ingress-nginx
    settings: with ``routing: gateway`` the Gateway's implementation has its own.
    """

    host: str = "taskora.local"
    class_name: str = "nginx"
    api_path_prefix: str = "/api"
    proxy_body_size: str = "10m"
    proxy_read_timeout_seconds: int = 60
    #: HTTPS on the Ingresses (an existing Secret or a cert-manager issuer), HTTP redirected; default None:
    #: plain HTTP, as the model.
    tls: IngressTLS | None = None
    #: ``ingress`` (two Ingresses for ingress-nginx, the model) or ``gateway`` (one Gateway API HTTPRoute
    #: attached to ``gateway.parentRefs``, no Ingress); default ingress.
    routing: str = "ingress"
    #: With routing gateway: the Gateway to attach to; default: no parentRefs.
    gateway: GatewayRouting = field(default_factory=GatewayRouting)

    def __post_init__(self) -> None:
        where = "TaskoraIngressProps"
        problems = rules.check_dns_subdomain(where, "host", self.host) or check_host_name(where, "host", self.host)
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
        problems += self._routing_problems(where)
        raise_if_any(problems)

    def _routing_problems(self, where: str) -> list[Problem]:
        """TLS hosts are the route's host; gateway routing needs a Gateway and leaves TLS to it."""
        if self.routing not in ROUTINGS:
            return [Problem(where=where, field="routing", value=self.routing,
                            rule=f"must be one of {', '.join(ROUTINGS)}",
                            fix="write ingress (ingress-nginx, the model) or gateway (Gateway API)")]
        problems: list[Problem] = []
        if self.tls is not None and isinstance(self.tls.hosts, tuple):
            problems += [Problem(where=where, field=f"tls.hosts[{i}]", value=host,
                                 rule=f"must be the route's host ({self.host}): a certificate for another host "
                                      "serves nothing here", fix=f"write {self.host}, or leave tls.hosts out")
                         for i, host in enumerate(self.tls.hosts) if host != self.host]
        # Reported under ``routing``: the key whose change makes the others wrong.
        if self.routing == "gateway":
            if not self.gateway.parent_refs:
                problems.append(Problem(where=where, field="routing", value=self.routing,
                                        rule="needs at least one Gateway in gateway.parentRefs",
                                        fix="add gateway.parentRefs: [{name: <gateway>, namespace: <its namespace>}]"))
            if self.tls is not None:
                problems.append(Problem(where=where, field="routing", value=self.routing,
                                        rule="needs tls off: with a Gateway, TLS is its listener's business (its "
                                             "certificateRefs), not the route's",
                                        fix="set tls.enabled: false and configure HTTPS on the Gateway"))
        return problems


class TaskoraIngress(TaskoraResource):
    """Routes ``host`` to the frontend, and ``host/api/...`` to the backend without the prefix.

    Two Ingress objects (deviation D2): ``<name>`` sends every path to the frontend
    unchanged, and ``<name>-api`` rewrites ``<prefix>/x`` to ``/x`` for the backend. The
    model's single Ingress applied ``rewrite-target: /$2`` to its frontend rule ``/(.*)``
    too, which has no second capture group, so every page, asset and deep link reached
    Next.js as ``/``. ingress-nginx annotations apply per Ingress, hence the split.

    With ``props.tls`` both Ingresses serve ``host`` over HTTPS from one Secret and redirect
    HTTP to it; a cert-manager issuer is annotated on ``<name>`` only (one Certificate for
    the Secret). With ``props.routing == "gateway"`` there is no Ingress: one HTTPRoute
    ``<name>`` (an :class:`~taskora_constructs.HttpRoute`) attached to
    ``props.gateway.parent_refs`` routes the same paths, the prefix stripped by a
    ``URLRewrite`` filter (``ReplacePrefixMatch``).

    Every ``/api/*`` request goes to the backend: the frontend's own Next.js API routes (its
    ``/api/health`` probe) are not reachable from outside, by design (docs/decisions.md).

    Attributes:
        ingress_name / api_ingress_name: the two Ingress names (also with gateway routing).
        ingress / api_ingress: the Ingresses' ``cdk8s.ApiObject`` (None with gateway routing).
        route: the :class:`~taskora_constructs.HttpRoute` (None with ingress routing).
        api_object: the main object: the first Ingress, or the HTTPRoute's.
        host: the routed host.
        public_url / public_api_url: where a browser reaches the app and its API
            (``https://<host>`` with TLS, ``http://`` without; ``.../api``).
        gateway_namespaces: where the Gateway's proxies run (empty with ingress routing).
        tls_secret_name: the Ingresses' TLS Secret (None without TLS).
        acme_solver_labels: with a cert-manager issuer on the Ingress, the labels of the HTTP-01
            solver pods cert-manager starts in this namespace (``acme.cert-manager.io/http01-solver:
            "true"``), which the ingress controller must reach on :attr:`ACME_SOLVER_PORT`; else None.
    """

    #: The port cert-manager's HTTP-01 solver pods serve the challenge on (cert-manager's
    #: acmesolver listens on 8089 and its Service targets it).
    ACME_SOLVER_PORT = 8089
    ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}

    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraIngressProps | None = None, *,
                 frontend: WebWorkload, backend: WebWorkload, name: str | None = None,
                 namespace: str | None = None, app_name: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(TaskoraIngressProps, props, props_fields)
        name, namespace = self.name, self.namespace
        self._check()
        self.ingress_name = name
        self.api_ingress_name = f"{name}-api"
        self.host = props.host
        https = props.gateway.https if props.routing == "gateway" else props.tls is not None
        self.public_url = f"{'https' if https else 'http'}://{props.host}"
        self.public_api_url = self.public_url + props.api_path_prefix
        self.gateway_namespaces: tuple[str, ...] = ()
        self.route: HttpRoute | None = None
        self.ingress: cdk8s.ApiObject | None = None
        self.api_ingress: cdk8s.ApiObject | None = None
        #: The TLS Secret of both Ingresses (None without TLS, and with gateway routing).
        self.tls_secret_name: str | None = None
        self.acme_solver_labels: dict[str, str] | None = None
        labels = {"app": app_name or name}
        if props.routing == "gateway":
            self.gateway_namespaces = props.gateway.namespaces(namespace)
            self.route = HttpRoute(self, "route", name=name, namespace=namespace, labels=labels,
                                   parent_refs=props.gateway.parent_refs, hostnames=(props.host,), rules=(
                                       HttpRouteRule.for_workload(backend, path_prefix=props.api_path_prefix,
                                                                  rewrite_prefix="/"),
                                       HttpRouteRule.for_workload(frontend)))
            self._expose(self.route.route)
            return
        self._claim([("Ingress", name), ("Ingress", self.api_ingress_name)])
        proxy = {
            f"{NGINX}/proxy-body-size": props.proxy_body_size,
            f"{NGINX}/proxy-read-timeout": str(props.proxy_read_timeout_seconds),
        }
        tls = props.tls
        issuer: dict[str, str] = {}
        if tls is not None:
            proxy[f"{NGINX}/ssl-redirect"] = "true" if tls.redirect_http else "false"
            if tls.cluster_issuer is not None:
                issuer = {f"{CERT_MANAGER}/cluster-issuer": tls.cluster_issuer}
            elif tls.issuer is not None:
                issuer = {f"{CERT_MANAGER}/issuer": tls.issuer}
            if issuer:  # an ACME issuer's HTTP-01 solver pods land here (a DNS-01 one starts none)
                self.acme_solver_labels = dict(self.ACME_SOLVER_LABELS)
        self.tls_secret_name = tls.secret_for(name) if tls is not None else None
        #: The two Ingresses' ``cdk8s.ApiObject`` (the escape hatch); ``api_object`` is the first.
        self.ingress = emit(self, MAIN_ID, self._ingress(
            name=name, namespace=namespace, labels=labels, annotations={**proxy, **issuer},
            class_name=props.class_name, host=props.host, path="/", path_type="Prefix", workload=frontend,
            tls_secret=self.tls_secret_name))
        self._expose(self.ingress)
        self.api_ingress = emit(self, "api-ingress", self._ingress(
            name=self.api_ingress_name, namespace=namespace, labels=labels,
            annotations={f"{NGINX}/rewrite-target": "/$2", f"{NGINX}/use-regex": "true", **proxy},
            class_name=props.class_name, host=props.host,
            path=f"{props.api_path_prefix}(/|$)(.*)", path_type="ImplementationSpecific", workload=backend,
            tls_secret=self.tls_secret_name))

    @staticmethod
    def _ingress(*, name: str, namespace: str | None, labels: dict, annotations: dict, class_name: str, host: str,
                 path: str, path_type: str, workload: WebWorkload, tls_secret: str | None) -> k8s.Ingress:
        spec: k8s.IngressSpec = {"ingressClassName": class_name}
        if tls_secret is not None:
            spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
        spec["rules"] = [{"host": host, "http": {"paths": [{
            "path": path,
            "pathType": path_type,
            "backend": {"service": {"name": workload.service_name, "port": {"number": workload.port}}},
        }]}}]
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=annotations),
            "spec": spec,
        }
