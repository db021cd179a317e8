"""Values-file cases the API server or an admission step would refuse (or accept and break),
each with the id of the rule that refuses it at synth (core/api_rules.py, core/pod_security.py).
tests/core/test_api_rules.py synthesizes each; the cluster tests can apply the same object to a real
API server to prove the refusal."""

from __future__ import annotations

RESTRICTED = "{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"

#: (values layer over config/local.yaml, rule id)
REFUSED: list[tuple[str, str]] = [
    ("appName: " + "a" * 45 + "\ndatabase: {backup: {enabled: true}}\n", "K8S-CRONJOB-NAME"),
    ("appName: " + "a" * 48 + "\ndatabase: {engine: cloudnative-pg, image: 'ghcr.io/cloudnative-pg/postgresql:15.8',"
     " storageClassName: null, retainedStorageClass: {enabled: false}}\n", "CNPG-CLUSTER-NAME"),
    ("ingress: {host: 10.0.0.1}\n", "K8S-HOST-NOT-IP"),
    ("ingress: {host: " + "a" * 64 + ".example.com}\n", "DNS-HOST-LABEL"),
    ("backend:\n  env: [{name: DATABASE_URL, value: 'postgres://u:p@h/db'}]\n", "K8S-ENV-UNIQUE"),
    ("backend: {podLabels: {app: other}}\n", "TSK-LABEL-OWNED"),
    ("backend: {podAnnotations: {checksum/config: x}}\n", "TSK-ANNOTATION-OWNED"),
    ("backend:\n  initContainers: [{name: migrate, image: 'taskora/backend:1.0.0'}]\n", "PSS-PRIVILEGE-ESCALATION"),
    ("backend:\n  sidecars: [{name: proxy, image: 'envoy:1', securityContext: {privileged: true, "
     "allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]\n", "PSS-PRIVILEGED"),
    ("backend:\n  volumes: [{name: host, hostPath: {path: /var/run}}]\n", "PSS-HOST-PATH"),
    ("backend:\n  sidecars: [{name: proxy, image: 'envoy:1', securityContext: " + RESTRICTED + ", "
     "ports: [{containerPort: 80, hostPort: 80}]}]\n", "PSS-HOST-PORTS"),
    ("backend: {seccompProfile: Unconfined}\n", "PSS-SECCOMP-BASELINE"),
    ("backend:\n  sidecars: [{name: proxy, image: 'envoy:1', securityContext: {allowPrivilegeEscalation: false}}]\n",
     "PSS-CAPABILITIES"),
]

#: Compliant neighbours: accepted.
ACCEPTED: list[str] = [
    "appName: " + "a" * 42 + "\ndatabase: {backup: {enabled: true}}\n",
    "ingress: {host: tasks.example.com}\n",
    "backend:\n  env: [{name: FEATURE_FLAGS, value: 'x'}]\n  podLabels: {tier: api}\n",
    "backend:\n  sidecars: [{name: proxy, image: 'envoy:1', securityContext: " + RESTRICTED + "}]\n"
    "  volumes: [{name: scratch, emptyDir: {}}]\n",
]
