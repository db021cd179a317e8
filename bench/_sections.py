"""The three sections of ``make bench``: synth at N = 1, N instances in one App, make test/check.

Its own module so what is measured (the scenarios, their commands, the checks that the bytes
agree) reads apart from how it is timed (``_runner.py``) and how it is reported (``_report.py``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from _runner import BenchError, Scenario, fresh_dir, manifests_json, measure, same_tree  # bench/ is sys.path[0]
from _settings import (CLI, EOL_BANNER, FLOOR_DIR, INSTANCES, JS_DIR, MAKE, MAX_N, PINNED_NODE, PY, ROOT, RUNS,
                       SKIP_TEST, SYNTH_RUNS, child_env)


def banner_in(*scenarios: Scenario) -> list[str]:
    """The scenarios any of whose runs printed jsii's end-of-life banner."""
    return [s.label for s in scenarios
            if any(EOL_BANNER in (r.stdout + r.stderr) for r in [*([s.warmup] if s.warmup else []), *s.runs])]


def synth_section(tmp: Path) -> dict:
    cli_out = tmp / "cli" / "out"
    cli = Scenario("cli", "`cdk8s synth`, pinned Node (what `npx cdk8s synth` runs), once",
                   [str(CLI), "synth", "-o", str(cli_out)], ROOT, child_env(), fresh_dir(cli_out))
    cli.runs.append(cli.go())
    reference = tmp / "reference-n1"
    shutil.copytree(cli_out, reference)
    make_out = tmp / "make" / "dist"
    make = Scenario("make", "`make synth` (main.py directly, pinned Node)",
                    [MAKE, "--no-print-directory", "synth", f"DIST={make_out}"], ROOT, child_env(), fresh_dir(make_out))
    floor_out = tmp / "floor" / "out"
    floor = Scenario("floor", "the Python floor (1 ConfigMap), `python main.py`, pinned Node",
                     [str(PY), "main.py"], FLOOR_DIR, child_env(CDK8S_OUTDIR=str(floor_out)), fresh_dir(floor_out))
    scenarios = [make, floor]
    measure(scenarios, "1. synth at N = 1", runs=SYNTH_RUNS)
    diffs = same_tree(reference, make_out)
    if diffs:
        raise BenchError(f"make synth did not write the bytes `cdk8s synth` writes: {diffs}")
    node = subprocess.run([str(PINNED_NODE), "--version"], capture_output=True, text=True).stdout.strip()
    return {"scenarios": [make, floor, cli], "make": make, "cli": cli, "floor": floor,
            "files": len(list(reference.iterdir())), "node": node, "banner": banner_in(make, cli, floor)}


def instances_scenario(tmp: Path, key: str, label: str, n: int, *flags: str) -> Scenario:
    out = tmp / f"inst-{key}" / "out"
    s = Scenario(key, label, [str(PY), str(INSTANCES), str(n), str(out), *flags], ROOT, child_env(), fresh_dir(out))
    s.n, s.out = n, out  # type: ignore[attr-defined]
    return s


def results(s: Scenario) -> list[dict]:
    return [json.loads(r.stdout.strip().splitlines()[-1]) for r in ([s.warmup] if s.warmup else []) + s.runs]


def sweep_ns() -> list[int]:
    """The N of the sweep: enough points for the curve's shape, not every N (the bench's 5 minutes)."""
    return sorted({1, 2, *range(5, MAX_N, 5), MAX_N})


