"""The second picture of docs/deployment.md: who may reach whom under the NetworkPolicies.

Its own module because it draws ``_netgraph.Graph`` (the computed paths) rather than the
objects; the page (``scripts/diagram.py``) names its nodes in the table with ``peer_name``.
"""

from __future__ import annotations

from collections import defaultdict

from _netgraph import Graph, Outside, Pods, describe_ports, describe_selector  # scripts/ is sys.path[0], as for diagram.py
from _picture import Picture, group_of, node_id


def dns_peers(graph: Graph) -> set[str]:
    """The outside peers reached on port 53 only: the cluster DNS."""
    ports_to: dict[str, set] = defaultdict(set)
    for path in graph.paths.values():
        for end in (path.source, path.destination):
            if isinstance(end, Outside):
                ports_to[end.label] |= set(path.ports or {("any", "any")})
    return {label for label, ports in ports_to.items() if {port for _, port in ports} == {53}}


def peer_name(node: Pods | Outside, dns: frozenset[str] | set[str] = frozenset()) -> str:
    if isinstance(node, Pods):
        return f"{node.kind} {node.name}"
    return f"DNS: {node.label}" if node.label in dns else node.label


def network_picture(graph: Graph) -> Picture:
    picture = Picture()
    dns = dns_peers(graph)
    outside_ids: dict[str, str] = {}

    def node(peer: Pods | Outside) -> str:
        if isinstance(peer, Pods):
            return picture.node(group_of(peer.namespace), node_id("pods", peer.name, peer.namespace),
                                f"{peer.kind} {peer.name}\npods {describe_selector({'matchLabels': peer.label_dict})}")
        ident = outside_ids.setdefault(peer.label, f"peer{len(outside_ids) + 1}")
        return picture.node("", ident, peer_name(peer, dns), outside=True)

    for pods in graph.pods:
        node(pods)
    for path in graph.sorted_paths():
        picture.edge(node(path.source), node(path.destination), describe_ports(path.ports))
    return picture

