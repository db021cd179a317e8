"""What ``make bench`` measures with and against: paths, its environment knobs, issue #22's targets.

Its own module so every part of the bench (bench.py and the ``_*.py`` beside it) reads one set
of settings, and runs its commands in one environment (``child_env``), as under make.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = ROOT / ".venv" / "bin" / "python"
NODE_BIN = ROOT / "node_modules" / ".bin"
CLI = NODE_BIN / "cdk8s"
PINNED_NODE = NODE_BIN / "node"
JS_DIR = BENCH / "js"
JS_CLI = JS_DIR / "node_modules" / ".bin" / "cdk8s"
FLOOR_DIR = BENCH / "floor"
INSTANCES = BENCH / "instances.py"

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# N = 1 gets more rounds: its ratio sits a few % from its limit, and one round's ratio spans
# about +-10% on these 2-core machines, so the median of 5 moved by more than the margin.
SYNTH_RUNS = int(os.environ.get("BENCH_SYNTH_RUNS", str(2 * RUNS + 1)))
MAX_N = int(os.environ.get("BENCH_MAX_N", "30"))
TIMEOUT_S = float(os.environ.get("BENCH_TIMEOUT_S", "600"))
SKIP_TEST = os.environ.get("BENCH_SKIP_TEST") == "1"
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "performance.md"))
SAMPLE_S = 0.010
MAKE = os.environ.get("MAKE", "make")

TARGETS = {  # issue #22, on a 2-core machine
    "floor": 1.15,  # make synth / the one-ConfigMap floor run the same way, N = 1, same round
    "per_instance_js": 1.5,  # per extra instance, plain app.synth(), Python / the JS peer, same round
    "test_s": 60.0,  # make test, warm
    "check_s": 15.0,  # make check, warm
    "bench_s": 300.0,  # make bench itself
}
README = ROOT / "README.md"
README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"
EOL_BANNER = "end-of-life"


def child_env(**extra: str) -> dict[str, str]:
    """As under make: the pinned Node first on PATH (cdk8s-cli; main.py picks it for jsii)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_")}
    env["PATH"] = os.pathsep.join([str(NODE_BIN), env.get("PATH", "")])
    env["CDK8S_CHECK_UPGRADE"] = "false"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as the Makefile does: a warm run does not recompile
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    env.update(extra)
    return env

