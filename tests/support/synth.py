"""Synthesizing the library's constructs in-process, as the tests read their output."""

from __future__ import annotations

import subprocess
import sys

import cdk8s
import yaml

from taskora_constructs import Taskora, TaskoraProps, TaskoraSecretValues, TaskoraValidation


def synth_app(app: cdk8s.App) -> list[dict]:
    """Every object of every chart in ``app``, in chart (apply) order, as plain dicts."""
    objects: list[dict] = []
    with TaskoraValidation.of(app).once():  # the app does not change between the charts
        for chart in app.charts:
            objects.extend(cdk8s.Testing.synth(chart))
    return objects


def synth_taskora(**props) -> tuple[Taskora, list[dict]]:
    """Build one Taskora instance with ``props`` (placeholder secrets unless given)."""
    props.setdefault("secrets", TaskoraSecretValues.development_placeholders())
    app = cdk8s.Testing.app()
    # The construct id names the charts; the app name, the objects.
    taskora = Taskora(app, props.get("app_name", "taskora"), TaskoraProps(**props))
    return taskora, synth_app(app)


def by_kind_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def rendered_yaml(objects: list[dict]) -> str:
    """The objects as the YAML a reviewer reads (key order kept): what a snapshot holds."""
    return yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False)


def after_the_default_synth(expression: str) -> str:
    """What ``print(expression)`` prints in a fresh process once the app has synthesized as
    ``make synth`` does (TASKORA_ENV=local): what a synth loaded, or left alone."""
    from tests.support.paths import ROOT
    code = f"import sys, tempfile, types, main; main.synthesize(main.build(tempfile.mkdtemp())); print({expression})"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
