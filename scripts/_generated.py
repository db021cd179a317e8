"""Write a generated file, or with ``--check`` verify it is current (the tests use --check)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(target: Path, text: str, *, regenerate: str, argv: list[str] = sys.argv) -> int:
    """Write ``text`` to ``target`` and return 0; with ``--check`` in ``argv`` write nothing and
    return 1 (naming the ``regenerate`` command) if ``target`` does not hold exactly ``text``."""
    if "--check" in argv:
        if not target.exists() or target.read_text() != text:
            print(f"{target.name} is stale: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    return 0
