"""A second team reuses the library exactly as the reuse guide says (docs/reuse.md).

GIVEN the wheel built from this repository and the example app examples/orders/, copied
outside the repository WHEN the commands of its README run as written (a fresh virtual
environment, pip from the wheels directory, its tests, `npm ci` of its own pinned cdk8s CLI,
`npx cdk8s synth`), offline (the wheelhouse and npm cache `make deps` fills stand in for the
registries) THEN the output is valid Kubernetes in strict mode, passes the library's reference-integrity
rules, lives in the team's namespace under the team's names, and the example's own tests pass.

The install commands (venv, pip, npm ci) run when anything they install from changed since the
last run; otherwise the environments they left, proven unchanged file by file, are reused and the
README's other commands run on a fresh copy (tests/support/example_environments.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from tests.support import example_environments
from tests.support.example_team import (INSTALL_PROCEDURE, WHEELHOUSE, WHEELS_PLACEHOLDER, Team, example_tests_summary,
                                        install_team, installed_library, offline_environment, readme_commands, run,
                                        strict_errors)
from tests.support.packaging import DISTRIBUTION, VERSION, wheel_sources
from tests.support.paths import ROOT
from taskora_constructs import check_manifests

EXAMPLE = ROOT / "examples" / "orders"
NAMESPACE = "orders"
SECRETS = {"ORDERS_DB_PASSWORD": "orders-test-password", "ORDERS_COHERE_API_KEY": "test-cohere",
           "ORDERS_BETTER_AUTH_SECRET": "test-auth", "ORDERS_GEMINI_API_KEY": "test-gemini"}


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Iterator[Team]:
    with install_team(tmp_path_factory, EXAMPLE, "orders", SECRETS) as installed:
        yield installed


@pytest.fixture(scope="module")
def synthesized(team) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """The README's run (its last command is the CLI's synth), and the objects it wrote."""
    files = sorted((team.root / "dist").glob("*.yaml"))
    objects = [o for path in files for o in yaml.safe_load_all(path.read_text()) if o]
    return team.readme_run, objects


def test_the_example_pins_this_version_of_the_library():
    # GIVEN the example's requirements THEN it asks for exactly the version pyproject.toml builds
    lines = [line for line in (EXAMPLE / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert [str(Requirement(line)) for line in lines] == [f"{DISTRIBUTION}=={VERSION}"], \
        "bump examples/orders/requirements.txt with the version in pyproject.toml"


@pytest.mark.e2e
def test_the_wheel_installs_offline_into_a_fresh_environment(team):
    # WHEN the team's Python imports the library THEN it is the installed wheel, not this checkout
    location = installed_library(team)
    assert (location.parent / "py.typed").is_file()


@pytest.mark.e2e
def test_the_readmes_commands_work_as_written_on_a_fresh_copy(team, synthesized):
    # GIVEN a fresh copy WHEN the README's lines run as written THEN every one succeeds: the
    # example's own tests pass, and the team's own pinned cdk8s CLI (npm ci) synthesizes
    result, objects = synthesized
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"=+ \d+ passed in ", result.stdout), result.stdout
    assert "command not found" not in result.stderr and "    at " not in result.stderr, result.stderr
    assert (team.root / "node_modules" / ".bin" / "cdk8s").exists()
    assert [p.name for p in (team.root / "dist").iterdir()] == ["orders.k8s.yaml"]
    # the team's 4 objects, and the reused constructs' 9 (with their ServiceAccounts and budget)
    assert len(objects) == 13


@pytest.mark.e2e
@pytest.mark.parametrize("version", ["1.28.0", kubernetes_validate.latest_version()])
def test_the_example_output_is_valid_in_strict_mode(synthesized, version):
    _, objects = synthesized
    errors = strict_errors(objects, version)
    assert objects and not errors, "\n".join(errors)


@pytest.mark.e2e
def test_the_example_output_passes_the_reference_integrity_rules(synthesized):
    # GIVEN the synthesized example THEN the library's cross-object rules find nothing
    _, objects = synthesized
    assert objects and [str(p) for p in check_manifests(objects)] == []
    # AND they would catch a dangling reference in it (the check is not vacuous)
    broken = yaml.safe_load(yaml.safe_dump(objects))
    backend = next(o for o in broken if o["kind"] == "Deployment" and o["metadata"]["name"] == "orders-tasks")
    env = backend["spec"]["template"]["spec"]["containers"][0]["env"]
    next(e for e in env if e["name"] == "DATABASE_URL")["valueFrom"]["secretKeyRef"]["name"] = "orders-secrets"
    assert any("orders-secrets" in str(p) for p in check_manifests(broken))


@pytest.mark.e2e
def test_the_example_uses_its_own_namespace_and_names(synthesized):
    _, objects = synthesized
    namespaced = [o for o in objects if o["kind"] != "Namespace"]
    assert {o["metadata"]["namespace"] for o in namespaced} == {NAMESPACE}
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"] == [NAMESPACE]
    assert all(o["metadata"]["name"].startswith("orders") for o in objects)
    # "taskora" survives only where the team chose it: the backend's image
    mentions = [line.strip() for line in yaml.safe_dump_all(objects).splitlines() if "taskora" in line]
    assert mentions == ["image: taskora/backend:latest"]
    # AND the reused backend reaches the team's database in the team's namespace
    secret = next(o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "orders-tasks-secrets")
    assert secret["stringData"]["DATABASE_URL"] == \
        f"postgresql://orders:{SECRETS['ORDERS_DB_PASSWORD']}@orders-db:5432/orders"


@pytest.mark.e2e
def test_the_examples_own_tests_pass_in_its_environment(team):
    # GIVEN the README's run (its `.venv/bin/python -m pytest` line: the team's environment)
    # THEN the example's own tests ran and all passed
    assert example_tests_summary(team) is not None


@pytest.mark.parametrize("example", ["orders", "platform"])
def test_the_examples_pin_the_repositorys_cdk8s_cli_and_node(example):
    # GIVEN an example's package.json and lock THEN they pin what this repository pins (npm ci
    # of the README installs exactly that, offline from the cache the set-up filled)
    import json
    ours, theirs = (json.loads((path / "package-lock.json").read_text())["packages"]
                    for path in (ROOT, ROOT / "examples" / example))
    assert {k: v for k, v in theirs.items() if k} == {k: v for k, v in ours.items() if k}
    manifest = json.loads((ROOT / "examples" / example / "package.json").read_text())
    root = json.loads((ROOT / "package.json").read_text())
    assert (manifest["devDependencies"], manifest["optionalDependencies"]) == \
        (root["devDependencies"], root["optionalDependencies"])


# --- the kept environments (tests/support/example_environments.py) ---------------------------------------

def test_a_warm_run_skips_exactly_the_readmes_install_commands():
    # GIVEN each example's README WHEN its environments are proven THEN only the venv, pip and
    # npm ci lines are left out: the example's tests and the synth still run as written
    for example in ("orders", "platform"):
        script = readme_commands(ROOT / "examples" / example, Path(WHEELS_PLACEHOLDER), {
            name: "x" for name in re.findall(r"\b([A-Z][A-Z0-9_]*)=\.\.\.", (ROOT / "examples" / example /
                                                                             "README.md").read_text())})
        kept = example_environments.without_install_commands(script).splitlines()
        skipped = [line.split("#")[0].split()[:3] for line in script.splitlines() if line not in kept]
        assert skipped == [["python3", "-m", "venv"], [".venv/bin/pip", "install", "--find-links"], ["npm", "ci"]]
        assert any(line.startswith(".venv/bin/python -m pytest") for line in kept)
        assert any("npx cdk8s synth" in line for line in kept)


def test_an_environment_is_reused_only_when_unchanged_since_its_install(tmp_path):
    # GIVEN a checkout whose environments were recorded under a key
    root = tmp_path / "team"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "node_modules" / ".bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").write_text("interpreter")
    (root / "node_modules" / ".bin" / "cdk8s").symlink_to("../cdk8s-cli/bin/cdk8s")
    example_environments.record(tmp_path, root, "key-1")
    # THEN it is proven under that key, bytecode caches notwithstanding, and under no other
    (root / ".venv" / "__pycache__").mkdir()
    (root / ".venv" / "__pycache__" / "x.pyc").write_text("bytecode")
    assert example_environments.proven(tmp_path, root, "key-1")
    assert not example_environments.proven(tmp_path, root, "key-2")
    # WHEN a file changes, one is added, a symlink is retargeted or an environment is missing
    # THEN it is not
    changes = [lambda: (root / ".venv" / "bin" / "python").write_text("another interpreter"),
               lambda: (root / "node_modules" / "extra.js").write_text(""),
               lambda: ((root / "node_modules" / ".bin" / "cdk8s").unlink(),
                        (root / "node_modules" / ".bin" / "cdk8s").symlink_to("elsewhere")),
               lambda: shutil.rmtree(root / "node_modules")]
    for change in changes:
        change()
        assert not example_environments.proven(tmp_path, root, "key-1")
        example_environments.record(tmp_path, root, "key-1")


def test_the_install_key_changes_with_each_input_of_the_install(tmp_path):
    # GIVEN a copy of the example and its key WHEN any file it installs from changes THEN the
    # key changes (the install runs again); the copy's own leftovers (dist/, caches) do not count
    example = tmp_path / "orders"
    shutil.copytree(EXAMPLE, example)
    wheelhouse = tmp_path / "wheelhouse"  # a wheel of its own: hashing the real 58 MB proves nothing more
    wheelhouse.mkdir()
    (wheelhouse / "cdk8s-2.0.0-py3-none-any.whl").write_bytes(b"a wheel")
    environment = offline_environment()

    def key(script: str = "commands") -> str:
        return example_environments.install_key(example, script, wheel_sources(), wheelhouse, environment,
                                                procedure=INSTALL_PROCEDURE)

    before = key()
    (example / "dist").mkdir()
    (example / "dist" / "orders.k8s.yaml").write_text("kind: Namespace\n")
    assert key() == before
    assert key("other commands") != before
    assert example_environments.install_key(example, "commands", wheel_sources(), wheelhouse, environment,
                                            procedure=INSTALL_PROCEDURE + "#") != before
    (example / "package-lock.json").write_text((example / "package-lock.json").read_text() + "\n")
    locked = key()
    assert locked != before
    (wheelhouse / "cdk8s-2.0.0-py3-none-any.whl").write_bytes(b"a rebuilt wheel")
    assert key() != locked
