"""A second team reuses the library exactly as the reuse guide says (docs/reuse.md).

GIVEN the wheel built from this repository and the example app examples/orders/, copied
outside the repository WHEN the wheel is installed offline into a fresh virtual environment
(from the wheelhouse `make deps` fills) and the pinned cdk8s CLI synthesizes the example
THEN the output is valid Kubernetes in strict mode, passes the library's reference-integrity
rules, lives in the team's namespace under the team's names, and the example's own tests pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT
from test_packaging import DISTRIBUTION, VERSION, build_wheel
from taskora_constructs import check_manifests

EXAMPLE = ROOT / "examples" / "orders"
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
CLI = ROOT / "node_modules" / ".bin" / "cdk8s"
NAMESPACE = "orders"
SECRETS = {"ORDERS_DB_PASSWORD": "orders-test-password", "ORDERS_COHERE_API_KEY": "test-cohere",
           "ORDERS_BETTER_AUTH_SECRET": "test-auth", "ORDERS_GEMINI_API_KEY": "test-gemini"}


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment without anything pointing back into this repository or its pip set-up."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "CDK8S_", "JSII_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK8S_CHECK_UPGRADE": "false", **extra}


def run(command: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=clean_environment(**extra), capture_output=True, text=True,
                          timeout=300)


class Team:
    """The orders team's checkout, outside the repository, with its own virtual environment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.python = root / ".venv" / "bin" / "python"


def install_team(tmp_path_factory, example: Path, name: str) -> Team:
    """A copy of ``example`` outside the repository, its venv installed offline from the wheel
    of this repository and the wheelhouse (as a second team would)."""
    if not any(WHEELHOUSE.glob("cdk8s-*.whl")):
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make deps` (set-up fills it while registries are reachable)")
    base = tmp_path_factory.mktemp(name)
    wheel = build_wheel(base / "build")
    team = Team(base / name)
    shutil.copytree(example, team.root, ignore=shutil.ignore_patterns("__pycache__", ".venv", "dist",
                                                                      ".pytest_cache"))
    # No pip inside the team's environment (ensurepip alone takes seconds): the pinned pip of
    # this checkout installs into it (`pip --python`), offline, from the wheel and the wheelhouse.
    created = run([sys.executable, "-m", "venv", "--without-pip", str(team.root / ".venv")], cwd=base)
    assert created.returncode == 0, created.stderr
    installed = run([sys.executable, "-m", "pip", "--python", str(team.python), "install", "--quiet", "--no-index",
                     "--find-links", str(wheel.parent), "--find-links", str(WHEELHOUSE),
                     "-r", "requirements-dev.txt"], cwd=team.root)
    assert installed.returncode == 0, installed.stderr
    return team


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Team:
    return install_team(tmp_path_factory, EXAMPLE, "orders")


@pytest.fixture(scope="module")
def synthesized(team) -> tuple[subprocess.CompletedProcess, list[dict]]:
    result = run([str(CLI), "synth"], cwd=team.root, **SECRETS)
    files = sorted((team.root / "dist").glob("*.yaml"))
    objects = [o for path in files for o in yaml.safe_load_all(path.read_text()) if o]
    return result, objects


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
def test_the_cdk8s_cli_synthesizes_the_example_with_its_own_cdk8s_yaml(team, synthesized):
    result, objects = synthesized
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert [p.name for p in (team.root / "dist").iterdir()] == ["orders.k8s.yaml"]
    # the team's 4 objects, and the reused constructs' 9 (with their ServiceAccounts and budget)
    assert len(objects) == 13


@pytest.mark.e2e
@pytest.mark.parametrize("version", ["1.28.0", kubernetes_validate.latest_version()])
def test_the_example_output_is_valid_in_strict_mode(synthesized, version):
    _, objects = synthesized
    errors = strict_errors(objects, version)
    assert objects and not errors, "\n".join(errors)


def installed_library(team: Team) -> Path:
    """Where the team's Python imports the library from: asserted to be the installed wheel of
    this version (not this checkout), with every installed distribution's requirements met."""
    probe = run([str(team.python), "-c", "import importlib.metadata, taskora_constructs; "
                 f"print(taskora_constructs.__file__); print(importlib.metadata.version('{DISTRIBUTION}'))"],
                cwd=team.root)
    assert probe.returncode == 0, probe.stderr
    location, version = probe.stdout.split()
    assert Path(location).is_relative_to(team.root / ".venv") and not Path(location).is_relative_to(ROOT)
    assert version == VERSION
    check = run([sys.executable, "-m", "pip", "--python", str(team.python), "check"], cwd=team.root)
    assert check.returncode == 0, check.stdout + check.stderr
    return Path(location)


def strict_errors(objects: list[dict], version: str) -> list[str]:
    """Each object that the Kubernetes ``version`` schema refuses in strict mode, with why."""
    errors = []
    for manifest in objects:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message}")
    return errors


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
