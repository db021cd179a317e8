"""``connections`` on every workload and database, as cdk8s-plus's ``PodConnections``.

``backend.connections.allow_from(frontend)`` states an edge; the policies follow from it:

* on the target (``backend``): one NetworkPolicy ``<name>-ingress`` selecting the pods clients
  really reach (a database's :attr:`client_endpoint`: the CloudNativePG pooler when there is
  one), admitting each peer on the target's port (the Service's target port);
* on the peer (``frontend``), when it is a workload: one NetworkPolicy ``<peer>-egress``
  letting its pods open those connections.

Each policy restricts only its own direction (``policyTypes: [Ingress]`` or ``[Egress]``), so
stating an edge never cuts a workload off elsewhere; under a default-deny policy
(:class:`NamespaceNetworkPolicy`) the two together let exactly that traffic through.

A peer is a workload or database of the library, a cdk8s-plus workload (``kplus.Deployment``,
``StatefulSet``, ``Pod``, ...: its pods by :func:`taskora_constructs.plus.peer_labels`, imported
only then), or a :class:`NetworkPeer` (a namespace, addresses: ingress only, nothing to
write on the other side).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from constructs import Construct

from ..core import tree
from ..core.errors import Problem, raise_if_any
from ..core.scope import name_from_id
from .policy import Allow, NetworkPeer, WorkloadNetworkPolicy

#: Ids of the policies under their owner construct.
INGRESS_ID = "connections-ingress"
EGRESS_ID = "connections-egress"


@dataclass(frozen=True)
class _Pods:
    """Pods by labels in a namespace, and the construct a policy about them goes under."""

    selector_labels: Mapping[str, str]
    namespace: str | None
    scope: Construct | None
    name: str


def _pods_of(peer: Any, where: str) -> _Pods | NetworkPeer:
    """What ``peer`` selects: a library construct's pods, a cdk8s-plus workload's, or the peer."""
    if isinstance(peer, NetworkPeer):
        return peer
    if hasattr(peer, "selector_labels") and hasattr(peer, "namespace") and isinstance(peer, Construct):
        workload: Any = peer  # a library workload or database (SelectsPods)
        return _Pods(dict(workload.selector_labels), workload.namespace, peer, getattr(peer, "name", peer.node.id))
    if type(peer).__module__.startswith("cdk8s_plus"):
        from ..plus import peer_labels  # imports cdk8s-plus, which only its users have

        labels, namespace = peer_labels(peer)
        return _Pods(labels, namespace, peer, name_from_id(peer.node.id))
    raise_if_any([Problem(where=where, field="peer", value=type(peer).__name__,
                          rule="must be a workload or database of the library, a cdk8s-plus workload or a NetworkPeer",
                          fix="pass the construct itself, or NetworkPeer.pods(labels, namespace=...)")])
    raise AssertionError  # unreachable: raise_if_any raised


def _policy(scope: Construct, construct_id: str, name: str, namespace: str | None, labels: Mapping[str, str],
            direction: str) -> WorkloadNetworkPolicy:
    """The one policy of ``direction`` under ``scope`` (created on first use)."""
    found = scope.node.try_find_child(construct_id)
    if isinstance(found, WorkloadNetworkPolicy):
        return found
    return WorkloadNetworkPolicy(scope, construct_id, name=name, namespace=namespace,
                                 selector_labels=dict(labels), policy_types=(direction,))


class Connections:
    """The connections of one workload or database (its ``connections`` attribute)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    def _target(self) -> tuple[Mapping[str, str], int]:
        """The pods clients reach and their port: a database's client endpoint, a workload's pods."""
        owner = self._owner
        endpoint = getattr(owner, "client_endpoint", None)
        if endpoint is not None:
            return endpoint.selector_labels, endpoint.port
        return owner.selector_labels, getattr(owner, "container_port", owner.port)

    def allow_from(self, peer: Any, *, ports: Sequence[int] | None = None) -> None:
        """Let ``peer`` connect to this construct's pods on ``ports`` (default: its port)."""
        owner = self._owner
        labels, port = self._target()
        allowed = tuple(ports) if ports else (port,)
        source = _pods_of(peer, tree.path_of(owner))
        ingress = _policy(owner, INGRESS_ID, f"{owner.name}-ingress", owner.namespace, labels, "Ingress")
        if isinstance(source, NetworkPeer):
            ingress.allow_from(Allow(source, allowed))
            return
        ingress.allow_from(Allow(NetworkPeer.workload(source, owner.namespace), allowed))
        if source.scope is not None:
            egress = _policy(source.scope, EGRESS_ID, f"{source.name}-egress", source.namespace,
                             source.selector_labels, "Egress")
            target = _Pods(labels, owner.namespace, None, owner.name)
            egress.allow_to(Allow(NetworkPeer.workload(target, source.namespace), allowed))

    def allow_to(self, peer: Any, *, ports: Sequence[int] | None = None) -> None:
        """Let this construct's pods connect to ``peer`` (``peer.connections.allow_from(self)``
        for a library construct; for another peer, an egress rule on ``ports``, required)."""
        target = peer.connections if hasattr(peer, "connections") else None
        if isinstance(target, Connections):
            target.allow_from(self._owner, ports=ports)
            return
        owner = self._owner
        destination = _pods_of(peer, tree.path_of(owner))
        if not ports:
            raise_if_any([Problem(where=tree.path_of(owner), field="ports", value=ports,
                                  rule="must be given for a peer that is not a library construct",
                                  fix="pass ports=(<its port>,)")])
        egress = _policy(owner, EGRESS_ID, f"{owner.name}-egress", owner.namespace, owner.selector_labels, "Egress")
        peer_value = destination if isinstance(destination, NetworkPeer) else NetworkPeer.workload(
            destination, owner.namespace)
        egress.allow_to(Allow(peer_value, tuple(ports or ())))


class HasConnections:
    """Mixed into the workloads and databases: their ``connections``."""

    @property
    def connections(self) -> Connections:
        """Allow traffic from and to this construct's pods (see :class:`Connections`)."""
        return Connections(self)
