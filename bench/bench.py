#!/usr/bin/env python3
"""``make bench``: how fast the Taskora synth is, against issue #13's targets.

Measures, each as median / min / max over BENCH_RUNS (default 5) timed runs after one
untimed warm-up (peak RSS of the process tree sampled during the warm-up):

1. N = 1: ``make synth`` (the app run directly, into a temporary DIST), ``cdk8s synth`` as it
   ran before issue #13 (system Node, banner silenced), ``cdk8s synth`` on the pinned Node,
   the JS peer with its objects in code (``bench/js``, through its own cdk8s-cli, writing the
   same bytes: checked) and the Python floor (``bench/floor``, one ConfigMap); ratios pair by
   pair within a round. Also checked: ``make synth`` writes the bytes ``cdk8s synth`` writes,
   and no run prints an end-of-life banner.
2. N Taskora instances in one App with a plain ``app.synth()`` (``bench/instances.py``), for
   every N = 1..BENCH_MAX_N (default 30) once, then N = 1 and N = BENCH_MAX_N in BENCH_RUNS
   rounds for the per-extra-instance figure; the same with the opt-in whole-app lint
   (``--lint``, 3 rounds) at N = 1 and N = BENCH_MAX_N; the JS peer (``node main.js``) at both.
3. ``make test`` then ``make check``, one run each (warm: after earlier runs of the suite).

Every target of the issue is reported with PASS or MISS, including this run's own wall time
(<= 5 minutes). Prints the tables; writes docs/performance.md (with bench/findings.md, its
figures filled in) only when run with ``--write`` (``make bench WRITE=1``). Synth outputs go
to a temporary directory that is removed at the end.

Environment: BENCH_RUNS, BENCH_MAX_N, BENCH_TIMEOUT_S (one run, default 600),
BENCH_SKIP_TEST=1 (leave out section 3), BENCH_OUTPUT (where --write writes).
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

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
MAX_N = int(os.environ.get("BENCH_MAX_N", "30"))
TIMEOUT_S = float(os.environ.get("BENCH_TIMEOUT_S", "600"))
SKIP_TEST = os.environ.get("BENCH_SKIP_TEST") == "1"
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "performance.md"))
SAMPLE_S = 0.010
MAKE = os.environ.get("MAKE", "make")

TARGETS = {  # issue #13, on a 2-core machine
    "make_vs_cli_before": 0.6,  # make synth / cdk8s synth as it ran before
    "js": 1.3,  # cdk8s synth Taskora / JS peer with its objects in code
    "js_bar": 1.4,
    "per_instance_ms": 80.0,  # per extra instance, plain app.synth(), N = 1 -> MAX_N
    "test_s": 60.0,  # make test, warm
    "check_s": 15.0,  # make check
    "bench_s": 300.0,  # make bench itself
}
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


def system_node_env(**extra: str) -> dict[str, str]:
    """As before issue #13: the system's Node for the CLI and jsii, its banner silenced."""
    env = child_env(**extra)
    path = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p).resolve() != NODE_BIN.resolve())
    node = shutil.which("node", path=path)
    if node is None:
        raise BenchError("no system `node` on PATH for the before-issue-13 baseline")
    env.update(PATH=path, JSII_NODE=node, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return env


# --- running and measuring ----------------------------------------------------------------

def tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


class BenchError(RuntimeError):
    pass


@dataclass
class Run:
    seconds: float
    stdout: str
    returncode: int
    peak_rss: int | None = None
    timed_out: bool = False
    stderr: str = ""
    cpu: float = 0.0  # user + sys seconds of the process and the descendants it waited for


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], sample: bool = False, check: bool = True,
        timeout: float = TIMEOUT_S, allow_timeout: bool = False) -> Run:
    """Run ``cmd`` to completion; wall time, stdout, and (``sample``) the tree's peak RSS.

    Past ``timeout`` the run is stopped: an error, or with ``allow_timeout`` a run marked
    ``timed_out`` whose time is a lower bound."""
    timed_out = False
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    peak = [0]
    stop = threading.Event()
    sampler = None
    if sample:
        ps_proc = psutil.Process(proc.pid)

        def sample_loop() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss(ps_proc))
                stop.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample_loop, daemon=True)
        sampler.start()
    returncode = -1
    try:
        returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if not allow_timeout:
            raise BenchError(f"{' '.join(map(str, cmd))}: no result after {timeout:.0f} s (BENCH_TIMEOUT_S)")
        timed_out = True
    finally:
        stop.set()
        if sampler is not None:
            sampler.join()
        if proc.poll() is None:  # interrupted or timed out: end the child's tree, nothing else
            try:
                members = [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]
            except psutil.Error:
                members = []
            for member in members:
                try:
                    member.kill()
                except psutil.Error:
                    pass
            proc.wait()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode(errors="replace")
    stderr = err.read().decode(errors="replace")
    if timed_out:
        return Run(seconds, stdout, returncode, peak[0] if sample else None, timed_out=True, stderr=stderr, cpu=cpu)
    if check and returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} (in {cwd}) exited {returncode}:\n{stderr[-3000:]}{stdout[-2000:]}")
    return Run(seconds, stdout, returncode, peak[0] if sample else None, stderr=stderr, cpu=cpu)


