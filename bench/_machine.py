"""The machine a ``make bench`` run was taken on: commit, cores, CPU, memory, tool versions.

Its own module because docs/performance.md names these facts beside every figure, and they are
gathered by asking the tools themselves, not by timing anything.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import psutil

from _settings import CLI, PY, ROOT, child_env  # bench/ is sys.path[0]: bench.py runs as a script


def machine() -> dict[str, str]:
    cli = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, env=child_env()).stdout.strip()
    py = subprocess.run([str(PY), "-c", "import platform; from importlib.metadata import version as v; "
                         "print(platform.python_version(), v('cdk8s'), v('jsii'))"],
                        capture_output=True, text=True, env=child_env()).stdout.split()
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "main.py", "taskora_constructs", "taskora_app",
                            "config", "cdk8s.yaml", "Makefile", "package.json", "tests", "bench"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"commit": commit + (" with uncommitted changes" if dirty else ""), "cores": str(os.cpu_count()),
            "cpu": cpu, "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
            "python": py[0] if py else platform.python_version(), "cdk8s": py[1] if py else "?",
            "jsii": py[-1] if py else "?", "cdk8s_cli": cli, "os": f"{platform.system()} {platform.release()}"}
