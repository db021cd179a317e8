#!/usr/bin/env python3
"""Write docs/deployment.md: Mermaid pictures of the synthesized objects (``make diagram``).

Usage: python scripts/diagram.py [DIR] [--output FILE] [--check]

Reads every object of the manifests in DIR (default ``dist``, as ``make synth`` wrote it, so
any values file gets its own picture) and draws, grouped by namespace: the objects and the
references between them (env, envFrom and volumes to ConfigMaps and Secrets, Services to the
pods they select, Ingresses and HTTPRoutes to Services, StatefulSets to their claims,
workloads to ServiceAccounts, disruption budgets and autoscalers to their workloads); and the
NetworkPolicy graph (who may reach whom, on which port; DNS; egress to the internet), with
tables that name the same in text. Each picture is also an SVG beside FILE
(``deployment-objects.svg``, ``deployment-network.svg``), laid out and drawn by Graphviz ``dot``
(Debian's graphviz) from the same picture: every label is an SVG ``<text>`` element (no HTML in a
``foreignObject``), so browsers and other renderers (rsvg-convert, Inkscape, image viewers) show
the same text in the same boxes; its font is DejaVu Sans, the one dot measures the text with.
An SVG starts with the SHA-256 of the DOT source it was drawn from and dot's version, so it is
drawn again only when its picture changed. With --check, write nothing and exit 1 if FILE or an
SVG is stale.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script
from _netgraph import WORKLOAD_KINDS, Graph, Outside, Pods, describe_ports, describe_selector, pod_template
from taskora_constructs.network.evaluate import selects

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "deployment.md"
Json = dict[str, Any]
#: Drawn in the second picture, not the first.
NETWORK_KINDS = ("NetworkPolicy",)
SVG_STAMP = "<!-- drawn by make diagram (Graphviz dot) from the DOT source with sha256 {} -->\n"
#: The font dot measures the labels with and the SVG names: Debian's fonts-dejavu-core.
FONT = "DejaVu Sans"


def load(directory: Path) -> list[Json]:
    """Every object of the manifests in ``directory``, in file (apply) order."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [o for path in files for o in yaml.safe_load_all(path.read_text()) if isinstance(o, dict)]


def text(value: str) -> str:
    """``value`` safe inside a quoted Mermaid label."""
    return (value.replace("&", "#amp;").replace('"', "#quot;").replace("|", "#124;")
            .replace("<", "#lt;").replace(">", "#gt;").replace("\n", "<br/>"))


