"""GIVEN each values case synth refuses (tests/support/refused_cases.py, the rules of core/api_rules.py and
core/pod_security.py) WHEN the object that case would have produced is built by hand (bypassing
synth: a compliant object from the synth of `local`, changed as the case changes it) and sent to a
real kube-apiserver once THEN the server refuses it too, with its own message, where the rule is
the API server's (names over the limits, an IP as an Ingress host, the Pod Security Standards at
pod creation in a namespace that enforces `restricted`, the selector and the server-side-apply
list keys); where the rule is another component's or the library's own, the server admits the
object, and the test says who refuses it instead (CloudNativePG's webhook, DNS, the library).

Each object goes to a namespace of its own (`taskora-refused`, the synthesized Namespace's Pod
Security labels, no deletion-protection label), whose unchanged pod is admitted first: what the
server refuses is the case's change, not the base it was made from.
"""

from __future__ import annotations

import copy
import functools
import json

import pytest
import yaml

from tests.cluster.kube import Kube, dist_of, kube  # noqa: F401 - fixtures
from tests.support.refused_cases import REFUSED
from taskora_constructs.taskora.namespace import PROTECTION_LABEL

pytestmark = pytest.mark.cluster
NAMESPACE = "taskora-refused"
RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


@functools.cache
def _local_objects() -> tuple[dict, ...]:
    """The synth of local, read once: the cases below are built from it when the module is
    collected, by every run (make check and make test deselect them, but collect them)."""
    return tuple(obj for path in sorted(dist_of("local").glob("*.yaml"))
                 for obj in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if obj)


def synthesized(kind: str, name: str) -> dict:
    """A copy of the synthesized object (the callers change theirs)."""
    for obj in _local_objects():
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return copy.deepcopy(obj)
    raise AssertionError(f"{kind}/{name} not in the synth of local")


def backend() -> dict:
    """The synthesized backend Deployment, moved to the test namespace (compliant as it is)."""
    deployment = copy.deepcopy(synthesized("Deployment", "taskora-backend"))
    deployment["metadata"] = {"name": "taskora-backend", "namespace": NAMESPACE}
    return deployment


def pod(change=None) -> dict:
    """A Pod with the backend's pod template, changed by ``change(spec)``: created directly, since
    Pod Security admission enforces at pod creation (a Deployment would only be warned about)."""
    spec = copy.deepcopy(backend()["spec"]["template"]["spec"])
    if change:
        change(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "refused-probe", "namespace": NAMESPACE},
            "spec": spec}


def sidecar(security_context: dict, **extra) -> callable:
    def change(spec: dict) -> None:
        spec["containers"].append({"name": "proxy", "image": "envoy:1", "securityContext": security_context, **extra})
    return change


def with_backend(change) -> dict:
    deployment = backend()
    change(deployment)
    return deployment


def cronjob(name: str) -> dict:
    template = copy.deepcopy(backend()["spec"]["template"])
    template["spec"]["restartPolicy"] = "OnFailure"
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}


def ingress(host: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "taskora-ingress", "namespace": NAMESPACE},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": "taskora-frontend", "port": {"number": 80}}}}]}}]}}


