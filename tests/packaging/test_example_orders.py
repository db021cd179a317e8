"""A second team reuses the library exactly as the reuse guide says (docs/reuse.md).

GIVEN the wheel built from this repository and the example app examples/orders/, copied
outside the repository WHEN the commands of its README run as written (a fresh virtual
environment, pip from the wheels directory, its tests, `npm ci` of its own pinned cdk8s CLI,
`npx cdk8s synth`), offline (the wheelhouse and npm cache `make deps` fills stand in for the
registries) THEN the output is valid Kubernetes in strict mode, passes the library's reference-integrity
rules, lives in the team's namespace under the team's names, and the example's own tests pass.
"""

from __future__ import annotations

import os
import re
import subprocess

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from tests.support.example_team import Team, install_team, installed_library, run, strict_errors
from tests.support.packaging import DISTRIBUTION, VERSION
from tests.support.paths import ROOT
from taskora_constructs import check_manifests

EXAMPLE = ROOT / "examples" / "orders"
NAMESPACE = "orders"
SECRETS = {"ORDERS_DB_PASSWORD": "orders-test-password", "ORDERS_COHERE_API_KEY": "test-cohere",
           "ORDERS_BETTER_AUTH_SECRET": "test-auth", "ORDERS_GEMINI_API_KEY": "test-gemini"}


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Team:
    return install_team(tmp_path_factory, EXAMPLE, "orders", SECRETS)


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
    result = run([str(team.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=team.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout.splitlines()[-1]


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
