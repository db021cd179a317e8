"""Gateway API routing: :class:`HttpRoute`, an ``HTTPRoute`` (``gateway.networking.k8s.io/v1``)
sending path prefixes of some hostnames to Services, for any team's services.

Plain JSON, like every object of the library: the typed bindings ``cdk8s import`` generates
from the Gateway API CRD (the app's ``imports/``) are an app's own generated code, which a
pip-installed library cannot import, and loading their jsii assembly would cost every synth
start-up time whether it routes through a Gateway or not (docs/decisions.md, "HTTPRoute as
plain JSON"). The body is type-checked against TypedDicts generated from the vendored v1 CRD
(``k8s_types.HTTPRoute``) and validated against the CRD's schema in the tests.

The Gateway itself (listeners, TLS certificates, which namespaces may attach) belongs to the
cluster's platform team: a route only names it (:class:`GatewayParentRef`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Mapping, Protocol

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from .._generated import k8s_types as k8s
from ..core import rules
from ..core.manifest import emit, object_metadata
from ..core.resource import MAIN_ID, TaskoraResource
from ..core.errors import Problem, raise_if_any

# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
#: A path prefix or replacement: ``/``, or absolute path segments without regex characters.
_PATH = r"^/$|^(/[A-Za-z0-9._~-]+)+/?$"
#: Gateway API ``SectionName`` (a listener's name).
_SECTION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: The CRD's ``maxItems``: parentRefs 32, hostnames 16, rules 16.
MAX_PARENT_REFS, MAX_HOSTNAMES, MAX_RULES = 32, 16, 16


class ServiceBackend(Protocol):
    """Anything with a Service name and port: :class:`~taskora_constructs.WebWorkload`,
    :class:`~taskora_constructs.PostgresDatabase`, ... (a cdk8s-plus ``Service`` is taken too:
    its ``name`` and first port)."""

    @property
    def service_name(self) -> str: ...

    @property
    def port(self) -> int: ...


def _service_of(backend: Any) -> tuple[str, int]:
    """The Service name and port of a library workload or a cdk8s-plus ``Service``."""
    if hasattr(backend, "service_name"):
        return backend.service_name, backend.port
    if type(backend).__module__.startswith("cdk8s_plus") and hasattr(backend, "ports"):
        # kplus.Service.port throws a JavaScript TypeError when the Service has no port.
        ports = list(backend.ports)
        if ports:
            return backend.name, ports[0].port
        raise_if_any([Problem(where=backend.node.path, field="ports", value=[],
                              rule="must hold a port for an HTTPRoute rule to send requests to",
                              fix="give the Service ports=[kplus.ServicePort(port=...)]")])
    raise_if_any([Problem(where="HttpRouteRule.for_workload", field="workload", value=type(backend).__name__,
                          rule="must be a workload of the library (service_name and port) or a cdk8s-plus Service",
                          fix="pass the WebWorkload, or the kplus.Service itself")])
    raise AssertionError  # unreachable: raise_if_any raised


def _sequence_problems(where: str, field: str, items: Any, kind: type, minimum: int, limit: int,
                       example: str) -> list[Problem]:
    """What is wrong with ``items`` as a sequence (list or tuple) of ``minimum`` to ``limit`` ``kind``."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        return [Problem(where=where, field=field, value=items, rule=f"must be a list or tuple of {kind.__name__}",
                        fix=f"write it as [{example}]")]
    if len(items) < minimum:
        return [Problem(where=where, field=field, value=list(items), rule=f"must hold at least {minimum} {kind.__name__}",
                        fix=f"give one, e.g. [{example}]")]
    if len(items) > limit:
        return [Problem(where=where, field=field, value=f"{len(items)} items",
                        rule=f"must hold at most {limit} (the CRD's maxItems)", fix="split them over several routes")]
    return [Problem(where=where, field=f"{field}[{i}]", value=type(item).__name__, rule=f"must be a {kind.__name__}",
                    fix=f"build it as {example}")
            for i, item in enumerate(items) if not isinstance(item, kind)]


