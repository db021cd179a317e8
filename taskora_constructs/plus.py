"""Interop with cdk8s-plus-28: Taskora's workloads as cdk8s-plus pod selectors, and back.

This module imports ``cdk8s_plus_28`` (about half a second per process), so the library
never imports it: only an app that mixes Taskora's constructs with cdk8s-plus imports it,
after ``pip install taskora-constructs[plus]``::

    import cdk8s_plus_28 as kplus
    from taskora_constructs import plus

    # a cdk8s-plus Deployment may open connections to Taskora's PostgreSQL pods
    shop.connections.allow_to(plus.pod_selector(db), ports=[kplus.NetworkPolicyPort.tcp(db.port)])

    # and Taskora's own NetworkPolicies can admit the cdk8s-plus Deployment's pods
    labels, namespace = plus.peer_labels(shop)

cdk8s-plus represents whatever selects pods by two jsii interfaces: ``IPodSelector``
(``to_pod_selector_config``) and ``INetworkPolicyPeer`` (``to_network_policy_peer_config``,
``to_pod_selector``). Both extend ``IConstruct``, so an implementation must be a construct:
:func:`pod_selector` places its adapter in the construct tree under the workload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import cdk8s
import cdk8s_plus_28 as kplus
import jsii
from constructs import Construct

__all__ = ["SelectableWorkload", "is_peer", "peer_labels", "peer_ports", "pod_selector"]

#: The id of the adapter that :func:`pod_selector` adds under a workload construct.
ADAPTER_ID = "CdkPlusPodSelector"


class SelectableWorkload(Protocol):
    """What :func:`pod_selector` needs of a workload: how its pods are selected, and where.

    :class:`~taskora_constructs.PostgresDatabase`, :class:`~taskora_constructs.TaskoraBackend`,
    :class:`~taskora_constructs.TaskoraFrontend` and :class:`~taskora_constructs.WebWorkload` have both.
    """

    @property
    def selector_labels(self) -> Mapping[str, str]: ...

    @property
    def namespace(self) -> str | None: ...


# Both interfaces must be declared: jsii exposes to JavaScript only the methods of the declared
# ones (without INetworkPolicyPeer, allow_to fails with "peer.toNetworkPolicyPeerConfig is not
# a function"), and a Construct is needed for IConstruct's `node` (cdk8s-plus reads node.addr).
@jsii.implements(kplus.IPodSelector, kplus.INetworkPolicyPeer)
class _WorkloadPods(Construct):
    """The pods of one Taskora workload, as cdk8s-plus sees a pod selector and a network peer.

    The selection is fixed when the adapter is made: ``labels`` in ``namespace`` (``None``:
    the namespace of whichever cdk8s-plus pod the selector is used with, as for ``kplus.Pods``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, labels: Mapping[str, str],
                 namespace: str | None) -> None:
        super().__init__(scope, construct_id)
        #: The selected pods' labels and namespace, as given.
        self.labels = dict(labels)
        self.namespace = namespace

    def to_pod_selector_config(self) -> kplus.PodSelectorConfig:
        """``IPodSelector``: the pods' labels, and their namespace by name (when known).

        cdk8s-plus needs namespaces by name, not by label, to write the peer's own policy.
        """
        namespaces = None if self.namespace is None else kplus.NamespaceSelectorConfig(names=[self.namespace])
        return kplus.PodSelectorConfig(label_selector=kplus.LabelSelector.of(labels=dict(self.labels)),
                                       namespaces=namespaces)

    def to_network_policy_peer_config(self) -> kplus.NetworkPolicyPeerConfig:
        """``INetworkPolicyPeer``: the same pods as a NetworkPolicy peer (never an ipBlock)."""
        return kplus.NetworkPolicyPeerConfig(pod_selector=self.to_pod_selector_config())

    def to_pod_selector(self) -> kplus.IPodSelector | None:
        """``INetworkPolicyPeer``: itself, so cdk8s-plus also writes the peer side's policy."""
        return self


def pod_selector(workload: SelectableWorkload, *, scope: Construct | None = None) -> kplus.IPodSelector:
    """The pods of ``workload`` as a cdk8s-plus pod selector and network-policy peer.

    The result implements both ``kplus.IPodSelector`` and ``kplus.INetworkPolicyPeer``: pass
    it to ``connections.allow_to``/``allow_from`` of a cdk8s-plus workload, to
    ``kplus.NetworkPolicy(selector=...)`` or its ``add_ingress_rule``/``add_egress_rule``.
    It selects the pods by ``workload.selector_labels`` in ``workload.namespace``, e.g.
    ``app: taskora-db`` in ``taskora`` for a default :class:`~taskora_constructs.PostgresDatabase`;
    the labels are read now, so change them before calling this.

    cdk8s-plus requires a construct, so the adapter is a child of ``workload`` (one per
    workload: a second call returns the first adapter). For a workload that is not a
    construct, give ``scope``: the adapter is then a child of ``scope``.

    Raises:
        ValueError: the workload has no selector labels (it would select every pod).
        TypeError: the workload is not a construct and no ``scope`` is given.
    """
    labels = dict(workload.selector_labels)
    namespace = workload.namespace
    parent = scope if scope is not None else workload
    if not isinstance(parent, Construct):
        raise TypeError(f"{type(workload).__name__} is not a construct: pass scope=<a construct of your chart> "
                        "so the cdk8s-plus pod selector has a place in the construct tree")
    if not labels:
        raise ValueError(f"{_describe(workload)} has no selector_labels: a pod selector without labels "
                         "would select every pod of its namespace")
    # One adapter per selection and parent: the same pods give the same construct (and policy ids).
    construct_id = ADAPTER_ID if scope is None else _selection_id(labels, namespace)
    existing = parent.node.try_find_child(construct_id)
    if isinstance(existing, _WorkloadPods) and (existing.labels, existing.namespace) == (labels, namespace):
        return existing
    if existing is not None:
        raise ValueError(f"{parent.node.path} already has a child {construct_id!r} that selects other pods "
                         "(were the workload's selector_labels changed?)")
    return _WorkloadPods(parent, construct_id, labels=labels, namespace=namespace)