@dataclass
class Scenario:
    key: str
    label: str
    cmd: list[str]
    cwd: Path
    env: dict[str, str]
    prepare: object = None  # called before every run (e.g. to empty an output directory)
    check: bool = True
    runs: list[Run] = field(default_factory=list)
    warmup: Run | None = None
    note: str = ""
    timeout: float = TIMEOUT_S
    allow_timeout: bool = False  # a run stopped at `timeout` is a lower bound, not an error

    def go(self, sample: bool = False) -> Run:
        if self.prepare is not None:
            self.prepare()
        return run(self.cmd, cwd=self.cwd, env=self.env, sample=sample, check=self.check, timeout=self.timeout,
                   allow_timeout=self.allow_timeout)

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def stopped(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def peak_rss(self) -> int | None:
        sampled = [r.peak_rss for r in [*([self.warmup] if self.warmup else []), *self.runs] if r.peak_rss]
        return max(sampled) if sampled else None


def measure(scenarios: list[Scenario], title: str, runs: int = RUNS, warmup: bool = True) -> None:
    """A warm-up (sampled for RSS) of each scenario, then ``runs`` rounds in a rotated order."""
    print(f"\n== {title}", flush=True)
    if warmup:
        for s in scenarios:
            print(f"   warm-up  {s.label} ...", end="", flush=True)
            s.warmup = s.go(sample=True)
            print(f" {s.warmup.seconds:.2f} s", flush=True)
    for i in range(runs):
        order = scenarios[i % len(scenarios):] + scenarios[:i % len(scenarios)]
        for s in order:
            s.runs.append(s.go(sample=not warmup and i == 0))  # no warm-up: RSS sampled in round 1
        print(f"   round {i + 1}: " + ", ".join(f"{s.key} {s.runs[-1].seconds:.2f}" for s in scenarios), flush=True)


def pairwise(a: Scenario, b: Scenario) -> list[float]:
    """a/b within each round (or of the medians when either was run once)."""
    if len(a.runs) == len(b.runs) and len(a.runs) > 1:
        return [x / y for x, y in zip(a.seconds, b.seconds)]
    return [a.median / b.median]


def same_tree(left: Path, right: Path) -> list[str]:
    """The differences between two output directories (names and bytes)."""
    lnames, rnames = sorted(p.name for p in left.iterdir()), sorted(p.name for p in right.iterdir())
    if lnames != rnames:
        return [f"file names differ: {lnames} vs {rnames}"]
    return [n for n in lnames if not filecmp.cmp(left / n, right / n, shallow=False)]



def fresh_dir(path: Path):
    def prepare() -> None:
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    return prepare


def manifests_json(directory: Path, target: Path) -> Path:
    """The manifests of an output directory as one JSON file, for the JS peer's in-code mode."""
    import yaml  # PyYAML, a pinned dependency of the app

    files = {p.name: [doc for doc in yaml.safe_load_all(p.read_text()) if doc]
             for p in sorted(directory.glob("*.k8s.yaml"))}
    target.write_text(json.dumps(files))
    return target



# --- the sections ---------------------------------------------------------------------------

def banner_in(*scenarios: Scenario) -> list[str]:
    """The scenarios any of whose runs printed jsii's end-of-life banner."""
    return [s.label for s in scenarios
            if any(EOL_BANNER in (r.stdout + r.stderr) for r in [*([s.warmup] if s.warmup else []), *s.runs])]


def synth_section(tmp: Path) -> dict:
    cli_out = tmp / "cli" / "out"
    cli = Scenario("cli", "`cdk8s synth`, pinned Node (what `npx cdk8s synth` runs)",
                   [str(CLI), "synth", "-o", str(cli_out)], ROOT, child_env(), fresh_dir(cli_out))
    # The JS peer builds the same objects in code from a JSON copy of the Python synth's output.
    cli.go()
    reference = tmp / "reference-n1"
    shutil.copytree(cli_out, reference)
    reference_json = manifests_json(reference, tmp / "reference-n1.json")
    before_out = tmp / "cli-before" / "out"
    before = Scenario("before", "`cdk8s synth` before issue #13 (system Node, banner silenced)",
                      [str(CLI), "synth", "-o", str(before_out)], ROOT, system_node_env(), fresh_dir(before_out))
    make_out = tmp / "make" / "dist"
    make = Scenario("make", "`make synth` (main.py directly, pinned Node)",
                    [MAKE, "--no-print-directory", "synth", f"DIST={make_out}"], ROOT, child_env(), fresh_dir(make_out))
    js_out = tmp / "js" / "out"
    js = Scenario("js", "`cdk8s synth` of the JS peer, objects in code (same bytes)",
                  [str(JS_CLI), "synth", "-o", str(js_out)], JS_DIR,
                  child_env(TASKORA_BENCH_MANIFESTS=str(reference_json)), fresh_dir(js_out))
    floor_out = tmp / "floor" / "out"
    floor = Scenario("floor", "`cdk8s synth` of the Python floor (1 ConfigMap), pinned Node",
                     [str(CLI), "synth", "-o", str(floor_out)], FLOOR_DIR, child_env(), fresh_dir(floor_out))
    scenarios = [make, before, cli, js, floor]
    measure(scenarios, "1. synth at N = 1")
    for name, out in (("make synth", make_out), ("cdk8s synth on the system Node", before_out),
                      ("the JS peer", js_out)):
        diffs = same_tree(reference, out)
        if diffs:
            raise BenchError(f"{name} did not write the bytes `cdk8s synth` writes: {diffs}")
    node = subprocess.run([str(PINNED_NODE), "--version"], capture_output=True, text=True).stdout.strip()
    system_node = subprocess.run([before.env["JSII_NODE"], "--version"], capture_output=True, text=True).stdout.strip()
    return {"scenarios": scenarios, "make": make, "before": before, "cli": cli, "js": js, "floor": floor,
            "files": len(list(reference.iterdir())), "node": node, "system_node": system_node,
            "banner": banner_in(make, cli, js, floor)}


def instances_scenario(tmp: Path, key: str, label: str, n: int, *flags: str) -> Scenario:
    out = tmp / f"inst-{key}" / "out"
    s = Scenario(key, label, [str(PY), str(INSTANCES), str(n), str(out), *flags], ROOT, child_env(), fresh_dir(out))
    s.n, s.out = n, out  # type: ignore[attr-defined]
    return s


def results(s: Scenario) -> list[dict]:
    return [json.loads(r.stdout.strip().splitlines()[-1]) for r in ([s.warmup] if s.warmup else []) + s.runs]


def instances_section(tmp: Path) -> dict:
    # Every N once (one process each), in order: the shape of the curve.
    sweep = [instances_scenario(tmp, f"n{n}", f"N = {n}", n) for n in range(1, MAX_N + 1)]
    print(f"\n== 2a. N = 1..{MAX_N} Taskora instances, plain app.synth(), one run each", flush=True)
    for s in sweep:
        s.runs.append(s.go())
    print("   " + ", ".join(f"{s.n}: {s.runs[0].seconds:.2f}" for s in sweep), flush=True)  # type: ignore[attr-defined]
    # N = 1 and N = MAX_N, round by round: the per-extra-instance figure, pair by pair.
    plain = {n: instances_scenario(tmp, f"p{n}", f"N = {n:>2}: plain `app.synth()` (library default)", n)
             for n in (1, MAX_N)}
    lint = {n: instances_scenario(tmp, f"l{n}", f"N = {n:>2}: opt-in lint, as main.py (`once()`)", n, "--lint")
            for n in (1, MAX_N)}
    # The sweep above warmed these up: no separate warm-up; the lint (not the default path)
    # gets 3 rounds.
    measure(list(plain.values()), f"2b. N = 1 and N = {MAX_N}, plain app.synth()", warmup=False)
    measure(list(lint.values()), f"2c. N = 1 and N = {MAX_N}, with the opt-in lint", runs=min(RUNS, 3), warmup=False)
    # The JS peer at the same N (node main.js, no CLI), objects in code, the same bytes.
    js: dict[int, Scenario] = {}
    for n in (1, MAX_N):
        reference = plain[n].out  # type: ignore[attr-defined]
        out = tmp / f"js-n{n}" / "out"
        js[n] = Scenario(f"js{n}", f"N = {n:>2}: JS peer, objects in code, `node main.js`", [str(PINNED_NODE), "main.js"],
                         JS_DIR, child_env(CDK8S_OUTDIR=str(out), TASKORA_BENCH_MANIFESTS=str(
                             manifests_json(reference, tmp / f"inst-reference-n{n}.json"))), fresh_dir(out))
        js[n].out, js[n].reference = out, tmp / f"inst-reference-n{n}"  # type: ignore[attr-defined]
        shutil.copytree(reference, js[n].reference)  # type: ignore[attr-defined]
    measure(list(js.values()), f"2d. the JS peer at N = 1 and N = {MAX_N}", runs=3)
    for n, s in js.items():
        diffs = same_tree(s.reference, s.out)  # type: ignore[attr-defined]
        if diffs:
            raise BenchError(f"the JS peer at N = {n} did not write the Python manifests: {diffs}")
    return {"sweep": sweep, "plain": plain, "lint": lint, "js": js,
            "scenarios": [*plain.values(), *lint.values(), *js.values()]}


def tests_section() -> dict:
    check = Scenario("check", "`make check` (warm)", [MAKE, "--no-print-directory", "check"], ROOT, child_env(),
                     check=False)
    test = Scenario("test", "`make test` (warm)", [MAKE, "--no-print-directory", "test", "ARGS=--durations=10"], ROOT,
                    child_env(), check=False)
    print("\n== 3. make test, then make check (one run each, warm from earlier runs)", flush=True)
    for s in (test, check):
        s.runs.append(s.go())
        print(f"   {s.key}: {s.runs[-1].seconds:.1f} s, exit {s.runs[-1].returncode}", flush=True)
    slowest: list[str] = []
    lines = test.runs[-1].stdout.splitlines()
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

    return {"test": test, "check": check, "slowest": slowest, "test_summary": summary(test),
            "check_summary": summary(check),
            "failed": {s.key: s.runs[-1].returncode for s in (test, check) if s.runs[-1].returncode}}


# --- figures --------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def sec(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def mib(rss: int | None) -> str:
    return "-" if not rss else f"{rss / 2**20:.0f} MiB"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def rng(values: list[float], fmt) -> str:
    med = statistics.median(values)
    return fmt(med) if len(values) == 1 else f"{fmt(med)} ({fmt(min(values))} - {fmt(max(values))})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def stat_row(s: Scenario) -> list[str]:
    return [s.label, str(len(s.runs)), sec(s.median), sec(min(s.seconds)), sec(max(s.seconds)), sec(s.cpu),
            mib(s.peak_rss)]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def per_extra(lo: Scenario, hi: Scenario, n: int) -> list[float]:
    """Seconds per extra instance from N = 1 to N = n, round by round."""
    return [(b - a) / (n - 1) for a, b in zip(lo.seconds, hi.seconds)]


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares seconds per instance over (N, seconds) points."""
    mean_n = statistics.mean(n for n, _ in points)
    mean_t = statistics.mean(t for _, t in points)
    return (sum((n - mean_n) * (t - mean_t) for n, t in points)
            / sum((n - mean_n) ** 2 for n, _ in points))


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


def report(synth: dict, inst: dict, tests: dict | None, facts: dict[str, str], load: tuple[float, float],
           started: str, elapsed: float) -> tuple[str, dict[str, str]]:
    """(markdown for docs/performance.md, the figures bench/findings.md may name as $name)."""
    make, before, cli, js, floor = synth["make"], synth["before"], synth["cli"], synth["js"], synth["floor"]
    r_make = pairwise(make, before)
    r_make_cli = pairwise(make, cli)
    r_js = pairwise(cli, js)
    r_floor = pairwise(cli, floor)
    r_node = pairwise(cli, before)
    r_floor_js = pairwise(floor, js)
    plain, lint, js_n = inst["plain"], inst["lint"], inst["js"]
    per = per_extra(plain[1], plain[MAX_N], MAX_N)
    per_lint = per_extra(lint[1], lint[MAX_N], MAX_N)
    per_js = per_extra(js_n[1], js_n[MAX_N], MAX_N)
    med = statistics.median
    node_major = int(synth["node"].lstrip("v").split(".")[0]) if synth["node"] else 0
    js_ratio = med(r_js)
    js_verdict = ("PASS" if js_ratio <= TARGETS["js"] else
                  f"MISS (within the {TARGETS['js_bar']}x bar)" if js_ratio <= TARGETS["js_bar"] else "MISS")

    targets = [
        ["`make synth` / `cdk8s synth` as it ran before (system Node), N = 1, same round", rng(r_make, ratio),
         f"<= {TARGETS['make_vs_cli_before']}x", verdict(med(r_make) <= TARGETS["make_vs_cli_before"])],
        ["`make synth` writes the bytes `cdk8s synth` writes", f"{synth['files']} files compared", "identical",
         "PASS"],  # a difference stops the bench (BenchError)
        [f"jsii and cdk8s-cli on a supported Node LTS, no end-of-life banner",
         f"{synth['node']} (pinned); banner in: {', '.join(synth['banner']) or 'none'}", ">= 24, none",
         verdict(node_major >= 24 and node_major % 2 == 0 and not synth["banner"])],
        ["`cdk8s synth` Taskora / JS peer with its objects in code, N = 1, same round", rng(r_js, ratio),
         f"<= {TARGETS['js']}x (bar {TARGETS['js_bar']}x)", js_verdict],
        [f"per extra instance, plain `app.synth()`, N = 1 -> {MAX_N}, whole process, same round", rng(per, ms),
         f"<= {TARGETS['per_instance_ms']:.0f} ms", verdict(med(per) * 1000 <= TARGETS["per_instance_ms"])],
    ]
    if tests:
        failed = tests["failed"]
        for key, target in (("test", "test_s"), ("check", "check_s")):
            s = tests[key]
            note = f" (tests FAILED: exit {failed[key]})" if key in failed else ""
            targets.append([f"`make {key}`, warm", f"{sec(s.median)} (CPU {sec(s.cpu)})", f"<= {TARGETS[target]:.0f} s",
                            verdict(s.median <= TARGETS[target] and not note) + note])
    targets.append(["`make bench` (this run, wall time)", f"{elapsed / 60:.1f} min",
                    f"<= {TARGETS['bench_s'] / 60:.0f} min", verdict(elapsed <= TARGETS["bench_s"])])

    header = ["scenario", "runs", "median", "min", "max", "CPU (median)", "peak RSS (tree)"]
    sweep = inst["sweep"]
    t1 = sweep[0].median
    sweep_rows = []
    for s in sweep:
        r = results(s)[0]
        n = s.n  # type: ignore[attr-defined]
        sweep_rows.append([str(n), sec(s.median), ms(r["t_build"]), ms(r["t_synth"]), f"{r['calls_total']}",
                           "-" if n == 1 else ms((s.median - t1) / (n - 1))])
    points = [(s.n, s.median) for s in sweep]  # type: ignore[attr-defined]
    fit_all = slope(points)
    fit_low = slope(points[: max(2, len(points) // 3)])
    fit_high = slope(points[-max(2, len(points) // 3):])
    lo, hi = results(plain[1]), results(plain[MAX_N])
    lint_lo, lint_hi = results(lint[1]), results(lint[MAX_N])

    def phase(rs: list[dict], key: str) -> float:
        return med(r[key] for r in rs)

    phase_rows = []
    for name, key in (("import jsii + cdk8s (starts Node)", None), ("import taskora_constructs", "t_import_taskora"),
                      ("build the constructs", "t_build"), ("`app.synth()`", "t_synth")):
        if key is None:
            values = [phase(rs, "t_import_jsii") + phase(rs, "t_import_cdk8s") for rs in (lo, hi, lint_lo, lint_hi)]
        else:
            values = [phase(rs, key) for rs in (lo, hi, lint_lo, lint_hi)]
        phase_rows.append([name, ms(values[0]), ms(values[1]),
                           "-" if key in (None, "t_import_taskora") else ms((values[1] - values[0]) / (MAX_N - 1)),
                           ms(values[2]), ms(values[3]),
                           "-" if key in (None, "t_import_taskora") else ms((values[3] - values[2]) / (MAX_N - 1))])
    calls_per = (phase(hi, "calls_total") - phase(lo, "calls_total")) / (MAX_N - 1)

    md: list[str] = []
    md.append("# Synth performance (issue #13)\n")
    md.append(f"Written by `make bench WRITE=1` (`bench/bench.py`) on {started}, at commit {facts['commit']}; "
              f"the whole run took {elapsed / 60:.1f} min. Do not edit by hand: run it again.\n")
    md.append(f"**Machine:** {facts['cores']} cores ({facts['cpu']}), {facts['memory']} RAM, {facts['os']}; "
              f"Python {facts['python']}; Node {synth['node']} (pinned, `node_modules/.bin/node`) and "
              f"{synth['system_node']} (the system's, for the before row); cdk8s {facts['cdk8s']} (Python), "
              f"jsii {facts['jsii']}, cdk8s-cli {facts['cdk8s_cli']}. Load average {load[0]:.2f} before and "
              f"{load[1]:.2f} after the run.\n")
    md.append(f"**Method:** a figure is the median (min - max) of {RUNS} timed runs after one untimed warm-up "
              "unless the table says otherwise; the runs of a section go round by round in a rotated order and a "
              "ratio is taken within a round. Peak RSS: the largest sum over the process and its descendants, "
              "sampled every 10 ms during the warm-up (or the first round where a section has none). Bytecode "
              "caching is on, as under `make`. Other work on the machine slows every figure: the load average "
              "above says how much there was.\n")
    cores = os.cpu_count() or 1
    # The bench's own last command (`make check` after `make test` on both cores) leaves a load
    # average of about the core count: more than that is other work.
    if load[0] > cores or load[1] > cores + 1:
        md.append(f"**The machine was busy during this run** (load average {load[0]:.2f} before, {load[1]:.2f} after, "
                  f"on {cores} cores): other processes took CPU time, so wall times, and most of all those of the "
                  "parallel `make test`, are longer than on an idle machine. The CPU columns (user + sys of the "
                  "command and the processes it waited for) show the work itself.\n")
    md.append("## Targets\n")
    md.append(table(["target", "measured: median (min - max)", "target", "result"], targets) + "\n")
    md.append("## 1. Synth at N = 1\n")
    md.append(table(header, [stat_row(s) for s in synth["scenarios"]]) + "\n")
    md.append(f"All rows wrote the same {synth['files']} files, byte for byte (checked on every run). Ratios pair by "
              f"pair: `make synth` / `cdk8s synth` before {rng(r_make, ratio)}, `make synth` / `cdk8s synth` on the "
              f"pinned Node {rng(r_make_cli, ratio)}, `cdk8s synth` on the pinned Node / before "
              f"{rng(r_node, ratio)}, `cdk8s synth` / JS peer (objects in code) {rng(r_js, ratio)}, "
              f"`cdk8s synth` / Python floor {rng(r_floor, ratio)}, Python floor / JS peer {rng(r_floor_js, ratio)}.\n")
    md.append(f"## 2. N Taskora instances in one App (`python bench/instances.py N`)\n")
    md.append(f"Every N = 1..{MAX_N} once, plain `app.synth()` (the library's default path, no synth-time "
              f"validation): whole process, the build and `app.synth()` phases inside it, Python -> Node (jsii) "
              f"calls, and (T(N) - T(1)) / (N - 1).\n")
    md.append(table(["N", "whole process", "build", "`app.synth()`", "jsii calls", "per extra instance"],
                    sweep_rows) + "\n")
    md.append(f"Least-squares slope over N = 1..{MAX_N}: **{ms(fit_all)} per instance**; over the first third "
              f"{ms(fit_low)}, over the last third {ms(fit_high)} (equal would be linear).\n")
    md.append(f"N = 1 and N = {MAX_N} round by round (after the sweep, no separate warm-up; RSS sampled in the "
              f"first round): plain ({RUNS} rounds), with the opt-in lint ({len(lint[1].runs)} rounds), and the JS "
              f"peer (same manifests, objects in code, six charts per instance, `node main.js`, 3 rounds after a "
              f"warm-up):\n")
    md.append(table(header, [stat_row(s) for s in inst["scenarios"]]) + "\n")
    md.append(f"Per extra instance, pair by pair: plain `app.synth()` **{rng(per, ms)}**; with the lint switched on "
              f"(`TaskoraValidation.of(app)`, `once()`, as `main.py` does) {rng(per_lint, ms)}; the JS peer "
              f"{rng(per_js, ms)}. jsii calls per extra instance (plain): {calls_per:.0f}.\n")
    md.append("Phases inside the Python process (median):\n")
    md.append(table(["phase", "N = 1", f"N = {MAX_N}", "per extra instance", "lint, N = 1", f"lint, N = {MAX_N}",
                     "lint, per extra instance"], phase_rows) + "\n")
    if tests:
        md.append("## 3. `make check` and `make test`\n")
        md.append(table(["command", "runs", "wall time", "CPU (user + sys)", "result"],
                        [[tests["check"].label, "1", sec(tests["check"].median), sec(tests["check"].cpu),
                          tests["check_summary"]],
                         [tests["test"].label, "1", sec(tests["test"].median), sec(tests["test"].cpu),
                          tests["test_summary"]]]) + "\n")
        if tests["slowest"]:
            md.append("The slowest tests of `make test` (pytest `--durations`, both cores at once):\n")
            md.append("```\n" + "\n".join(tests["slowest"]) + "\n```\n")
    values = {
        "r_make": ratio(med(r_make)), "r_make_cli": ratio(med(r_make_cli)), "r_js": ratio(js_ratio),
        "r_floor": ratio(med(r_floor)), "r_node": ratio(med(r_node)), "r_floor_js": ratio(med(r_floor_js)),
        "make": sec(make.median), "before": sec(before.median), "cli": sec(cli.median), "js": sec(js.median),
        "floor": sec(floor.median), "node": synth["node"], "system_node": synth["system_node"],
        "per": ms(med(per)), "per_lint": ms(med(per_lint)), "per_js": ms(med(per_js)), "max_n": str(MAX_N),
        "fit_all": ms(fit_all), "fit_low": ms(fit_low), "fit_high": ms(fit_high),
        "n1": sec(plain[1].median), "nmax": sec(plain[MAX_N].median),
        "nmax_lint": sec(lint[MAX_N].median), "calls_per": f"{calls_per:.0f}",
        "build_per": ms((phase(hi, "t_build") - phase(lo, "t_build")) / (MAX_N - 1)),
        "synth_per": ms((phase(hi, "t_synth") - phase(lo, "t_synth")) / (MAX_N - 1)),
        "synth_per_lint": ms((phase(lint_hi, "t_synth") - phase(lint_lo, "t_synth")) / (MAX_N - 1)),
        "test": sec(tests["test"].median) if tests else "n/a", "check": sec(tests["check"].median) if tests else "n/a",
        "elapsed": f"{elapsed / 60:.1f} min",
    }
    return "\n".join(md), values


def _terminate(signum, frame):  # make `kill` and Ctrl-C clean up like any other error
    raise KeyboardInterrupt


def main() -> int:
    write = "--write" in sys.argv[1:]
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
        tests = None if SKIP_TEST else tests_section()
    except BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    markdown, values = report(synth, inst, tests, facts, (load_before, os.getloadavg()[0]), started, elapsed)
    print("\n" + markdown)
    if not write:
        print("\n(not written: `make bench WRITE=1` writes docs/performance.md)")
        return 0
    findings = BENCH / "findings.md"
    if findings.exists():
        markdown += "\n" + string.Template(findings.read_text()).safe_substitute(values)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(markdown)
    print(f"\nWrote {OUTPUT.relative_to(ROOT) if OUTPUT.is_relative_to(ROOT) else OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
