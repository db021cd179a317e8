"""GIVEN real-looking secret values in the environment WHEN the production app is synthesized
through the real CLI THEN they reach only the output directory: the repository stays clean
and no tracked file contains them."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

# Made at run time, so that no file (this one included) can contain them by accident. (No
# TASKORA_DB_PASSWORD: production's CloudNativePG operator generates it, and a set one is refused.)
_RUN = uuid.uuid4().hex
SENTINELS = {variable: f"sentinel-{index}-{_RUN}" for index, variable in enumerate(
    ["TASKORA_COHERE_API_KEY", "TASKORA_BETTER_AUTH_SECRET", "TASKORA_GEMINI_API_KEY"])}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_sentinel_secrets_leave_the_repository_clean(tmp_path):
    before = git("status", "--porcelain", "--untracked-files=all")
    # production also requires image digests (requireImageDigests), as a release pipeline writes them
    release = tmp_path / "release.yaml"
    release.write_text("".join(f"{part}:\n  imageDigest: sha256:{str(n) * 64}\n"
                               for n, part in enumerate(("frontend", "backend", "database"), start=1)))
    env = {**os.environ, "CDK8S_CHECK_UPGRADE": "false", "TASKORA_ENV": "production",
           "TASKORA_VALUES": str(release), **SENTINELS}
    outdir = tmp_path / "dist"
    result = subprocess.run([str(ROOT / "node_modules" / ".bin" / "cdk8s"), "synth", "--output", str(outdir)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # the values did reach the manifests...
    assert SENTINELS["TASKORA_COHERE_API_KEY"] in "".join(p.read_text() for p in outdir.iterdir())
    # ...and nothing else
    assert git("status", "--porcelain", "--untracked-files=all") == before
    for value in SENTINELS.values():
        assert git("grep", "-l", "--untracked", value) == "", value
    assert not any(value in result.stdout + result.stderr for value in SENTINELS.values())