@frozen_props
class GatewayParentRef:
    """A Gateway, or one listener of it, that an HTTPRoute attaches to.

    The Gateway must admit routes from the route's namespace (its listeners'
    ``allowedRoutes``); that is the Gateway owner's setting, not the route's.
    """

    #: The Gateway's name (required).
    name: str
    #: The Gateway's namespace; default None: the route's own namespace.
    namespace: str | None = None
    #: One listener of the Gateway by name (e.g. ``https``); default None: every listener that admits the
    #: route.
    section_name: str | None = None

    def __post_init__(self) -> None:
        where = "GatewayParentRef"
        problems = rules.check_dns_subdomain(where, "name", self.name)
        if self.namespace is not None:
            problems += rules.check_dns_label(where, "namespace", self.namespace)
        if self.section_name is not None and (not isinstance(self.section_name, str) or len(self.section_name) > 253
                                              or not _SECTION_NAME.fullmatch(self.section_name)):
            problems.append(Problem(where=where, field="sectionName", value=self.section_name,
                                    rule="must be a listener name: lower-case letters, digits and '-'",
                                    fix="write the name of one of the Gateway's listeners, e.g. 'https'"))
        raise_if_any(problems)

    def to_json(self) -> k8s.HTTPRouteParentRef:
        ref: k8s.HTTPRouteParentRef = {"name": self.name}
        if self.namespace is not None:
            ref["namespace"] = self.namespace
        if self.section_name is not None:
            ref["sectionName"] = self.section_name
        return ref


@frozen_props
class HttpRouteRule:
    """Requests under one path prefix, sent to one Service port in the route's namespace.

    Build it from a workload with :meth:`for_workload`.
    """

    #: The Service (required), in the route's namespace.
    service_name: str
    #: The Service's port (required).
    port: int
    #: Requests whose path starts with this prefix, segment by segment (``/api`` matches ``/api`` and
    #: ``/api/x``, not ``/apix``); default ``/``: every path.
    path_prefix: str = "/"
    #: Replace the matched prefix before forwarding (a ``URLRewrite`` filter, ``ReplacePrefixMatch``; ``/``
    #: strips it); default None: the path is forwarded unchanged.
    rewrite_prefix: str | None = None

    def __post_init__(self) -> None:
        where = "HttpRouteRule"
        problems = rules.check_dns_label(where, "serviceName", self.service_name)
        problems += rules.check_port(where, "port", self.port)
        for field, value in (("pathPrefix", self.path_prefix), ("rewritePrefix", self.rewrite_prefix)):
            if value is not None and (not isinstance(value, str) or not re.fullmatch(_PATH, value)):
                problems.append(Problem(where=where, field=field, value=value,
                                        rule="must be an absolute path without regex characters",
                                        fix="write it like '/api' (or '/')"))
        raise_if_any(problems)

    @classmethod
    def for_workload(cls, workload: ServiceBackend, *, path_prefix: str = "/",
                     rewrite_prefix: str | None = None) -> "HttpRouteRule":
        """``path_prefix`` to ``workload``'s Service and port: a :class:`~taskora_constructs.WebWorkload`
        (its Service port), or a cdk8s-plus ``Service`` (its name and first port)."""
        service_name, port = _service_of(workload)
        return cls(service_name=service_name, port=port, path_prefix=path_prefix, rewrite_prefix=rewrite_prefix)

    def to_json(self) -> k8s.HTTPRouteRule:
        rule: k8s.HTTPRouteRule = {"matches": [{"path": {"type": "PathPrefix", "value": self.path_prefix}}]}
        if self.rewrite_prefix is not None:
            rule["filters"] = [{"type": "URLRewrite", "urlRewrite": {"path": {
                "type": "ReplacePrefixMatch", "replacePrefixMatch": self.rewrite_prefix}}}]
        rule["backendRefs"] = [{"name": self.service_name, "port": self.port}]
        return rule


