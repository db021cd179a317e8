#!/usr/bin/env python3
"""``make bench``: how fast the Taskora synth is, against issue #22's targets.

Measures, each as median / min / max over BENCH_RUNS (default 5) timed runs after one
untimed warm-up (peak RSS of the process tree sampled during the warm-up), with user + sys
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
3. ``make test`` (``--durations=15``) then ``make check``, one run each (warm).

Every target is reported with PASS or MISS, including this run's own wall time (<= 5
minutes). Writes docs/performance.md (with bench/findings.md, its figures filled in) and the
speed figures of README.md (between its ``bench:begin``/``bench:end`` markers), unless run with
``--no-write``. Synth outputs go to a temporary directory that is removed at the end.

Environment: BENCH_RUNS, BENCH_MAX_N, BENCH_TIMEOUT_S (one run, default 600),
BENCH_SKIP_TEST=1 (leave ``make test`` out of section 3: it needs the whole set-up, checkov,
Helm and the Debian packages), BENCH_OUTPUT (where the report goes).
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
    measure(scenarios, "1. synth at N = 1")
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
    print(f"\n== 3. {', then '.join(c.label.split(' (')[0] for c in commands)} (one run each, warm)", flush=True)
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


def cpu_per_extra(lo: Scenario, hi: Scenario, n: int) -> list[float]:
    """CPU seconds (user + sys, the whole process tree) per extra instance, round by round."""
    return [(b.cpu - a.cpu) / (n - 1) for a, b in zip(lo.runs, hi.runs)]


def ratios(a: list[float], b: list[float]) -> list[float]:
    return [x / y for x, y in zip(a, b)]


def cpu_pairwise(a: Scenario, b: Scenario) -> list[float]:
    return [x.cpu / y.cpu for x, y in zip(a.runs, b.runs)]


def report(synth: dict, inst: dict, tests: dict | None, facts: dict[str, str], load: tuple[float, float],
           started: str, elapsed: float) -> tuple[str, dict[str, str], str]:
    """(docs/performance.md, the figures bench/findings.md may name as $name, the README's figures)."""
    make, floor = synth["make"], synth["floor"]
    med = statistics.median
    r_floor, r_floor_cpu = pairwise(make, floor), cpu_pairwise(make, floor)
    plain, lint, js_n = inst["plain"], inst["lint"], inst["js"]
    per, per_js = per_extra(plain[1], plain[MAX_N], MAX_N), per_extra(js_n[1], js_n[MAX_N], MAX_N)
    per_cpu, per_js_cpu = cpu_per_extra(plain[1], plain[MAX_N], MAX_N), cpu_per_extra(js_n[1], js_n[MAX_N], MAX_N)
    r_per, r_per_cpu = ratios(per, per_js), ratios(per_cpu, per_js_cpu)
    per_lint = per_extra(lint[1], lint[MAX_N], MAX_N)
    node_major = int(synth["node"].lstrip("v").split(".")[0]) if synth["node"] else 0

    targets = [
        ["`make synth` / the one-ConfigMap floor run the same way (`python main.py`, pinned Node), N = 1, same round",
         f"{rng(r_floor, ratio)}; CPU {rng(r_floor_cpu, ratio)}", f"<= {TARGETS['floor']}x",
         verdict(med(r_floor) <= TARGETS["floor"] and med(r_floor_cpu) <= TARGETS["floor"])],
        [f"per extra instance, plain `app.synth()`, N = 1 -> {MAX_N}, whole process: Python / the JS peer, same round",
         f"{rng(r_per, ratio)} ({ms(med(per))} / {ms(med(per_js))}); CPU {rng(r_per_cpu, ratio)} "
         f"({ms(med(per_cpu))} / {ms(med(per_js_cpu))})", f"<= {TARGETS['per_instance_js']}x",
         verdict(med(r_per) <= TARGETS["per_instance_js"] and med(r_per_cpu) <= TARGETS["per_instance_js"])],
        ["`make synth` writes the bytes `cdk8s synth` writes", f"{synth['files']} files compared", "identical",
         "PASS"],  # a difference stops the bench (BenchError)
        ["jsii and cdk8s-cli on a supported Node LTS, no end-of-life banner",
         f"{synth['node']} (pinned); banner in: {', '.join(synth['banner']) or 'none'}", ">= 24, none",
         verdict(node_major >= 24 and node_major % 2 == 0 and not synth["banner"])],
    ]
    if tests:
        failed = tests["failed"]
        for key, target in (("check", "check_s"), ("test", "test_s")):
            s = tests[key]
            if s is None:
                targets.append([f"`make {key}`, warm", "not measured (BENCH_SKIP_TEST=1)", f"<= {TARGETS[target]:.0f} s",
                                "MISS"])
                continue
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
        sweep_rows.append([str(n), sec(s.median), sec(s.cpu), ms(r["t_build"]), ms(r["t_synth"]), f"{r['calls_total']}",
                           "-" if n == 1 else ms((s.median - t1) / (n - 1))])
    points = [(s.n, s.median) for s in sweep]  # type: ignore[attr-defined]
    fit_all = slope(points)
    lo, hi = results(plain[1]), results(plain[MAX_N])
    calls_per = (med(r["calls_total"] for r in hi) - med(r["calls_total"] for r in lo)) / (MAX_N - 1)

    def phase(rs: list[dict], key: str) -> float:
        return med(r[key] for r in rs)

    md: list[str] = []
    md.append("# Synth performance (issue #22)\n")
    md.append(f"Written by `make bench` (`bench/bench.py`) on {started}, at commit {facts['commit']}; "
              f"the whole run took {elapsed / 60:.1f} min. Do not edit by hand: run it again.\n")
    md.append(f"**Machine:** {facts['cores']} cores ({facts['cpu']}), {facts['memory']} RAM, {facts['os']}; "
              f"Python {facts['python']}; Node {synth['node']} (pinned, `node_modules/.bin/node`); cdk8s "
              f"{facts['cdk8s']} (Python), jsii {facts['jsii']}, cdk8s-cli {facts['cdk8s_cli']}. Load average "
              f"{load[0]:.2f} before and {load[1]:.2f} after the run.\n")
    md.append(f"**Method:** a figure is the median (min - max) of {RUNS} timed runs after one untimed warm-up "
              "unless the table says otherwise; the runs of a section go round by round in a rotated order and a "
              "ratio is taken within a round; a ratio target passes when both the wall-time and the CPU ratio meet it "
              "(on a busy machine wall time mostly measures the other work). CPU: user + sys of the command and every process it waited for "
              "(Node included). Peak RSS: the largest sum over the process and its descendants, sampled every "
              "10 ms during the warm-up (or the first round where a section has none). Bytecode caching is on, "
              "as under `make`.\n")
    cores = os.cpu_count() or 1
    if load[0] > cores or load[1] > cores + 1:
        md.append(f"**The machine was busy during this run** (load average {load[0]:.2f} before, {load[1]:.2f} after, "
                  f"on {cores} cores): other processes took CPU time, so wall times are longer than on an idle "
                  "machine. The CPU figures show the work itself.\n")
    md.append("## Targets\n")
    md.append(table(["target", "measured: median (min - max)", "target", "result"], targets) + "\n")
    md.append("## 1. Synth at N = 1\n")
    md.append(table(header, [stat_row(s) for s in synth["scenarios"]]) + "\n")
    md.append(f"`make synth` wrote the {synth['files']} files `cdk8s synth` writes, byte for byte. `make synth` / "
              f"floor, pair by pair: {rng(r_floor, ratio)} wall, {rng(r_floor_cpu, ratio)} CPU.\n")
    md.append("## 2. N Taskora instances in one App (`python bench/instances.py N`)\n")
    md.append("Plain `app.synth()` (the library's default path, no synth-time validation), one run per N: whole "
              "process (wall, CPU), the build and `app.synth()` phases inside it, Python -> Node (jsii) calls "
              "(a callback from Node counts once), and (T(N) - T(1)) / (N - 1).\n")
    md.append(table(["N", "whole process", "CPU", "build", "`app.synth()`", "jsii calls", "per extra instance"],
                    sweep_rows) + "\n")
    md.append(f"Least-squares slope: **{ms(fit_all)} per instance**.\n")
    md.append(f"N = 1 and N = {MAX_N} round by round, the Python app and the JS peer (the same manifests, objects in "
              f"code, six charts per instance) in the same rounds, and the opt-in lint ({len(lint[1].runs)} rounds, "
              "no warm-up):\n")
    md.append(table(header, [stat_row(s) for s in inst["scenarios"]]) + "\n")
    md.append(f"Per extra instance, round by round: plain `app.synth()` **{rng(per, ms)}** wall, {rng(per_cpu, ms)} "
              f"CPU; the JS peer {rng(per_js, ms)} wall, {rng(per_js_cpu, ms)} CPU; Python / JS "
              f"{rng(r_per, ratio)} wall, {rng(r_per_cpu, ratio)} CPU. With the lint switched on "
              f"(`TaskoraValidation.of(app)`, `once()`, as `main.py` does): {rng(per_lint, ms)}. jsii calls per extra "
              f"instance: {calls_per:.0f}. Inside the process, per extra instance: build "
              f"{ms((phase(hi, 't_build') - phase(lo, 't_build')) / (MAX_N - 1))}, `app.synth()` "
              f"{ms((phase(hi, 't_synth') - phase(lo, 't_synth')) / (MAX_N - 1))}.\n")
    if tests:
        md.append("## 3. `make check` and `make test`\n")
        md.append(table(["command", "runs", "wall time", "CPU (user + sys)", "result"],
                        [[tests[k].label, "1", sec(tests[k].median), sec(tests[k].cpu), tests[f"{k}_summary"]]
                         for k in ("check", "test") if tests[k] is not None]) + "\n")
        if tests["slowest"]:
            md.append(f"The slowest tests of {tests['slowest_of'].split(' (')[0]} (pytest `--durations=15`, both cores "
                      "at once):\n")
            md.append("```\n" + "\n".join(tests["slowest"]) + "\n```\n")
    def took(key: str) -> str:
        s = tests.get(key) if tests else None
        return f"{sec(s.median)} (CPU {sec(s.cpu)})" if s is not None else "not measured"

    check, test = took("check"), took("test")
    readme = (f"Measured by `make bench` on {started} (2 cores, load average {load[0]:.1f}): `make check` {check}, "
              f"`make test` {test}, warm; `make synth` {sec(make.median)} (CPU {sec(make.cpu)}), "
              f"{ratio(med(r_floor))} the one-ConfigMap floor; an extra `Taskora` instance in one App "
              f"{ms(med(per))} (CPU {ms(med(per_cpu))}), {ratio(med(r_per))} the JS peer's; `make bench` itself "
              f"{elapsed / 60:.1f} min.")
    md.append("## The figures README.md quotes\n")
    md.append(f"{README_BEGIN}\n{readme}\n{README_END}\n")
    values = {
        "r_floor": ratio(med(r_floor)), "r_floor_cpu": ratio(med(r_floor_cpu)), "make": sec(make.median),
        "floor": sec(floor.median), "node": synth["node"], "per": ms(med(per)), "per_cpu": ms(med(per_cpu)),
        "per_js": ms(med(per_js)), "per_js_cpu": ms(med(per_js_cpu)), "r_per": ratio(med(r_per)),
        "r_per_cpu": ratio(med(r_per_cpu)), "per_lint": ms(med(per_lint)), "max_n": str(MAX_N),
        "fit_all": ms(fit_all), "calls_per": f"{calls_per:.0f}", "elapsed": f"{elapsed / 60:.1f} min",
        "test": took("test"), "check": took("check"),
    }
    return "\n".join(md), values, readme


def write_readme(figures: str) -> None:
    """Replace the README's figures (between the bench markers) with this run's."""
    text = README.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise BenchError(f"{README.name} has no {README_BEGIN} ... {README_END} block for the figures")
    README.write_text(text[:begin + len(README_BEGIN)] + "\n" + figures + "\n" + text[end:])


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
