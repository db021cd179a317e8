"""The Helm chart (`make helm`, scripts/helm_chart.py) against a real kube-apiserver, installed in the
order its README gives: `kubectl apply -f namespace.yaml`, the Secrets it lists, `helm install
--namespace taskora` (issue 21), with the pinned Helm (.venv/bin/helm, tools/helm/).

GIVEN each profile's chart WHEN `helm install --dry-run=server` runs THEN the API server admits
every object of the release (server-side validation, admission, Pod Security) and nothing is
created.
GIVEN the chart installed, the database's claims bound, and the deletion protection applied
WHEN `helm uninstall` runs THEN it succeeds, the release's objects go but the Namespace, every
claim (same uid) and the CloudNativePG Cluster (kept by its helm.sh/resource-policy) stay, as
the chart's README and docs/reuse.md promise; a second `helm install` brings the app back on the
same claims, adopting the kept Cluster.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cluster.kube import (NAMESPACE, ROOT, Kube, claims_now, database_claims, deployed, kube,  # noqa: F401 - fixtures
                                protection)
from tests.support.profiles import DIGESTS_LAYER, STATEFULSET_LAYER

pytestmark = pytest.mark.cluster
_spec = importlib.util.spec_from_file_location("helm_chart", ROOT / "scripts" / "helm_chart.py")
helm_chart = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helm_chart)
#: profile -> (TASKORA_ENV, TASKORA_VALUES layers)
CHARTS = {"local": ("local", []), "production": ("production", [DIGESTS_LAYER]),
          "production-statefulset": ("production", [DIGESTS_LAYER, STATEFULSET_LAYER])}
SENTINEL = "helm-cluster-sentinel-"  # the Secrets' values: never to be printed


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> dict[str, Path]:
    exported = {}
    for profile, (env, texts) in CHARTS.items():
        base = tmp_path_factory.mktemp(f"chart-{profile}")
        paths = []
        for i, text in enumerate(texts):
            (base / f"layer-{i}.yaml").write_text(text)
            paths.append(str(base / f"layer-{i}.yaml"))
        environ = {**{k: v for k, v in os.environ.items() if not k.startswith("TASKORA_")}, "TASKORA_ENV": env,
                   **({"TASKORA_VALUES": os.pathsep.join(paths)} if paths else {})}
        exported[profile] = helm_chart.export(base / "taskora", environ=environ)
    return exported


def helm(kube: Kube, *args: str, check: bool = True, home: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(helm_chart.HELM), *args, "--kubeconfig", kube.kubeconfig], capture_output=True,
                            text=True, timeout=300, env={**kube.env, **helm_chart.helm_environment(home)})
    assert SENTINEL not in result.stdout + result.stderr, "a Secret's value was printed"
    if check:
        assert result.returncode == 0, f"helm {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
    return result


def prepare(kube: Kube, chart: Path) -> None:
    """Steps 1 and 2 of the chart's README: the Namespace, then every Secret it lists. First the
    cluster-scoped objects of the release (the StorageClass) that an earlier `kubectl apply -f
    dist/` left are deleted: Helm refuses to install over an object it does not own."""
    objects = [o for t in sorted((chart / "templates").glob("*.yaml")) for o in yaml.safe_load_all(t.read_text()) if o]
    for o in objects:
        if "namespace" not in o["metadata"]:
            kube.run("delete", o["kind"].lower(), o["metadata"]["name"], "--ignore-not-found")
    kube.run("apply", "-f", str(chart / helm_chart.NAMESPACE_FILE))
    secrets = helm_chart.secrets_to_create(objects)
    readme = (chart / "README.md").read_text()
    for name, entry in secrets.items():
        assert f" {name} " in readme, f"the chart's README does not list {name}"
        assert entry["type"] == "generic", entry  # the profiles issue no TLS of their own here
        kube.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": entry["namespace"]},
                    "stringData": {key: SENTINEL + key for key in entry["keys"]}})


def release_objects(chart: Path) -> set[str]:
    return {f"{o['kind']}/{o['metadata']['name']}" for t in (chart / "templates").glob("*.yaml")
            for o in yaml.safe_load_all(t.read_text()) if o}


@pytest.mark.parametrize("profile", list(CHARTS))
def test_helm_install_dry_run_server_is_admitted_and_creates_nothing(kube: Kube, deployed, charts, profile, tmp_path):
    chart = charts[profile]
    prepare(kube, chart)
    result = helm(kube, "install", "taskora", str(chart), "--namespace", NAMESPACE, "--dry-run=server", home=tmp_path)
    assert "STATUS: pending-install" in result.stdout, result.stdout
    manifest = [o for o in yaml.safe_load_all(result.stdout.split("MANIFEST:", 1)[1].split("\nNOTES:", 1)[0]) if o]
    assert {f"{o['kind']}/{o['metadata']['name']}" for o in manifest} == release_objects(chart)
    assert "Warning" not in result.stderr, result.stderr  # Pod Security warns on a pod template
    assert kube.names("deployments") == set() and kube.names("configmaps") <= {"kube-root-ca.crt"}
    assert helm(kube, "list", "--namespace", NAMESPACE, "--short", home=tmp_path).stdout.strip() == ""


@pytest.mark.parametrize("profile", ["production", "production-statefulset"])
def test_helm_uninstall_keeps_namespace_claims_and_cluster_and_a_reinstall_reuses_them(
        kube: Kube, deployed, charts, profile, tmp_path):
    chart = charts[profile]
    prepare(kube, chart)
    helm(kube, "install", "taskora", str(chart), "--namespace", NAMESPACE, home=tmp_path)
    assert kube.names("deployments") == {"taskora-frontend", "taskora-backend"}
    claims = database_claims(kube, profile)
    clusters = kube.names("clusters.postgresql.cnpg.io")
    uninstalled = helm(kube, "uninstall", "taskora", "--namespace", NAMESPACE, "--wait", "--timeout=120s",
                       home=tmp_path)
    # The Cluster carries helm.sh/resource-policy: keep (scripts/helm_chart.py): without it Helm's
    # delete of it is refused by the protection and the release stays stuck in "uninstalling".
    assert ("kept due to the resource policy" in uninstalled.stdout + uninstalled.stderr) == bool(clusters), \
        uninstalled.stdout + uninstalled.stderr
    assert helm(kube, "list", "--namespace", NAMESPACE, "--short", "--uninstalling", home=tmp_path).stdout.strip() == ""
    assert kube.names("deployments") == set() and kube.names("statefulsets") == set()
    assert kube.get("namespace", NAMESPACE, namespace=None)["status"]["phase"] == "Active"
    assert claims_now(kube) == claims
    assert kube.names("clusters.postgresql.cnpg.io") == clusters
    # The README's order again: the release comes back on the same claims (and the same Cluster).
    helm(kube, "install", "taskora", str(chart), "--namespace", NAMESPACE, home=tmp_path)
    assert kube.names("deployments") == {"taskora-frontend", "taskora-backend"}
    if not clusters:
        kube.wait_for("the StatefulSet's pod", lambda: "taskora-db-0" in kube.names("pods"), timeout=90)
    assert claims_now(kube) == claims
