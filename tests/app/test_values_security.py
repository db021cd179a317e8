"""The hardening's values keys (issue #5): GIVEN a values layer WHEN loaded THEN the props
are as asked, or every problem is named with its key path and file; the schema documents
each key with its default."""

from __future__ import annotations

import pytest

from tests.support.profiles import DIGESTS, DIGESTS_LAYER, NO_SECRETS_FILE, SECRETS
from taskora_app.values import load, values_json_schema
from taskora_constructs import TaskoraConfigError


def load_with(tmp_path, text: str, **environ):
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    return load({"TASKORA_VALUES": str(path), **environ}, secrets_file=NO_SECRETS_FILE)[1], str(path)


def problems_with(tmp_path, text: str, **environ) -> tuple[list[str], str]:
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(path), **environ}, secrets_file=NO_SECRETS_FILE)
    return [str(p) for p in raised.value.problems], str(path)


def test_a_layer_removes_an_exception_with_null_and_adds_one(tmp_path):
    props, _ = load_with(tmp_path, "backend:\n  policyExceptions:\n    CKV_K8S_35: null\n"
                                   "    CKV_K8S_9: readiness is the startup probe's\n")
    assert "CKV_K8S_35" not in props.backend.policy_exceptions
    assert props.backend.policy_exceptions["CKV_K8S_9"] == "readiness is the startup probe's"
    assert props.backend.policy_exceptions["CKV_K8S_40"]  # the others are kept


def test_a_malformed_exception_is_refused_under_its_key_path(tmp_path):
    messages, path = problems_with(tmp_path, "frontend:\n  policyExceptions:\n    CKV_K8S_40: 'uid=1001'\n")
    assert messages == [f"{path}:3:5: frontend.policyExceptions.CKV_K8S_40='uid=1001': must be a one-line reason of at "
                        "most 160 characters without '=' (checkov splits its skip annotation there). Fix: say in a "
                        "few words why the check must stay unmet"]


def test_production_requires_every_image_digest(tmp_path):
    messages, _ = problems_with(tmp_path, "{}\n", TASKORA_ENV="production", **SECRETS)
    assert [m.split("=")[0] for m in messages] == [
        # named where requireImageDigests is set (line 15 of config/production.yaml)
        "config/production.yaml:15:1: frontend.imageDigest", "config/production.yaml:15:1: backend.imageDigest",
        "config/production.yaml:15:1: database.imageDigest"]
    assert "is required here (requireImageDigests)" in messages[0]


def test_a_digest_is_appended_to_the_image(tmp_path):
    props, _ = load_with(tmp_path, DIGESTS_LAYER, TASKORA_ENV="production", **SECRETS)
    assert props.frontend.image == f"taskora/frontend:1.0.0@{DIGESTS['frontend']}"
    assert props.database.image == f"ghcr.io/cloudnative-pg/postgresql:15.8@{DIGESTS['database']}"


@pytest.mark.parametrize("text, rule", [
    ("frontend:\n  imageDigest: sha256:abc\n", "must be a sha256 digest"),
    (f"frontend:\n  image: x/web@{DIGESTS['frontend']}\n  imageDigest: {DIGESTS['frontend']}\n",
     "must not be given when frontend.image already has one"),
])
def test_a_bad_digest_is_refused(tmp_path, text, rule):
    messages, path = problems_with(tmp_path, text)
    assert len(messages) == 1 and messages[0].startswith(f"{path}:{text.count(chr(10))}:3: frontend.imageDigest=") and rule in messages[0]


def test_autoscaling_needs_a_maximum_and_a_floor_of_at_least_the_replicas(tmp_path):
    messages, path = problems_with(tmp_path, "backend:\n  autoscaling: {enabled: true}\n"
                                             "frontend:\n  autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 4}\n")
    assert [m.split(": ")[1].strip() for m in messages] == [
        "frontend.autoscaling.minReplicas=1", "backend.autoscaling.maxReplicas=null"]


def test_backups_can_be_switched_on_locally(tmp_path):
    props, _ = load_with(tmp_path, "database:\n  backup: {enabled: true, schedule: '30 1 * * 0', retention: 4}\n")
    assert (props.database.backup.schedule, props.database.backup.retention) == ("30 1 * * 0", 4)
    messages, path = problems_with(tmp_path, "database:\n  backup: {enabled: true, schedule: nightly}\n")
    assert messages[0].startswith(f"{path}:2:27: database.backup.schedule='nightly': must be a cron schedule")


def test_network_policy_keys_are_checked(tmp_path):
    messages, path = problems_with(tmp_path, "networkPolicy:\n  ingressControllerNamespace: Ingress_NGINX\n"
                                             "  httpsEgressCidrs: [0.0.0.0/33]\n")
    assert [m.split("=")[0] for m in messages] == [f"{path}:2:3: networkPolicy.ingressControllerNamespace",
                                                   f"{path}:3:3: networkPolicy.httpsEgressCidrs"]


def test_the_schema_documents_the_hardening_keys_with_their_defaults():
    sections = values_json_schema()["properties"]
    network = sections["networkPolicy"]["properties"]
    database = sections["database"]["properties"]
    assert network["ingressControllerNamespace"]["default"] == "ingress-nginx"
    assert database["backup"]["properties"]["enabled"]["default"] is False
    assert database["backup"]["properties"]["schedule"]["default"] == "0 3 * * *"
    assert sections["frontend"]["properties"]["disruptionBudget"]["properties"]["maxUnavailable"]["default"] == 1
    assert "targetCPUUtilizationPercentage" in sections["backend"]["properties"]["autoscaling"]["properties"]
    assert database["runAsUser"]["default"] == 70
    assert values_json_schema()["properties"]["requireImageDigests"]["default"] is False
    assert all(p.get("description") for p in network.values())
