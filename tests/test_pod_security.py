"""Pod Security Admission (issue 11): GIVEN every pod the app runs, in both profiles WHEN
checked against the Pod Security Standards' restricted level (which includes baseline) THEN
none breaks a rule, so the Namespace enforces ``restricted`` (and audits and warns it), each
mode pinned to a version.

The rules are the published ones (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
written here field by field for what a pod spec can carry; the checker is shown to catch
each kind of violation on a pod spec altered for the purpose.
"""

from __future__ import annotations

import copy

import pytest

from conftest import synth_taskora
from profiles import PROFILES, STATEFULSET_PROFILE, objects_of

RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
VERSION = "v1.34"


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    """Every pod template's spec, by its workload."""
    found = {}
    for o in objects:
        spec = o.get("spec", {})
        template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template")
        if template is not None:
            found[f"{o['kind']}/{o['metadata']['name']}"] = template["spec"]
    return found


def restricted_violations(pod: dict) -> list[str]:
    """Why ``pod`` does not meet the restricted level (baseline included); empty if it does."""
    found = []
    pod_context = pod.get("securityContext", {})
    containers = [*pod.get("initContainers", []), *pod["containers"], *pod.get("ephemeralContainers", [])]
    # --- baseline ---
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(host):
            found.append(f"{host}: true")
    for sysctl in pod_context.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl['name']}")
    for context_of, context in [("pod", pod_context)] + [(c["name"], c.get("securityContext", {})) for c in containers]:
        if context.get("seLinuxOptions", {}).get("type") not in (None, "", "container_t", "container_init_t",
                                                                 "container_kvm_t", "container_engine_t"):
            found.append(f"{context_of}: seLinuxOptions.type")
        if {"user", "role"} & set(context.get("seLinuxOptions", {})):
            found.append(f"{context_of}: seLinuxOptions.user/role")
        if context.get("appArmorProfile", {}).get("type") == "Unconfined":
            found.append(f"{context_of}: appArmorProfile Unconfined")
        if context.get("seccompProfile", {}).get("type") not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{context_of}: seccompProfile {context['seccompProfile']['type']}")
        if context.get("runAsUser") == 0:
            found.append(f"{context_of}: runAsUser 0")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds - RESTRICTED_VOLUMES)}")
    for c in containers:
        context = c.get("securityContext", {})
        name = c["name"]
        if context.get("privileged"):
            found.append(f"{name}: privileged")
        if context.get("procMount", "Default") != "Default":
            found.append(f"{name}: procMount")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            found.append(f"{name}: hostPort")
        # --- restricted ---
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: capabilities.add beyond NET_BIND_SERVICE")
        if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot", False)):
            found.append(f"{name}: runAsNonRoot must be true (pod or container)")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost (pod or container)")
    return found


@pytest.mark.parametrize("profile", [*PROFILES, STATEFULSET_PROFILE])
def test_every_pod_meets_the_restricted_level(profile):
    pods = pod_specs(objects_of(profile))
    expected = {"Deployment/taskora-frontend", "Deployment/taskora-backend"}
    if profile != "production":  # production's database pods are CloudNativePG's, not in dist/
        expected.add("StatefulSet/taskora-db")
    if profile == STATEFULSET_PROFILE:
        expected.add("CronJob/taskora-db-backup")
    assert set(pods) == expected
    assert {workload: restricted_violations(pod) for workload, pod in pods.items()} == {w: [] for w in expected}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_namespace_enforces_audits_and_warns_restricted_at_a_pinned_version(profile):
    namespace = next(o for o in objects_of(profile) if o["kind"] == "Namespace")
    labels = namespace["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")} == {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": VERSION,
        "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": VERSION,
        "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": VERSION}


def test_baseline_still_audits_and_warns_restricted():
    # GIVEN an app whose caller adds a container that needs more than restricted allows
    _, objects = synth_taskora(pod_security="baseline")
    labels = next(o for o in objects if o["kind"] == "Namespace")["metadata"]["labels"]
    assert (labels["pod-security.kubernetes.io/enforce"], labels["pod-security.kubernetes.io/audit"],
            labels["pod-security.kubernetes.io/warn"]) == ("baseline", "restricted", "restricted")
    _, objects = synth_taskora(pod_security=None)
    labels = next(o for o in objects if o["kind"] == "Namespace")["metadata"]["labels"]
    assert not [k for k in labels if k.startswith("pod-security.kubernetes.io/")]


def test_an_unknown_level_is_refused():
    from taskora_constructs import TaskoraConfigError
    with pytest.raises(TaskoraConfigError, match="podSecurity='strict': must be one of restricted, baseline"):
        synth_taskora(pod_security="strict")


@pytest.mark.parametrize("alter, reason", [
    (lambda p: [c.pop("runAsNonRoot", None) for c in (p["securityContext"], p["containers"][0]["securityContext"])],
     "runAsNonRoot must be true"),
    (lambda p: p["containers"][0]["securityContext"].__setitem__("allowPrivilegeEscalation", True),
     "allowPrivilegeEscalation must be false"),
    (lambda p: p["containers"][0]["securityContext"]["capabilities"].__setitem__("drop", ["NET_RAW"]),
     "capabilities must drop ALL"),
    (lambda p: p["containers"][0]["securityContext"]["capabilities"].__setitem__("add", ["SYS_ADMIN"]),
     "capabilities.add beyond NET_BIND_SERVICE"),
    (lambda p: p["securityContext"].__setitem__("seccompProfile", {"type": "Unconfined"}),
     "seccompProfile must be RuntimeDefault or Localhost"),
    (lambda p: p["volumes"].append({"name": "host", "hostPath": {"path": "/"}}), "volume host: ['hostPath']"),
    (lambda p: p.__setitem__("hostNetwork", True), "hostNetwork: true"),
    (lambda p: p["containers"][0]["securityContext"].__setitem__("privileged", True), "privileged"),
])
def test_the_checker_catches_each_kind_of_violation(alter, reason):
    pod = copy.deepcopy(pod_specs(objects_of("local"))["StatefulSet/taskora-db"])
    assert restricted_violations(pod) == []
    alter(pod)
    assert any(reason in v for v in restricted_violations(pod)), restricted_violations(pod)
