"""NetworkPolicies: deny by default, then allow exactly the documented paths.

:class:`NamespaceNetworkPolicy` denies every ingress to every pod of the namespace and lets
them out only to DNS. :class:`WorkloadNetworkPolicy` then allows one workload's own
traffic: who may reach its port (other workloads of the app, a namespace such as the
ingress controller's) and where it may connect (other workloads, IP ranges). Peers are
:class:`NetworkPeer` values built from the constructs themselves, so a selector is always a
workload's own selector labels, never typed twice.

Policies only take effect with a network plugin that enforces them (Calico, Cilium, ...;
on minikube: ``minikube start --cni=calico``); elsewhere they are accepted and ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import field
from typing import Any, Mapping, Protocol, Sequence

from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core import rules
from .._generated import k8s_types as k8s
from ..core.manifest import changed, emit, object_metadata
from ..core.errors import Problem, raise_if_any
from ..core.resource import MAIN_ID, TaskoraResource

from .evaluate import NAMESPACE_NAME_LABEL  # noqa: F401 (the label every namespace carries: its own name)

DNS_PORT = 53

#: Private, link-local and carrier-grade NAT ranges: the cluster, its nodes, the cloud's
#: metadata endpoint and the VPC. Kept out of the backend's HTTPS egress, which is for
#: public APIs.
PRIVATE_IPV4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")
PRIVATE_IPV6 = ("fc00::/7", "fe80::/10")


def _strictly_inside(inner: ipaddress.IPv4Network | ipaddress.IPv6Network,
                     outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Whether ``inner`` is a proper subnet of ``outer`` (of the same IP version)."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer) and inner != outer
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer) and inner != outer
    return False


@frozen_props
class NetworkPolicyProps:
    """The app's NetworkPolicies. Every default suits minikube's ingress addon and CoreDNS.

    Attributes:
        enabled: emit the policies at all (default true).
        ingress_controller_namespace: the namespace whose pods (the ingress controller) may
            reach the frontend and the backend (default ``ingress-nginx``, minikube's addon).
        dns_namespace / dns_pod_labels: where every pod may send DNS queries (port 53, UDP
            and TCP): the cluster DNS pods (default ``kube-system``, ``k8s-app: kube-dns``,
            CoreDNS in minikube and most clusters). With NodeLocal DNSCache, add its address
            to ``dns_cidrs``.
        dns_cidrs: further DNS servers by address (default none).
        https_egress_cidrs: where the backend may open HTTPS connections for its LLM APIs
            (default: anywhere public, IPv4 and IPv6) ...
        https_egress_except: ... except these ranges (default: private, link-local and
            CGNAT ranges, so not the cluster, its nodes or the cloud metadata endpoint).
    """

    enabled: bool = True
    ingress_controller_namespace: str = "ingress-nginx"
    dns_namespace: str = "kube-system"
    dns_pod_labels: Mapping[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    dns_cidrs: tuple[str, ...] = ()
    https_egress_cidrs: tuple[str, ...] = ("0.0.0.0/0", "::/0")
    https_egress_except: tuple[str, ...] = PRIVATE_IPV4 + PRIVATE_IPV6

    def __post_init__(self) -> None:
        where = "NetworkPolicyProps"
        problems: list[Problem] = []
        if not isinstance(self.enabled, bool):
            problems.append(Problem(where=where, field="enabled", value=self.enabled, rule="must be a boolean",
                                    fix="write true or false"))
        problems += rules.check_dns_label(where, "ingressControllerNamespace", self.ingress_controller_namespace)
        problems += rules.check_dns_label(where, "dnsNamespace", self.dns_namespace)
        problems += rules.check_labels(where, "dnsPodLabels", dict(self.dns_pod_labels))
        if not self.dns_pod_labels:
            problems.append(Problem(where=where, field="dnsPodLabels", value={}, rule="must not be empty: it "
                                    "would let every pod of the DNS namespace receive the queries",
                                    fix="write the DNS pods' labels, e.g. {'k8s-app': 'kube-dns'}"))
        for name, cidrs in (("dnsCidrs", self.dns_cidrs), ("httpsEgressCidrs", self.https_egress_cidrs),
                            ("httpsEgressExcept", self.https_egress_except)):
            for cidr in cidrs:
                problems += rules.check_cidr(where, name, cidr)
        raise_if_any(problems)

    def https_blocks(self) -> list[k8s.NetworkPolicyPeer]:
        """``ipBlock`` peers: each allowed range with the excepted ranges inside it."""
        blocks: list[k8s.NetworkPolicyPeer] = []
        for cidr in self.https_egress_cidrs:
            network = ipaddress.ip_network(cidr)
            inside = [e for e in self.https_egress_except if _strictly_inside(ipaddress.ip_network(e), network)]
            block: k8s.IPBlock = {"cidr": cidr}
            if inside:
                block["except"] = inside
            blocks.append({"ipBlock": block})
        return blocks


class SelectsPods(Protocol):
    """A workload whose pods a peer can select: the library's, or a cdk8s-plus one's adapter."""

    @property
    def selector_labels(self) -> Mapping[str, str]: ...

    @property
    def namespace(self) -> str | None: ...


@frozen_props(kw_only=False)
class NetworkPeer:
    """One side of an allowed connection, as a NetworkPolicy peer (``from``/``to`` item).

    Build it with :meth:`pods` (a workload of the same namespace, by its selector labels),
    :meth:`namespace` (every pod of another namespace, optionally only some) or
    :meth:`cidrs` (addresses).
    """

    peers: tuple[Mapping[str, Any], ...]
    description: str

    @classmethod
    def pods(cls, selector_labels: Mapping[str, str], *, namespace: str | None = None,
             description: str = "") -> "NetworkPeer":
        """Pods by their labels: in the policy's namespace, or in ``namespace``.

        E.g. ``NetworkPeer.pods(backend.selector_labels)``; for a cdk8s-plus workload, the
        labels and namespace :func:`taskora_constructs.plus.peer_labels` reads from it.
        """
        peer: dict[str, Any] = {"podSelector": {"matchLabels": dict(selector_labels)}}
        if namespace is not None:
            peer = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}, **peer}
        return cls((peer,), description or ",".join(f"{k}={v}" for k, v in selector_labels.items()))

    @classmethod
    def workload(cls, workload: "SelectsPods", policy_namespace: str | None = None) -> "NetworkPeer":
        """The pods of one of the library's workloads (anything with ``selector_labels`` and
        ``namespace``), seen from a policy in ``policy_namespace``: a namespace selector is
        added only when the two namespaces differ."""
        across = workload.namespace is not None and workload.namespace != policy_namespace
        return cls.pods(workload.selector_labels, namespace=workload.namespace if across else None)

    @classmethod
    def namespace(cls, name: str, pod_labels: Mapping[str, str] | None = None) -> "NetworkPeer":
        """Pods of the namespace ``name`` (all of them, or those with ``pod_labels``)."""
        peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}
        if pod_labels:
            peer["podSelector"] = {"matchLabels": dict(pod_labels)}
        return cls((peer,), f"namespace {name}")

    @classmethod
    def cidrs(cls, blocks: Sequence[Mapping[str, Any]], description: str = "addresses") -> "NetworkPeer":
        """Addresses, as ``ipBlock`` peers (see :meth:`NetworkPolicyProps.https_blocks`)."""
        return cls(tuple(blocks), description)


@frozen_props(kw_only=False)
class Allow:
    """Traffic allowed to (ingress) or from (egress) a workload: peers and TCP ports."""

    peer: NetworkPeer
    ports: tuple[int, ...]

    def rule(self, direction: str) -> Any:
        """A ``NetworkPolicyIngressRule`` (``from``) or ``NetworkPolicyEgressRule`` (``to``)."""
        return {direction: [dict(p) for p in self.peer.peers],
                "ports": [{"protocol": "TCP", "port": port} for port in self.ports]}


class NamespaceNetworkPolicy(TaskoraResource):
    """``<name>``: no pod of ``namespace`` accepts connections unless another policy allows
    them, and no pod connects anywhere but to DNS unless another policy allows it.

    ``NamespaceNetworkPolicy(scope, id, props)`` or the fields of :class:`NetworkPolicyProps`
    as keywords (``dns_namespace=...``); only its ``dns_*`` fields matter here.
    """

    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    def __init__(self, scope: Construct, construct_id: str, props: NetworkPolicyProps | None = None, *,
                 name: str | None = None, namespace: str | None = None, app_name: str | None = None,
                 **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(NetworkPolicyProps, props, props_fields)
        name, namespace = self.name, self.namespace
        self._claim([("NetworkPolicy", name)])
        self.policy_name = name
        dns_peers: list[k8s.NetworkPolicyPeer] = [{
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: props.dns_namespace}},
            "podSelector": {"matchLabels": dict(props.dns_pod_labels)},
        }]
        dns_peers += [{"ipBlock": {"cidr": cidr}} for cidr in props.dns_cidrs]
        deny: k8s.NetworkPolicy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": object_metadata(name=name, namespace=namespace, labels={"app": app_name or name}),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [{"to": dns_peers, "ports": [{"protocol": "UDP", "port": DNS_PORT},
                                                       {"protocol": "TCP", "port": DNS_PORT}]}],
            },
        }
        self.policy = emit(self, MAIN_ID, deny)
        self._expose(self.policy)


@frozen_props
class WorkloadNetworkPolicyProps:
    """What a :class:`WorkloadNetworkPolicy` selects and allows.

    Attributes:
        selector_labels: the pods it applies to (a workload's ``selector_labels``).
        ingress: who may connect to them (default nobody).
        egress: where they may connect (default nowhere but DNS).
    """

    selector_labels: Mapping[str, str]
    ingress: Sequence[Allow] = ()
    egress: Sequence[Allow] = ()
    #: The directions it restricts: both by default; ``("Ingress",)`` leaves the pods' egress
    #: to other policies (what ``connections.allow_from`` writes).
    policy_types: tuple[str, ...] = ("Ingress", "Egress")


class WorkloadNetworkPolicy(TaskoraResource):
    """``<name>``: what one workload's pods (``selector_labels``) may accept and open.

    ``WorkloadNetworkPolicy(scope, id, props)`` or the fields of
    :class:`WorkloadNetworkPolicyProps` as keywords. Both directions are restricted
    (policyTypes Ingress and Egress): with no ``ingress`` the pods accept nothing, with no
    ``egress`` they reach nothing but DNS (which :class:`NamespaceNetworkPolicy` allows).
    """

    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    def __init__(self, scope: Construct, construct_id: str, props: WorkloadNetworkPolicyProps | None = None, *,
                 name: str | None = None, namespace: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(WorkloadNetworkPolicyProps, props, props_fields)
        name, namespace = self.name, self.namespace
        selector_labels, ingress, egress = props.selector_labels, tuple(props.ingress), tuple(props.egress)
        problems = rules.check_labels(tree.path_of(self), "selectorLabels", dict(selector_labels))
        if not props.policy_types or not set(props.policy_types) <= {"Ingress", "Egress"}:
            problems.append(Problem(where=tree.path_of(self), field="policyTypes", value=props.policy_types,
                                    rule="must be Ingress, Egress or both", fix="write ('Ingress', 'Egress')"))
        self._check(problems)
        self._claim([("NetworkPolicy", name)])
        self.policy_name = name
        self.ingress = ingress
        self.egress = egress
        spec: k8s.NetworkPolicySpec = {"podSelector": {"matchLabels": dict(selector_labels)},
                                       "policyTypes": list(props.policy_types)}
        if ingress:
            spec["ingress"] = [allow.rule("from") for allow in ingress]
        if egress:
            spec["egress"] = [allow.rule("to") for allow in egress]
        #: The NetworkPolicy's ``cdk8s.ApiObject`` (the escape hatch); also ``api_object``.
        policy: k8s.NetworkPolicy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": object_metadata(name=name, namespace=namespace, labels=dict(selector_labels)),
            "spec": spec,
        }
        self.policy = emit(self, MAIN_ID, policy)
        self._expose(self.policy)
        # The rendered spec itself: rules added later go into it (the object renders at synth),
        # so a policy whose rules arrive one edge at a time writes what one built whole writes.
        self._spec = spec

    def allow_from(self, allow: Allow) -> None:
        """Also accept ``allow``'s peers on its ports (e.g. a client workload added later)."""
        self.ingress = self._add("ingress", "from", self.ingress, allow)

    def allow_to(self, allow: Allow) -> None:
        """Also let the pods open connections to ``allow``'s peers on its ports."""
        self.egress = self._add("egress", "to", self.egress, allow)

    def _add(self, field: str, direction: str, existing: tuple[Allow, ...], allow: Allow) -> tuple[Allow, ...]:
        if not isinstance(allow, Allow):
            raise TypeError(f"{tree.path_of(self)}: expected an Allow, got {type(allow).__name__}")
        rule = allow.rule(direction)
        if field == "egress":
            self._spec.setdefault("egress", []).append(rule)
        else:
            self._spec.setdefault("ingress", []).append(rule)
            if "egress" in self._spec:  # the order a policy built whole has: ingress, then egress
                self._spec["egress"] = self._spec.pop("egress")
        changed(self.policy)
        return existing + (allow,)
