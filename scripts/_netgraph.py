"""Who may reach whom under a set of NetworkPolicies, computed from the synthesized objects
(the second picture of ``docs/deployment.md``, written by ``scripts/diagram.py``).

Kubernetes semantics (taskora_constructs/network/evaluate.py), for the pods of each workload: a pod selected by a policy with
``Ingress`` in its ``policyTypes`` accepts only what some selecting policy's ingress rule
allows (likewise ``Egress``); a pod no policy isolates accepts, or sends, anything. A path
between two workloads of the files is allowed on the ports both the source's egress and the
destination's ingress allow. A peer outside the files (another namespace, DNS, an IP block)
is shown with what this side allows; that side's own policies are not in the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The library's NetworkPolicy reading, shared with its lint and the tests: one set of rules.
from taskora_constructs.network.evaluate import isolating, selects

Json = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
#: Objects whose pods an operator runs, with the labels it puts on them (CloudNativePG: the
#: instances of a Cluster, the PgBouncer pods of a Pooler; taskora_constructs/database/cloudnative_pg.py).
#: Each yields (name suffix, labels) per group of pods that policies may tell apart.
def _cluster_pods(o: Json) -> list[tuple[str, dict[str, str]]]:
    labels = {"cnpg.io/cluster": o["metadata"]["name"], "cnpg.io/podRole": "instance"}
    roles = ["primary"] + (["replica"] if o.get("spec", {}).get("instances", 1) > 1 else [])
    return [(f" ({role})", {**labels, "cnpg.io/instanceRole": role}) for role in roles]


OPERATOR_PODS = {
    "Cluster": _cluster_pods,
    "Pooler": lambda o: [("", {"cnpg.io/poolerName": o["metadata"]["name"], "cnpg.io/podRole": "pooler"})],
}
#: Ports, as ``("TCP", 5432)`` / ``("TCP", "http")`` / ``("TCP", "8000-8080")``; None: every port.
Ports = frozenset[tuple[str, int | str]] | None


def pod_template(workload: Json) -> Json:
    spec = workload.get("spec", {})
    if workload["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {})


def describe_selector(selector: Json | None) -> str:
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return "all pods"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    parts += [f"{e['key']} {e['operator']} {','.join(e.get('values') or [])}".strip()
              for e in selector.get("matchExpressions") or []]
    return ", ".join(parts)


@dataclass(frozen=True)
class Pods:
    """The pods of one workload of the files."""

    kind: str
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    named_ports: tuple[tuple[str, int], ...] = ()

    @property
    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"


@dataclass(frozen=True)
class Outside:
    """A peer that is not a workload of the files: pods of another namespace, an IP block, or
    pods of the namespace that no workload of the files runs."""

    label: str


@dataclass
class Path:
    """An allowed path: ``source`` may open connections to ``destination`` on ``ports``."""

    source: Pods | Outside
    destination: Pods | Outside
    ports: Ports
    policies: set[str] = field(default_factory=set)


def _ports(rule: Json) -> Ports:
    if not rule.get("ports"):
        return None
    found = set()
    for port in rule["ports"]:
        number = port.get("port", "all ports")
        if port.get("endPort") is not None:
            number = f"{number}-{port['endPort']}"
        found.add((port.get("protocol", "TCP"), number))
    return frozenset(found)


def _resolve(ports: Ports, pods: Pods) -> Ports:
    """Named ports as the destination's container port numbers."""
    if ports is None:
        return None
    named = dict(pods.named_ports)
    return frozenset((protocol, named.get(port, port) if isinstance(port, str) else port) for protocol, port in ports)


def _intersect(a: Ports, b: Ports) -> Ports:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _union(a: Ports, b: Ports) -> Ports:
    return None if a is None or b is None else a | b


def describe_ports(ports: Ports) -> str:
    if ports is None:
        return "any port"
    return ", ".join(f"{protocol} {port}" for protocol, port in sorted(ports, key=lambda p: (str(p[1]), p[0])))


def _ip_block(block: Json) -> str:
    text = block["cidr"]
    if block.get("except"):
        text += f" except {', '.join(block['except'])}"
    return text


