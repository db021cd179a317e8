"""The distribution this repository builds: its name and version from pyproject.toml, and the
wheel built offline from a copy of the packaging inputs (the packaging, public-API, Helm and
example tests share them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
DISTRIBUTION = PROJECT["name"]
VERSION = PROJECT["version"]
LIBRARY = ROOT / "taskora_constructs"


def wheel_sources() -> list[Path]:
    """Every file the wheel is built from, relative to the repository (the example environments'
    cache key, tests/support/example_environments.py, hashes exactly these)."""
    library = [p.relative_to(ROOT) for p in sorted(LIBRARY.rglob("*"))
               if p.is_file() and "__pycache__" not in p.relative_to(LIBRARY).parts]
    return [Path("pyproject.toml"), Path(PROJECT["readme"]), *library]


def build_wheel(destination: Path) -> Path:
    """Build the wheel offline from a copy of the packaging inputs; the wheel's path.

    A copy, because an in-tree build writes build/ and *.egg-info into the working tree.
    """
    source = destination / "source"
    for path in wheel_sources():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, source / path)
    wheels = destination / "wheels"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                             "--no-build-isolation", "--no-deps", "--no-index", "-w", str(wheels), str(source)],
                            cwd=destination, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"wheel build failed (run `make deps` for the pinned setuptools):\n{result.stderr}"
    [wheel] = wheels.glob("*.whl")
    return wheel
