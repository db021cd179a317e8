"""Deletion protection and teardown on a real kube-apiserver + controller manager (issues 18, 20).

GIVEN the cluster-wide deletion protection (`make protection`, applied once, outside dist/) and a
profile applied from dist/, its database claims bound to volumes (the StatefulSet's made by the
StatefulSet controller; CloudNativePG's created as its operator creates them, with the Cluster as
controller owner, since no operator runs here)
WHEN `kubectl delete -f dist/` runs once, and again
THEN the Namespace, every claim (same uid) and every volume stay, and for CloudNativePG the Cluster
too (deleting it would let the garbage collector delete its claims); `kubectl apply -f dist/`
brings the app back on the same claims.
AND the policy refuses deleting the Namespace, a claim or the Cluster, by a user or as the garbage
collector, while the label is there, lets the operator's own claim deletes (scale-down) through,
and after `kubectl label namespace taskora taskora.io/deletion-protection-` allows all of it.
AND scripts/teardown.sh removes what it says and keeps the rest; scripts/smoke.sh runs its
prerequisite check and stops at its first step that needs running pods (there is no kubelet).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cluster.kube import (GARBAGE_COLLECTOR, NAMESPACE, OPERATOR, PROFILES, ROOT, Kube, claims_now,  # noqa: F401
                                copy_dist, database_claims, deployed, dist_of, kube, protection)
from taskora_constructs.taskora.namespace import PROTECTION_LABEL

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("profile", PROFILES)
def test_kubectl_delete_dist_once_and_twice_keeps_namespace_claims_and_volumes(kube: Kube, deployed, profile):
    deployed(profile)
    claims = database_claims(kube, profile)
    clusters = kube.names("clusters.postgresql.cnpg.io")
    for attempt in (1, 2):
        deleted = kube.run("delete", "-f", str(dist_of(profile)), "--wait=false", check=False)
        assert deleted.returncode != 0, f"delete {attempt}: nothing was refused"
        assert "deletion protection" in deleted.stderr, deleted.stderr
        assert f"kubectl label namespace {NAMESPACE} {PROTECTION_LABEL}-" in deleted.stderr
        assert kube.get("namespace", NAMESPACE, namespace=None)["status"]["phase"] == "Active"
        assert kube.names("deployments") == set(), f"delete {attempt}: the rest of dist/ is deleted"
        assert kube.names("clusters.postgresql.cnpg.io") == clusters
        assert claims_now(kube) == claims, f"delete {attempt}"
    volumes = [pv for pv in kube.items("persistentvolumes", None) if pv["metadata"]["name"].startswith(f"test-{profile}-")]
    assert len(volumes) == len(claims) and all(pv["status"]["phase"] == "Bound" for pv in volumes)
    back = kube.run("apply", "--server-side", "-f", str(dist_of(profile)))
    assert "Warning" not in back.stderr
    assert claims_now(kube) == claims  # the app comes back on the same claims


@pytest.mark.parametrize("profile", ["production", "production-statefulset"])
def test_protection_refuses_users_and_the_garbage_collector_lets_the_operator_then_allows_after_unlabelling(
        kube: Kube, deployed, profile):
    deployed(profile)
    claims = database_claims(kube, profile)
    claim = sorted(claims)[0]
    for who in ([], [f"--as={GARBAGE_COLLECTOR}"]):
        for target in (["persistentvolumeclaim", claim], ["namespace", NAMESPACE],
                       *([["cluster.postgresql.cnpg.io", "taskora-db"]] if profile == "production" else [])):
            refused = kube.run("delete", *target, "-n", NAMESPACE, "--wait=false", *who, check=False)
            assert refused.returncode != 0 and "deletion protection" in refused.stderr, (who, target, refused.stderr)
    assert claims_now(kube) == claims
    if profile == "production":
        # The operator scales from 3 instances to 2: it deletes the surplus replica's claim itself.
        scaled = kube.run("delete", "persistentvolumeclaim", "taskora-db-3", "-n", NAMESPACE, f"--as={OPERATOR}",
                          "--wait=false")
        assert "deleted" in scaled.stdout
    kube.run("label", "namespace", NAMESPACE, f"{PROTECTION_LABEL}-")
    if profile == "production":
        # Without the protection, deleting the Cluster lets the garbage collector delete its
        # claims: what `kubectl delete -f dist/` did before the policy left dist/ (issue 20).
        kube.run("delete", "cluster.postgresql.cnpg.io", "taskora-db", "-n", NAMESPACE)
        kube.wait_for("the garbage collector to delete the Cluster's claims",
                      lambda: not any(c.startswith("taskora-db-") for c in claims_now(kube)), timeout=60)
    kube.run("delete", "namespace", NAMESPACE, "--wait=true", "--timeout=120s")
    assert kube.get("namespace", NAMESPACE, namespace=None) is None


def test_a_policy_variable_named_namespace_is_refused_by_the_api_server(kube: Kube):
    """Why the per-namespace policy dist/ used to hold never worked: its first CEL variable was
    named ``namespace``, a reserved word the real API server refuses."""
    policy = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
              "metadata": {"name": "taskora-reserved-word-probe"},
              "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                               "operations": ["DELETE"], "resources": ["namespaces"]}]},
                       "variables": [{"name": "namespace", "expression": "oldObject"}],
                       "validations": [{"expression": "true"}]}}
    refused = kube.run("apply", "--server-side", "-f", "-", stdin=json.dumps(policy), check=False)
    assert refused.returncode != 0
    assert 'spec.variables[0].name: Invalid value: "namespace": must be a valid CEL identifier' in refused.stderr


def run_script(kube: Kube, script: str, *args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / script), *args], env={**kube.env, **(env or {})},
                          capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.mark.parametrize("profile", ["local", "production"])
def test_teardown_script_deletes_the_app_and_keeps_namespace_claims_and_the_hibernated_cluster(
        kube: Kube, deployed, profile, tmp_path):
    deployed(profile)
    claims = database_claims(kube, profile)
    dist = copy_dist(profile, tmp_path)
    result = run_script(kube, "teardown.sh", str(dist), env={"TEARDOWN_TIMEOUT": "60"})
    assert result.returncode == 0, result.stdout + result.stderr
    left = set(kube.run("get", "-f", str(dist), "-o", "name", "--ignore-not-found").stdout.split())
    kept = {"namespace/taskora"} | ({"cluster.postgresql.cnpg.io/taskora-db"} if profile == "production" else set())
    assert left == kept, result.stdout
    assert claims_now(kube) == claims
    if profile == "production":
        cluster = kube.get("cluster.postgresql.cnpg.io", "taskora-db")
        assert cluster["metadata"]["annotations"]["cnpg.io/hibernation"] == "on"
    assert "teardown: the data is kept" in result.stdout
    # The README: the next apply brings the app back on the same data (and wakes the Cluster).
    kube.run("apply", "-f", str(dist))
    assert claims_now(kube) == claims
    if profile == "production":
        assert kube.get("cluster.postgresql.cnpg.io", "taskora-db")["metadata"]["annotations"][
            "cnpg.io/hibernation"] == "off"


@pytest.mark.parametrize("profile", ["local", "production"])
def test_smoke_script_checks_prerequisites_and_stops_at_the_rollouts_without_a_kubelet(
        kube: Kube, deployed, profile, tmp_path):
    deployed(profile)
    dist = copy_dist(profile, tmp_path)
    env = {"SMOKE_DIST": str(dist), "SMOKE_ROLLOUT_TIMEOUT": "3", "PATH": f"{os.path.dirname(kube.kubectl)}:/usr/bin:/bin"}
    prerequisites = run_script(kube, "smoke.sh", "--prerequisites", env=env)
    assert prerequisites.returncode == 0, prerequisites.stderr
    engine = "cloudnative-pg" if profile == "production" else "statefulset"
    assert f"smoke: prerequisites met (database engine {engine})" in prerequisites.stdout
    # Steps 1 (rollouts), 2 (the ingress answers) and 3 (NetworkPolicies, probed from inside
    # running pods) need a scheduler, a kubelet and a CNI: the first rollout wait fails.
    smoke = run_script(kube, "smoke.sh", env=env)
    workload = "cluster.postgresql.cnpg.io/taskora-db" if profile == "production" else "statefulset/taskora-db"
    assert smoke.returncode == 1
    assert f"smoke: FAIL: {workload} did not roll out within 3s" in smoke.stderr, smoke.stdout + smoke.stderr
