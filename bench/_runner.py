"""Running a command and timing it: wall time, CPU time, the process tree's peak RSS, rounds.

Its own module because it is how every figure of ``make bench`` is taken (``Scenario``,
``measure``: a warm-up, then rounds in a rotated order), whatever the sections measure.
"""

from __future__ import annotations

import filecmp
import json
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from _settings import RUNS, SAMPLE_S, TIMEOUT_S  # bench/ is sys.path[0]: bench.py runs as a script


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


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill a command's process and every descendant of it, nothing else."""
    try:
        members = [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]
    except psutil.Error:
        members = []
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            pass


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
    # The wait blocks in waitpid and returns the moment the command exits; a timer stops it at
    # `timeout`. (Popen.wait(timeout=...) polls, sleeping up to 50 ms between looks: every wall
    # time came out a multiple of ~50 ms, 10% of a 0.5 s synth.)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        kill_tree(proc)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    returncode = -1
    end = None
    try:
        returncode = proc.wait()
        end = time.perf_counter()  # before the sampler's last look (up to SAMPLE_S) is waited for
    finally:
        timer.cancel()
        stop.set()
        if sampler is not None:
            sampler.join()
        if proc.poll() is None:  # interrupted: end the child's tree, nothing else
            kill_tree(proc)
            proc.wait()
    if expired.is_set():
        if not allow_timeout:
            raise BenchError(f"{' '.join(map(str, cmd))}: no result after {timeout:.0f} s (BENCH_TIMEOUT_S)")
        timed_out = True
    seconds = (end if end is not None else time.perf_counter()) - start
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
