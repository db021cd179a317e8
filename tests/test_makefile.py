"""The Makefile's set-up graph: what `make test` builds on a fresh machine (read with make -n)."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*args: str) -> str:
    result = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.mark.parametrize("target", ["test", "helm"])
def test_a_changed_helm_pin_makes_the_target_build_the_pinned_helm(target: str) -> None:
    # GIVEN tools/helm/go.mod newer than the linked binary (as on a fresh clone, where it is absent)
    # WHEN make plans the target
    plan = dry_run("-W", "tools/helm/go.mod", target)
    # THEN the plan builds and links the pinned Helm before the tests or the chart need it
    # (a HELM_BIN defined below the rule that names it expanded to nothing: CI had no helm)
    assert "tools/helm/build.sh" in plan
