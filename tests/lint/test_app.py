"""TaskoraValidation, the opt-in whole-app lint (taskora_constructs/lint/app.py): GIVEN an app with
several charts WHEN synthesized inside TaskoraValidation.once() THEN the cross-object checks run
once, not once per chart, and still refuse a broken app; GIVEN the documented app (one or two
instances, existing Secrets) THEN one validation under the App root passes it; GIVEN a failed
synth THEN config_error_from_synth reports the other libraries' validations too, and never turns
a bug into a configuration error. Whose objects it reads: test_app_scope.py."""

from __future__ import annotations

import cdk8s
import constructs
import pytest

from taskora_constructs import (Taskora, TaskoraProps, TaskoraSecretValues, TaskoraValidation, check_manifests,
                                config_error_from_synth)
from tests.support.lint_helpers import BACKEND, PLACEHOLDERS, build, patch, refused
from tests.support.synth import synth_app


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


# --- the valid app passes, through one TaskoraValidation under the App ----------------------

def test_of_finds_the_apps_lint_again_without_asking_node(monkeypatch):
    # GIVEN an App whose lint is switched on (main.py asks for it when it builds and when it synthesizes)
    from jsii._kernel.providers.process import _NodeProcess
    app = cdk8s.App()
    lint = TaskoraValidation.of(app)
    sent: list[object] = []
    original = _NodeProcess.send
    monkeypatch.setattr(_NodeProcess, "send", lambda self, request, response_type: (
        sent.append(request), original(self, request, response_type))[1])
    # WHEN it is asked for again, from the App
    again = TaskoraValidation.of(app)
    # THEN it is the same lint, found with no call across jsii (it was four)
    assert again is lint and sent == []
    # AND a construct of another kind with the lint's id under the root is still refused
    other = cdk8s.App()
    constructs.Construct(other, TaskoraValidation.ID)
    with pytest.raises(TypeError, match="is not a TaskoraValidation"):
        TaskoraValidation.of(other)


def test_default_app_passes_every_rule(default_objects):
    # GIVEN the documented app WHEN its objects are checked THEN no rule is broken
    assert check_manifests(default_objects) == []
    app, _ = build()
    validation = TaskoraValidation.of(app)
    assert validation.problems() == []
    synth_app(app)
    assert validation.last_problems == ()



def test_default_app_registers_one_validation_under_the_app_root():
    # GIVEN the app WHEN built THEN there is one TaskoraValidation, which emits no object
    app, _ = build()
    assert TaskoraValidation.of(app) is app.node.find_child(TaskoraValidation.ID)
    assert [c.node.id for c in app.node.children if isinstance(c, TaskoraValidation)] == [TaskoraValidation.ID]
    assert all(isinstance(c, cdk8s.Chart) for c in app.charts)



def test_other_valid_shapes_pass_too():
    # GIVEN two instances side by side, and an instance using existing Secrets
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    Taskora(app, "taskora-staging", TaskoraProps(secrets=PLACEHOLDERS, app_name="taskora-staging", namespace="staging"))
    external = TaskoraSecretValues(existing_secret="app-secrets", database_existing_secret="pg-credentials")
    other = cdk8s.Testing.app()
    Taskora(other, "taskora", TaskoraProps(secrets=external))
    # WHEN synthesized THEN nothing is refused
    assert synth_app(app) and synth_app(other)


# --- what a failed synth reports (config_error_from_synth) ----------------------------------

def test_a_failed_validation_of_another_library_is_reported_too():
    # GIVEN a construct of another library whose own validation fails
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Refuses:
        def validate(self):
            return ["bucket name is taken"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Refuses())
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0))
    error = refused(app)
    # THEN its message is kept beside ours
    assert [(p.where, p.field) for p in error.problems] == [(BACKEND, "spec.replicas")]
    assert error.messages == ("[taskora-config] bucket name is taken",)
    assert str(error).splitlines()[-1] == "  - [taskora-config] bucket name is taken"



def test_a_bug_is_not_turned_into_a_configuration_error():
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Broken:
        def validate(self):
            return {}["boom"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Broken())
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    assert config_error_from_synth(raised.value, app) is None
