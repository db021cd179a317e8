"""Shared by the lint tests (tests/lint/, tests/core/test_props.py): construct paths of the default
app, building it, patching it through the escape hatch, breaking a profile's objects, plain
manifests, and reading the problems."""

from __future__ import annotations

import cdk8s
import pytest

from tests.support.profiles import by_id, objects_of
from tests.support.synth import synth_app
from taskora_constructs.core.errors import as_yaml
from taskora_constructs import (Declarations, Problem, Taskora, TaskoraConfigError, TaskoraProps, TaskoraSecretValues,
                                check_manifests, config_error_from_synth)

CONTAINER = "spec.template.spec.containers[0]"
PATCH_CONTAINER = "/spec/template/spec/containers/0"
BACKEND = "taskora-backend/backend/Resource"
BACKEND_SERVICE = "taskora-backend/backend/service"
DATABASE = "taskora-database/postgres/Resource"
DATABASE_SERVICE = "taskora-database/postgres/service"
CREDENTIALS = "taskora-database/postgres/credentials"
APP_SECRET = "taskora-config/secrets/Resource"
CONFIG_MAP = "taskora-config/config/Resource"
API_INGRESS = "taskora-ingress/ingress/api-ingress"
PLACEHOLDERS = TaskoraSecretValues.development_placeholders()


# --- helpers --------------------------------------------------------------------------------

def build(**props) -> tuple[cdk8s.App, Taskora]:
    props.setdefault("secrets", PLACEHOLDERS)
    app = cdk8s.Testing.app()
    return app, Taskora(app, "taskora", TaskoraProps(**props))


def patch(app: cdk8s.App, path: str, *patches: cdk8s.JsonPatch) -> None:
    """Apply JSON patches to the ApiObject at construct ``path`` (the escape hatch)."""
    api_object = app
    for part in path.split("/"):
        api_object = api_object.node.find_child(part)
    api_object.add_json_patch(*patches)


def refused(app: cdk8s.App) -> TaskoraConfigError:
    """Synthesize like the test suite does; the synth must fail with a configuration error."""
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    error = config_error_from_synth(raised.value, app)
    assert error is not None, f"not a configuration error: {raised.value}"
    return error


def the_problem(error: TaskoraConfigError, where: str, field: str) -> Problem:
    found = [p for p in error.problems if p.where == where and p.field == field]
    assert len(found) == 1, f"expected one problem at {where} {field}, got:\n{error}"
    assert f"  - {found[0]}" in str(error).splitlines()
    return found[0]


def assert_message(problem: Problem, *, value, rule: str, fix: str) -> None:
    message = str(problem)
    assert message.startswith(f"{problem.where}: {problem.field}={as_yaml(value)}: "), message
    assert rule in problem.rule and rule in message
    assert fix in problem.fix and f"Fix: {problem.fix}" in message


def props_error(build_props) -> TaskoraConfigError:
    with pytest.raises(TaskoraConfigError) as raised:
        build_props()
    return raised.value


def problems_after(change, profile: str = "local", declarations: Declarations = Declarations()) -> list[str]:
    objects = objects_of(profile)
    change(by_id(objects))
    return [str(p) for p in check_manifests(objects, declarations)]


def plain_deployment(name: str, namespace: str, **pod_spec) -> dict:
    container = {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "http"}],
                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                 "livenessProbe": {"tcpSocket": {"port": 80}}, "readinessProbe": {"tcpSocket": {"port": "http"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [container], **pod_spec}}}}


def plain_service(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
