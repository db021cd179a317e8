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

An owner can instead collect its edges into one policy of its own (:meth:`Connections.collect`):
then every edge into or out of it lands in that policy, which restricts both directions. The
Taskora composite states its paths that way (one policy per workload, as the data model
documents them), and so do CloudNativePG's instances, primary and pooler (:class:`PodGroup`).

A peer is a workload or database of the library, a :class:`PodGroup`, a cdk8s-plus workload (``kplus.Deployment``,
``StatefulSet``, ``Pod``, ...) or ``kplus.Service`` (its pods by :func:`taskora_constructs.plus.peer_labels`,
imported only then; ``allow_to`` it without ports: :func:`~taskora_constructs.plus.peer_ports`), or a :class:`NetworkPeer` (a namespace, addresses: ingress only, nothing to
write on the other side).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core.errors import Problem, raise_if_any
from ..core.scope import name_from_id
from .policy import Allow, NetworkPeer, WorkloadNetworkPolicy

#: Ids of the policies under their owner construct.
INGRESS_ID = "connections-ingress"
EGRESS_ID = "connections-egress"


#: The owner's attribute holding the policies its edges are collected into, by direction.
_COLLECTED = "_connections_collected"
DIRECTIONS = ("Ingress", "Egress")


@frozen_props(kw_only=False)
class _Pods:
    """Pods by labels in a namespace, and whose connections they are (where their policies go)."""

    selector_labels: Mapping[str, str]
    namespace: str | None
    owner: Any
    name: str


def _pods_of(peer: Any, where: str) -> _Pods | NetworkPeer:
    """What ``peer`` selects: a library construct's pods, a cdk8s-plus workload's, or the peer."""
    if isinstance(peer, NetworkPeer):
        return peer
    if isinstance(peer, PodGroup) or (hasattr(peer, "selector_labels") and hasattr(peer, "namespace")
                                      and isinstance(peer, Construct)):
        workload: Any = peer  # a library workload or database (SelectsPods), or a PodGroup
        return _Pods(dict(workload.selector_labels), workload.namespace, peer,
                     getattr(workload, "name", None) or workload.node.id)
    if _is_plus(peer):
        from ..plus import is_peer, peer_labels  # imports cdk8s-plus, which only its users have

        if is_peer(peer):
            try:
                labels, namespace = peer_labels(peer)
            except ValueError as error:  # nothing to select its pods by: say so at the edge
                raise_if_any([Problem(where=where, field="peer", value=type(peer).__name__, rule=str(error),
                                      fix="or pass NetworkPeer.pods(labels, namespace=...)")])
            return _Pods(labels, namespace, peer, name_from_id(peer.node.id))
    raise_if_any([Problem(where=where, field="peer", value=type(peer).__name__,
                          rule="must be a workload or database of the library, a PodGroup, a cdk8s-plus workload, "
                               "pod or Service, or a NetworkPeer",
                          fix="pass the construct itself, or NetworkPeer.pods(labels, namespace=...)")])
    raise AssertionError  # unreachable: raise_if_any raised


def _is_plus(peer: Any) -> bool:
    """Whether ``peer`` comes from cdk8s-plus (told without importing it)."""
    return type(peer).__module__.startswith("cdk8s_plus")


