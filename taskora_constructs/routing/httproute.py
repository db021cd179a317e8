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
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

import cdk8s
from constructs import Construct

from ..core import tree
from .._generated import k8s_types as k8s
from ..core import rules
from ..core.manifest import emit, object_metadata
from ..core.resource import TaskoraResource
from ..core.errors import Problem, raise_if_any

#: A path prefix or replacement: ``/``, or absolute path segments without regex characters.
_PATH = re.compile(r"^/$|^(/[A-Za-z0-9._~-]+)+/?$")
#: Gateway API ``SectionName`` (a listener's name).
_SECTION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: The CRD's ``maxItems``: parentRefs 32, hostnames 16, rules 16.
MAX_PARENT_REFS, MAX_HOSTNAMES, MAX_RULES = 32, 16, 16


class ServiceBackend(Protocol):
    """Anything with a Service name and port: :class:`~taskora_constructs.WebWorkload`,
    :class:`~taskora_constructs.PostgresDatabase`, ..."""

    @property
    def service_name(self) -> str: ...

    @property
    def port(self) -> int: ...


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
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
            if value is not None and (not isinstance(value, str) or not _PATH.fullmatch(value)):
                problems.append(Problem(where=where, field=field, value=value,
                                        rule="must be an absolute path without regex characters",
                                        fix="write it like '/api' (or '/')"))
        raise_if_any(problems)

    @classmethod
    def for_workload(cls, workload: ServiceBackend, *, path_prefix: str = "/",
                     rewrite_prefix: str | None = None) -> "HttpRouteRule":
        """``path_prefix`` to ``workload``'s Service and port (e.g. a :class:`~taskora_constructs.WebWorkload`)."""
        return cls(service_name=workload.service_name, port=workload.port, path_prefix=path_prefix,
                   rewrite_prefix=rewrite_prefix)

    def to_json(self) -> k8s.HTTPRouteRule:
        rule: k8s.HTTPRouteRule = {"matches": [{"path": {"type": "PathPrefix", "value": self.path_prefix}}]}
        if self.rewrite_prefix is not None:
            rule["filters"] = [{"type": "URLRewrite", "urlRewrite": {"path": {
                "type": "ReplacePrefixMatch", "replacePrefixMatch": self.rewrite_prefix}}}]
        rule["backendRefs"] = [{"name": self.service_name, "port": self.port}]
        return rule


@dataclass(frozen=True, kw_only=True)
class HttpRouteProps:
    """An HTTPRoute: which Gateways, which hostnames, which paths to which Services."""

    #: The Gateways (or listeners) to attach to (required, at least one).
    parent_refs: tuple[GatewayParentRef, ...]
    #: The path prefixes and their Services (required, at least one; each prefix once).
    rules: tuple[HttpRouteRule, ...]
    #: The hostnames served (the request's Host); default none: every hostname of the listeners.
    hostnames: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = "HttpRouteProps"
        problems: list[Problem] = []
        for field, items, kind, limit in (("parentRefs", self.parent_refs, GatewayParentRef, MAX_PARENT_REFS),
                                          ("rules", self.rules, HttpRouteRule, MAX_RULES)):
            if not isinstance(items, tuple) or not 1 <= len(items) <= limit \
                    or not all(isinstance(item, kind) for item in items):
                problems.append(Problem(where=where, field=field, value=items,
                                        rule=f"must be a tuple of 1 to {limit} {kind.__name__}",
                                        fix=f"give at least one {kind.__name__}"))
        if not problems:
            prefixes = [rule.path_prefix for rule in self.rules]
            repeated = sorted({p for p in prefixes if prefixes.count(p) > 1})
            if repeated:
                problems.append(Problem(where=where, field="rules", value=repeated,
                                        rule="must route each path prefix once (the Gateway would use only "
                                             "the first rule)", fix="merge the rules of the same prefix"))
        if not isinstance(self.hostnames, tuple) or len(self.hostnames) > MAX_HOSTNAMES:
            problems.append(Problem(where=where, field="hostnames", value=self.hostnames,
                                    rule=f"must be a tuple of at most {MAX_HOSTNAMES} hostnames",
                                    fix="route fewer hostnames, or split the route"))
        else:
            for i, hostname in enumerate(self.hostnames):
                problems += rules.check_host(where, f"hostnames[{i}]", hostname)
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
        self.route: cdk8s.ApiObject = emit(self, "route", route)
        self._expose(self.route)
