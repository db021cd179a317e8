"""What `make synth` loads: a default synth (TASKORA_ENV=local) imports only what it runs (issue #22).

GIVEN the app run as `make synth` runs it (main.main, in a fresh process) WHEN it has written
its manifests, and replaced them THEN the modules only another configuration needs were never imported; AND each
still loads on first use, through the public names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.paths import ROOT

#: Loaded by a default synth before issue #22's start-up work, needed by none of its steps.
NOT_LOADED = (
    "taskora_constructs.database.cloudnative_pg",  # the CloudNativePG construct (database.engine)
    "hashlib",  # OpenSSL, for the config checksum's SHA-256 (core/podspec.py takes CPython's own)
    "secrets",  # and hmac, for one random name of a parked output (taskora_app/atomic.py)
    "hmac",
    "ctypes.util",  # a fallback lookup of libc, for the atomic swap of the output (taskora_app/atomic.py)
    "difflib",  # the "did you mean" of a fix (closest(), in the library's errors and taskora_app/suggest.py)
    "typeguard",  # jsii's runtime type checks of its generated bindings' arguments (the first one loads
    "importlib.metadata",  # typeguard, importlib.metadata, asyncio, unittest.mock); the library's are its own
)


def _loaded_by_make_synth(tmp_path, names: tuple[str, ...]) -> dict[str, bool]:
    # Twice, as `make synth` usually runs: the second run swaps its output for the first's.
    code = ("import json, sys, main; assert main.main([]) == 0; status = main.main(['--summary']); "
            f"print(json.dumps({{name: name in sys.modules for name in {list(names)!r}}})); sys.exit(status)")
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path / "dist")}
    env.pop("TASKORA_ENV", None)
    env.pop("TASKORA_VALUES", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    summary, loaded = result.stdout.strip().splitlines()
    assert summary.startswith("Wrote ")  # the synth ran to the end
    return json.loads(loaded)


def test_a_default_synth_never_imports_what_only_another_configuration_needs(tmp_path):
    # GIVEN the app as `make synth` runs it WHEN it has synthesized, and then replaced that output
    loaded = _loaded_by_make_synth(tmp_path, NOT_LOADED + ("taskora_constructs", "yaml"))
    # THEN the library and the values files' parser were loaded (the synth used them)
    assert loaded.pop("taskora_constructs") and loaded.pop("yaml")
    # AND none of the modules only the production engine or an error path needs
    assert loaded == {name: False for name in NOT_LOADED}


def test_a_name_loaded_on_first_use_is_the_class_itself():
    # GIVEN a fresh interpreter that imported the library only
    code = ("import sys, taskora_constructs as lib; before = 'taskora_constructs.database.cloudnative_pg' in sys.modules; "
            "from taskora_constructs.database.cloudnative_pg import CloudNativePgDatabase; "
            "print(before, lib.CloudNativePgDatabase is CloudNativePgDatabase, isinstance(lib.__version__, str))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    # WHEN the public names are read THEN each is what its module defines, loaded then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


def test_the_app_is_made_without_a_jsii_runtime_type_check(monkeypatch, tmp_path):
    # GIVEN every jsii runtime type check recorded (the first one of a process imports typeguard)
    import cdk8s
    import jsii._type_checking

    import main
    checked: list[str] = []
    monkeypatch.setattr(jsii._type_checking, "_resolved_check", lambda **check: checked.append(check["argname"]))
    # WHEN main.py makes its App
    app = main.new_app(str(tmp_path / "dist"))
    # THEN nothing was checked, and Node's App has the output directory
    assert checked == []
    assert isinstance(app, cdk8s.App) and app.outdir == str(tmp_path / "dist")
