"""Shared fixtures (the helpers live in tests/support/). jsii runs on the pinned Node (as in
main.py), chosen before cdk8s starts it."""

from __future__ import annotations

import os
import sys
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

import cdk8s  # noqa: E402  (after the environment above)
import pytest  # noqa: E402

from tests.support.synth import synth_taskora  # noqa: E402


@pytest.fixture(scope="session")
def default_objects() -> list[dict]:
    """The default (documented) deployment, synthesized once per test session."""
    return synth_taskora()[1]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cluster`` ask a real kube-apiserver (make cluster-test starts one): they run
    only when ``-m`` names the marker, so ``make test`` and ``make check`` never need a cluster."""
    if "cluster" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("cluster") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("cluster")])
        items[:] = kept