@frozen_props
class HttpRouteProps:
    """An HTTPRoute: which Gateways, which hostnames, which paths to which Services."""

    #: The Gateways (or listeners) to attach to (required, at least one; a list or tuple, kept as a tuple).
    parent_refs: tuple[GatewayParentRef, ...] | list[GatewayParentRef]
    #: The path prefixes and their Services (required, at least one; each prefix once; a list or tuple).
    rules: tuple[HttpRouteRule, ...] | list[HttpRouteRule]
    #: The hostnames served (the request's Host); default none: every hostname of the listeners.
    hostnames: tuple[str, ...] | list[str] = ()

    def __post_init__(self) -> None:
        where = "HttpRouteProps"
        problems = (_sequence_problems(where, "parentRefs", self.parent_refs, GatewayParentRef, 1, MAX_PARENT_REFS,
                                       "GatewayParentRef(name='public', namespace='gateways')")
                    + _sequence_problems(where, "rules", self.rules, HttpRouteRule, 1, MAX_RULES,
                                         "HttpRouteRule.for_workload(web)"))
        host_problems = _sequence_problems(where, "hostnames", self.hostnames, str, 0, MAX_HOSTNAMES,
                                           "'shop.example.com'")
        # Frozen, and compared and hashed as tuples whatever sequence was given.
        for name in ("parent_refs", "rules", "hostnames"):
            value = getattr(self, name)
            if isinstance(value, Sequence) and not isinstance(value, (tuple, str, bytes)):
                object.__setattr__(self, name, tuple(value))
        if not problems:
            prefixes = [rule.path_prefix for rule in self.rules]
            repeated = sorted({p for p in prefixes if prefixes.count(p) > 1})
            if repeated:
                problems.append(Problem(where=where, field="rules", value=repeated,
                                        rule="must route each path prefix once (the Gateway would use only "
                                             "the first rule)", fix="merge the rules of the same prefix"))
        if not host_problems:
            for i, hostname in enumerate(self.hostnames):
                host_problems += rules.check_host(where, f"hostnames[{i}]", hostname)
        problems += host_problems
        raise_if_any(problems)


class HttpRoute(TaskoraResource):
    """A Gateway API ``HTTPRoute``: ``HttpRoute(scope, id, props)`` or
    ``HttpRoute(scope, id, parent_refs=(GatewayParentRef(name="public", namespace="gateways"),),
    hostnames=("shop.example.com",), rules=(HttpRouteRule.for_workload(api, path_prefix="/api",
    rewrite_prefix="/"), HttpRouteRule.for_workload(web)))``.

    The Gateway picks the longest matching prefix whatever the rules' order. Backends are
    Services of the route's namespace (a Service elsewhere needs a ReferenceGrant, the other
    namespace's business). TLS and the HTTP-to-HTTPS redirect are the Gateway's listeners'.
    The cluster needs the Gateway API CRDs (v1) installed.

    Args:
        name: the HTTPRoute's name; default: the construct id as a DNS label.
        namespace: default: the enclosing Chart's namespace (none if it has none).
        labels: the route's labels; default ``{"app": name}``.

    Attributes:
        route: the HTTPRoute's ``cdk8s.ApiObject`` (the escape hatch); also ``api_object``.
        route_name / namespace / hostnames: what the object says.
    """

    #: An HTTPRoute's name is a DNS subdomain.
    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    def __init__(self, scope: Construct, construct_id: str, props: HttpRouteProps | None = None, *,
                 name: str | None = None, namespace: str | None = None, labels: Mapping[str, str] | None = None,
                 **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(HttpRouteProps, props, props_fields)
        name, namespace = self.name, self.namespace
        self._check(rules.check_labels(tree.path_of(self), "labels", dict(labels)) if labels is not None else [])
        self._claim([("HTTPRoute", name)])
        self.route_name = name
        self.hostnames = props.hostnames
        self.props = props
        spec: k8s.HTTPRouteSpec = {"parentRefs": [ref.to_json() for ref in props.parent_refs]}
        if props.hostnames:
            spec["hostnames"] = list(props.hostnames)
        spec["rules"] = [rule.to_json() for rule in props.rules]
        route: k8s.HTTPRoute = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": object_metadata(name=name, namespace=namespace,
                                        labels=dict(labels) if labels is not None else {"app": name}),
            "spec": spec,
        }
        self.route: cdk8s.ApiObject = emit(self, MAIN_ID, route)
        self._expose(self.route)
