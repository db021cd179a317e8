"""The README's example outputs are what the program prints: GIVEN the README's inputs WHEN
main.py runs as `make synth` runs it THEN its output starts with the README's block, line by
line (a block ending in `...` shows the first lines only)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text()


def block_after(marker: str) -> list[str]:
    """The lines of the first fenced block after ``marker`` in the README."""
    start = README.index(marker)
    match = re.compile(r"```[a-z]*\n(.*?)```", re.S).search(README, start)
    assert match, marker
    return match.group(1).rstrip("\n").split("\n")


def run_main(cwd, **environ: str) -> list[str]:
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=cwd, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "CDK8S_OUTDIR": "dist", **environ})
    assert result.returncode == 2, result.stderr
    return result.stderr.rstrip("\n").split("\n")


@pytest.mark.e2e
def test_the_values_error_example_is_what_make_synth_prints(tmp_path):
    (tmp_path / "my-overrides.yaml").write_text("backend:\n  replicas: 017\n  replcas: 5\ndatabase:\n  storage: 512Mi\n")
    assert run_main(tmp_path, TASKORA_VALUES="my-overrides.yaml") == block_after("A misspelt key is refused")


@pytest.mark.e2e
def test_the_missing_secrets_example_is_what_make_synth_prints(tmp_path):
    shown = block_after("`TASKORA_ENV=production make synth` without them")
    assert shown[-1].strip() == "..."
    printed = run_main(tmp_path, TASKORA_ENV="production")
    assert printed[:len(shown) - 1] == shown[:-1]
