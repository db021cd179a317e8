"""The pictures of docs/deployment.md (scripts/diagram.py) render the same in a browser and in
a non-browser renderer, with every label's text present and inside its box.

GIVEN each committed SVG WHEN it is rendered by headless Chromium (Debian's chromium: the text
extents its layout gives, getBBox) and by rsvg-convert (librsvg, no browser: the pixels it draws
for each label, told apart by colour) THEN every label is SVG text (no HTML in a foreignObject), each node's and
each namespace box's text lies inside its box in both, both renderers put each label's text in
the same place, and every edge label is drawn. The SVGs are what the generator draws from the
default synth (tests/scripts/test_diagram.py), so these are the pictures a reader sees.

Both renderers are Debian packages the set-up installs (`make deps-debian`); a test skips,
saying which, only where they are not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import written_profile

PICTURES = sorted((ROOT / "docs").glob("deployment-*.svg"))
SVG = "{http://www.w3.org/2000/svg}"
#: How far (SVG units, points) a glyph may reach past the box's outline: the stroke's width.
SLACK = 1.0
#: How far the two renderers may place the same text apart (points): anti-aliasing, hinting.
SAME = 2.5
#: Chromium's flags as this machine kind documents them: no sandbox as root, no network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: `make deps-debian` installs it (apt-get: graphviz librsvg2-bin "
                    "chromium fonts-dejavu-core), which needs root")
    return found


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _bbox(points: list[float]) -> tuple[float, float, float, float]:
    xs, ys = points[0::2], points[1::2]
    return min(xs), min(ys), max(xs), max(ys)


class Drawing:
    """One SVG dot drew: its boxes (nodes, namespaces) with their texts, and edge labels."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text()
        self.root = ET.fromstring(self.text[self.text.index("<svg"):])
        graph = self.root.find(f"{SVG}g")
        self.translate = _numbers(re.search(r"translate\(([^)]*)\)", graph.get("transform")).group(1))
        self.width, self.height = _numbers(self.root.get("viewBox"))[2:]
        self.boxes: dict[str, tuple[tuple[float, float, float, float], list[str]]] = {}
        self.edge_labels: dict[str, list[str]] = {}
        self.node_ids: dict[str, str] = {}  # the DOT name (the title) -> the SVG id
        #: Each edge: (source name, target name, where its line starts, where its arrow ends)
        self.edges: list[tuple[str, str, tuple[float, float], tuple[float, float]]] = []
        for group in graph.iter(f"{SVG}g"):
            kind, ident = group.get("class"), group.get("id")
            texts = ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]
            title = "".join(group.find(f"{SVG}title").itertext()) if group.find(f"{SVG}title") is not None else ""
            if kind in ("node", "cluster"):
                outline = next(e for e in group if e.tag in (f"{SVG}path", f"{SVG}polygon"))
                points = _numbers(outline.get("d") or outline.get("points"))
                self.boxes[ident] = (self._absolute(_bbox(points)), texts)
                self.node_ids[title] = ident
            elif kind == "edge":
                if texts:
                    self.edge_labels[ident] = texts
                line = _numbers(group.find(f"{SVG}path").get("d"))
                arrow = _numbers(group.find(f"{SVG}polygon").get("points"))
                source, target = title.split("->")
                tip = max(zip(arrow[0::2], arrow[1::2]), key=lambda p: (p[0] - line[-2]) ** 2 + (p[1] - line[-1]) ** 2)
                self.edges.append((source, target, self._point(line[0], line[1]), self._point(*tip)))

    def _absolute(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        tx, ty = self.translate
        return box[0] + tx, box[1] + ty, box[2] + tx, box[3] + ty

    def _point(self, x: float, y: float) -> tuple[float, float]:
        return x + self.translate[0], y + self.translate[1]


def inside(inner: tuple[float, ...], outer: tuple[float, ...], slack: float = SLACK) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


@pytest.fixture(scope="module")
def production_pictures(tmp_path_factory) -> list[Path]:
    """The production profile drawn (CloudNativePG with a pooler: the widest picture)."""
    tool("dot")
    sys.path.insert(0, str(ROOT / "scripts"))
    import diagram
    page = tmp_path_factory.mktemp("production-picture") / "production.md"
    assert diagram.main([str(written_profile("production")), "--output", str(page)]) == 0
    return sorted(page.parent.glob("*.svg"))


@pytest.fixture(scope="module", params=[*[p.name for p in PICTURES], "production-objects.svg",
                                        "production-network.svg"])
def drawing(request) -> Drawing:
    if request.param.startswith("production"):
        return Drawing(next(p for p in request.getfixturevalue("production_pictures") if p.name == request.param))
    return Drawing(ROOT / "docs" / request.param)


def test_every_label_is_svg_text(drawing):
    assert "foreignObject" not in drawing.text and "<div" not in drawing.text and "<span" not in drawing.text
    assert drawing.boxes and all(texts for _, texts in drawing.boxes.values())
    fonts = set(re.findall(r'font-family="([^"]+)"', drawing.text))
    assert fonts == {"DejaVu Sans"}  # the font dot measured the labels with, installed by the set-up


def test_the_labels_are_the_pictures_texts(drawing):
    # every object of the page's table is named in the objects picture, in full (no truncation)
    page = (ROOT / "docs" / "deployment.md").read_text()
    drawn = {line for _, texts in drawing.boxes.values() for line in texts}
    if drawing.path.name == "deployment-objects.svg":
        for kind, name in re.findall(r"^\| (\w+) \| `([^`]+)` \|", page, flags=re.M):
            if kind not in ("NetworkPolicy", "Namespace"):
                assert f"{kind} {name}" in drawn, (kind, name)
        for image in re.findall(r"^\| (?:Deployment|StatefulSet) \| `[^`]+` \| \S+ \| [^,|]+, ([^|]+) \|$", page, flags=re.M):
            assert {i.strip() for i in image.split(",")} <= drawn, image  # every image, in full


def test_every_edge_starts_at_its_source_and_ends_at_its_target(drawing):
    # (the IPv6 egress edge once seemed to start at the IPv4 box)
    for source, target, start, end in drawing.edges:
        source_box, target_box = drawing.boxes[drawing.node_ids[source]][0], drawing.boxes[drawing.node_ids[target]][0]
        assert inside((*start, *start), source_box, 2.0), (source, target, start, source_box)
        assert inside((*end, *end), target_box, 2.0), (source, target, end, target_box)
        others = [ident for name, ident in drawing.node_ids.items() if name not in (source, target)
                  and ident.startswith("node")  # a namespace box holds its nodes' edges
                  and inside((*start, *start), drawing.boxes[ident][0], -1.0)]
        assert not others, f"{source}->{target} starts inside {others}"


#: Each picture's rsvg inks, rendered once: both renderer tests of a picture read them.
_INKS: dict[Path, dict[str, tuple[float, float, float, float] | None]] = {}


def rsvg_inks(drawing: Drawing, tmp_path: Path) -> dict[str, tuple[float, float, float, float] | None]:
    """Where rsvg-convert draws each box's and edge's text: the bounding box of its ink, in SVG
    units (None: nothing drawn). One render: every other element hidden, each element's text in
    a colour of its own on a transparent canvas, so a pixel's colour says whose glyph it is
    (colours 20 apart, so anti-aliasing's rounding cannot turn one into another) and its alpha
    how much of it. Rendered once per picture (a copy each call)."""
    if drawing.path not in _INKS:
        _INKS[drawing.path] = _rsvg_inks(drawing, tmp_path)
    return dict(_INKS[drawing.path])


def _rsvg_inks(drawing: Drawing, tmp_path: Path) -> dict[str, tuple[float, float, float, float] | None]:
    from PIL import Image, ImageChops
    idents = [*drawing.boxes, *drawing.edge_labels]
    assert len(idents) < 144
    colour = {ident: (16 + 20 * (n % 12), 16 + 20 * (n // 12)) for n, ident in enumerate(idents)}
    style = "svg * { visibility: hidden } " + " ".join(
        f"#{ident} text {{ visibility: visible; fill: rgb({r}, {g}, 0) !important; stroke: none }}"
        for ident, (r, g) in colour.items())
    start = drawing.text.index(">", drawing.text.index("<svg")) + 1
    source = tmp_path / f"{drawing.path.stem}-texts.svg"
    source.write_text(drawing.text[:start] + f"<style>{style}</style>" + drawing.text[start:])
    png = tmp_path / f"{drawing.path.stem}-texts.png"
    subprocess.run([tool("rsvg-convert"), "--zoom", "2", "-o", str(png), str(source)], check=True, timeout=120)
    image = Image.open(png).convert("RGBA")
    red, green = image.getchannel("R"), image.getchannel("G")
    alpha = image.getchannel("A").point(lambda a: 255 if a >= 64 else 0)
    scale = drawing.width / image.width
    # each red's and each green's mask once (the green's with the alpha), not once per element
    reds = {r: red.point(lambda v, r=r: 255 if abs(v - r) <= 6 else 0) for r, _ in colour.values()}
    greens = {g: ImageChops.multiply(green.point(lambda v, g=g: 255 if abs(v - g) <= 6 else 0), alpha)
              for _, g in colour.values()}
    found = {}
    for ident, (r, g) in colour.items():
        box = ImageChops.multiply(reds[r], greens[g]).getbbox()
        found[ident] = None if box is None else tuple(v * scale for v in box)
    return found


@pytest.mark.e2e
def test_rsvg_draws_each_label_inside_its_box(drawing, tmp_path):
    inks = rsvg_inks(drawing, tmp_path)
    for ident, (box, texts) in drawing.boxes.items():
        ink = inks[ident]
        assert ink is not None, f"{ident} {texts}: rsvg-convert drew no text"
        assert inside(ink, box), f"{ident} {texts}: text at {ink} outside its box {box}"
    for ident, texts in drawing.edge_labels.items():
        ink = inks[ident]
        assert ink is not None and inside(ink, (0, 0, drawing.width, drawing.height)), (ident, texts)


CHROMIUM_PROBE = """<!doctype html><html><body style="margin:0">{svgs}<pre id="extents"></pre><script>
const box = e => {{ const b = e.getBBox(), m = e.getCTM();
  return [b.x * m.a + m.e, b.y * m.d + m.f, (b.x + b.width) * m.a + m.e, (b.y + b.height) * m.d + m.f]; }};
const pictures = [];
for (const svg of document.querySelectorAll("body > div > svg")) {{
  const out = {{}};
  for (const g of svg.querySelectorAll("g.node, g.cluster, g.edge")) {{
    const texts = [...g.querySelectorAll("text")];
    if (!texts.length) continue;
    const outline = g.querySelector("path, polygon");
    const ink = texts.map(box);
    out[g.id] = {{outline: g.classList.contains("edge") ? null : box(outline),
                 text: [Math.min(...ink.map(b => b[0])), Math.min(...ink.map(b => b[1])),
                        Math.max(...ink.map(b => b[2])), Math.max(...ink.map(b => b[3]))],
                 chars: texts.map(t => t.getComputedTextLength())}};
  }}
  pictures.push(out);
}}
document.getElementById("extents").textContent = JSON.stringify(pictures);
</script></body></html>"""


def chromium_extents(drawings: list[Drawing], tmp_path: Path) -> list[dict]:
    """Each drawing's boxes' outlines and texts' extents as Chromium lays them out (getBBox), in
    SVG units. One page and one launch for all of them: each picture is an <svg> of its own, and
    getCTM maps to the nearest one, so where a picture sits on the page does not count."""
    page = tmp_path / "probe.html"
    svgs = []
    for drawing in drawings:
        svg = drawing.text[drawing.text.index("<svg"):]
        # one CSS pixel per SVG unit, so the extents are in the SVG's own units
        svg = re.sub(r'width="[^"]+" height="[^"]+"', f'width="{drawing.width}px" height="{drawing.height}px"', svg,
                     count=1)
        svgs.append(f"<div>{svg}</div>")
    page.write_text(CHROMIUM_PROBE.format(svgs="".join(svgs)))
    result = subprocess.run([tool("chromium"), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                             "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="extents">(.*?)</pre>', result.stdout, flags=re.S)
    assert found and found.group(1), result.stderr[-2000:]
    pictures = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(pictures) == len(drawings)
    return pictures


@pytest.fixture(scope="module")
def chromium_layouts(request, tmp_path_factory) -> dict[Path, dict]:
    """Every picture the tests draw, laid out by Chromium in one launch: picture -> extents."""
    drawings = [Drawing(path) for path in PICTURES]
    try:
        drawings += [Drawing(path) for path in request.getfixturevalue("production_pictures")]
    except pytest.skip.Exception:
        pass  # no dot: the production pictures' tests skip on their own, saying so
    extents = chromium_extents(drawings, tmp_path_factory.mktemp("chromium"))
    return {drawing.path: found for drawing, found in zip(drawings, extents)}


@pytest.mark.e2e
def test_chromium_lays_out_each_label_inside_its_box_where_rsvg_draws_it(drawing, chromium_layouts, tmp_path):
    extents = chromium_layouts[drawing.path]
    inks = rsvg_inks(drawing, tmp_path)
    assert set(extents) == set(drawing.boxes) | set(drawing.edge_labels)
    for ident, (box, texts) in drawing.boxes.items():
        measured = extents[ident]
        assert all(length > 0 for length in measured["chars"]), f"{ident} {texts}: Chromium shows no text"
        assert inside(measured["outline"], box, 0.5), (ident, measured["outline"], box)  # the same drawing
        assert inside(measured["text"], box), f"{ident} {texts}: Chromium lays the text out past its box"
        # AND the non-browser renderer draws that text where Chromium lays it out
        ink = inks[ident]
        assert ink is not None and inside(ink, measured["text"], SAME), (ident, texts, ink, measured["text"])
    for ident in drawing.edge_labels:
        assert all(length > 0 for length in extents[ident]["chars"]), ident
