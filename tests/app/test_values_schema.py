"""docs/values.schema.json (scripts/values_schema.py) is as strict as the values loader.

GIVEN a values layer WHEN it is checked by the schema (jsonschema, draft 2020-12, the layer
alone, as an editor checks the file being edited) and loaded by the loader
(taskora_app.values.load, over config/local.yaml) THEN both accept it or both refuse it. The
few rules JSON Schema cannot say (across keys, minimum sizes, CIDRs, completeness after
merging) are listed in LOADER_ONLY: there the schema accepts and the loader refuses, and the
test checks exactly that. Every values file in config/ and examples/ names the schema on its
first line, so editors (yaml-language-server) check as you type.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.support.paths import ROOT
from tests.support.profiles import NO_SECRETS_FILE
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError

SCHEMA_FILE = ROOT / "docs" / "values.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
DIGEST = "sha256:" + "a" * 64
CNPG = "engine: cloudnative-pg, image: 'ghcr.io/cloudnative-pg/postgresql:15.8', retainedStorageClass: {enabled: false}"

ESO = "storeRef: {name: platform-secrets}, app: {remoteKey: taskora/app}, database: {remoteKey: taskora/db}"

#: (layer, accepted): the same verdict expected from both.
CASES = [
    # the four, and their good twins
    ("backend: {replicas: -1}", False), ("backend: {replicas: 0}", False), ("backend: {replicas: 1}", True),
    ("backend: {replicas: 2147483648}", False), ("backend: {replicas: two}", False),
    ("backend: {resources: {requests: {memory: 512MB}}}", False),
    ("backend: {resources: {requests: {memory: 512Mi}}}", True),
    ("appName: Taskora_Local", False), ("appName: taskora-local", True),
    ("ingress: {routing: gatway}", False), ("routing: gatway", False),
    # both spellings of routing and gateway
    ("routing: gateway\ngateway: {parentRefs: [{name: public, namespace: gateway-system}]}", True),
    ("ingress: {routing: gateway, gateway: {parentRefs: [{name: public}]}}", True),
    ("gatway: {parentRefs: [{name: public}]}", False),
    ("gateway: {parentRefs: [{name: public, nmespace: x}]}", False),
    ("gateway: {parentRefs: [{name: Public}]}", False),
    # unknown keys, everywhere
    ("backend: {replcas: 5}", False), ("replicas: 3", False), ("database: {backup: {enabled: true, shedule: '@daily'}}", False),
    # a misspelt key inside a switched-off section (the base's backup and tls are off)
    ("database: {backup: {shedule: '0 3 * * *'}}", False), ("ingress: {tls: {enabld: true}}", False),
    ("ingress: {tls: {enabled: true, secretName: t, enabld: true}}", False), ("config: {LOG_LEVL: info}", False),
    # quantities: above zero, no exponent
    ("backend: {resources: {limits: {cpu: '0'}}}", False), ("backend: {resources: {limits: {cpu: 1e3}}}", False),
    ("backend: {resources: {limits: {cpu: '-1'}}}", False), ("backend: {resources: {limits: {cpu: 1500m}}}", True),
    ("backend: {resources: {limits: {memory: 1Ei}}}", False), ("backend: {resources: {limits: {cpu: '0.5'}}}", True),
    ("backend: {writableSizeLimit: 64Mi}", True), ("backend: {writableSizeLimit: lots}", False),
    ("database: {storage: 20Gi}", True), ("database: {storage: 20GB}", False),
    # ports and int32 fields
    ("backend: {port: 0}", False), ("backend: {port: 65536}", False), ("backend: {port: 8080}", True),
    ("backend: {servicePort: 80}", True), ("backend: {runAsUser: 0}", False), ("backend: {runAsUser: 1001}", True),
    ("backend: {probes: {liveness: {initialDelaySeconds: 0}}}", True),
    ("backend: {probes: {liveness: {periodSeconds: 0}}}", False),
    ("config: {CHAT_RATE_LIMIT: 0}", False), ("config: {CHAT_RATE_LIMIT: 10}", True),
    ("ingress: {proxyReadTimeoutSeconds: -5}", False),
    # names
    ("namespace: kube-system", False), ("namespace: team-a", True), ("namespace: Team", False),
    (f"appName: {'a' * 49}", False), (f"appName: {'a' * 48}", True),
    ("database: {name: orders_db}", True), ("database: {name: 1orders}", False),
    ("database: {username: app-user}", False), ("ingress: {host: Taskora.local}", False),
    ("ingress: {host: tasks.example.com}", True), ("networkPolicy: {ingressControllerNamespace: Ingress_NGINX}", False),
    ("secrets: {existingSecret: my-secrets}", True), ("secrets: {existingSecret: My_Secrets}", False),
    ("database: {existingSecret: Taskora_PG, engine: statefulset}\nsecrets: {existingSecret: s}", False),
    ("database: {existingSecret: taskora-pg, engine: statefulset}\nsecrets: {existingSecret: s}", True),
    ("ingress: {tls: {enabled: true, hosts: [taskora.local], clusterIssuer: le}}", True),
    ("ingress: {tls: {enabled: true, hosts: ['bad host'], clusterIssuer: le}}", False),
    # images and digests
    ("backend: {image: 'Bad Image'}", False), ("backend: {image: registry.example:5000/team/api:1.4.2}", True),
    (f"backend: {{imageDigest: '{DIGEST}'}}", True), ("backend: {imageDigest: 'sha256:abc'}", False),
    ("backend: {imagePullPolicy: Sometimes}", False), ("backend: {imagePullPolicy: Always}", True),
    # enums
    ("database: {engine: mysql}", False), ("podSecurity: bogus", False), ("podSecurity: baseline", True),
    ("config: {LOG_LEVEL: verbose}", False), ("config: {LOG_LEVEL: debug}", True),
    ("backend: {seccompProfile: Localhost}", False),
    (f"database: {{{CNPG}, cloudnativePg: {{pooler: {{enabled: true, poolMode: statement}}}}}}", False),
    (f"database: {{{CNPG}, cloudnativePg: {{pooler: {{enabled: true, poolMode: transaction}}}}}}", True),
    (f"database: {{{CNPG}, cloudnativePg: {{podAntiAffinityType: sometimes}}}}", False),
    # labels, annotations, policy exceptions, paths, schedules
    ("backend: {podLabels: {team: orders}}", True), ("backend: {podLabels: {team: 'has space'}}", False),
    ("backend: {podLabels: {'bad key!': x}}", False), ("backend: {annotations: {example.com/owner: anything at all}}", True),
    ("backend: {policyExceptions: {CKV_K8S_40: 'runs as the image user'}}", True),
    ("backend: {policyExceptions: {CKV_K8S_40: 'a=b'}}", False), ("backend: {policyExceptions: {K8S_40: why}}", False),
    ("backend: {writablePaths: [/tmp, /var/cache]}", True), ("backend: {writablePaths: [tmp]}", False),
    ("backend: {writablePaths: [/tmp, /tmp]}", False), ("backend: {writablePaths: [/tmp/../etc]}", False),
    ("database: {backup: {enabled: true, schedule: '30 1 * * 0'}}", True),
    ("database: {backup: {enabled: true, schedule: nightly}}", False),
    ("database: {backup: {enabled: true, schedule: '@daily'}}", True),
    ("database: {cloudnativePg: {apiServerCidrs: [10.0.0.10/32], apiServerPorts: [6443]}}", True),
    ("database: {cloudnativePg: {apiServerCidrs: []}}", False), ("database: {cloudnativePg: {apiServerPorts: []}}", False),
    ("acceptRisks: [no-tls, no-backups]", True), ("acceptRisks: [no-tsl]", False), ("acceptRisks: no-tls", False),
    # types
    ("deletionProtection: 'yes'", False), ("requireImageDigests: 1", False), ("frontend: []", False),
    ("ingress: {tls: {enabled: true, secretName: taskora-tls}}", True),
    # secrets.external (External Secrets Operator)
    (f"secrets: {{external: {{{ESO}}}}}", True),
    (f"secrets: {{external: {{{ESO}, refreshInterval: 15m}}}}", True),
    ("secrets: {external: {storeRef: {name: s, kind: Vault}, app: {remoteKey: a}, database: {remoteKey: d}}}", False),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a}}}", False),
    (f"secrets: {{external: {{{ESO}, refreshIntervl: 1h}}}}", False),
    ("secrets: {external: null}", True),
    (f"secrets: {{external: {{{ESO}, refreshInterval: daily}}}}", False),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a, properties: {COHERE: c}}, database: {remoteKey: d}}}",
     False),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a}, database: {remoteKey: d, properties: {password: p}}}}",
     True),
]

#: Refused by the loader, accepted by the schema: rules JSON Schema cannot say. Each says why.
LOADER_ONLY = {
    "database: {storage: 512Mi}": "a minimum size (storage >= 1Gi): a quantity's value, not its spelling",
    "networkPolicy: {httpsEgressCidrs: [0.0.0.0/33]}": "CIDR notation with host bits zero",
    "database: {cloudnativePg: {apiServerCidrs: [10.0.0.10]}}": "CIDR notation: a prefix length",
    "backend: {autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 4}}":
        "across keys: the autoscaler's floor must not be below replicas",
    "backend: {autoscaling: {enabled: true, minReplicas: 5, maxReplicas: 4}}": "across keys: minReplicas <= maxReplicas",
    "backend: {resources: {requests: {cpu: 2000m}, limits: {cpu: 1000m}}}": "across keys: requests <= limits",
    f"backend: {{image: 'x/web@{DIGEST}', imageDigest: '{DIGEST}'}}": "across keys: a digest with an image that has one",
    "ingress: {tls: {enabled: true}}": "across keys: TLS needs a Secret or a cert-manager issuer",
    "routing: gateway": "across keys: routing gateway needs gateway.parentRefs",
    "database: {existingSecret: taskora-pg}": "across keys: needs secrets.existingSecret too",
    f"secrets: {{existingSecret: s, external: {{{ESO}}}}}": "across keys: an existing Secret beside the store",
    "ingress: {tls: {enabled: true, hosts: ['*.example.com'], clusterIssuer: le}}":
        "across keys: a TLS host must be the route's host",
}

def loader_accepts(layer: str, tmp_path: Path) -> tuple[bool, str]:
    path = tmp_path / "layer.yaml"
    path.write_text(layer + "\n")
    try:
        load({"TASKORA_ENV": "local", "TASKORA_VALUES": str(path)}, secrets_file=NO_SECRETS_FILE)
    except TaskoraConfigError as error:
        return False, str(error)
    return True, ""


def schema_errors(layer: str) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in VALIDATOR.iter_errors(yaml.safe_load(layer))]


@pytest.mark.parametrize("layer, accepted", CASES, ids=[c[0][:60] for c in CASES])
def test_the_schema_and_the_loader_agree(layer, accepted, tmp_path):
    loaded, why = loader_accepts(layer, tmp_path)
    errors = schema_errors(layer)
    assert loaded is accepted, why or "the loader accepted it"
    assert (not errors) is accepted, errors or "the schema accepted it"


@pytest.mark.parametrize("layer", list(LOADER_ONLY), ids=[k[:60] for k in LOADER_ONLY])
def test_rules_json_schema_cannot_say_are_the_loaders(layer, tmp_path):
    assert loader_accepts(layer, tmp_path)[0] is False
    assert schema_errors(layer) == [], LOADER_ONLY[layer]


def values_files() -> list[Path]:
    return sorted([*(ROOT / "config").glob("*.yaml"), *(ROOT / "examples").glob("values/*.yaml")])


@pytest.mark.parametrize("path", values_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_values_file_names_the_schema_and_passes_it(path):
    first = path.read_text().splitlines()[0]
    relative = Path(*([".."] * (len(path.relative_to(ROOT).parts) - 1)), "docs", "values.schema.json")
    assert first == f"# yaml-language-server: $schema={relative.as_posix()}"
    assert (path.parent / relative).resolve() == SCHEMA_FILE
    assert schema_errors(path.read_text()) == []


def test_the_schema_is_valid_draft_2020_12_and_current():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "values_schema.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_its_patterns_are_ecma_262():
    # editors run the patterns as JavaScript regular expressions: no Python-only syntax
    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', SCHEMA_FILE.read_text())
    assert patterns and not [p for p in patterns if "(?P" in p or "\\Z" in p or "(?<" in p.replace("(?<=", "")
                             .replace("(?<!", "")]