def _env(deployment: dict) -> None:
    deployment["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "DATABASE_URL", "value": "postgres://u:p@h/db"})


#: rule id -> (the object the case would produce, refused by the server?, what the server says,
#: or who refuses it instead where the server admits it).
CASES: dict[str, tuple] = {
    "K8S-CRONJOB-NAME": (cronjob("a" * 45 + "-db-backup"), True, "must be no more than 52 characters"),
    "CNPG-CLUSTER-NAME": ({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                           "metadata": {"name": "a" * 48 + "-db", "namespace": NAMESPACE},
                           "spec": {"instances": 1, "storage": {"size": "1Gi"}}},
                          False, "CloudNativePG's validating webhook (the CRD has no rule on the name)"),
    "K8S-HOST-NOT-IP": (ingress("10.0.0.1"), True, "must be a DNS name, not an IP address"),
    # Ingress validation checks the subdomain pattern and 253 characters in all, not each label.
    "DNS-HOST-LABEL": (ingress("a" * 64 + ".example.com"), False,
                       "DNS: a label longer than 63 octets cannot be resolved (RFC 1035), nor a certificate issued"),
    "K8S-ENV-UNIQUE": (with_backend(_env), True, 'duplicate entries for key [name="DATABASE_URL"]'),
    "TSK-LABEL-OWNED": (with_backend(lambda d: d["spec"]["template"]["metadata"]["labels"].update(app="other")),
                        True, "`selector` does not match template `labels`"),
    "TSK-ANNOTATION-OWNED": (with_backend(lambda d: d["spec"]["template"]["metadata"]["annotations"].update(
        {"checksum/config": "x"})), False, "the library: its checksum would no longer roll the pods on a change"),
    "PSS-PRIVILEGE-ESCALATION": (pod(lambda s: s.setdefault("initContainers", []).append(
        {"name": "migrate", "image": "taskora/backend:1.0.0"})), True,
        'allowPrivilegeEscalation != false (container "migrate"'),
    # Refused before Pod Security admission: pod validation refuses the combination the case writes.
    "PSS-PRIVILEGED": (pod(sidecar({"privileged": True, **RESTRICTED})), True,
                       "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"),
    "PSS-HOST-PATH": (pod(lambda s: s.setdefault("volumes", []).append({"name": "host", "hostPath": {"path": "/var/run"}})),
                      True, 'restricted volume types (volume "host" uses restricted volume type "hostPath")'),
    "PSS-HOST-PORTS": (pod(sidecar(RESTRICTED, ports=[{"containerPort": 80, "hostPort": 80}])), True,
                       'hostPort (container "proxy" uses hostPort 80)'),
    "PSS-SECCOMP-BASELINE": (pod(lambda s: s["securityContext"].update(seccompProfile={"type": "Unconfined"})), True,
                             'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'),
    "PSS-CAPABILITIES": (pod(sidecar({"allowPrivilegeEscalation": False})), True,
                         'unrestricted capabilities (container "proxy" must set securityContext.capabilities.drop=["ALL"])'),
}


@pytest.fixture(scope="module")
def namespace(kube: Kube):
    labels = {k: v for k, v in synthesized("Namespace", "taskora")["metadata"]["labels"].items() if k != PROTECTION_LABEL}
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    kube.run("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=120s")
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": labels}})
    kube.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "taskora-backend", "namespace": NAMESPACE},
                "automountServiceAccountToken": False})
    # The base is admitted as it is: a refusal below is the case's change.
    admitted = kube.run("create", "--dry-run=server", "-f", "-", stdin=json.dumps(pod()), check=False)
    assert admitted.returncode == 0 and "Warning" not in admitted.stderr, admitted.stderr
    yield NAMESPACE
    kube.run("delete", "namespace", NAMESPACE, "--wait=false")


def test_every_refused_case_has_its_server_counterpart():
    assert {rule for _, rule in REFUSED} == set(CASES)


@pytest.mark.parametrize("rule_id", list(CASES))
def test_the_object_synth_refuses_is_refused_by_the_real_api_server_or_by_whom_the_rule_names(
        kube: Kube, namespace, rule_id):
    obj, refused_by_server, says = CASES[rule_id]
    verb = ["apply", "--server-side", "--field-manager=refused-probe"] if obj["kind"] != "Pod" else ["create"]
    result = kube.run(*verb, "-f", "-", stdin=json.dumps(obj), check=False)
    if refused_by_server:
        assert result.returncode != 0, f"{rule_id}: the server admitted it: {result.stdout}"
        assert says in result.stderr, result.stderr
        if rule_id.startswith("PSS-") and rule_id != "PSS-PRIVILEGED":
            version = synthesized("Namespace", "taskora")["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
            assert f'is forbidden: violates PodSecurity "restricted:{version}": ' in result.stderr, result.stderr
    else:
        assert result.returncode == 0, f"{rule_id}: {result.stderr}"
        kube.run("delete", "-f", "-", "--wait=false", stdin=json.dumps(obj))
