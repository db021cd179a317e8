"""One picture of docs/deployment.md, as Mermaid (for the page) and as Graphviz DOT (for its SVG).

Its own module so both pictures (``_objects_picture.py``, ``_network_picture.py``) build the
same kind of graph and write it out the same two ways, from one place (``scripts/diagram.py``).
"""

from __future__ import annotations

import re
from collections import defaultdict

#: The font dot measures the labels with and the SVG names: Debian's fonts-dejavu-core.
FONT = "DejaVu Sans"


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



def group_of(namespace: str) -> str:
    """The subgraph a node of ``namespace`` is drawn in."""
    return f"namespace {namespace}" if namespace else "cluster"
