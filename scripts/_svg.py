"""The SVGs beside docs/deployment.md, drawn by Graphviz ``dot`` from a picture's DOT source.

Its own module because it is the one part of ``make diagram`` that runs a program: dot, its
stamp (the SHA-256 of the source, so an SVG is drawn again only when its picture changed) and
the staleness check ``--check`` uses.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

SVG_STAMP = "<!-- drawn by make diagram (Graphviz dot) from the DOT source with sha256 {} -->\n"


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

