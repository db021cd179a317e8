"""GIVEN an app with several charts WHEN synthesized inside TaskoraValidation.once() THEN the
cross-object checks run once, not once per chart, and still refuse a broken app."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import Taskora, TaskoraProps, TaskoraSecretValues, TaskoraValidation


def counting(monkeypatch) -> list[int]:
    calls = [0]
    original = TaskoraValidation.problems

    def problems(self):
        calls[0] += 1
        return original(self)

    monkeypatch.setattr(TaskoraValidation, "problems", problems)
    return calls


def test_without_once_cdk8s_validates_again_for_every_chart_not_taskoras(monkeypatch, tmp_path):
    # GIVEN Taskora's six charts and one plain chart of the caller's in one App, with the lint
    calls = counting(monkeypatch)
    app = cdk8s.App(outdir=str(tmp_path))
    Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()))
    extra = cdk8s.Chart(app, "extra", namespace="taskora")
    cdk8s.ApiObject(extra, "config", api_version="v1", kind="ConfigMap", metadata=cdk8s.ApiObjectMetadata(name="x"))
    TaskoraValidation.of(app)  # the opt-in lint
    # WHEN synthesized without once()
    app.synth()
    # THEN cdk8s validates the App once before writing, and again only for the plain chart
    # (Chart.toJson() validates the whole App; Taskora's charts skip that repeat, core/chart.py)
    assert calls[0] == 1 + 1
    assert len(app.charts) == 7 and len(list(tmp_path.glob("*.k8s.yaml"))) == 7


def test_without_the_opt_in_no_lint_exists_and_none_runs(monkeypatch, tmp_path):
    calls = counting(monkeypatch)
    app = cdk8s.App(outdir=str(tmp_path))
    Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()))
    app.synth()
    assert calls[0] == 0
    assert app.node.try_find_child(TaskoraValidation.ID) is None


def test_within_once_the_checks_run_once_per_synth(monkeypatch, tmp_path):
    calls = counting(monkeypatch)
    app = cdk8s.App(outdir=str(tmp_path))
    Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()))
    with TaskoraValidation.of(app).once():
        app.synth()
    assert calls[0] == 1
    assert len(list(tmp_path.glob("*.k8s.yaml"))) == len(app.charts)


def test_once_still_refuses_a_broken_app_and_forgets_its_result_afterwards(tmp_path):
    app = cdk8s.App(outdir=str(tmp_path))
    taskora = Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues.development_placeholders()))
    validation = TaskoraValidation.of(app)
    cdk8s.ApiObject.of(taskora.backend.node.find_child("service")).add_json_patch(
        cdk8s.JsonPatch.replace("/spec/selector", {"app": "nobody"}))
    with pytest.raises(RuntimeError, match="must match the pod labels"):
        with validation.once():
            app.synth()
    assert validation._synth_cache is None and not validation._in_synth
