#!/usr/bin/env python3
"""``make bench``: how fast the Taskora synth is, against its floor and its JS peer (issue #7).

Measures, each as median / min / max over BENCH_RUNS (default 5) timed runs after one
untimed warm-up, with the peak RSS of the whole process tree (Python, Node, the CLI)
sampled every 10 ms with psutil during the warm-up run:

1. ``cdk8s synth`` of the Taskora app (default environment);
2. ``cdk8s synth`` of the floor, a minimal cdk8s Python app with one ConfigMap
   (``bench/floor``), with the ratio (1)/(2) pair by pair;
3. ``cdk8s synth`` of the JS peer (``bench/js``), a plain JavaScript cdk8s app that
   Includes the Python synth's output and writes the same bytes (checked), with the ratio
   Python/JS pair by pair;
4. ``python``-level synth of N = 1, 10, 50 Taskora instances in one App
   (``bench/instances.py``), the cost per extra instance and the Python -> Node (jsii)
   calls per instance, where the time goes (phases, calls, a pyinstrument profile), and
   what-if rows for the changes proposed in docs/performance.md;
5. ``make test``, warm.

In each round the runs of a section go in a rotated order, so a slow moment of the machine
hits every scenario alike; a ratio is taken within a round. A scenario whose warm-up takes
longer than BENCH_SLOW_S (default 30 s) is not repeated: that one run is its figure, and
the table says so (``make test`` gets BENCH_TEST_RUNS warm runs instead). Writes
docs/performance.md (BENCH_OUTPUT) and prints the same tables.
Synth outputs go to a temporary directory that is removed at the end.

Environment: BENCH_RUNS, BENCH_SLOW_S, BENCH_TIMEOUT_S (one run, default 900),
BENCH_N_TIMEOUT_S (one N-instances run, default 240: a run stopped then gives a lower bound),
BENCH_SKIP_TEST=1 (leave out ``make test``), BENCH_TEST_RUNS (timed runs of ``make test`` when
one takes longer than BENCH_SLOW_S: default 3, so the figure stays warm and the bench short),
BENCH_OUTPUT, BENCH_BIG_N (default 50; another value only to try the script out).
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import platform
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
CLI = ROOT / "node_modules" / ".bin" / "cdk8s"
JS_DIR = BENCH / "js"
JS_CLI = JS_DIR / "node_modules" / ".bin" / "cdk8s"
FLOOR_DIR = BENCH / "floor"
INSTANCES = BENCH / "instances.py"

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SLOW_S = float(os.environ.get("BENCH_SLOW_S", "30"))
TIMEOUT_S = float(os.environ.get("BENCH_TIMEOUT_S", "900"))
N_TIMEOUT_S = float(os.environ.get("BENCH_N_TIMEOUT_S", "240"))  # an N-instances run is stopped after this
SKIP_TEST = os.environ.get("BENCH_SKIP_TEST") == "1"
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "performance.md"))
SAMPLE_S = 0.010
BIG_N = int(os.environ.get("BENCH_BIG_N", "50"))  # only to try the script out quickly
NS = (1, 10, BIG_N)

TARGETS = {  # issue #7, for a 2-core machine
    "floor": 1.3,  # Taskora synth / Python floor, N = 1, same run
    "js": 1.4,  # Taskora synth / JS peer, through the CLI
    "per_instance_ms": 15.0,  # per extra instance at N = 50
    "test_s": 60.0,  # make test, warm
}


class BenchError(RuntimeError):
    pass


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDK8S_CHECK_UPGRADE"] = "false"
    # As the Makefile does: bytecode is cached, so a warm run does not recompile.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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


@dataclass
class Run:
    seconds: float
    stdout: str
    returncode: int
    peak_rss: int | None = None
    timed_out: bool = False


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], sample: bool = False, check: bool = True,
        timeout: float = TIMEOUT_S, allow_timeout: bool = False) -> Run:
    """Run ``cmd`` to completion; wall time, stdout, and (``sample``) the tree's peak RSS.

    Past ``timeout`` the run is stopped: an error, or with ``allow_timeout`` a run marked
    ``timed_out`` whose time is a lower bound."""
    timed_out = False
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
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
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode(errors="replace")
    stderr = err.read().decode(errors="replace")
    if timed_out:
        return Run(seconds, stdout, returncode, peak[0] if sample else None, timed_out=True)
    if check and returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} (in {cwd}) exited {returncode}:\n{stderr[-3000:]}{stdout[-2000:]}")
    return Run(seconds, stdout, returncode, peak[0] if sample else None)


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
    slow_runs: int = 0  # timed runs when the warm-up is slow (0: the warm-up is the figure)
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
    def stopped(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def peak_rss(self) -> int | None:
        return self.warmup.peak_rss if self.warmup else None


def measure(scenarios: list[Scenario], title: str) -> None:
    """Warm-up (sampled for RSS) each scenario, then its timed runs, round by round in rotated order."""
    print(f"\n== {title}", flush=True)
    wanted: dict[str, int] = {}
    for s in scenarios:
        print(f"   warm-up  {s.label} ...", end="", flush=True)
        s.warmup = s.go(sample=True)
        print(f" {s.warmup.seconds:.2f} s", flush=True)
        wanted[s.key] = RUNS
        if s.warmup.timed_out:
            s.runs, wanted[s.key] = [s.warmup], 0
            s.note = (f"stopped after {s.timeout:.0f} s (BENCH_N_TIMEOUT_S), not repeated: the time is a lower "
                      "bound; RSS sampled in it")
        elif s.warmup.seconds > SLOW_S and not s.slow_runs:
            s.runs, wanted[s.key] = [s.warmup], 0
            s.note = f"1 run: it took > {SLOW_S:.0f} s (BENCH_SLOW_S), not repeated; RSS sampled in it"
        elif s.warmup.seconds > SLOW_S and s.slow_runs < RUNS:
            wanted[s.key] = s.slow_runs
            s.note = f"{s.slow_runs} timed runs, not {RUNS}: one takes > {SLOW_S:.0f} s (BENCH_SLOW_S)"
    for i in range(max(wanted.values(), default=0)):
        todo = [s for s in scenarios if len(s.runs) < wanted[s.key]]
        order = todo[i % len(todo):] + todo[:i % len(todo)]
        for s in order:
            s.runs.append(s.go())
        print(f"   round {i + 1}: " + ", ".join(f"{s.key} {s.runs[-1].seconds:.2f}" for s in todo), flush=True)


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


# --- the sections ---------------------------------------------------------------------------

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


def cli_section(tmp: Path) -> dict:
    taskora_out = tmp / "cli-taskora" / "out"
    reference = tmp / "reference-n1"
    base = child_env()
    taskora = Scenario("taskora", "cdk8s synth: Taskora app (default environment)",
                       [str(CLI), "synth", "-o", str(taskora_out)], ROOT, base, fresh_dir(taskora_out))
    # The JS peer includes a fixed copy of the Python output: make one first.
    taskora.go()
    shutil.copytree(taskora_out, reference)
    reference_json = manifests_json(reference, tmp / "reference-n1.json")
    floor_out = tmp / "cli-floor" / "out"
    floor = Scenario("floor", "cdk8s synth: Python floor (1 ConfigMap)",
                     [str(CLI), "synth", "-o", str(floor_out)], FLOOR_DIR, base, fresh_dir(floor_out))
    js_out = tmp / "cli-js" / "out"
    js = Scenario("js", "cdk8s synth: JS peer, Include (same manifests)",
                  [str(JS_CLI), "synth", "-o", str(js_out)], JS_DIR,
                  child_env(TASKORA_BENCH_MANIFESTS=str(reference)), fresh_dir(js_out))
    js_code_out = tmp / "cli-js-code" / "out"
    js_code = Scenario("js-code", "cdk8s synth: JS peer, objects in code (same manifests)",
                       [str(JS_CLI), "synth", "-o", str(js_code_out)], JS_DIR,
                       child_env(TASKORA_BENCH_MANIFESTS=str(reference_json)), fresh_dir(js_code_out))
    direct_out = tmp / "direct-taskora" / "out"
    direct = Scenario("direct", "what-if: Taskora main.py without the CLI",
                      [str(PY), "main.py"], ROOT, child_env(CDK8S_OUTDIR=str(direct_out)), fresh_dir(direct_out))
    opt_out = tmp / "cli-taskora-O" / "out"
    optimized = Scenario("taskora-O", "what-if: cdk8s synth, app run with python -O",
                         [str(CLI), "synth", "-a", f"{PY} -O main.py", "-o", str(opt_out)], ROOT, base,
                         fresh_dir(opt_out))
    scenarios = [taskora, floor, js, js_code, direct, optimized]
    measure(scenarios, "1-3. cdk8s synth through the CLI (N = 1)")
    for peer in (js_out, js_code_out):
        diffs = same_tree(reference, peer)
        if diffs:
            raise BenchError(f"the JS peer ({peer.parent.name}) did not write the Python synth's manifests: {diffs}")
    drift = same_tree(reference, taskora_out)
    imports = import_times(tmp)
    return {"imports": imports, "scenarios": scenarios, "taskora": taskora, "floor": floor, "js": js, "js_code": js_code,
            "direct": direct, "optimized": optimized, "ratio_floor": pairwise(taskora, floor),
            "ratio_js": pairwise(taskora, js), "ratio_js_code": pairwise(taskora, js_code),
            "identical_files": len(list(reference.iterdir())), "drift": drift}


def import_times(tmp: Path) -> list[tuple[str, float]]:
    """Top-level imports of main.py (python -X importtime, one warm run): (module, cumulative s)."""
    out = tmp / "importtime" / "out"
    fresh_dir(out)()
    proc = subprocess.run([str(PY), "-X", "importtime", "main.py"], cwd=ROOT, capture_output=True, text=True,
                          env=child_env(CDK8S_OUTDIR=str(out)))
    found = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and name.startswith(" ") and not name.startswith("  "):
            found.append((name.strip(), int(cumulative) / 1e6))
    return sorted(found, key=lambda item: -item[1])


def instances_section(tmp: Path) -> dict:
    env = child_env()
    scenarios: list[Scenario] = []

    def add(key: str, label: str, n: int, *flags: str, python_flags: tuple[str, ...] = ()) -> Scenario:
        out = tmp / f"inst-{key}" / "out"
        s = Scenario(key, label, [str(PY), *python_flags, str(INSTANCES), str(n), str(out), *flags], ROOT, env,
                     fresh_dir(out), timeout=N_TIMEOUT_S, allow_timeout=True)
        s.n, s.out = n, out  # type: ignore[attr-defined]
        scenarios.append(s)
        return s

    as_is = {n: add(f"n{n}", f"N = {n:>2}: as is", n) for n in NS}
    once = {n: add(f"n{n}-once", f"N = {n:>2}: what-if validation once per synth", n, "--validate-once") for n in NS}
    once_opt = {n: add(f"n{n}-once-O", f"N = {n:>2}: what-if validation once + python -O", n, "--validate-once",
                       python_flags=("-O",)) for n in (1, BIG_N)}
    measure(scenarios, "4. python-level synth of N Taskora instances in one App")
    for s in scenarios:
        s.results = [json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
                     for r in s.runs if not r.timed_out]

    # The JS peer at the same N, without the CLI (node main.js), objects in code (Include
    # would start one Node process per file: 300 at N = 50).
    js: dict[int, Scenario] = {}
    js_scenarios = []
    for n in (1, BIG_N):
        reference = tmp / f"inst-reference-n{n}"
        source = once[n].out if once[n].results[0].get("validate_once") == "patched" else as_is[n].out  # type: ignore[attr-defined]
        shutil.copytree(source, reference)
        out = tmp / f"js-n{n}" / "out"
        js[n] = Scenario(f"js{n}", f"N = {n:>2}: JS peer, objects in code, node main.js", ["node", "main.js"],
                         JS_DIR, child_env(CDK8S_OUTDIR=str(out), TASKORA_BENCH_MANIFESTS=str(
                             manifests_json(reference, tmp / f"inst-reference-n{n}.json"))), fresh_dir(out))
        js[n].out, js[n].reference = out, reference  # type: ignore[attr-defined]
        js_scenarios.append(js[n])
    measure(js_scenarios, "4b. the JS peer at N instances (same manifests, no CLI)")
    for n, s in js.items():
        diffs = same_tree(s.reference, s.out)  # type: ignore[attr-defined]
        if diffs:
            raise BenchError(f"the JS peer at N = {n} did not write the Python manifests: {diffs}")

    print("\n== 4c. profile: N = 10 as is, build and synth under pyinstrument (one run)", flush=True)
    profile_out = tmp / "profile" / "out"
    fresh_dir(profile_out)()
    profile = json.loads(run([str(PY), str(INSTANCES), "10", str(profile_out), "--profile"], cwd=ROOT,
                             env=env).stdout.strip().splitlines()[-1])
    return {"scenarios": scenarios + js_scenarios, "as_is": as_is, "once": once, "once_opt": once_opt, "js": js,
            "profile": profile}


def test_section() -> dict:
    # pytest's own report of its slowest tests (the Makefile passes ARGS to pytest) costs nothing.
    s = Scenario("test", "make test (warm)", [os.environ.get("MAKE", "make"), "--no-print-directory", "test",
                                              "ARGS=--durations=12"], ROOT,
                 child_env(), check=False, slow_runs=int(os.environ.get("BENCH_TEST_RUNS", "3")))
    measure([s], "5. make test")
    slowest: list[str] = []
    lines = s.runs[-1].stdout.splitlines()
    for i, line in enumerate(lines):
        if "slowest" in line and "durations" in line:
            for entry in lines[i + 1:]:
                if not entry.strip() or entry.startswith("=") or entry.startswith("("):
                    break
                slowest.append(entry.strip())
            break
    summary = next((line.strip("= ") for line in reversed(lines) if " passed" in line or " failed" in line), "")
    return {"scenario": s, "slowest": slowest, "summary": summary,
            "failed": [r.returncode for r in s.runs if r.returncode != 0]
            + ([s.warmup.returncode] if s.warmup and s.warmup.returncode else [])}


# --- figures --------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def sec(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def mib(rss: int | None) -> str:
    return "-" if not rss else f"{rss / 2**20:.0f} MiB"


def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "MISS"


def stat_row(s: Scenario) -> list[str]:
    return [s.label, str(len(s.runs)), sec(s.median), sec(min(s.seconds)), sec(max(s.seconds)), mib(s.peak_rss),
            s.note]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def median_of(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def per_instance(series: dict[int, Scenario], n: int) -> list[float]:
    """Seconds per extra instance from N = 1 to N = n, pair by pair when both were repeated."""
    return [(b - a) / (n - 1) for a, b in zip(series[1].seconds, series[n].seconds)] \
        if len(series[1].runs) == len(series[n].runs) > 1 else [(series[n].median - series[1].median) / (n - 1)]


def calls_per_instance(series: dict[int, Scenario], n: int) -> dict[str, float]:
    """jsii calls per extra instance (N = n vs N = 1), by phase and by call."""
    lo, hi = series[1].results[0], series[n].results[0]  # type: ignore[attr-defined]
    out = {"total": (hi["calls_total"] - lo["calls_total"]) / (n - 1)}
    for phase in ("build", "synth"):
        out[phase] = (sum(hi[f"{phase}_calls"].values()) - sum(lo[f"{phase}_calls"].values())) / (n - 1)
    return out


def call_table(result_lo: dict, result_hi: dict, n: int, phase: str) -> list[list[str]]:
    rows = []
    calls_hi, calls_lo = result_hi[f"{phase}_calls"], result_lo[f"{phase}_calls"]
    seconds_hi = result_hi[f"{phase}_call_s"]
    for key in sorted(calls_hi, key=lambda k: -seconds_hi.get(k, 0)):
        per = (calls_hi[key] - calls_lo.get(key, 0)) / (n - 1)
        if per <= 0:
            continue  # once per app (e.g. the one `invoke .synth`, whose time is all of Node's synth)
        mean = seconds_hi.get(key, 0) / calls_hi[key]
        rows.append([f"`{key}`", f"{per:.1f}", f"{mean * 1000:.2f} ms", f"{per * mean * 1000:.1f} ms"])
    return rows


def gains(lo: dict, hi: dict, n: int) -> dict[str, str]:
    """Expected savings per instance of the call-cutting proposals, from this run's call table."""
    def per(key: str) -> float:
        return (hi["build_calls"].get(key, 0) - lo["build_calls"].get(key, 0)) / (n - 1)

    def mean(key: str) -> float:
        return hi["build_call_s"].get(key, 0) / hi["build_calls"][key] if hi["build_calls"].get(key) else 0.0

    lookups = per("invoke .tryFindChild")  # TaskoraValidation.of: node, root, node, tryFindChild
    of_calls = 4 * lookups
    of_s = lookups * (2 * mean("get .node") + mean("get .root") + mean("invoke .tryFindChild"))
    paths = per("get .path")  # self.node.path: node, path
    path_calls = 2 * paths
    path_s = paths * (mean("get .node") + mean("get .path"))
    objects = per("create cdk8s.ApiObject")
    batch_patch = max(0.0, per("invoke .addJsonPatch") - objects)
    batch_deps = max(0.0, per("invoke .addDependency") - 5)  # 5 of the 6 charts have dependencies
    batch_calls = batch_patch + batch_deps
    batch_s = batch_patch * mean("invoke .addJsonPatch") + batch_deps * mean("invoke .addDependency")
    return {"objects_per_instance": f"{objects:.0f}", "constructs_per_instance": f"{lookups:.0f}",
            "of_calls": f"{of_calls:.0f}", "of_ms": f"{of_s * 1000:.1f} ms",
            "path_calls": f"{path_calls:.0f}", "path_ms": f"{path_s * 1000:.1f} ms",
            "batch_calls": f"{batch_calls:.0f}", "batch_ms": f"{batch_s * 1000:.1f} ms",
            "gain_calls": f"{of_calls + path_calls + batch_calls:.0f}",
            "gain_ms": f"{(of_s + path_s + batch_s) * 1000:.0f} ms"}