def peer_labels(workload: kplus.AbstractPod | kplus.Service) -> tuple[dict[str, str], str | None]:
    """The labels that select the pods of a cdk8s-plus workload (or behind a Service), and its namespace.

    For a ``Deployment``, ``StatefulSet``, ``DaemonSet``, ``Job`` (any ``kplus.Workload``)
    the labels are its selector, ``workload.match_labels``: by default cdk8s-plus's own
    ``cdk8s.io/metadata.addr`` label; with ``select=False`` the labels given to
    ``workload.select(...)``. For a ``kplus.Pod`` it is the ``cdk8s.io/metadata.addr`` label
    cdk8s-plus puts on every pod it makes, and so for a ``Job`` or ``CronJob`` (which select
    nothing themselves). For a ``kplus.Service`` they are its selector (the
    pods it sends traffic to, e.g. those of ``deployment.expose_via_service()``). The
    namespace is ``workload.metadata.namespace`` (the chart's, unless set on the workload);
    ``None`` when neither sets one.

    Use them to admit the workload in Taskora's NetworkPolicies, e.g.
    ``NetworkPeer.pods(labels)`` in the same namespace or ``NetworkPeer.namespace(ns, labels)``.

    Raises:
        ValueError: the workload has no label to select its pods by (``select=False`` and no
            ``select(...)``; a Service without a selector), or selects them by expressions,
            which labels cannot express.
    """
    path = workload.node.path
    namespace = workload.metadata.namespace
    if isinstance(workload, kplus.Service):
        labels = dict(_service_spec(workload).get("selector") or {})
        if not labels:
            raise ValueError(f"cdk8s-plus service {path} selects no pods (no selector): give it one with "
                             "service.select(workload) or service.select_label(key, value)")
        return labels, namespace
    if isinstance(workload, (kplus.Job, kplus.CronJob)) and not workload.match_labels:
        # A Job has no selector of its own (Kubernetes generates one): its pods are selected by
        # the address label cdk8s-plus puts on every pod template, as cdk8s-plus's own
        # toPodSelectorConfig does.
        address = workload.pod_metadata.get_label(kplus.Pod.ADDRESS_LABEL)
        if address:
            return {kplus.Pod.ADDRESS_LABEL: address}, namespace
    if isinstance(workload, kplus.Workload):
        if workload.match_expressions:
            raise ValueError(f"cdk8s-plus workload {path} selects its pods by expressions, which match labels "
                             "cannot express: select them by labels, "
                             "e.g. workload.select(kplus.LabelSelector.of(labels={'app': '<name>'}))")
        labels = dict(workload.match_labels)
        if not labels:
            raise ValueError(f"cdk8s-plus workload {path} has no labels to select its pods by (select=False): "
                             "drop select=False, or add pod labels with pod_metadata=ApiObjectMetadata(labels=...) "
                             "and select by them with workload.select(kplus.LabelSelector.of(labels={...}))")
        return labels, namespace
    address = workload.pod_metadata.get_label(kplus.Pod.ADDRESS_LABEL)
    if not address:
        raise ValueError(f"cdk8s-plus pod {path} has no {kplus.Pod.ADDRESS_LABEL} label to select it by")
    return {kplus.Pod.ADDRESS_LABEL: address}, namespace


def is_peer(peer: object) -> bool:
    """Whether ``peer`` is a cdk8s-plus object whose pods :func:`peer_labels` can name."""
    return isinstance(peer, (kplus.AbstractPod, kplus.Service))


def peer_ports(peer: kplus.AbstractPod | kplus.Service) -> tuple[int, ...]:
    """The TCP ports a connection to ``peer``'s pods opens, as cdk8s-plus's ``allowTo`` derives them.

    A workload's or pod's: its containers' ports (``port_number`` and ``ports``); a Service's:
    the pods' side of its ports (``targetPort``, else ``port``). Named target ports are left
    out (a NetworkPolicy here admits port numbers): empty when nothing numeric is known.
    """
    found: list[int] = []
    if isinstance(peer, kplus.Service):
        for port in _service_spec(peer).get("ports") or ():
            number = port.get("targetPort", port.get("port"))
            if isinstance(number, int) and not isinstance(number, bool) and number not in found:
                found.append(number)
        return tuple(found)
    for container in peer.containers:
        for container_port in container.ports:
            number = int(container_port.number)  # jsii numbers are typed int | float
            if container_port.protocol in (None, kplus.Protocol.TCP) and number not in found:
                found.append(number)
    return tuple(found)


def _service_spec(service: kplus.Service) -> dict:
    """The Service's spec as cdk8s-plus renders it (its selector and ports are not public)."""
    return dict(cdk8s.ApiObject.of(service).to_json().get("spec") or {})


def _describe(workload: object) -> str:
    return workload.node.path if isinstance(workload, Construct) else type(workload).__name__


def _selection_id(labels: Mapping[str, str], namespace: str | None) -> str:
    """A construct id naming the selection, e.g. ``CdkPlusPodSelector-data-app=taskora-db``."""
    selection = ",".join(f"{key}={value}" for key, value in sorted(labels.items())).replace("/", "_")
    return f"{ADAPTER_ID}-{namespace or '(same namespace)'}-{selection}"
