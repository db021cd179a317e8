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


def build_wheel(destination: Path) -> Path:
    """Build the wheel offline from a copy of the packaging inputs; the wheel's path.

    A copy, because an in-tree build writes build/ and *.egg-info into the working tree.
    """
    source = destination / "source"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", source)
    readme = Path(PROJECT["readme"])
    (source / readme).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / readme, source / readme)
    shutil.copytree(LIBRARY, source / LIBRARY.name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = destination / "wheels"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                             "--no-build-isolation", "--no-deps", "--no-index", "-w", str(wheels), str(source)],
                            cwd=destination, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"wheel build failed (run `make deps` for the pinned setuptools):\n{result.stderr}"
    [wheel] = wheels.glob("*.whl")
    return wheel