def machine() -> dict[str, str]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
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
                            "config", "cdk8s.yaml"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"commit": commit + (" with uncommitted changes to the app" if dirty else ""), "cores": str(os.cpu_count()), "cpu": cpu, "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
            "python": py[0] if py else platform.python_version(), "cdk8s": py[1] if py else "?",
            "jsii": py[-1] if py else "?", "node": node,
            "cdk8s_cli": cli, "os": f"{platform.system()} {platform.release()}"}


def report(cli: dict, inst: dict, test: dict | None, facts: dict[str, str], load: tuple, started: str,
           elapsed: float) -> tuple[str, dict[str, str]]:
    """(markdown for docs/performance.md, the figures that bench/findings.md may name as $name)."""
    rf, rj, rjc = cli["ratio_floor"], cli["ratio_js"], cli["ratio_js_code"]
    as_is, once, once_opt, js = inst["as_is"], inst["once"], inst["once_opt"], inst["js"]
    per50 = per_instance(as_is, BIG_N)
    per50_once = per_instance(once, BIG_N)
    per50_once_opt = per_instance(once_opt, BIG_N)
    per50_js = per_instance(js, BIG_N)
    per10 = per_instance(as_is, 10)
    # The as-is figures of calls and phases come from the largest N whose run finished.
    ref_n = max(n for n in NS if as_is[n].results)  # type: ignore[attr-defined]
    if ref_n == 1:
        raise BenchError("every N > 1 run was stopped (BENCH_N_TIMEOUT_S): nothing to compare")
    calls50 = calls_per_instance(as_is, ref_n)
    calls50_once = calls_per_instance(once, BIG_N)
    t = test["scenario"] if test else None

    def rng(values: list[float], fmt) -> str:
        return fmt(statistics.median(values)) + (f" ({fmt(min(values))} - {fmt(max(values))})" if len(values) > 1 else "")

    ratio = lambda v: f"{v:.2f}x"  # noqa: E731
    per_ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    bound = "> " if as_is[BIG_N].stopped else ""  # a stopped run gives a lower bound
    per_ms_bound = lambda v: bound + per_ms(v)  # noqa: E731
    targets = [
        ["Taskora synth / Python floor, N = 1, CLI", rng(rf, ratio), f"<= {TARGETS['floor']}x",
         verdict(statistics.median(rf), TARGETS["floor"])],
        ["Taskora synth / JS peer (Include, as the issue defines it), N = 1, CLI", rng(rj, ratio),
         f"<= {TARGETS['js']}x", verdict(statistics.median(rj), TARGETS["js"])],
        ["Taskora synth / JS peer with its objects in code, N = 1, CLI (stricter)", rng(rjc, ratio),
         f"<= {TARGETS['js']}x", verdict(statistics.median(rjc), TARGETS["js"])],
        [f"per extra instance at N = {BIG_N} (python-level)", rng(per50, per_ms_bound),
         f"<= {TARGETS['per_instance_ms']:.0f} ms",
         verdict(statistics.median(per50) * 1000, TARGETS["per_instance_ms"])],
    ]
    if t:
        failed = test["failed"]
        targets.append(["`make test`, warm", rng(t.seconds, sec), f"<= {TARGETS['test_s']:.0f} s",
                        verdict(t.median, TARGETS["test_s"]) + (f" (tests FAILED: exit {failed[0]})" if failed else "")])

    header = ["scenario", "runs", "median", "min", "max", "peak RSS (tree)", "note"]
    cli_rows = [stat_row(s) for s in cli["scenarios"]]
    inst_rows = [stat_row(s) for s in inst["scenarios"]]
    test_rows = [stat_row(t)] if t else []

    lo, hi = as_is[1].results, as_is[ref_n].results  # type: ignore[attr-defined]
    phases = [["import jsii", "t_import_jsii"], ["import cdk8s (starts Node, loads constructs + cdk8s)", "t_import_cdk8s"],
              ["import taskora_constructs", "t_import_taskora"], ["build the constructs", "t_build"],
              ["app.synth() (validation callbacks + YAML)", "t_synth"]]
    once_lo, once_hi = once[1].results, once[BIG_N].results  # type: ignore[attr-defined]
    def per_extra(results_hi: list[dict], results_lo: list[dict], key: str, n: int) -> str:
        if key.startswith("t_import"):
            return "-"  # once per process, whatever N
        return f"{(median_of(results_hi, key) - median_of(results_lo, key)) / (n - 1) * 1000:.1f} ms"

    phase_rows = [[name, ms(median_of(lo, key)), ms(median_of(hi, key)), per_extra(hi, lo, key, ref_n),
                   ms(median_of(once_hi, key)), per_extra(once_hi, once_lo, key, BIG_N)] for name, key in phases]
    build_wait = (median_of(hi, "build_wait_s") - median_of(lo, "build_wait_s")) / (ref_n - 1)
    build_all = (median_of(hi, "t_build") - median_of(lo, "t_build")) / (ref_n - 1)
    build_send = (sum(hi[0]["build_call_s"].values()) - sum(lo[0]["build_call_s"].values())) / (ref_n - 1)

    def synth_cells(series: dict[int, Scenario], n: int) -> list[str]:
        results = series[n].results  # type: ignore[attr-defined]
        if not results:
            return [f"> {sec(series[n].median)} (stopped)", "-"]
        return [ms(median_of(results, "t_synth")), f"{sum(results[0]['synth_calls'].values())}"]

    synth_scaling = [[f"N = {n}", *synth_cells(as_is, n), *synth_cells(once, n)] for n in NS]
    prof = inst["profile"]
    prof_rows = []
    for phase in ("build", "synth"):
        cats = prof.get(f"profile_{phase}", {}).get("categories_s", {})
        total = sum(cats.values()) or 1
        for name, value in sorted(cats.items(), key=lambda kv: -kv[1]):
            prof_rows.append([phase, name, ms(value), f"{value / total * 100:.0f}%"])
    validate_once_state = once[1].results[0].get("validate_once")  # type: ignore[attr-defined]

    md: list[str] = []
    md.append("# Synth performance (issue #7)\n")
    md.append(f"Written by `make bench` (`bench/bench.py`) on {started}, at commit {facts['commit']}; the whole "
              f"run took {elapsed / 60:.1f} min. "
              "Do not edit by hand: run `make bench` again.\n")
    md.append(f"**Machine:** {facts['cores']} cores ({facts['cpu']}), {facts['memory']} RAM, {facts['os']}; "
              f"Python {facts['python']}, Node {facts['node']}; cdk8s {facts['cdk8s']} (Python), jsii {facts['jsii']}, "
              f"cdk8s-cli {facts['cdk8s_cli']}. "
              f"Load average {load[0]:.2f} before and {load[1]:.2f} after the run (other work on the machine "
              "makes every figure noisier; the ratios are taken pair by pair within a round to cancel most of it).\n")
    md.append(f"**Method:** each figure is the median (min - max) of {RUNS} timed runs after one untimed warm-up "
              "unless its note says otherwise; "
              "the runs of a section go round-robin in a rotated order. Peak RSS is the largest sum of the RSS of "
              "the process and all its descendants (CLI, shell, Python, jsii's two Node processes), sampled every "
              "10 ms with psutil during the warm-up run (sampling costs CPU, so timed runs are not sampled; shared "
              "pages count once per process). jsii calls are counted by wrapping the jsii kernel's request path "
              "(`_NodeProcess.send`) inside `bench/instances.py` only. Bytecode caching is on, as under `make`. "
              f"A scenario whose warm-up took more than {SLOW_S:.0f} s is not repeated, except `make test`, which gets "
              f"fewer warm runs (the notes say so).\n")
    md.append("## Targets\n")
    md.append(table(["target", "measured: median (min - max)", "target", "result"], targets) + "\n")
    md.append("## 1-3. `cdk8s synth` through the CLI (N = 1)\n")
    md.append(table(header, cli_rows) + "\n")
    md.append(f"The JS peer (`bench/js`, plain JavaScript, cdk8s 2.70.106, `app: node main.js`) Includes the "
              f"Python synth's output and wrote the same {cli['identical_files']} files, byte for byte (checked on "
              f"every run of `make bench`). cdk8s's `Include` reads each file through `Yaml.load`, which starts a "
              f"new Node process per file (`execFileSync`), so that peer pays {cli['identical_files']} process starts "
              f"that a JS app with its objects in code does not: the second JS row builds the same objects in code "
              f"(one `ApiObject` plus one JSON patch per top-level key, as `taskora_constructs/_manifest.py` does) and "
              f"also writes the same bytes. Ratios pair by pair: Taskora/floor {rng(rf, ratio)}, Taskora/JS (Include) "
              f"{rng(rj, ratio)}, Taskora/JS (objects in code) {rng(rjc, ratio)}. The what-if rows are measured, not "
              f"applied: `main.py` run directly (what `make synth` could do instead of starting cdk8s-cli, which "
              f"alone takes about a second to load) and the app run with `python -O` (jsii's generated type checks "
              f"are under `if __debug__:`).\n")
    if cli["imports"]:
        top = cli["imports"][:8]
        md.append("What `main.py` imports before it builds anything (`python -X importtime main.py`, one warm run, "
                  "cumulative; `cdk8s` includes jsii, starting Node and loading the constructs and cdk8s "
                  "assemblies): " + ", ".join(f"`{name}` {ms(seconds)}" for name, seconds in top)
                  + f"; all top-level imports: {ms(sum(seconds for _, seconds in cli['imports']))}.\n")
    if cli["drift"]:
        md.append(f"Note: the Taskora output changed between runs of this section: {cli['drift']}.\n")
    md.append("## 4. N Taskora instances in one App (`python bench/instances.py N`)\n")
    md.append(table(header, inst_rows) + "\n")
    md.append(f"Per extra instance (pair by pair, (T(N) - T(1)) / (N - 1), whole process): "
              f"as is {'> ' if as_is[10].stopped else ''}{rng(per10, per_ms)} at N = 10 and **{rng(per50, per_ms_bound)} at N = {BIG_N}**; "
              f"what-if validation once per synth {rng(per50_once, per_ms)}; the same with `python -O` "
              f"{rng(per50_once_opt, per_ms)}; the JS peer (same manifests, objects in code, six charts per instance "
              f"chained by dependencies, `node main.js`) "
              f"{rng(per50_js, per_ms)}.\n")
    md.append(f"Python -> Node (jsii) calls per extra instance: **{calls50['total']:.0f}** as is at N = {ref_n} "
              f"({calls50['build']:.0f} while building the constructs, {calls50['synth']:.0f} during `app.synth()`); "
              f"{calls50_once['total']:.0f} at N = {BIG_N} with the validation once per synth"
              f"{'' if validate_once_state == 'patched' else ' (n/a: no validation hook to patch in this version)'}.\n")
    md.append("### Where the time goes\n")
    md.append("Phases inside the Python process (median), and their cost per extra instance:\n")
    md.append(table(["phase", "N = 1", f"N = {ref_n}", "per extra instance", f"N = {BIG_N}, validation once",
                     "per extra instance, validation once"], phase_rows) + "\n")
    md.append(f"Building one more instance costs {build_all * 1000:.1f} ms, of which {build_send * 1000:.1f} ms inside "
              f"jsii's request path and {build_wait * 1000:.1f} ms of it blocked on Node's answer (pipe round trip + "
              "Node-side work).\n")
    md.append(f"jsii calls per extra instance while building (N = {ref_n} vs N = 1), mean time per call at "
              f"N = {ref_n}:\n")
    md.append(table(["call", "per instance", "mean per call", "per instance"],
                    call_table(lo[0], hi[0], ref_n, "build")) + "\n")
    md.append(f"jsii calls per extra instance during `app.synth()` (N = {ref_n} vs N = 1; Node calling back into "
              "Python's validation):\n")
    md.append(table(["call", "per instance", "mean per call", "per instance"],
                    call_table(lo[0], hi[0], ref_n, "synth")) + "\n")
    md.append("`app.synth()` against N, as is and with the validation once per synth:\n")
    md.append(table(["N", "synth as is", "jsii calls", "synth, validation once", "jsii calls"], synth_scaling) + "\n")
    md.append(f"Profile (pyinstrument, wall clock, N = 10 as is, one run: build {ms(prof['profile_build']['seconds'])}, "
              f"synth {ms(prof['profile_synth']['seconds'])}), self time by category:\n")
    md.append(table(["phase", "category", "self time", "share"], prof_rows) + "\n")
    if t:
        md.append("## 5. `make test`\n")
        md.append(table(header, test_rows) + "\n")
        if test["failed"]:
            md.append(f"`make test` exited non-zero in some runs ({test['failed']}): the tree under test was not green.\n")
        if test["summary"]:
            md.append(f"Last run: {test['summary']}.\n")
        if test["slowest"]:
            md.append("Its slowest tests (pytest `--durations`, last run):\n")
            md.append("```\n" + "\n".join(test["slowest"]) + "\n```\n")
    text = "\n".join(md)
    share = {}
    for phase in ("build", "synth"):
        cats = prof.get(f"profile_{phase}", {}).get("categories_s", {})
        total = sum(cats.values()) or 1
        share[phase] = {k: v / total * 100 for k, v in cats.items()}
    med = statistics.median
    values = {
        "ratio_floor": f"{med(rf):.2f}x", "ratio_js": f"{med(rj):.2f}x", "ratio_js_code": f"{med(rjc):.2f}x",
        "cli_taskora": sec(cli["taskora"].median), "cli_floor": sec(cli["floor"].median),
        "cli_js": sec(cli["js"].median), "cli_js_code": sec(cli["js_code"].median),
        "direct": sec(cli["direct"].median), "cli_optimized": sec(cli["optimized"].median),
        "per10": per_ms(med(per10)), "per50": per_ms_bound(med(per50)), "per50_once": per_ms(med(per50_once)),
        "per50_once_opt": per_ms(med(per50_once_opt)), "per50_js": per_ms(med(per50_js)),
        "n50": bound + sec(as_is[BIG_N].median), "n50_once": sec(once[BIG_N].median), "n1": sec(as_is[1].median),
        "ref_n": str(ref_n), "n_ref": sec(as_is[ref_n].median),
        "calls50": f"{calls50['total']:.0f}", "calls50_build": f"{calls50['build']:.0f}",
        "calls50_synth": f"{calls50['synth']:.0f}", "calls50_once": f"{calls50_once['total']:.0f}",
        "synth50": ms(median_of(hi, "t_synth")), "synth50_once": ms(median_of(once_hi, "t_synth")),
        "synth_calls50": f"{sum(hi[0]['synth_calls'].values())}",
        "build_per": f"{build_all * 1000:.1f} ms", "build_send_per": f"{build_send * 1000:.1f} ms",
        "build_wait_per": f"{build_wait * 1000:.1f} ms",
        "wait_share_build": f"{share['build'].get('waiting for Node (jsii pipe write/read)', 0):.0f}%",
        "typeguard_share_build": f"{share['build'].get('runtime type checks (typeguard)', 0):.0f}%",
        "marshal_share_build": f"{share['build'].get('jsii marshalling (cattrs, json, kernel)', 0):.0f}%",
        "wait_share_synth": f"{share['synth'].get('waiting for Node (jsii pipe write/read)', 0):.0f}%",
        "own_share_synth": f"{share['synth'].get('Taskora constructs (own code)', 0):.0f}%",
        "test_median": sec(t.median) if t else "n/a", "big_n": str(BIG_N),
    }
    values.update(gains(lo[0], hi[0], ref_n))
    imports = dict(cli["imports"])
    synth1, synth1_once = median_of(lo, "t_synth"), median_of(once_lo, "t_synth")
    values.update({
        "values_import": ms(imports["taskora_app.values"]) if "taskora_app.values" in imports else "n/a",
        "typeguard_import": ms(imports["typeguard"]) if "typeguard" in imports else "n/a",
        "build1": ms(median_of(lo, "t_build")), "synth1": ms(synth1), "synth1_once": ms(synth1_once),
        "ratio_floor_once_est": f"{(cli['taskora'].median - (synth1 - synth1_once)) / cli['floor'].median:.2f}x",
        "cli_gap": ms(cli["taskora"].median - cli["floor"].median),
        "floor_vs_js": ms(cli["floor"].median - cli["js_code"].median),
        "test_runs": str(len(t.runs)) if t else "0",
    })
    return text, values


def _terminate(signum, frame):  # make `kill` and Ctrl-C clean up like any other error
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    for path, hint in ((PY, "make deps"), (CLI, "make deps"), (JS_CLI, "make bench (npm ci in bench/js)")):
        if not path.exists():
            print(f"bench: {path} is missing: run {hint}", file=sys.stderr)
            return 1
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    facts = machine()
    tmp = Path(tempfile.mkdtemp(prefix="taskora-bench-"))
    try:
        cli = cli_section(tmp)
        inst = instances_section(tmp)
        test = None if SKIP_TEST else test_section()
    except BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    markdown, values = report(cli, inst, test, facts, (load_before, os.getloadavg()[0]), started, elapsed)
    print("\n" + markdown)
    # The analysis (hand-written, with this run's figures filled in) follows the tables.
    findings = BENCH / "findings.md"
    if findings.exists():
        markdown += "\n" + string.Template(findings.read_text()).safe_substitute(values)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(markdown)
    print(f"\nWrote {OUTPUT.relative_to(ROOT) if OUTPUT.is_relative_to(ROOT) else OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
