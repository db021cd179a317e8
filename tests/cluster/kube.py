"""Helpers and fixtures of the cluster tests (issue 18): the test modules import the fixtures from
here. ``make cluster-test`` starts a real control plane
(cluster/controlplane.py: etcd, kube-apiserver, kube-controller-manager; no scheduler, no
kubelet) and points TASKORA_CLUSTER_KUBECONFIG and TASKORA_CLUSTER_KUBECTL at it.

Every profile deploys into the namespace ``taskora``, so the tests run one at a time and each
deployment is torn down (label lifted, namespace deleted and gone, volumes deleted) after its test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.support.environment import CLUSTER_ENVIRONMENT
from tests.support.paths import ROOT
from tests.support.profiles import INGRESS_NGINX_PROFILE, written_profile
from taskora_constructs.taskora.namespace import OPERATOR_USERS, PROTECTION_LABEL, deletion_protection_policy

NAMESPACE = "taskora"
#: local (ingress-nginx) and production (CloudNativePG, Gateway API routing), production on the
#: StatefulSet engine, and production switched back to ingress-nginx over HTTPS
#: (examples/values/ingress-nginx.yaml): both routings on the real API server.
PROFILES = ("local", "production", "production-statefulset", INGRESS_NGINX_PROFILE)
OPERATOR = OPERATOR_USERS[0]  # system:serviceaccount:cnpg-system:cnpg-manager
GARBAGE_COLLECTOR = "system:serviceaccount:kube-system:generic-garbage-collector"
_DIR = Path(tempfile.mkdtemp(prefix="taskora-cluster-"))


class Kube:
    """kubectl against the test control plane."""

    def __init__(self, kubectl: str, kubeconfig: str) -> None:
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.env = {**os.environ, "KUBECONFIG": kubeconfig,
                    "PATH": f"{Path(kubectl).parent}:{os.environ['PATH']}"}

    def run(self, *args: str, check: bool = True, stdin: str | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess:
        result = subprocess.run([self.kubectl, *args], env=self.env, input=stdin, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def get(self, kind: str, name: str | None = None, namespace: str | None = NAMESPACE) -> dict | None:
        args = ["get", kind, *([name] if name else []), "-o", "json"]
        result = self.run(*args, *(["-n", namespace] if namespace else []), check=False)
        if result.returncode != 0:
            assert "NotFound" in result.stderr, result.stderr
            return None
        return json.loads(result.stdout)

    def items(self, kind: str, namespace: str | None = NAMESPACE) -> list[dict]:
        found = self.get(kind, namespace=namespace)
        return found["items"] if found else []

    def names(self, kind: str, namespace: str | None = NAMESPACE) -> set[str]:
        return {o["metadata"]["name"] for o in self.items(kind, namespace)}

    def apply(self, manifest: dict | list[dict], *args: str) -> subprocess.CompletedProcess:
        docs = manifest if isinstance(manifest, list) else [manifest]
        return self.run("apply", "--server-side", "-f", "-", *args, stdin=yaml.safe_dump_all(docs))

    def wait_for(self, what: str, check, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.25)


@pytest.fixture(scope="session")
def kube() -> Kube:
    kubeconfig = CLUSTER_ENVIRONMENT.get("TASKORA_CLUSTER_KUBECONFIG")
    kubectl = CLUSTER_ENVIRONMENT.get("TASKORA_CLUSTER_KUBECTL")
    if not kubeconfig or not kubectl:
        pytest.fail("no control plane: run these through `make cluster-test` (or set TASKORA_CLUSTER_KUBECONFIG "
                    "and TASKORA_CLUSTER_KUBECTL to a `make cluster-up` cluster)")
    k = Kube(kubectl, kubeconfig)
    k.run("get", "--raw", "/readyz")
    return k


_PROBES = [0]


def _protection_effective(kube: Kube) -> bool:
    """Whether the policy already refuses (policy writes take effect after a short delay,
    kubernetes/kubernetes#132502): a labelled probe namespace's delete is refused. A new probe
    each attempt: an earlier one the policy let through may still be terminating, or gone."""
    _PROBES[0] += 1
    probe = f"taskora-protection-probe-{_PROBES[0]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": probe, "labels": {PROTECTION_LABEL: "enabled"}}})
    refused = kube.run("delete", "namespace", probe, "--wait=false", check=False)
    if refused.returncode == 0:
        return False
    assert "deletion protection" in refused.stderr, refused.stderr
    kube.run("label", "namespace", probe, f"{PROTECTION_LABEL}-")
    kube.run("delete", "namespace", probe, "--wait=false")
    return True


@pytest.fixture(scope="session")
def protection(kube: Kube) -> list[dict]:
    """The cluster-wide deletion protection, applied as ``make protection`` writes it, and the
    CloudNativePG operator's service account with the claim rights its release manifest gives it."""
    path = _DIR / "protection"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "protection.py"),
                    "--output", str(path)], check=True, capture_output=True)
    objects = list(yaml.safe_load_all((path / "deletion-protection.yaml").read_text()))
    assert objects == deletion_protection_policy()
    kube.run("apply", "--server-side", "-f", str(path))
    operator_namespace, operator_name = OPERATOR.split(":")[2:]
    kube.apply([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": operator_namespace}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": operator_name,
                                                                    "namespace": operator_namespace}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "test-cnpg-claims"},
         "rules": [{"apiGroups": [""], "resources": ["persistentvolumeclaims"],
                    "verbs": ["create", "delete", "get", "list", "watch", "patch", "update"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "test-cnpg-claims"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "test-cnpg-claims"},
         "subjects": [{"kind": "ServiceAccount", "name": operator_name, "namespace": operator_namespace}]},
    ])
    kube.wait_for("the deletion protection to take effect", lambda: _protection_effective(kube), timeout=30)
    return objects


