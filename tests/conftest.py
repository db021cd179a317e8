"""Shared fixtures (the helpers live in tests/support/). jsii runs on the pinned Node (as in
main.py), chosen before cdk8s starts it."""

from __future__ import annotations

import atexit
import fcntl
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from taskora_app.node import use_pinned_node  # noqa: E402

use_pinned_node()
# Subprocesses (cdk8s-cli, make) run on the pinned Node too, as under make (Makefile: PATH).
os.environ["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")])
os.environ.setdefault("CDK8S_CHECK_UPGRADE", "false")
# Hermetic: secrets or values a developer exported in the shell (TASKORA_DB_PASSWORD, ...) must
# not reach the tests, in-process or in the subprocesses they start (which inherit os.environ).
# The control plane of `make cluster-test` is kept aside first: it is no value (tests/cluster/kube.py
# reads it from tests/support/environment.py, which reads it when imported, here).
from tests.support.environment import CLUSTER_ENVIRONMENT  # noqa: E402, F401

for _variable in [v for v in os.environ if v.startswith("TASKORA_")]:
    del os.environ[_variable]

import pytest  # noqa: E402

# cdk8s (which starts jsii's Node) and the library are imported where they are used, after the
# environment above: xdist's controller loads this file too and runs no test, so it need not
# start a Node of its own (about 0.4 s before the workers can start).


@pytest.fixture(scope="session")
def default_objects() -> list[dict]:
    """The default (documented) deployment, synthesized once per test session."""
    from tests.support.synth import synth_taskora
    return synth_taskora()[1]


@pytest.fixture(scope="session")
def default_helm_chart(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`make helm` of the default app (no TASKORA_* set: the local profile) as a user runs it,
    once per test run: the chart directory and the run. Both workers read the same one (the
    first to ask runs it, holding a lock in the run's temporary root; the other reads its record)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's root: each worker's basetemp is a directory in it
    shared = root / "default-helm-chart"
    with open(root / "default-helm-chart.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = shared / "make-helm.json"
        if not record.exists():
            shared.mkdir(exist_ok=True)
            environment = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_"))}
            made = subprocess.run(["make", "--no-print-directory", "helm", f"HELM_DIR={shared / 'taskora'}"], cwd=ROOT,
                                  env=environment, capture_output=True, text=True, timeout=600)
            record.write_text(json.dumps({"args": made.args, "returncode": made.returncode, "stdout": made.stdout,
                                          "stderr": made.stderr}))
    made = json.loads(record.read_text())
    return shared / "taskora", subprocess.CompletedProcess(made["args"], made["returncode"], made["stdout"],
                                                           made["stderr"])


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cluster`` ask a real kube-apiserver (make cluster-test starts one): they run
    only when ``-m`` names the marker, so ``make test`` and ``make check`` never need a cluster."""
    if "cluster" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("cluster") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("cluster")])
        items[:] = kept


# --- Two workers, balanced (make check and make test: -n 2 --dist loadfile) ----------------------
# loadfile hands a whole test file to one worker (its module fixtures are set up once), in order
# of test count: a slow file with few tests (the examples' installs, Helm) started late and kept
# one worker busy while the other was done. So each test's seconds (set-up, call and tear-down)
# are kept in pytest's cache (.pytest_cache) at the end of a run, and the next run hands out the
# slowest files first (longest first: the other worker fills in with the short ones), a file
# weighing what its selected tests took last time (a test with no record yet: the mean of the
# recorded). Nothing else changes: the same files, each whole on one worker.
TEST_SECONDS = "taskora/seconds-per-test"


def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile" or getattr(config, "cache", None) is None:
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    from tests.support.scheduling import slowest_first

    recorded: dict[str, float] = config.cache.get(TEST_SECONDS, {})

    class SlowestFileFirst(LoadFileScheduling):
        ordered = False

        def _assign_work_unit(self, node):
            if not self.ordered:  # the work queue is whole before the first assignment
                order = slowest_first(self.workqueue, recorded)
                self.workqueue.clear()
                self.workqueue.update(order)
                self.ordered = True
            super()._assign_work_unit(node)

    return SlowestFileFirst(config, log)


class SecondsPerTest:
    """Each test's seconds this run, kept in the cache at its end (the controller: it gets the
    reports of both workers); tests this run did not select keep their earlier record."""

    def __init__(self, config) -> None:
        self.config = config
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            kept = self.config.cache.get(TEST_SECONDS, {})
            self.config.cache.set(TEST_SECONDS, {**kept, **{k: round(v, 3) for k, v in self.seconds.items()}})


# --- The garbage collector: full collections skip what outlives a test file ---------------------
# jsii keeps a proxy of every object that crossed it alive for the whole process, and the library
# keeps what it knows of each construct beside it: the heap only grows over a run (~190 MB), and
# each of Python's full collections walked all of it, ~0.2 s apiece, ~3 s of CPU of a ~20 s run
# (issue 22). What is still alive when a test file is done (its fixtures torn down) is frozen
# (gc.freeze: out of the collected generations), so a full collection walks what the current file
# made. Measured: 16 full collections, 2.8 s -> 10, 0.3 s; peak RSS +5 MB (a cycle that was
# garbage when it was frozen stays, at most one file's worth).
@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if nextitem is None or nextitem.module is not item.module:
        gc.freeze()


def pytest_configure(config):
    if not hasattr(config, "workerinput") and getattr(config, "cache", None) is not None:
        config.pluginmanager.register(SecondsPerTest(config), "taskora-test-seconds")
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):  # runs tests
        start_node_in_a_temporary_directory_of_its_own()


# --- Node's temporary directory -------------------------------------------------------------------
def start_node_in_a_temporary_directory_of_its_own() -> None:
    """cdk8s's ``Testing.app()`` makes an output directory in Node's temporary directory for each
    App and never removes it: about 400 ``cdk8s.outdir.*`` were left in /tmp by every make check or
    make test (18,862 had piled up here in an afternoon; with this, make test leaves 3, from the
    commands it starts).
    jsii starts its Node at the first import of cdk8s, here, with TMPDIR naming a directory of
    this process's own, removed when the process ends (after jsii has stopped Node). Only Node's:
    Python's temporary directory (tmp_path, the example apps' environments) and that of the
    commands the tests start stay the system's."""
    if "cdk8s" in sys.modules:
        return  # Node has started already (a caller imported cdk8s first)
    tempfile.gettempdir()  # Python's stays the system's: fixed at its first use, before TMPDIR changes
    private = tempfile.mkdtemp(prefix="taskora-tests-node-")
    atexit.register(shutil.rmtree, private, ignore_errors=True)  # before jsii's: runs after it stops Node
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = private
    try:
        import cdk8s  # noqa: F401  (jsii's Node starts with this environment and keeps it)
    finally:
        if before is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = before
