"""May pod A reach pod B on port P? NetworkPolicy semantics, once, over plain manifests.

Shared by the lint (``taskora_constructs/lint/``), the traffic picture (``scripts/_netgraph.py``)
and the tests, so that all three read a policy by the same rules (Kubernetes'):

* a label selector selects by ``matchLabels`` and ``matchExpressions`` (``In``, ``NotIn``,
  ``Exists``, ``DoesNotExist``); an empty selector selects every pod, a missing one none;
* a policy isolates the pods its ``podSelector`` selects in its namespace, in the directions of
  its ``policyTypes`` (missing: ``Ingress``, plus ``Egress`` when it has egress rules); a pod no
  policy isolates in a direction is open in that direction;
* a peer is an ``ipBlock`` (addresses outside the cluster's pods: ``cidr`` minus ``except``),
  or pods: ``podSelector`` alone in the policy's namespace, with ``namespaceSelector`` in the
  namespaces it selects (by their labels, ``kubernetes.io/metadata.name`` always among them);
* a rule without peers admits every peer, without ports every port; a port entry admits its
  protocol (default TCP) and its number, its ``endPort`` range, or a named port of the pods
  the traffic goes to (none: every port of the protocol);
* traffic flows when the source's egress and the destination's ingress both admit it.

Nothing here imports cdk8s: the objects are the synthesized JSON.
"""

from __future__ import annotations

import ipaddress
from dataclasses import field
from typing import Any, Iterable, Mapping

from ..core.frozen import frozen_props

Json = Mapping[str, Any]

#: The label every namespace carries with its own name.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def selects(selector: Json | None, labels: Mapping[str, str]) -> bool:
    """Whether the label selector ``selector`` selects ``labels`` (empty: all; ``None``: none)."""
    if selector is None:
        return False
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if (operator == "In" and (not present or labels[key] not in values)) \
                or (operator == "NotIn" and present and labels[key] in values) \
                or (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
    return True


@frozen_props(kw_only=False)
class Endpoint:
    """One side of a connection: pods (``namespace`` and ``labels``), or an address outside the
    cluster's pods (``namespace`` None, ``ip`` set)."""

    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    #: Named container ports of the pods (``{"http": 8080}``), for a policy's port by name.
    named_ports: Mapping[str, int] = field(default_factory=dict)
    #: The labels of the pods' namespace beyond its name label.
    namespace_labels: Mapping[str, str] = field(default_factory=dict)


def policy_types(policy: Json) -> list[str]:
    """The directions ``policy`` isolates (its ``policyTypes``, or their Kubernetes default)."""
    spec = policy.get("spec") or {}
    return list(spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else [])))


def isolating(policies: Iterable[Json], namespace: str | None, labels: Mapping[str, str],
              direction: str) -> list[Json]:
    """The policies that select pods ``labels`` of ``namespace`` in ``direction`` (``Ingress``/``Egress``)."""
    return [p for p in policies if (p.get("metadata") or {}).get("namespace", "default") == (namespace or "default")
            and direction in policy_types(p) and selects((p.get("spec") or {}).get("podSelector", {}), labels)]


def namespace_labels(endpoint: Endpoint) -> dict[str, str]:
    """The labels of ``endpoint``'s namespace, its name label among them."""
    return {**endpoint.namespace_labels, NAMESPACE_NAME_LABEL: endpoint.namespace or ""}


def peer_admits(peer: Json, policy_namespace: str, endpoint: Endpoint) -> bool:
    """Whether one ``from``/``to`` entry of a policy in ``policy_namespace`` names ``endpoint``."""
    if "ipBlock" in peer:
        if endpoint.ip is None:
            return False  # pod-to-pod traffic is matched by selectors
        address, block = ipaddress.ip_address(endpoint.ip), peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        return (address.version == network.version and address in network
                and not any(address in ipaddress.ip_network(e) for e in block.get("except") or []
                            if ipaddress.ip_network(e).version == address.version))
    if endpoint.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], namespace_labels(endpoint)):
            return False
    elif endpoint.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector", {}), endpoint.labels)


def port_admits(rule: Json, port: int, protocol: str, receiver: Endpoint) -> bool:
    """Whether ``rule``'s ports admit ``protocol``/``port`` on the pods ``receiver``."""
    entries = rule.get("ports")
    if not entries:
        return True
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        number = entry.get("port")
        if isinstance(number, str):
            number = receiver.named_ports.get(number)
            if number is None:
                continue
        if number is None or number == port or (entry.get("endPort") is not None and number <= port <= entry["endPort"]):
            return True
    return False


def _admitted(policies: list[Json], direction: str, peer: Endpoint, receiver: Endpoint, port: int,
              protocol: str) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in policies:
        namespace = (policy.get("metadata") or {}).get("namespace", "default")
        for rule in (policy.get("spec") or {}).get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(peer_admits(p, namespace, peer) for p in peers)) \
                    and port_admits(rule, port, protocol, receiver):
                return True
    return False


def may_reach(policies: Iterable[Json], source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP") -> bool:
    """Whether ``source`` may open ``protocol``/``port`` on ``target`` under ``policies``: the
    source's egress and the target's ingress must both admit it (an outside side has neither)."""
    policies = [p for p in policies if p.get("kind", "NetworkPolicy") == "NetworkPolicy"]
    if source.namespace is not None:
        selecting = isolating(policies, source.namespace, source.labels, "Egress")
        if selecting and not _admitted(selecting, "Egress", target, target, port, protocol):
            return False
    if target.namespace is not None:
        selecting = isolating(policies, target.namespace, target.labels, "Ingress")
        if selecting and not _admitted(selecting, "Ingress", source, target, port, protocol):
            return False
    return True
