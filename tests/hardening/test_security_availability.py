"""Availability (issue #5): GIVEN each profile WHEN synthesized THEN the frontend and the
backend have disruption budgets and spread over nodes, slow starts are guarded by startup
probes, Postgres shuts down cleanly within its grace period, and production autoscales
from at least the documented replica counts."""

from __future__ import annotations

import pytest

from tests.support.profiles import STATEFULSET_PROFILE, by_id, objects_of

#: The StatefulSet's hardening in both profiles (production's own database is CloudNativePG:
#: tests/database/test_cloudnative_pg.py).
PROFILES = ("local", STATEFULSET_PROFILE)
from taskora_constructs import (Autoscaling, DisruptionBudget, TaskoraBackendProps, TaskoraConfigError,
                                TaskoraFrontendProps)

#: The model's replica counts (sections 2.1, 2.2).
DOCUMENTED_REPLICAS = {"taskora-frontend": 2, "taskora-backend": 3}


@pytest.mark.parametrize("profile", PROFILES)
def test_frontend_and_backend_have_a_disruption_budget_of_one_pod_at_a_time(profile):
    found = by_id(objects_of(profile))
    budgets = {oid: o for oid, o in found.items() if o["kind"] == "PodDisruptionBudget"}
    assert set(budgets) == {"PodDisruptionBudget/taskora-frontend", "PodDisruptionBudget/taskora-backend"}
    for oid, budget in budgets.items():
        name = budget["metadata"]["name"]
        deployment = found[f"Deployment/{name}"]
        # selects exactly the Deployment's pods, by its selector
        assert budget["spec"]["selector"] == deployment["spec"]["selector"]
        assert budget["spec"]["maxUnavailable"] == 1 and "minAvailable" not in budget["spec"]
        assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_no_disruption_budget_would_block_a_node_drain():
    # a budget that keeps every replica up makes every drain hang: refused at once
    with pytest.raises(TaskoraConfigError, match="minAvailable=2: must be below the replica count"):
        TaskoraFrontendProps(replicas=2, disruption_budget=DisruptionBudget(max_unavailable=None, min_available=2))
    with pytest.raises(TaskoraConfigError, match="maxUnavailable=0"):
        TaskoraFrontendProps(disruption_budget=DisruptionBudget(max_unavailable=0))
    # a minAvailable below the replicas is fine, and so is no budget at all
    assert TaskoraFrontendProps(replicas=3, disruption_budget=DisruptionBudget(max_unavailable=None, min_available=2))
    assert TaskoraFrontendProps(disruption_budget=None)


@pytest.mark.parametrize("profile", PROFILES)
def test_multi_replica_workloads_spread_over_nodes_softly(profile):
    found = by_id(objects_of(profile))
    for name in ("taskora-frontend", "taskora-backend"):
        spec = found[f"Deployment/{name}"]["spec"]["template"]["spec"]
        assert spec["topologySpreadConstraints"] == [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": name}}}]
    # one database pod: nothing to spread
    assert "topologySpreadConstraints" not in found["StatefulSet/taskora-db"]["spec"]["template"]["spec"]


def test_a_single_replica_does_not_spread():
    from tests.support.synth import by_kind_name, synth_taskora

    _, objects = synth_taskora(frontend=TaskoraFrontendProps(replicas=1))
    assert "topologySpreadConstraints" not in \
        by_kind_name(objects)[("Deployment", "taskora-frontend")]["spec"]["template"]["spec"]


@pytest.mark.parametrize("profile", PROFILES)
def test_slow_starts_get_a_startup_probe_so_liveness_cannot_kill_a_booting_pod(profile):
    found = by_id(objects_of(profile))
    for oid in ("Deployment/taskora-backend", "StatefulSet/taskora-db"):
        container = found[oid]["spec"]["template"]["spec"]["containers"][0]
        startup = container["startupProbe"]
        # the same check as readiness, with a budget well beyond the liveness probe's
        handler = {k: v for k, v in startup.items() if k in ("httpGet", "exec")}
        assert handler == {k: v for k, v in container["readinessProbe"].items() if k in ("httpGet", "exec")}
        budget = startup["periodSeconds"] * startup["failureThreshold"]
        liveness = container["livenessProbe"]
        assert budget >= 120 > liveness["initialDelaySeconds"] + liveness["periodSeconds"] * liveness["failureThreshold"]
    # Postgres may initdb a fresh volume or replay its WAL after a crash: 5 minutes
    startup = found["StatefulSet/taskora-db"]["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 300


@pytest.mark.parametrize("profile", PROFILES)
def test_postgres_gets_a_fast_clean_shutdown_within_its_grace_period(profile):
    spec = by_id(objects_of(profile))["StatefulSet/taskora-db"]["spec"]["template"]["spec"]
    grace = spec["terminationGracePeriodSeconds"]
    assert grace >= 120
    command = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert command[:7] == ["pg_ctl", "stop", "-D", "/var/lib/postgresql/data/pgdata", "-m", "fast", "-w"]
    assert command[7] == "-t" and int(command[8]) < grace


def test_production_autoscales_frontend_and_backend_from_at_least_the_documented_replicas():
    found = by_id(objects_of(STATEFULSET_PROFILE))
    autoscalers = {oid: o for oid, o in found.items() if o["kind"] == "HorizontalPodAutoscaler"}
    assert set(autoscalers) == {"HorizontalPodAutoscaler/taskora-frontend", "HorizontalPodAutoscaler/taskora-backend"}
    for hpa in autoscalers.values():
        spec = hpa["spec"]
        name = spec["scaleTargetRef"]["name"]
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert spec["minReplicas"] >= DOCUMENTED_REPLICAS[name] and spec["maxReplicas"] > spec["minReplicas"]
        assert spec["metrics"][0]["resource"]["name"] == "cpu"
        # the autoscaler owns the replica count: an apply must not reset it
        assert "replicas" not in found[f"Deployment/{name}"]["spec"]


def test_local_runs_the_documented_fixed_replica_counts():
    found = by_id(objects_of("local"))
    assert [o for o in found.values() if o["kind"] == "HorizontalPodAutoscaler"] == []
    for name, replicas in DOCUMENTED_REPLICAS.items():
        assert found[f"Deployment/{name}"]["spec"]["replicas"] == replicas


def test_an_autoscaler_may_not_go_below_the_workloads_replicas():
    with pytest.raises(TaskoraConfigError, match=r"autoscaling.minReplicas=2: must be >= replicas \(3\)"):
        TaskoraBackendProps(autoscaling=Autoscaling(min_replicas=2, max_replicas=6))
    with pytest.raises(TaskoraConfigError, match="autoscaling.maxReplicas=3: must be >= minReplicas"):
        TaskoraBackendProps(autoscaling=Autoscaling(min_replicas=4, max_replicas=3))
