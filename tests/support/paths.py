"""Where the repository is, for the tests wherever they sit in tests/."""

from __future__ import annotations

from pathlib import Path

#: The repository's root (this file is tests/support/paths.py).
ROOT = Path(__file__).resolve().parents[2]
