"""A second team reuses the library exactly as the reuse guide says (docs/reuse.md).

GIVEN the wheel built from this repository and the example app examples/orders/, copied
outside the repository WHEN the commands of its README run as written (a fresh virtual
environment, pip from the wheels directory, its tests, `npm ci` of its own pinned cdk8s CLI,
`npx cdk8s synth`), offline (the wheelhouse and npm cache `make deps` fills stand in for the
registries) THEN the output is valid Kubernetes in strict mode, passes the library's reference-integrity
rules, lives in the team's namespace under the team's names, and the example's own tests pass.

The install commands (venv, pip, npm ci) run when anything they install from changed since the
last run; otherwise the environments they left, proven unchanged file by file, are reused and the
README's other commands run on a fresh copy (tests/example_environments.py).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import shutil
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT
from strict_schema import validate_strict
import example_environments
from test_packaging import DISTRIBUTION, VERSION, build_wheel, wheel_sources
from taskora_constructs import check_manifests

EXAMPLE = ROOT / "examples" / "orders"
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
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
        #: The run of the README's commands that set this checkout up and synthesized it.
        self.readme_run: subprocess.CompletedProcess | None = None


#: The one placeholder path the READMEs use for the Taskora checkout's wheels.
WHEELS_PLACEHOLDER = "/path/to/taskora/build/wheels"


def readme_commands(example: Path, wheels: Path, secrets: dict[str, str]) -> str:
    """The README's ```sh block as written, with its two placeholders filled: the wheels
    directory, and a value for each ``NAME=...`` (``secrets``; every one must be known)."""
    block = re.search(r"```sh\n(.*?)```", (example / "README.md").read_text(), flags=re.S)
    assert block, f"{example}/README.md has no sh block"
    text = block.group(1).replace(WHEELS_PLACEHOLDER, str(wheels))
    text = re.sub(r"\b([A-Z][A-Z0-9_]*)=\.\.\.", lambda m: f"{m.group(1)}={shlex.quote(secrets[m.group(1)])}", text)
    assert "..." not in re.sub(r"#.*", "", text), text  # nothing else left for the reader to fill in
    return text


def offline_environment(**extra: str) -> dict[str, str]:
    """A team's shell: no PATH entry of this repository (its cdk8s CLI must not stand in for the
    team's own), and the registries replaced by what set-up cached: pip sees only the wheels
    directory, npm only its cache (``make deps`` filled both)."""
    env = clean_environment(**extra)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p and not Path(p).is_relative_to(ROOT))
    return {**env, "PIP_NO_INDEX": "1", "npm_config_offline": "true", "npm_config_audit": "false",
            "npm_config_fund": "false", "npm_config_update_notifier": "false"}


@contextlib.contextmanager
def install_team(tmp_path_factory, example: Path, name: str, secrets: dict[str, str]) -> Iterator[Team]:
    """A fresh copy of ``example`` outside the repository, set up and synthesized by running its
    README's commands as written (offline: the wheels directory holds this repository's wheel
    and the wheelhouse `make deps` fills, standing in for PyPI). The install commands run when
    what they install changed since the last run (tests/example_environments.py); otherwise the
    environments they left, proven unchanged, are reused and the other commands run."""
    if not any(WHEELHOUSE.glob("cdk8s-*.whl")):
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make deps` (set-up fills it while registries are reachable)")
    placeholder_script = "set -euo pipefail\n" + readme_commands(example, Path(WHEELS_PLACEHOLDER), secrets)
    environment = offline_environment()
    key = example_environments.install_key(example, placeholder_script, wheel_sources(), WHEELHOUSE, environment,
                                           procedure=INSTALL_PROCEDURE)
    with example_environments.locked(name) as directory:
        team = Team(directory / name)
        reuse = example_environments.proven(directory, team.root, key)
        if reuse:
            example_environments.fresh_copy(example, team.root)
            script = example_environments.without_install_commands(placeholder_script)
        else:
            example_environments.forget(directory, team.root)
            example_environments.fresh_copy(example, team.root)
            wheel = build_wheel(tmp_path_factory.mktemp(name) / "build")
            for dependency in WHEELHOUSE.glob("*.whl"):
                (wheel.parent / dependency.name).symlink_to(dependency)
            script = "set -euo pipefail\n" + readme_commands(example, wheel.parent, secrets)
        team.readme_run = subprocess.run(["bash", "-c", script], cwd=team.root, env=environment,
                                         capture_output=True, text=True, timeout=900)
        assert team.readme_run.returncode == 0, team.readme_run.stdout[-4000:] + team.readme_run.stderr[-4000:]
        if not reuse:
            example_environments.record(directory, team.root, key)
        yield team


#: How the README's commands are run: part of the install's key (an edit elsewhere in this module is not).
INSTALL_PROCEDURE = "".join(inspect.getsource(f) for f in (clean_environment, readme_commands, offline_environment,
                                                          install_team))


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
            validate_strict(manifest, version)
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
    # GIVEN the README's run (its `.venv/bin/python -m pytest` line: the team's environment)
    # THEN the example's own tests ran and all passed
    assert example_tests_summary(team) is not None


def example_tests_summary(team: Team) -> str:
    """The summary line of the example's own tests in the README's run, asserted all passed."""
    result = team.readme_run
    assert result is not None and result.returncode == 0, result
    [summary] = [line for line in result.stdout.splitlines() if re.fullmatch(r"=+ .* in [\d.]+s(?: \(.*\))? =+", line)]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s(?: \(.*\))? =+", summary), summary  # nothing failed, erred or skipped
    return summary


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


# --- the kept environments (tests/example_environments.py) ---------------------------------------

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