def dist_of(profile: str) -> Path:
    """The files `make synth` writes for ``profile``."""
    return written_profile(profile)


def remove_namespace(kube: Kube) -> None:
    """Deliberate teardown, data included (README, Teardown), so the next test starts clean."""
    volumes = {c["spec"].get("volumeName") for c in kube.items("persistentvolumeclaims")} - {None}
    if kube.get("namespace", NAMESPACE, namespace=None):
        kube.run("label", "namespace", NAMESPACE, f"{PROTECTION_LABEL}-", check=False)
        kube.run("delete", "namespace", NAMESPACE, "--wait=true", "--timeout=120s", check=False)
        kube.wait_for("namespace taskora to be gone", lambda: kube.get("namespace", NAMESPACE, namespace=None) is None,
                      timeout=120)
    for volume in volumes | {pv["metadata"]["name"] for pv in kube.items("persistentvolumes", None)
                             if pv["metadata"].get("labels", {}).get("taskora-test") == "volume"}:
        kube.run("delete", "persistentvolume", volume, "--ignore-not-found", "--wait=false")


@pytest.fixture
def deployed(kube: Kube, protection):
    """A function that applies a profile's dist/ server-side (returns kubectl's result); the
    namespace is removed, data included, after the test."""
    def deploy(profile: str) -> subprocess.CompletedProcess:
        return kube.run("apply", "--server-side", "-f", str(dist_of(profile)))
    remove_namespace(kube)
    yield deploy
    remove_namespace(kube)


def copy_dist(profile: str, into: Path) -> Path:
    target = into / "dist"
    shutil.copytree(dist_of(profile), target)
    return target


def operator_claims(kube: Kube, instances: int | None = None) -> None:
    """The claims the CloudNativePG operator creates for each instance: ``<cluster>-<n>``, labelled
    and owned (controller) by the Cluster, created as the operator's service account."""
    for cluster in kube.items("clusters.postgresql.cnpg.io"):
        name, spec = cluster["metadata"]["name"], cluster["spec"]
        for n in range(1, (instances or spec["instances"]) + 1):
            claim = {
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": f"{name}-{n}", "namespace": NAMESPACE,
                             "labels": {"cnpg.io/cluster": name, "cnpg.io/instanceName": f"{name}-{n}",
                                        "cnpg.io/pvcRole": "PG_DATA"},
                             "ownerReferences": [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                                                  "name": name, "uid": cluster["metadata"]["uid"],
                                                  "controller": True, "blockOwnerDeletion": True}]},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": spec["storage"]["size"]}},
                         **({"storageClassName": spec["storage"]["storageClass"]}
                            if spec["storage"].get("storageClass") else {})},
            }
            kube.apply(claim, f"--as={OPERATOR}")


def database_claims(kube: Kube, profile: str) -> dict[str, str]:
    """Creates (CloudNativePG) or waits for (StatefulSet) the database's claims, binds each to a
    volume of its own, and returns claim name -> uid once all are Bound."""
    if kube.items("clusters.postgresql.cnpg.io"):
        operator_claims(kube)
    expected = set()
    for stateful_set in kube.items("statefulsets"):
        name = stateful_set["metadata"]["name"]
        expected |= {f"{t['metadata']['name']}-{name}-0" for t in stateful_set["spec"]["volumeClaimTemplates"]}
    kube.wait_for(f"claims {sorted(expected)}", lambda: expected <= kube.names("persistentvolumeclaims"), timeout=90)
    claims = kube.items("persistentvolumeclaims")
    assert claims, f"{profile}: no database claims"
    for claim in claims:
        name = claim["metadata"]["name"]
        kube.apply({"apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": {"name": f"test-{profile}-{name}", "labels": {"taskora-test": "volume"}},
                    "spec": {"capacity": {"storage": claim["spec"]["resources"]["requests"]["storage"]},
                             "accessModes": ["ReadWriteOnce"], "hostPath": {"path": f"/tmp/{name}"},
                             "persistentVolumeReclaimPolicy": "Retain",
                             "storageClassName": claim["spec"].get("storageClassName") or "",
                             "claimRef": {"namespace": NAMESPACE, "name": name, "uid": claim["metadata"]["uid"]}}})
    kube.wait_for("every claim Bound", lambda: all(c["status"].get("phase") == "Bound"
                                                   for c in kube.items("persistentvolumeclaims")), timeout=60)
    return {c["metadata"]["name"]: c["metadata"]["uid"] for c in kube.items("persistentvolumeclaims")}


def claims_now(kube: Kube) -> dict[str, str]:
    return {c["metadata"]["name"]: c["metadata"]["uid"] for c in kube.items("persistentvolumeclaims")
            if c["status"].get("phase") == "Bound" and not c["metadata"].get("deletionTimestamp")}
