"""Validation of the kinds issue #5 adds: GIVEN the synthesized objects with one reference
broken WHEN checked THEN the problem names the object, the field, the value and the fix -
a NetworkPolicy, budget or autoscaler that selects nothing, a port no pod listens on, a
ServiceAccount or claim that does not exist. The unbroken profiles pass."""

from __future__ import annotations

import cdk8s
import pytest

from tests.support.synth import synth_app
from tests.support.profiles import STATEFULSET_PROFILE, PROFILES, by_id, objects_of, props_of
from taskora_constructs import (Declarations, Taskora, TaskoraConfigError, TaskoraValidation, check_manifests,
                                config_error_from_synth)


def problems_after(change, profile: str = "local", declarations: Declarations = Declarations()) -> list[str]:
    objects = objects_of(profile)
    change(by_id(objects))
    return [str(p) for p in check_manifests(objects, declarations)]


@pytest.mark.parametrize("profile", PROFILES)
def test_the_profiles_pass(profile):
    assert check_manifests(objects_of(profile)) == []


def test_a_policy_that_selects_no_pod_is_refused():
    def change(found):
        found["NetworkPolicy/taskora-backend"]["spec"]["podSelector"]["matchLabels"] = {"app": "taskora-backnd"}
    (message,) = problems_after(change)
    assert message.startswith("NetworkPolicy/taskora-backend: spec.podSelector.matchLabels={'app': 'taskora-backnd'}: "
                              "must match the pod labels of a workload of the app in namespace 'taskora'")


def test_a_peer_that_selects_no_pod_is_refused():
    def change(found):
        found["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] = \
            {"app": "backend"}
    (message,) = problems_after(change)
    assert message.startswith("NetworkPolicy/taskora-db: spec.ingress[0].from[0].podSelector.matchLabels="
                              "{'app': 'backend'}: must match the pod labels of a workload")


def test_a_port_no_pod_listens_on_is_refused_in_both_directions():
    def change(found):
        found["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["ports"][0]["port"] = 5433
        found["NetworkPolicy/taskora-frontend"]["spec"]["egress"][0]["ports"][0]["port"] = "web"
    messages = problems_after(change)
    assert [m.split(": must")[0] for m in messages] == [
        "NetworkPolicy/taskora-db: spec.ingress[0].ports[0].port=5433",
        "NetworkPolicy/taskora-frontend: spec.egress[0].ports[0].port='web'"]
    assert "StatefulSet/taskora-db: 5432/postgres" in messages[0]
    # by name is fine
    ok = objects_of("local")
    by_id(ok)["NetworkPolicy/taskora-db"]["spec"]["ingress"][0]["ports"][0]["port"] = "postgres"
    assert check_manifests(ok) == []


def test_an_ip_block_must_except_only_ranges_inside_it():
    def change(found):
        block = found["NetworkPolicy/taskora-backend"]["spec"]["egress"][1]["to"][0]["ipBlock"]
        block["cidr"] = "10.0.0.0/8"
        block["except"] = ["192.168.0.0/16"]
    (message,) = problems_after(change)
    assert "spec.egress[1].to[0].ipBlock.except[0]='192.168.0.0/16': must lie inside the block's cidr" in message


def test_a_disruption_budget_must_select_pods_and_leave_one_evictable():
    def change(found):
        found["PodDisruptionBudget/taskora-frontend"]["spec"]["selector"]["matchLabels"] = {"app": "web"}
        backend = found["PodDisruptionBudget/taskora-backend"]["spec"]
        del backend["maxUnavailable"]
        backend["minAvailable"] = 3
    messages = problems_after(change)
    assert messages[0].startswith("PodDisruptionBudget/taskora-backend: spec.minAvailable=3: must be below the "
                                  "selected pods' replica count (3)")
    assert messages[1].startswith("PodDisruptionBudget/taskora-frontend: spec.selector.matchLabels={'app': 'web'}")


def test_under_an_autoscaler_the_budget_counts_its_floor():
    # production's backend runs at least 4 (its autoscaler's floor), no spec.replicas
    def change(found):
        spec = found["PodDisruptionBudget/taskora-backend"]["spec"]
        del spec["maxUnavailable"]
        spec["minAvailable"] = 4
    (message,) = problems_after(change, STATEFULSET_PROFILE)
    assert "spec.minAvailable=4: must be below the selected pods' replica count (4)" in message


def test_an_autoscaler_must_target_a_workload_of_the_app():
    def change(found):
        found["HorizontalPodAutoscaler/taskora-backend"]["spec"]["scaleTargetRef"]["name"] = "backend"
        found["HorizontalPodAutoscaler/taskora-frontend"]["spec"]["maxReplicas"] = 2
    messages = problems_after(change, "production")
    assert messages[0].startswith("HorizontalPodAutoscaler/taskora-backend: spec.scaleTargetRef=")
    assert "must name a Deployment or StatefulSet of the app" in messages[0]
    assert messages[1].startswith("HorizontalPodAutoscaler/taskora-frontend: spec.maxReplicas=2: "
                                  "must be >= spec.minReplicas (3)")


def test_a_service_account_must_exist_or_be_declared():
    def change(found):
        found["Deployment/taskora-backend"]["spec"]["template"]["spec"]["serviceAccountName"] = "backend"
    (message,) = problems_after(change)
    assert message.startswith("Deployment/taskora-backend: spec.template.spec.serviceAccountName='backend': "
                              "must name a ServiceAccount the app defines")
    declared = Declarations(external_objects=(("ServiceAccount", "taskora", "backend"),))
    assert problems_after(change, declarations=declared) == []


def test_a_claim_must_be_one_the_app_creates():
    def change(found):
        volumes = found["CronJob/taskora-db-backup"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        next(v for v in volumes if v["name"] == "backup")["persistentVolumeClaim"]["claimName"] = "backup-taskora-db-1"
    (message,) = problems_after(change, STATEFULSET_PROFILE)
    assert "persistentVolumeClaim.claimName='backup-taskora-db-1': must name a claim of the app" in message
    assert "(backup-taskora-db-0, data-taskora-db-0)" in message


def test_the_synth_refuses_a_broken_policy_naming_its_construct():
    # GIVEN an escape hatch that breaks the frontend's policy WHEN the app is synthesized
    app = cdk8s.Testing.app()
    taskora = Taskora(app, "taskora", props_of("local"))
    policy = taskora.network_policies["frontend"].node.find_child("policy")
    policy.add_json_patch(cdk8s.JsonPatch.replace("/spec/ingress/0/ports/0/port", 80))
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    error = config_error_from_synth(raised.value, app)
    # THEN the synth fails with one problem, at the policy's construct path
    assert isinstance(error, TaskoraConfigError)
    assert [str(p).split(": must")[0] for p in error.problems] == [
        "taskora-frontend/network-policy/policy: spec.ingress[0].ports[0].port=80"]
    assert TaskoraValidation.of(app).last_problems == error.problems
