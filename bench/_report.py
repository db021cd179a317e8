"""docs/performance.md and the README's figures, from the measured sections of ``make bench``.

Its own module so the targets' PASS/MISS, the tables and the wording of the figures are in one
place, apart from the measuring (``_runner.py``, ``_sections.py``).
"""

from __future__ import annotations

import os
import statistics

from _runner import BenchError, Scenario, pairwise  # bench/ is sys.path[0]: bench.py runs as a script
from _sections import results
from _settings import MAX_N, README, README_BEGIN, README_END, RUNS, SYNTH_RUNS, TARGETS


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
    md.append(f"**Method:** a figure is the median (min - max) of {RUNS} timed runs ({SYNTH_RUNS} for section 1) after one untimed warm-up "
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
        if tests["test"] is not None and tests["test"].warmup is not None:
            first = tests["test"].warmup
            md.append(f"Before the timed `make test`, an untimed first run took {sec(first.seconds)} (CPU {sec(first.cpu)}): "
                      "after an edit of the library it rebuilds the wheel and reinstalls the two example apps' "
                      "environments, which the timed run, with nothing changed, reuses.\n")
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

