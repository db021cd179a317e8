"""taskora_constructs/_native (the library's Node half) is generated from native/index.ts,
committed, and reproducible offline (``make native``: the pinned jsii-srcmak)."""

from __future__ import annotations

import filecmp
import shutil
import subprocess

import pytest

from tests.support.paths import ROOT


def _tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts)


@pytest.mark.e2e
def test_make_native_reproduces_the_committed_bindings_offline(tmp_path):
    # GIVEN a copy of the source, the build script and the pinned Node modules it compiles against
    for part in ("native", "scripts/native.js"):
        source, copy = ROOT / part, tmp_path / part
        copy.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    # WHEN it is compiled again (no network: jsii and jsii-pacmak are local)
    result = subprocess.run([str(ROOT / "node_modules" / ".bin" / "node"), "scripts/native.js", str(tmp_path / "out")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # THEN the generated files, the jsii assembly included, are byte for byte the committed ones
    committed, generated = ROOT / "taskora_constructs" / "_native", tmp_path / "out" / "taskora_constructs" / "_native"
    assert _tree(generated) == _tree(committed)
    _, mismatch, errors = filecmp.cmpfiles(committed, generated, _tree(committed), shallow=False)
    assert mismatch == [] and errors == []


def test_the_assembly_is_loaded_under_a_name_of_its_own():
    # GIVEN the generated loader WHEN it names the assembly THEN it is the library's own key,
    # not the name jsii-srcmak's command line gives every index.ts (the SHA-256 of "index")
    loader = (ROOT / "taskora_constructs" / "_native" / "_jsii" / "__init__.py").read_text()
    assert '"taskora-constructs-native"' in loader
    assert [p.name for p in (ROOT / "taskora_constructs" / "_native" / "_jsii").glob("*.tgz")] == [
        "taskora-constructs-native@0.0.0.jsii.tgz"]
