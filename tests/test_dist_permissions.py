"""GIVEN the default umask WHEN `make synth` writes dist/ THEN the files holding a Secret, and
the directory, are readable by their owner only; the others stay ordinary files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from conftest import ROOT


def test_files_with_secrets_are_private(tmp_path):
    outdir = tmp_path / "dist"
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CDK8S_OUTDIR": str(outdir)}, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in outdir.glob("*.yaml")}
    with_secret = {p.name for p in outdir.glob("*.yaml") if "\nkind: Secret\n" in p.read_text()}
    assert with_secret == {"0001-taskora-config.k8s.yaml", "0002-taskora-database.k8s.yaml"}
    assert {name: mode for name, mode in modes.items() if name in with_secret} == {n: 0o600 for n in with_secret}
    assert all(mode == 0o644 for name, mode in modes.items() if name not in with_secret)
    assert stat.S_IMODE(outdir.stat().st_mode) == 0o700