def _policy(owner: Any, direction: str, name: str, namespace: str | None,
            labels: Mapping[str, str]) -> WorkloadNetworkPolicy:
    """The policy ``owner``'s edges of ``direction`` land in: the one they are collected into,
    else its own one-direction policy ``<name>-ingress``/``-egress`` (created on first use)."""
    collected = getattr(owner, _COLLECTED, {}).get(direction)
    if collected is not None:
        return collected
    construct_id = INGRESS_ID if direction == "Ingress" else EGRESS_ID
    found = owner.node.try_find_child(construct_id)
    if isinstance(found, WorkloadNetworkPolicy):
        return found
    return WorkloadNetworkPolicy(owner, construct_id, name=f"{name}-{direction.lower()}", namespace=namespace,
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

    def _where(self) -> str:
        """Where a problem with an edge is named: the owner's path (a PodGroup's: its policy's)."""
        owner = self._owner
        return tree.path_of(owner.policy if isinstance(owner, PodGroup) else owner)

    def collect(self, scope: Construct, construct_id: str, *, name: str,
                selector_labels: Mapping[str, str] | None = None) -> WorkloadNetworkPolicy:
        """From now on, every edge into or out of this construct lands in one policy ``name``
        under ``scope`` (restricting both directions, on ``selector_labels``: default the
        owner's pods), instead of its own ``-ingress``/``-egress`` policies. Returns it."""
        owner = self._owner
        policy = WorkloadNetworkPolicy(scope, construct_id, name=name, namespace=owner.namespace,
                                       selector_labels=dict(selector_labels or owner.selector_labels))
        self.collect_into(policy)
        return policy

    def collect_into(self, policy: WorkloadNetworkPolicy, directions: Sequence[str] = DIRECTIONS) -> None:
        """Land this construct's edges of ``directions`` in ``policy``, which already exists (a
        database whose clients reach its pooler: their edges in the pooler's policy)."""
        owner = self._owner
        setattr(owner, _COLLECTED, {**getattr(owner, _COLLECTED, {}), **{d: policy for d in directions}})

    def allow_from(self, peer: Any, *, ports: Sequence[int] | None = None) -> None:
        """Let ``peer`` connect to this construct's pods on ``ports`` (default: its port)."""
        owner = self._owner
        labels, port = self._target()
        allowed = tuple(ports) if ports else (port,)
        source = _pods_of(peer, self._where())
        ingress = _policy(owner, "Ingress", owner.name, owner.namespace, labels)
        if isinstance(source, NetworkPeer):
            ingress.allow_from(Allow(source, allowed))
            return
        ingress.allow_from(Allow(NetworkPeer.workload(source, owner.namespace), allowed))
        egress = _policy(source.owner, "Egress", source.name, source.namespace, source.selector_labels)
        target = _Pods(labels, owner.namespace, None, owner.name)
        egress.allow_to(Allow(NetworkPeer.workload(target, source.namespace), allowed))

    def allow_to(self, peer: Any, *, ports: Sequence[int] | None = None) -> None:
        """Let this construct's pods connect to ``peer`` (``peer.connections.allow_from(self)``
        for a library construct; for another peer, an egress rule on ``ports``: default a cdk8s-plus
        peer's own ports, required otherwise)."""
        target = peer.connections if hasattr(peer, "connections") else None
        if isinstance(target, Connections):
            target.allow_from(self._owner, ports=ports)
            return
        owner = self._owner
        destination = _pods_of(peer, self._where())
        if not ports and _is_plus(peer):
            from ..plus import peer_ports

            ports = peer_ports(peer)  # as cdk8s-plus's allowTo: the Service's or the containers' ports
        if not ports:
            raise_if_any([Problem(where=self._where(), field="ports", value=ports,
                                  rule="must be given for a peer whose ports are unknown (not a library construct, "
                                       "no numeric container or Service port)",
                                  fix="pass ports=(<its port>,)")])
        egress = _policy(owner, "Egress", owner.name, owner.namespace, owner.selector_labels)
        peer_value = destination if isinstance(destination, NetworkPeer) else NetworkPeer.workload(
            destination, owner.namespace)
        egress.allow_to(Allow(peer_value, tuple(ports or ())))


class HasConnections:
    """Mixed into the workloads and databases: their ``connections``."""

    @property
    def connections(self) -> Connections:
        """Allow traffic from and to this construct's pods (see :class:`Connections`)."""
        return Connections(self)


class PodGroup(HasConnections):
    """Pods that are no construct of their own, with the one policy their edges land in: a
    backup CronJob's, cert-manager's HTTP-01 solver's, CloudNativePG's primary or pooler.

    ``port`` is where clients reach them (``allow_from``'s default); ``policy`` may select
    more pods than ``selector_labels`` (CloudNativePG's primary: its Cluster's policy).
    """

    def __init__(self, policy: WorkloadNetworkPolicy, *, name: str, selector_labels: Mapping[str, str],
                 port: int | None = None) -> None:
        self.name = name
        self.namespace = policy.namespace
        self.selector_labels = dict(selector_labels)
        self.port = port
        #: The policy every edge of these pods lands in.
        self.policy = policy
        self.connections.collect_into(policy)

    @classmethod
    def with_policy(cls, scope: Construct, construct_id: str, *, name: str, namespace: str | None,
                    selector_labels: Mapping[str, str], port: int | None = None) -> "PodGroup":
        """Pods with a new policy ``name`` of their own under ``scope`` (both directions restricted)."""
        policy = WorkloadNetworkPolicy(scope, construct_id, name=name, namespace=namespace,
                                       selector_labels=dict(selector_labels))
        return cls(policy, name=name, selector_labels=selector_labels, port=port)