def node_id(kind: str, name: str, namespace: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{kind}_{namespace}_{name}".lower())


class Picture:
    """One Mermaid flowchart: nodes grouped in subgraphs, labelled edges, in insertion order."""

    def __init__(self) -> None:
        self.groups: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
        self.known: set[str] = set()
        self.edges: list[tuple[str, str, str, bool]] = []

    def node(self, group: str, ident: str, label: str, *, outside: bool = False) -> str:
        if ident not in self.known:
            self.known.add(ident)
            self.groups[group].append((ident, label, outside))
        return ident

    def edge(self, source: str, target: str, label: str, *, dashed: bool = False) -> None:
        edge = (source, target, label, dashed)
        if edge not in self.edges:
            self.edges.append(edge)

    def mermaid(self) -> list[str]:
        lines = ["```mermaid", "flowchart LR",
                 "  classDef outside stroke-dasharray: 4 3"]
        for group, nodes in self.groups.items():
            indent = "  "
            if group:
                lines.append(f'  subgraph {node_id("group", group)}["{text(group)}"]')
                indent = "    "
            for ident, label, outside in nodes:
                lines.append(f'{indent}{ident}["{text(label)}"]' + (":::outside" if outside else ""))
            if group:
                lines.append("  end")
        for source, target, label, dashed in self.edges:
            arrow = "-.->" if dashed else "-->"
            lines.append(f'  {source} {arrow}|"{text(label)}"| {target}' if label else f"  {source} {arrow} {target}")
        lines.append("```")
        return lines

    def dot(self) -> str:
        """The same picture as Graphviz DOT: subgraphs as clusters, outside nodes dashed."""
        font = f'fontname="{FONT}", fontsize=11'
        lines = ["digraph deployment {", f'  graph [rankdir=LR, {font}, nodesep=0.25, ranksep=0.6, pad=0.2];',
                 f'  node [shape=box, style=rounded, {font}, margin="0.12,0.06"];',
                 f'  edge [{font.replace("11", "9")}, color="#555555", fontcolor="#333333"];']
        for group, nodes in self.groups.items():
            indent = "  "
            if group:
                lines.append(f'  subgraph cluster_{node_id("group", group)} {{')
                lines.append(f'    label={_dot_text(group)}; style="rounded"; color="#888888"; labeljust=l;')
                indent = "    "
            for ident, label, outside in nodes:
                lines.append(f'{indent}{ident} [label={_dot_text(label)}' + (', style="rounded,dashed"]' if outside else "]"))
            if group:
                lines.append("  }")
        for source, target, label, dashed in self.edges:
            attributes = [f"label={_dot_text(label)}"] if label else []
            if dashed:
                attributes.append("style=dashed")
            lines.append(f"  {source} -> {target}" + (f" [{', '.join(attributes)}]" if attributes else "") + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _dot_text(value: str) -> str:
    """``value`` as a quoted DOT string, one line per line of the label."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# --- the objects and their references -------------------------------------------------------

def _namespace(o: Json) -> str:
    return o["metadata"].get("namespace", "")


def _group(namespace: str) -> str:
    return f"namespace {namespace}" if namespace else "cluster"


def autoscaled(objects: list[Json]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(namespace, kind, name) of each workload an autoscaler scales -> its (min, max) replicas."""
    return {(_namespace(o), o["spec"]["scaleTargetRef"].get("kind", ""), o["spec"]["scaleTargetRef"].get("name", "")):
            (o["spec"].get("minReplicas", 1), o["spec"].get("maxReplicas", 1))
            for o in objects if o["kind"] == "HorizontalPodAutoscaler" and o.get("spec", {}).get("scaleTargetRef")}


def _replicas(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]]) -> str:
    """What runs: the autoscaler's range where one scales the workload (it owns the count then)."""
    scale = scaled.get((_namespace(o), o["kind"], o["metadata"]["name"]))
    if scale is not None:
        return f"{scale[0]}-{scale[1]} replicas (autoscaled)"
    return f"{o.get('spec', {}).get('replicas', 1)} replica(s)"


def _summary(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]] | None = None) -> str:
    """The facts of ``o`` a reader needs, one per line; images in full (a digest included)."""
    kind, spec = o["kind"], o.get("spec", {})
    if kind in ("Deployment", "StatefulSet"):
        images = [c["image"] for c in pod_template(o).get("spec", {}).get("containers", [])]
        return "\n".join([_replicas(o, scaled or {}), *images])
    if kind == "Cluster":  # CloudNativePG: the operator runs the instances and their Services
        name = o["metadata"]["name"]
        return "\n".join([f"{spec.get('instances', 1)} PostgreSQL instance(s), {spec.get('storage', {}).get('size', '?')}",
                          spec.get("imageName", ""),
                          f"the operator's Services {name}-rw, {name}-ro, {name}-r"])
    if kind == "Pooler":
        return (f"{spec.get('instances', 1)} PgBouncer instance(s), {spec.get('type', 'rw')}, "
                f"pool mode {spec.get('pgbouncer', {}).get('poolMode', 'session')}")
    if kind == "ScheduledBackup":
        return f"schedule {spec.get('schedule')}, {spec.get('method', 'barmanObjectStore')}"
    if kind == "ObjectStore":  # the Barman Cloud plugin's
        return (f"{spec.get('configuration', {}).get('destinationPath', '?')}, "
                f"retention {spec.get('retentionPolicy', 'none')}")
    if kind == "ExternalSecret":
        store = spec.get("secretStoreRef", {})
        return f"from {store.get('kind', 'SecretStore')} {store.get('name', '?')}, every {spec.get('refreshInterval', '1h')}"
    if kind == "CronJob":
        return f"schedule {spec.get('schedule')}"
    if kind == "Service":
        ports = ", ".join(f"{p['port']}" + (f"→{p['targetPort']}" if p.get("targetPort", p["port"]) != p["port"] else "")
                          for p in spec.get("ports", []))
        return ("headless, " if spec.get("clusterIP") == "None" else "") + f"port {ports}"
    if kind in ("ConfigMap", "Secret"):
        keys = len({*(o.get("data") or {}), *(o.get("stringData") or {})})
        return f"{keys} key(s)"
    if kind == "Ingress":
        return f"class {spec.get('ingressClassName', 'default')}"
    if kind == "PodDisruptionBudget":
        return " ".join(f"{k} {spec[k]}" for k in ("minAvailable", "maxUnavailable") if k in spec)
    if kind == "HorizontalPodAutoscaler":
        return f"{spec.get('minReplicas', 1)}-{spec.get('maxReplicas')} replicas"
    if kind == "NetworkPolicy":
        types = spec.get("policyTypes") or ["Ingress"]
        return f"{describe_selector(spec.get('podSelector'))}: {' and '.join(types)} allow-list"
    return ""