class Graph:
    """The allowed paths between the workloads of ``objects`` and their outside peers."""

    def __init__(self, objects: list[Json]):
        self.namespace_labels = {o["metadata"]["name"]: {**(o["metadata"].get("labels") or {}),
                                                        "kubernetes.io/metadata.name": o["metadata"]["name"]}
                                 for o in objects if o["kind"] == "Namespace"}
        self.pods = [self._pods(o) for o in objects if o["kind"] in WORKLOAD_KINDS]
        self.pods += [Pods(o["kind"], o["metadata"]["name"] + suffix, o["metadata"].get("namespace", "default"),
                           tuple(sorted(labels.items())))
                      for o in objects if o["kind"] in OPERATOR_PODS for suffix, labels in OPERATOR_PODS[o["kind"]](o)]
        self.policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
        self.paths: dict[tuple[str, str], Path] = {}
        self._compute()

    @staticmethod
    def _pods(workload: Json) -> Pods:
        template = pod_template(workload)
        labels = tuple(sorted((template.get("metadata", {}).get("labels") or {}).items()))
        named = tuple(sorted({(p["name"], p["containerPort"]) for c in template.get("spec", {}).get("containers", [])
                              for p in c.get("ports", []) if p.get("name")}))
        return Pods(workload["kind"], workload["metadata"]["name"], workload["metadata"].get("namespace", "default"),
                    labels, named)

    def _peers(self, peer: Json, namespace: str) -> list[Pods | Outside]:
        """The workloads (or the outside) one ``from``/``to`` entry of a policy in ``namespace`` names."""
        if "ipBlock" in peer:
            block = _ip_block(peer["ipBlock"])
            internet = peer["ipBlock"]["cidr"] in ("0.0.0.0/0", "::/0")
            return [Outside(f"{'internet: ' if internet else 'IP block '}{block}")]
        pod_selector = peer.get("podSelector", {})
        if "namespaceSelector" not in peer:
            matched: list[Pods | Outside] = [p for p in self.pods if p.namespace == namespace
                                             and selects(pod_selector, p.label_dict)]
            return matched or [Outside(f"{describe_selector(pod_selector)} in namespace {namespace} "
                                       "(no workload of these files)")]
        selector = peer["namespaceSelector"]
        namespaces = [n for n, labels in self.namespace_labels.items() if selects(selector, labels)]
        matched = [p for p in self.pods if p.namespace in namespaces and selects(pod_selector, p.label_dict)]
        description, only = self._namespace_description(selector)
        if only is None or only not in self.namespace_labels:  # namespaces beyond these files
            matched.append(Outside(f"{describe_selector(pod_selector)} in {description}"))
        return matched

    def _namespace_description(self, selector: Json) -> tuple[str, str | None]:
        """How a namespaceSelector reads, and the one namespace it names (or None)."""
        labels = selector.get("matchLabels") or {}
        if set(labels) == {"kubernetes.io/metadata.name"} and not selector.get("matchExpressions"):
            return f"namespace {labels['kubernetes.io/metadata.name']}", labels["kubernetes.io/metadata.name"]
        if not labels and not selector.get("matchExpressions"):
            return "every namespace", None
        return f"namespaces {describe_selector(selector)}", None

    def _rules(self, pods: Pods, direction: str) -> list[tuple[str, Json]] | None:
        """(policy name, rule) of every rule that applies to ``pods`` in ``direction``, or None
        when no policy isolates them in that direction."""
        policies = isolating(self.policies, pods.namespace, pods.label_dict, direction)
        if not policies:
            return None
        key = "ingress" if direction == "Ingress" else "egress"
        return [(p["metadata"]["name"], rule) for p in policies for rule in p.get("spec", {}).get(key) or []]

    def _add(self, source: Pods | Outside, destination: Pods | Outside, ports: Ports, policies: set[str]) -> None:
        key = (self._id(source), self._id(destination))
        if key in self.paths:
            path = self.paths[key]
            path.ports = _union(path.ports, ports)
            path.policies |= policies
        else:
            self.paths[key] = Path(source, destination, ports, set(policies))

    @staticmethod
    def _id(node: Pods | Outside) -> str:
        return node.key if isinstance(node, Pods) else f"outside/{node.label}"

    def _compute(self) -> None:
        anywhere = Outside("anywhere")
        allowed_in: dict[str, list[tuple[Pods | Outside, Ports, str]]] = {}
        allowed_out: dict[str, list[tuple[Pods | Outside, Ports, str]]] = {}
        for pods in self.pods:
            for direction, table, peer_key in (("Ingress", allowed_in, "from"), ("Egress", allowed_out, "to")):
                rules = self._rules(pods, direction)
                if rules is None:
                    table[pods.key] = [(anywhere, None, "")]
                    continue
                entries = table.setdefault(pods.key, [])
                for policy, rule in rules:
                    peers = [peer for entry in rule.get(peer_key) or [{}]
                             for peer in (self._peers(entry, pods.namespace) if entry else [anywhere])]
                    entries.extend((peer, _ports(rule), policy) for peer in peers)
        for source in self.pods:
            for destination in self.pods:
                if source == destination:
                    continue
                ins = [(p, pol) for peer, p, pol in allowed_in[destination.key] if peer in (source, anywhere)]
                outs = [(p, pol) for peer, p, pol in allowed_out[source.key] if peer in (destination, anywhere)]
                if ins and outs:
                    port_in = _resolve(_union_all(p for p, _ in ins), destination)
                    port_out = _resolve(_union_all(p for p, _ in outs), destination)
                    ports = _intersect(port_in, port_out)
                    if ports is None or ports:
                        self._add(source, destination, ports, {pol for _, pol in ins + outs if pol})
        for pods in self.pods:
            for peer, ports, policy in allowed_in[pods.key]:
                if isinstance(peer, Outside):
                    self._add(peer, pods, _resolve(ports, pods), {policy} - {""})
            for peer, ports, policy in allowed_out[pods.key]:
                if isinstance(peer, Outside):
                    self._add(pods, peer, ports, {policy} - {""})

    def sorted_paths(self) -> list[Path]:
        order = {p.key: i for i, p in enumerate(self.pods)}

        def rank(node: Pods | Outside) -> tuple[int, str]:
            return (order[node.key], "") if isinstance(node, Pods) else (len(order), node.label)
        return sorted(self.paths.values(), key=lambda p: (rank(p.source), rank(p.destination)))


def _union_all(ports_list: Any) -> Ports:
    result: Ports = frozenset()
    for ports in ports_list:
        result = _union(result, ports)
    return result
