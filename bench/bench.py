#!/usr/bin/env python3
"""``make bench``: how fast the Taskora synth is, against issue #22's targets.

Measures, each as median / min / max over BENCH_RUNS (default 5) timed runs (section 1:
BENCH_SYNTH_RUNS, default 2 x BENCH_RUNS + 1) after one untimed warm-up (peak RSS of the process tree sampled during the warm-up), with user + sys
CPU time beside every wall time, and every ratio taken within one round:

1. N = 1: ``make synth`` (the app run directly, into a temporary DIST) against the Python
   floor (``bench/floor``, one ConfigMap) run the same way (``python main.py``, pinned Node);
   ``cdk8s synth`` on the pinned Node once, for the reference bytes (``make synth`` must
   write them) and the end-of-life banner check.
2. N Taskora instances in one App with a plain ``app.synth()`` (``bench/instances.py``), a
   sweep over N = 1..BENCH_MAX_N (default 30) for the curve, then N = 1 and N = BENCH_MAX_N
   in BENCH_RUNS rounds together with the JS peer (``node main.js``, the same manifests built
   in code): the per-extra-instance ratio Python / JS, round by round; the opt-in lint at
   N = 1 and N = BENCH_MAX_N (2 rounds).
3. ``make test`` (``--durations=15``) then ``make check``, one timed run each (warm: ``make test`` runs once
   untimed first, as an edit of the library makes it reinstall the example apps' environments).

Every target is reported with PASS or MISS, including this run's own wall time (<= 5
minutes). Writes docs/performance.md (with bench/findings.md, its figures filled in) and the
speed figures of README.md (between its ``bench:begin``/``bench:end`` markers), unless run with
``--no-write``. Synth outputs go to a temporary directory that is removed at the end.

Environment: BENCH_RUNS, BENCH_SYNTH_RUNS, BENCH_MAX_N, BENCH_TIMEOUT_S (one run, default 600),
BENCH_SKIP_TEST=1 (leave ``make test`` out of section 3: it needs the whole set-up, checkov,
Helm and the Debian packages), BENCH_OUTPUT (where the report goes).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import string
import sys
import tempfile
import time
from pathlib import Path

# bench/ is sys.path[0] when run as a script (make bench): the modules beside this one, read
# without writing bytecode into the repository (as before the split; the commands it times
# still cache theirs: child_env)
sys.dont_write_bytecode = True
from _machine import machine  # noqa: E402
from _report import report, write_readme  # noqa: E402
from _runner import BenchError  # noqa: E402
from _sections import instances_section, synth_section, tests_section  # noqa: E402
from _settings import BENCH, CLI, JS_CLI, OUTPUT, PY, ROOT  # noqa: E402


def _terminate(signum, frame):  # make `kill` and Ctrl-C clean up like any other error
    raise KeyboardInterrupt


def main() -> int:
    write = "--no-write" not in sys.argv[1:]
    signal.signal(signal.SIGTERM, _terminate)
    for path, hint in ((PY, "make deps"), (CLI, "make deps"), (JS_CLI, "make bench (npm ci in bench/js)")):
        if not path.exists():
            print(f"bench: {path} is missing: run {hint}", file=sys.stderr)
            return 1
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="taskora-bench-"))
    try:
        facts = machine()
        synth = synth_section(tmp)
        inst = instances_section(tmp)
        tests = tests_section()
    except BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    markdown, values, figures = report(synth, inst, tests, facts, (load_before, os.getloadavg()[0]), started, elapsed)
    print("\n" + markdown)
    if not write:
        print("\n(not written: --no-write)")
        return 0
    findings = BENCH / "findings.md"
    if findings.exists():
        markdown += "\n" + string.Template(findings.read_text()).safe_substitute(values)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(markdown)
    if OUTPUT == ROOT / "docs" / "performance.md":
        try:
            write_readme(figures)
        except BenchError as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
    print(f"\nWrote {OUTPUT.relative_to(ROOT) if OUTPUT.is_relative_to(ROOT) else OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