def instances_section(tmp: Path) -> dict:
    # The sweep, one process each, in order: the shape of the curve.
    sweep = [instances_scenario(tmp, f"n{n}", f"N = {n}", n) for n in sweep_ns()]
    print(f"\n== 2a. N = {', '.join(str(n) for n in sweep_ns())} Taskora instances, plain app.synth(), one run each",
          flush=True)
    for s in sweep:
        s.runs.append(s.go())
    print("   " + ", ".join(f"{s.n}: {s.runs[0].seconds:.2f}" for s in sweep), flush=True)  # type: ignore[attr-defined]
    # N = 1 and N = MAX_N, round by round, with the JS peer in the same rounds: the per-extra-
    # instance ratio is taken within a round. The JS peer builds the sweep's manifests in code.
    plain = {n: instances_scenario(tmp, f"p{n}", f"N = {n:>2}: plain `app.synth()` (library default)", n)
             for n in (1, MAX_N)}
    js: dict[int, Scenario] = {}
    for n, s in zip((1, MAX_N), (sweep[0], sweep[-1])):
        out = tmp / f"js-n{n}" / "out"
        js[n] = Scenario(f"js{n}", f"N = {n:>2}: JS peer, objects in code, `node main.js`", [str(PINNED_NODE), "main.js"],
                         JS_DIR, child_env(CDK8S_OUTDIR=str(out), TASKORA_BENCH_MANIFESTS=str(
                             manifests_json(s.out, tmp / f"inst-reference-n{n}.json"))), fresh_dir(out))  # type: ignore[attr-defined]
        js[n].out, js[n].reference = out, tmp / f"inst-reference-n{n}"  # type: ignore[attr-defined]
        shutil.copytree(s.out, js[n].reference)  # type: ignore[attr-defined]
    measure([*plain.values(), *js.values()], f"2b. N = 1 and N = {MAX_N}: plain app.synth() and the JS peer")
    for n, s in js.items():
        diffs = same_tree(s.reference, s.out)  # type: ignore[attr-defined]
        if diffs:
            raise BenchError(f"the JS peer at N = {n} did not write the Python manifests: {diffs}")
    lint = {n: instances_scenario(tmp, f"l{n}", f"N = {n:>2}: opt-in lint, as main.py (`once()`)", n, "--lint")
            for n in (1, MAX_N)}
    measure(list(lint.values()), f"2c. N = 1 and N = {MAX_N}, with the opt-in lint", runs=min(RUNS, 2), warmup=False)
    return {"sweep": sweep, "plain": plain, "lint": lint, "js": js,
            "scenarios": [*plain.values(), *js.values(), *lint.values()]}


def tests_section() -> dict:
    check = Scenario("check", "`make check` (warm)", [MAKE, "--no-print-directory", "check"], ROOT, child_env(),
                     check=False)
    test = Scenario("test", "`make test` (warm)", [MAKE, "--no-print-directory", "test"], ROOT,
                    child_env(), check=False)
    commands = (check,) if SKIP_TEST else (test, check)
    print(f"\n== 3. {', then '.join(c.label.split(' (')[0] for c in commands)} (one timed run each, warm)", flush=True)
    if not SKIP_TEST:
        # Warm means a second run: the first after an edit of the library rebuilds its wheel and
        # reinstalls the example apps' environments (tests/support/example_team.py, ~25 s each),
        # which a run with nothing changed reuses. Reported beside the timed run, not instead.
        test.warmup = test.go()
        print(f"   warm-up test: {test.warmup.seconds:.1f} s, exit {test.warmup.returncode}", flush=True)
    for s in commands:
        s.runs.append(s.go())
        print(f"   {s.key}: {s.runs[-1].seconds:.1f} s, exit {s.runs[-1].returncode}", flush=True)
    slowest: list[str] = []
    slowest_of = test if test.runs else check  # both print pytest's --durations=15 (the Makefile)
    lines = slowest_of.runs[-1].stdout.splitlines()
    for i, line in enumerate(lines):
        if "slowest" in line and "durations" in line:
            for entry in lines[i + 1:]:
                if not entry.strip() or entry.startswith("=") or entry.startswith("("):
                    break
                slowest.append(entry.strip())
            break

    def summary(s: Scenario) -> str:
        return next((line.strip("= ") for line in reversed(s.runs[-1].stdout.splitlines())
                     if " passed" in line or " failed" in line), "")

    return {"test": test if test.runs else None, "check": check, "slowest": slowest, "slowest_of": slowest_of.label,
            "test_summary": summary(test) if test.runs else "", "check_summary": summary(check),
            "failed": {s.key: s.runs[-1].returncode for s in commands if s.runs[-1].returncode}}
