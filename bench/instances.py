#!/usr/bin/env python3
"""One ``python main.py``-level synth of N Taskora instances in one App (``make bench``).

Usage: instances.py N OUTDIR [--profile] [--lint]

Builds an App with N instances (``taskora-0`` ... ``taskora-<N-1>``, each its own
namespace and object names) and synthesizes it to OUTDIR with a plain ``app.synth()`` (the
library's default path: no synth-time validation), and prints one JSON line: the time of
each phase and every Python -> Node (jsii) call, counted by wrapping the jsii kernel's
request path in this process only (never in the library). jsii runs on the pinned Node, as
in main.py.

--profile  run the build and the synth phases under pyinstrument; the JSON gets the
           self time of each phase by category.
--lint     opt in to the whole-app lint as main.py does: ``TaskoraValidation.of(app)``,
           then ``with TaskoraValidation.of(app).once(): app.synth()``.

Self-contained on purpose: bench.py runs it as a script, so nothing under bench/ is
imported (and no bytecode is written into the repository).
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskora_app.node import use_pinned_node  # noqa: E402

use_pinned_node()

import jsii  # noqa: E402
from jsii._kernel.providers import process as _jsii_process  # noqa: E402

T_JSII = time.perf_counter()

# --- count and time every request the Python side sends to the jsii Node process -------
CALLS: collections.Counter[str] = collections.Counter()
CALL_SECONDS: collections.Counter[str] = collections.Counter()
WAIT = [0.0]  # seconds blocked reading Node's answer (Node-side work + pipe latency)
_send = _jsii_process._NodeProcess.send
_next_message = _jsii_process._NodeProcess._next_message


def _call_key(request) -> str:
    api = type(request).__name__.removesuffix("Request")
    target = getattr(request, "method", None) or getattr(request, "property", None)
    fqn = getattr(request, "fqn", None)
    if api == "Create":
        return f"create {fqn}"
    if api in ("StaticInvoke", "StaticGet"):
        return f"{api[0].lower()}{api[1:]} {fqn}.{target}"
    if api in ("Invoke", "Get", "Set"):
        return f"{api.lower()} .{target}"
    return api.lower()


def _counting_send(self, request, response_type):
    key = _call_key(request)
    start = time.perf_counter()
    try:
        return _send(self, request, response_type)
    finally:
        CALLS[key] += 1
        CALL_SECONDS[key] += time.perf_counter() - start


def _timed_next_message(self):
    start = time.perf_counter()
    try:
        return _next_message(self)
    finally:
        WAIT[0] += time.perf_counter() - start


_jsii_process._NodeProcess.send = _counting_send
_jsii_process._NodeProcess._next_message = _timed_next_message

import cdk8s  # noqa: E402  (starts Node, loads the constructs and cdk8s assemblies)

T_CDK8S = time.perf_counter()

from taskora_constructs import Taskora, TaskoraProps, TaskoraSecretValues, TaskoraValidation  # noqa: E402

T_TASKORA = time.perf_counter()


def _snapshot() -> tuple[dict[str, int], dict[str, float], float]:
    return dict(CALLS), dict(CALL_SECONDS), WAIT[0]


def _delta(after: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


_CATEGORIES = (  # (label, predicate on (file path, function)), first match wins
    # wall-clock samples: a blocking pipe write/read is the Python side waiting for Node
    ("waiting for Node (jsii pipe write/read)", lambda f, fn: fn in ("BufferedReader.readline",
                                                                    "BufferedWriter.flush",
                                                                    "BufferedWriter.write")),
    ("runtime type checks (typeguard)", lambda f, fn: "/typeguard/" in f or f.endswith("jsii/_type_checking.py")),
    ("jsii marshalling (cattrs, json, kernel)", lambda f, fn: any(s in f for s in (
        "/jsii/", "/cattrs/", "/cattr/", "/attr/", "/json/", "/typing.py", "/enum.py", "/functools.py"))),
    ("generated cdk8s/constructs bindings", lambda f, fn: "/site-packages/cdk8s/" in f
     or "/site-packages/constructs/" in f),
    ("Taskora constructs (own code)", lambda f, fn: "/taskora_constructs/" in f),
)


def _profile_categories(root) -> dict[str, float]:
    totals: collections.Counter[str] = collections.Counter()
    stack = [root]
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.is_synthetic:
            continue  # "[self]"/"[await]" leaves: already in their parent's total_self_time
        self_time = frame.total_self_time
        if not self_time:
            continue
        path, function = frame.file_path or "", frame.function or ""
        for label, matches in _CATEGORIES:
            if matches(path, function):
                totals[label] += self_time
                break
        else:
            totals["other Python"] += self_time
    return dict(totals)


def main() -> int:
    n, outdir = int(sys.argv[1]), sys.argv[2]
    profile = "--profile" in sys.argv[3:]
    lint = "--lint" in sys.argv[3:]
    result: dict = {"n": n, "optimized": not __debug__, "lint": lint}

    calls0, seconds0, wait0 = _snapshot()
    t0 = time.perf_counter()
    app = cdk8s.App(outdir=outdir)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    for i in range(n):
        Taskora(app, f"taskora-{i}", TaskoraProps(app_name=f"taskora-{i}", secrets=TaskoraSecretValues.development_placeholders()))
    if lint:
        TaskoraValidation.of(app)
    if profiler is not None:
        session = profiler.stop()
        result["profile_build"] = {"seconds": session.duration, "categories_s": _profile_categories(session.root_frame())}
    t1 = time.perf_counter()
    calls1, seconds1, wait1 = _snapshot()
    if profiler is not None:
        profiler.reset()
        profiler.start()
    if lint:
        with TaskoraValidation.of(app).once():
            app.synth()
    else:
        app.synth()
    if profiler is not None:
        session = profiler.stop()
        result["profile_synth"] = {"seconds": session.duration, "categories_s": _profile_categories(session.root_frame())}
    t2 = time.perf_counter()
    calls2, seconds2, wait2 = _snapshot()

    result.update({
        "t_import_jsii": T_JSII - T_START,
        "t_import_cdk8s": T_CDK8S - T_JSII,
        "t_import_taskora": T_TASKORA - T_CDK8S,
        "t_build": t1 - t0,
        "t_synth": t2 - t1,
        "t_in_process": t2 - T_START,
        "build_calls": _delta(calls1, calls0),
        "build_call_s": _delta(seconds1, seconds0),
        "build_wait_s": wait1 - wait0,
        "synth_calls": _delta(calls2, calls1),
        "synth_call_s": _delta(seconds2, seconds1),
        "synth_wait_s": wait2 - wait1,
        "calls_total": sum(calls2.values()),
        "files": len(list(Path(outdir).glob("*.k8s.yaml"))),
    })
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
