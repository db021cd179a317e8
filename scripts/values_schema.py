#!/usr/bin/env python3
"""Write docs/values.schema.json (the values file's JSON Schema, for editors) from the
pydantic model in taskora_app/values.py. With --check, exit 1 if the file is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskora_app.values import values_json_schema  # noqa: E402

TARGET = ROOT / "docs" / "values.schema.json"


def main() -> int:
    text = json.dumps(values_json_schema(), indent=2, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("docs/values.schema.json is stale: run python scripts/values_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
