"""GIVEN a profile's dist/ (local; production on CloudNativePG; production on the StatefulSet; the
Gateway API layer) WHEN applied to a real kube-apiserver with `kubectl apply --server-side -f
dist/` THEN it succeeds in one pass with no warning, a second apply changes nothing (`kubectl
diff` exits 0), the controller manager creates the ReplicaSets and pods (and the StatefulSet's
pod and claims), and the API server admits every pod under the namespace's enforced Pod Security
level: a pod that breaks `restricted` is refused in the same namespace.
"""

from __future__ import annotations

import pytest
import yaml

from tests.cluster.kube import NAMESPACE, PROFILES, Kube, deployed, dist_of, kube, protection  # noqa: F401 - fixtures

pytestmark = pytest.mark.cluster


def owned_by(objects: list[dict], owner: dict) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [o for o in objects if any(ref["uid"] == uid for ref in o["metadata"].get("ownerReferences", []))]


@pytest.mark.parametrize("profile", PROFILES)
def test_server_side_apply_in_one_pass_without_warnings_then_no_diff(kube: Kube, deployed, profile):
    applied = deployed(profile)
    assert "Warning" not in applied.stderr, applied.stderr  # Pod Security warns on the pod templates
    assert "serverside-applied" in applied.stdout
    diff = kube.run("diff", "--server-side", "-f", str(dist_of(profile)), check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    again = kube.run("apply", "--server-side", "-f", str(dist_of(profile)))
    assert "Warning" not in again.stderr and "configured" not in again.stdout, again.stdout + again.stderr


@pytest.mark.parametrize("profile", PROFILES)
def test_controllers_create_every_pod_and_the_api_server_admits_them(kube: Kube, deployed, profile):
    deployed(profile)
    namespace = kube.get("namespace", NAMESPACE, namespace=None)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deployments = kube.items("deployments")
    assert {d["metadata"]["name"] for d in deployments} == {"taskora-frontend", "taskora-backend"}

    def all_pods() -> bool:
        replica_sets, pods = kube.items("replicasets"), kube.items("pods")
        return all(len(owned_by(pods, rs)) == rs["spec"]["replicas"] > 0
                   for d in deployments for rs in owned_by(replica_sets, d)) and \
            len(replica_sets) == len(deployments)
    kube.wait_for("a ReplicaSet per Deployment and all their pods", all_pods, timeout=90)
    for stateful_set in kube.items("statefulsets"):
        name = stateful_set["metadata"]["name"]
        claims = {f"{t['metadata']['name']}-{name}-0" for t in stateful_set["spec"].get("volumeClaimTemplates", [])}
        kube.wait_for(f"{name}-0 and its claims {sorted(claims)}",
                      lambda: f"{name}-0" in kube.names("pods") and claims <= kube.names("persistentvolumeclaims"),
                      timeout=90)
    # Refused pods leave FailedCreate events on their ReplicaSet or StatefulSet.
    events = [e for e in kube.items("events") if e.get("reason") == "FailedCreate"]
    assert events == [], [e["message"] for e in events]


def test_the_namespace_enforces_restricted_on_the_real_api_server(kube: Kube, deployed):
    deployed("production")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged-probe", "namespace": NAMESPACE},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}  # no securityContext
    refused = kube.run("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(pod), check=False)
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:' in refused.stderr, refused.stderr
