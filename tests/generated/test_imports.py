"""imports/ is generated, committed, and reproducible offline; the library never uses it."""

from __future__ import annotations

import ast
import filecmp
import os
import shutil
import subprocess

import pytest

from tests.support.paths import ROOT
from tests.support.python_sources import nodes


def _tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts)


@pytest.mark.e2e
def test_make_import_reproduces_the_committed_bindings_offline(tmp_path):
    # GIVEN a copy of the app's cdk8s.yaml and vendored CRDs
    shutil.copy(ROOT / "cdk8s.yaml", tmp_path / "cdk8s.yaml")
    shutil.copytree(ROOT / "crds", tmp_path / "crds")
    env = {**os.environ, "CDK8S_CHECK_UPGRADE": "false"}
    # WHEN the pinned CLI imports them (local files only: no network is needed)
    result = subprocess.run([str(ROOT / "node_modules" / ".bin" / "cdk8s"), "import", "--no-save",
                             "--language", "python", "--output", "imports"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # THEN the generated files are byte for byte the committed ones
    committed, generated = ROOT / "imports", tmp_path / "imports"
    assert _tree(generated) == _tree(committed)
    _, mismatch, errors = filecmp.cmpfiles(committed, generated, _tree(committed), shallow=False)
    assert mismatch == [] and errors == []


def test_taskora_constructs_does_not_import_the_apps_imports_package():
    # The library must work when pip-installed into another app, where `imports` is theirs.
    offenders = []
    for path in (ROOT / "taskora_constructs").rglob("*.py"):
        for node in nodes(path):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "imports" or n.startswith("imports.")]
    assert offenders == []
