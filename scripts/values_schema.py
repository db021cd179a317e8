#!/usr/bin/env python3
"""Write docs/values.schema.json (the values file's JSON Schema, for editors), derived from the
construct props by taskora_app/values.py. With --check, exit 1 if the file is stale."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script

# taskora_app imports cdk8s, whose jsii runtime prints a Node 20 banner unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskora_app.values import values_json_schema  # noqa: E402

TARGET = ROOT / "docs" / "values.schema.json"


def main() -> int:
    text = json.dumps(values_json_schema(), indent=2, sort_keys=True) + "\n"
    return write_or_check(TARGET, text, regenerate="python scripts/values_schema.py")


if __name__ == "__main__":
    sys.exit(main())
