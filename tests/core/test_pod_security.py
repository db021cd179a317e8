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

from tests.support.synth import synth_taskora
from tests.support.pod_security import VERSION, pod_specs, restricted_violations
from tests.support.profiles import PROFILES, STATEFULSET_PROFILE, objects_of

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
