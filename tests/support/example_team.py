"""A second team's checkout of an example app (examples/orders/, examples/platform/), outside the
repository, set up offline by running its README's commands as written: shared by the example tests."""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest

from tests.support import example_environments
from tests.support.packaging import DISTRIBUTION, VERSION, build_wheel, wheel_sources
from tests.support.paths import ROOT
from tests.support.strict_schema import validate_strict

WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
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
    what they install changed since the last run (tests/support/example_environments.py); otherwise the
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


def example_tests_summary(team: Team) -> str:
    """The summary line of the example's own tests in the README's run, asserted all passed."""
    result = team.readme_run
    assert result is not None and result.returncode == 0, result
    [summary] = [line for line in result.stdout.splitlines() if re.fullmatch(r"=+ .* in [\d.]+s(?: \(.*\))? =+", line)]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s(?: \(.*\))? =+", summary), summary  # nothing failed, erred or skipped
    return summary