def _label(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]] | None = None) -> str:
    summary = _summary(o, scaled)
    return f"{o['kind']} {o['metadata']['name']}" + (f"\n{summary}" if summary else "")


def _pod_references(spec: Json) -> list[tuple[str, str, str]]:
    """(kind, name, how) of every ConfigMap, Secret and claim a pod spec reads."""
    found = []
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for env in container.get("env", []):
            source = env.get("valueFrom", {})
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if key in source:
                    found.append((kind, source[key]["name"], "env"))
        for env_from in container.get("envFrom", []):
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if key in env_from:
                    found.append((kind, env_from[key]["name"], "envFrom"))
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            found.append(("Secret", volume["secret"]["secretName"], "volume"))
        if "configMap" in volume:
            found.append(("ConfigMap", volume["configMap"]["name"], "volume"))
        if "persistentVolumeClaim" in volume:
            found.append(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"], "volume"))
        for source in volume.get("projected", {}).get("sources", []):
            for key, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
                if key in source:
                    found.append((kind, source[key]["name"], "volume"))
    return found


def objects_picture(objects: list[Json]) -> Picture:
    picture = Picture()
    by_name = {(o["kind"], _namespace(o), o["metadata"]["name"]): o for o in objects}
    claims: dict[tuple[str, str], str] = {}  # (namespace, claim name) -> node of its template
    scaled = autoscaled(objects)

    def ref(kind: str, namespace: str, name: str) -> str:
        if (kind, namespace, name) in by_name or (kind == "PersistentVolumeClaim" and (namespace, name) in claims):
            return claims.get((namespace, name)) or node_id(kind, name, namespace)
        return picture.node(_group(namespace), node_id(kind, name, namespace),
                            f"{kind} {name}\n(not in these files)", outside=True)

    for o in objects:
        if o["kind"] in NETWORK_KINDS or o["kind"] == "Namespace":
            continue
        namespace = _namespace(o)
        picture.node(_group(namespace), node_id(o["kind"], o["metadata"]["name"], namespace), _label(o, scaled))
        if o["kind"] == "StatefulSet":
            replicas = o.get("spec", {}).get("replicas", 1)
            for template in o["spec"].get("volumeClaimTemplates", []):
                template_name = template["metadata"]["name"]
                names = [f"{template_name}-{o['metadata']['name']}-{i}" for i in range(replicas)]
                storage = template.get("spec", {}).get("resources", {}).get("requests", {}).get("storage", "")
                ident = picture.node(_group(namespace), node_id("pvc", names[0], namespace),
                                     f"PersistentVolumeClaim {', '.join(names)}\n{storage}, from volumeClaimTemplate")
                claims.update({(namespace, n): ident for n in names})
        if o["kind"] == "Cluster":  # CloudNativePG writes the app's credentials itself
            secret = f"{o['metadata']['name']}-app"
            picture.node(_group(namespace), node_id("Secret", secret, namespace),
                         f"Secret {secret}\n(written by the CloudNativePG operator)", outside=True)
    for o in objects:
        kind, name, namespace, spec = o["kind"], o["metadata"]["name"], _namespace(o), o.get("spec", {})
        me = node_id(kind, name, namespace)
        if kind in WORKLOAD_KINDS:
            pod = pod_template(o).get("spec", {})
            hows: dict[str, list[str]] = defaultdict(list)
            for target_kind, target, how in _pod_references(pod):
                target_id = ref(target_kind, namespace, target)
                if how not in hows[target_id]:
                    hows[target_id].append(how)
            for target_id, how_list in hows.items():
                picture.edge(me, target_id, ", ".join(how_list))
            if pod.get("serviceAccountName"):
                picture.edge(me, ref("ServiceAccount", namespace, pod["serviceAccountName"]), "runs as")
            if kind == "StatefulSet":
                for template in spec.get("volumeClaimTemplates", []):
                    claim = f"{template['metadata']['name']}-{name}-0"
                    picture.edge(me, claims[(namespace, claim)], f"claims ({template['metadata']['name']})")
        elif kind == "Service" and spec.get("selector"):
            ports = ", ".join(str(p.get("targetPort", p["port"])) for p in spec.get("ports", []))
            for w in objects:
                if w["kind"] in WORKLOAD_KINDS and _namespace(w) == namespace and w["kind"] != "CronJob" \
                        and selects({"matchLabels": spec["selector"]}, pod_template(w).get("metadata", {}).get("labels") or {}):
                    picture.edge(me, node_id(w["kind"], w["metadata"]["name"], namespace), f"selects, to port {ports}")
        elif kind == "Ingress":
            for host, path, service, port in _ingress_routes(o):
                picture.edge(me, ref("Service", namespace, service), f"{host}{path} → {port}")
        elif kind == "HTTPRoute":
            for host, path, service, port in _http_routes(o):
                picture.edge(me, ref("Service", namespace, service), f"{host}{path} → {port}")
        elif kind in ("PodDisruptionBudget",):
            for w in objects:
                if w["kind"] in ("Deployment", "StatefulSet") and _namespace(w) == namespace \
                        and _selects(spec.get("selector"), pod_template(w)):
                    picture.edge(me, node_id(w["kind"], w["metadata"]["name"], namespace), "guards", dashed=True)
        elif kind == "HorizontalPodAutoscaler":
            target = spec.get("scaleTargetRef", {})
            picture.edge(me, ref(target.get("kind", "?"), namespace, target.get("name", "?")), "scales", dashed=True)
        elif kind == "Cluster":
            picture.edge(me, node_id("Secret", f"{name}-app", namespace), "writes (uri, username, password)")
            for plugin in spec.get("plugins", []):
                store = plugin.get("parameters", {}).get("barmanObjectName")
                if store:
                    picture.edge(me, ref("ObjectStore", namespace, store), "archives WAL and backups (plugin)")
        elif kind == "ObjectStore":
            credentials = spec.get("configuration", {}).get("s3Credentials", {})
            for secret in sorted({ref_["name"] for ref_ in credentials.values() if isinstance(ref_, dict) and "name" in ref_}):
                picture.edge(me, ref("Secret", namespace, secret), "backup credentials")
        elif kind == "ExternalSecret":
            picture.edge(me, ref("Secret", namespace, spec.get("target", {}).get("name", name)), "writes", dashed=True)
        elif kind in ("ScheduledBackup", "Pooler"):
            cluster = spec.get("cluster", {}).get("name", "?")
            picture.edge(me, ref("Cluster", namespace, cluster),
                         "backs up" if kind == "ScheduledBackup" else f"pools connections to ({spec.get('type', 'rw')})",
                         dashed=kind == "ScheduledBackup")
    return picture


def _selects(selector: Json | None, template: Json) -> bool:
    return selects(selector, template.get("metadata", {}).get("labels") or {})


def _ingress_routes(o: Json) -> list[tuple[str, str, str, str]]:
    routes = []
    default = o.get("spec", {}).get("defaultBackend", {}).get("service")
    if default:
        routes.append(("*", " (default)", default["name"], _port(default.get("port", {}))))
    for rule in o.get("spec", {}).get("rules", []):
        for path in rule.get("http", {}).get("paths", []):
            service = path.get("backend", {}).get("service")
            if service:
                routes.append((rule.get("host", "*"), path.get("path", "/"), service["name"], _port(service.get("port", {}))))
    return routes


def _http_routes(o: Json) -> list[tuple[str, str, str, str]]:
    routes = []
    hosts = ", ".join(o.get("spec", {}).get("hostnames", [])) or "*"
    for rule in o.get("spec", {}).get("rules", []):
        paths = ", ".join(m.get("path", {}).get("value", "/") for m in rule.get("matches", [])) or "/"
        for backend in rule.get("backendRefs", []):
            if backend.get("kind", "Service") == "Service":
                routes.append((hosts, paths, backend["name"], str(backend.get("port", ""))))
    return routes


def _port(port: Json) -> str:
    return str(port.get("number", port.get("name", "")))


# --- the NetworkPolicy graph ------------------------------------------------------------------

def dns_peers(graph: Graph) -> set[str]:
    """The outside peers reached on port 53 only: the cluster DNS."""
    ports_to: dict[str, set] = defaultdict(set)
    for path in graph.paths.values():
        for end in (path.source, path.destination):
            if isinstance(end, Outside):
                ports_to[end.label] |= set(path.ports or {("any", "any")})
    return {label for label, ports in ports_to.items() if {port for _, port in ports} == {53}}


def _name(node: Pods | Outside, dns: frozenset[str] | set[str] = frozenset()) -> str:
    if isinstance(node, Pods):
        return f"{node.kind} {node.name}"
    return f"DNS: {node.label}" if node.label in dns else node.label


def network_picture(graph: Graph) -> Picture:
    picture = Picture()
    dns = dns_peers(graph)
    outside_ids: dict[str, str] = {}

    def node(peer: Pods | Outside) -> str:
        if isinstance(peer, Pods):
            return picture.node(_group(peer.namespace), node_id("pods", peer.name, peer.namespace),
                                f"{peer.kind} {peer.name}\npods {describe_selector({'matchLabels': peer.label_dict})}")
        ident = outside_ids.setdefault(peer.label, f"peer{len(outside_ids) + 1}")
        return picture.node("", ident, _name(peer, dns), outside=True)

    for pods in graph.pods:
        node(pods)
    for path in graph.sorted_paths():
        picture.edge(node(path.source), node(path.destination), describe_ports(path.ports))
    return picture


def dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        raise SystemExit("diagram: Graphviz dot is not installed: run make deps-debian (apt-get install graphviz)")
    return found


def svg(source: str) -> str:
    """The SVG dot draws from the DOT ``source``, stamped with the hash of the source."""
    result = subprocess.run([dot_binary(), "-Tsvg"], input=source, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"diagram: dot failed: {result.stderr.strip()}")
    # dot's own comments name its version and the graph: the stamp says where it came from
    body = re.sub(r"<!--.*?-->\n?", "", result.stdout.split("<svg", 1)[1], flags=re.S)
    return SVG_STAMP.format(hashlib.sha256(source.encode()).hexdigest()) + "<svg" + body


def svg_is_current(path: Path, source: str) -> bool:
    stamp = SVG_STAMP.format(hashlib.sha256(source.encode()).hexdigest())
    return path.exists() and path.read_text().startswith(stamp)


# --- the page -------------------------------------------------------------------------------

def render(objects: list[Json], source: str, svg_stem: str) -> tuple[str, dict[str, str]]:
    """The page, and the DOT source of each picture by the name of its SVG file."""
    graph = Graph(objects)
    dns = dns_peers(graph)
    namespaces = sorted({_namespace(o) for o in objects if _namespace(o)})
    drawn = {f"{svg_stem}-objects.svg": objects_picture(objects)}
    if graph.policies:
        drawn[f"{svg_stem}-network.svg"] = network_picture(graph)
    pictures = {name: picture.mermaid() for name, picture in drawn.items()}
    scaled = autoscaled(objects)
    objects_svg, network_svg = f"{svg_stem}-objects.svg", f"{svg_stem}-network.svg"
    lines = [
        "# The deployment, drawn from the synthesized objects",
        "",
        f"<!-- Generated by `make diagram` (scripts/diagram.py) from {source}: do not edit. -->",
        "",
        f"Generated by `make diagram` from the objects in `{source}` ({len(objects)} objects in namespace(s) "
        f"{', '.join(namespaces) or '-'}): `TASKORA_VALUES=my-values.yaml make diagram` draws the deployment "
        "of your values instead. The committed page is the default synth's; the tests regenerate it and "
        "compare. GitHub renders the Mermaid blocks; each is also an SVG of the same graph, drawn by "
        "Graphviz with its labels as SVG text, so any SVG viewer shows them.",
        "",
        "## Objects and references",
        "",
        "Arrows: a workload reads a ConfigMap or Secret (`env`, `envFrom`, `volume`), runs as a "
        "ServiceAccount, claims storage; a Service selects the pods of a workload; an Ingress or "
        "HTTPRoute routes a host and path to a Service port; dashed: a disruption budget guards, an "
        "autoscaler scales. A dashed box is referenced but not in these files. NetworkPolicies are "
        f"the second picture. As SVG: [{objects_svg}]({objects_svg}).",
        "",
        *pictures[objects_svg],
        "",
        "| kind | name | namespace | what |",
        "|------|------|-----------|------|",
        *[f"| {o['kind']} | `{o['metadata']['name']}` | {_namespace(o) or '-'} | {_summary(o, scaled).replace('|', '/').replace(chr(10), ', ') or '-'} |"
          for o in objects],
        "",
        "## Who may reach whom (NetworkPolicies)",
        "",
    ]
    if not graph.policies:
        lines += ["No NetworkPolicy in these files: every pod may reach every pod, and the internet.", ""]
    else:
        lines += [
            "Computed from the NetworkPolicies as Kubernetes applies them: a path between two workloads "
            "is drawn when the source's egress and the destination's ingress both allow it, on the ports "
            "both allow. A dashed peer is outside these files (another namespace, DNS, an IP block): "
            "the arrow is what these policies allow; that side's own policies are not here. Anything "
            "not drawn is denied, once the cluster's network plugin enforces NetworkPolicies (see "
            f"[minikube.md](minikube.md)). As SVG: [{network_svg}]({network_svg}).",
            "",
            *pictures[network_svg],
            "",
            "| from | to | ports | allowed by |",
            "|------|----|-------|------------|",
            *[f"| {_name(p.source, dns)} | {_name(p.destination, dns)} | {describe_ports(p.ports)} | "
              f"{', '.join(sorted(p.policies)) or 'no policy isolates these pods'} |" for p in graph.sorted_paths()],
            "",
        ]
    return "\n".join(lines), {name: picture.dot() for name, picture in drawn.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=Path("dist"), help="manifests (default: dist)")
    parser.add_argument("--output", type=Path, default=TARGET, help="page to write (default: docs/deployment.md)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the page or an SVG is stale")
    args = parser.parse_args(argv)
    objects = load(args.directory)
    if not objects:
        print(f"diagram: no manifests in {args.directory}/ (run make synth first)", file=sys.stderr)
        return 2
    page, sources = render(objects, f"{args.directory.name}/", args.output.stem)
    status = write_or_check(args.output, page, regenerate="make diagram", argv=["--check"] if args.check else [])
    for name, source in sources.items():
        path = args.output.with_name(name)
        if svg_is_current(path, source):
            continue
        if args.check:
            print(f"{name} is stale: run make diagram", file=sys.stderr)
            status = 1
        else:
            path.write_text(svg(source))
    if status == 0 and not args.check:
        print(f"Wrote {args.output} and {len(sources)} SVG(s) ({len(objects)} objects from {args.directory}/)")
    return status


if __name__ == "__main__":
    sys.exit(main())
