"""Messages name the user's places, never internal staging paths (issue #14).

GIVEN a synth refused for its configuration WHEN it ran through `cdk8s synth --stdout` (the CLI
synthesizes into a temporary directory of its own) or `make helm` (which synthesizes into a
staging directory beside the chart) THEN the message names standard output or the chart
directory, and no temporary or staging path. The Helm chart's README names `make helm`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import helm_chart  # noqa: E402
import main  # noqa: E402

CLI = ROOT / "node_modules" / ".bin" / "cdk8s"
FIRST_LINE = "taskora: synth failed, nothing written to "


def environment(values: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK8S_", "TASKORA_", "JSII_"))}
    return {**env, "CDK8S_CHECK_UPGRADE": "false", "TASKORA_VALUES": str(values)}


@pytest.fixture
def bad_values(tmp_path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("backend:\n  replcas: 5\n")
    return path


@pytest.mark.parametrize(("outdir", "shown"), [
    (Path("dist"), "dist/"),
    (Path("dist/"), "dist/"),
    (Path("/srv/out/manifests"), "/srv/out/manifests/"),
    (Path(tempfile.gettempdir()) / "cdk8s-Ab12Cd", "standard output"),
    (Path(tempfile.gettempdir()) / "my-dist", f"{Path(tempfile.gettempdir()) / 'my-dist'}/"),
    (Path("/srv/cdk8s-Ab12Cd"), "/srv/cdk8s-Ab12Cd/"),
])
def test_the_message_names_the_users_destination(outdir, shown):
    assert main.shown_destination(outdir) == shown


@pytest.mark.e2e
def test_cdk8s_synth_stdout_names_standard_output_not_the_clis_temporary_directory(bad_values, tmp_path):
    # From a directory of its own: even with --stdout cdk8s-cli first deletes the output directory
    # its cdk8s.yaml names (dist/), and the project's dist/ belongs to the tests that make synth there.
    (tmp_path / "cdk8s.yaml").write_text(f"language: python\napp: {ROOT / '.venv/bin/python'} {ROOT / 'main.py'}\n"
                                         "output: dist\n")
    result = subprocess.run([str(CLI), "synth", "--stdout"], cwd=tmp_path, env=environment(bad_values),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert f"{FIRST_LINE}standard output" in lines, result.stderr
    assert "cdk8s-" not in "\n".join(line for line in lines if line.startswith("taskora:"))


@pytest.mark.e2e
def test_cdk8s_synth_output_names_the_users_directory(bad_values, tmp_path):
    outdir = tmp_path / "manifests"
    result = subprocess.run([str(CLI), "synth", "--output", str(outdir)], cwd=ROOT, env=environment(bad_values),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert f"{FIRST_LINE}{outdir}/" in result.stderr.splitlines(), result.stderr


@pytest.mark.e2e
def test_a_refused_helm_export_names_the_chart_directory_not_its_staging(bad_values, tmp_path):
    chart = tmp_path / "helm" / "taskora"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "helm_chart.py"), "--output", str(chart)],
                            cwd=ROOT, env=environment(bad_values), capture_output=True, text=True, timeout=300)
    assert result.returncode == helm_chart.EXIT_FAILED
    assert f"{FIRST_LINE}{chart}/templates/" in result.stderr.splitlines(), result.stderr
    assert "/.taskora-" not in result.stderr
    assert sorted(p.name for p in chart.parent.iterdir()) == []


def test_the_helm_charts_readme_names_make_helm():
    text = helm_chart.readme_text("taskora", "1.2.3")
    assert "`make helm`" in text
    assert "--format helm`." not in text  # the CLI's own advice, which skips the fixes of make helm
    assert text.startswith("# taskora 1.2.3\n")


@pytest.mark.e2e
def test_make_helms_chart_carries_that_readme(default_helm_chart):
    # GIVEN the chart `make helm` wrote (conftest: one run per test run) THEN its README is that one
    chart, made = default_helm_chart
    assert made.returncode == 0, made.stdout + made.stderr
    version = helm_chart.project_version()
    about = helm_chart.readme_text("taskora", version).partition("## Install")[0]
    assert (chart / "README.md").read_text().startswith(about + "## Install, in this order\n")
