#!/usr/bin/env python3
"""Write docs/values.schema.json, the values file's JSON Schema for editors: as strict as the
loader (taskora_app.values) wherever JSON Schema can say it. With --check, exit 1 if stale.

The keys, types, defaults and docs come from the construct props (``values_json_schema()``,
one definition); this script adds what the props check in code, written once in
``taskora_constructs.core.rules`` (its regular expressions, enums and limits are used here, not
copied): patterns (names, images, quantities, digests, schedules), ranges (replicas, ports,
int32 fields), enums, label maps, and the top-level spellings of ``routing`` and ``gateway``
the loader accepts beside ``ingress.routing``/``ingress.gateway``.

What JSON Schema cannot say stays the loader's alone (tests/app/test_values_schema.py lists each
such case, and checks every other case gives the same verdict in both): rules across keys
(``minReplicas <= maxReplicas``, a digest with an image that has one, TLS needs an issuer or
a Secret), minimum sizes of quantities (``storage >= 1Gi``), CIDR notation, and whether a value
merged from several layers is complete.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterator

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script

# taskora_app imports cdk8s, whose jsii runtime prints a Node 20 banner unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskora_app.aliases import ALIASES  # noqa: E402
from taskora_app.values import values_json_schema  # noqa: E402
from taskora_constructs.core import rules  # noqa: E402
from taskora_constructs.core import external_secrets  # noqa: E402
from taskora_constructs.database.cloudnative_pg_props import ENGINES  # noqa: E402
from taskora_constructs.database.storage import VOLUME_BINDING_MODES  # noqa: E402
from taskora_constructs.taskora.config import LOG_LEVELS  # noqa: E402
from taskora_constructs.taskora.ingress import ROUTINGS  # noqa: E402
from taskora_constructs.taskora.namespace import POD_SECURITY_LEVELS  # noqa: E402

TARGET = ROOT / "docs" / "values.schema.json"
Json = dict[str, Any]


def _pattern(regex: re.Pattern[str] | str) -> str:
    """A Python regular expression as an anchored ECMA-262 one (JSON Schema's dialect):
    named groups become plain groups."""
    text = regex.pattern if isinstance(regex, re.Pattern) else regex
    text = text.replace("(?P<", "(?<")
    text = re.sub(r"\(\?<[A-Za-z_]+>", "(?:", text)
    return ("" if text.startswith("^") else "^") + text + ("" if text.endswith("$") else "$")


INT32 = {"type": "integer", "maximum": rules.INT32_MAX}
POSITIVE = {**INT32, "minimum": 1}
NON_NEGATIVE = {**INT32, "minimum": 0}
REPLICAS = POSITIVE
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
DNS_LABEL = {"type": "string", "maxLength": 63, "pattern": _pattern(rules.DNS1123_LABEL)}
DNS_SUBDOMAIN = {"type": "string", "maxLength": 253, "pattern": _pattern(rules.DNS1123_SUBDOMAIN)}
HOST = {"type": "string", "maxLength": 255, "pattern": "^(\\*\\.)?" + _pattern(rules.DNS1123_SUBDOMAIN)[1:]}
IMAGE = {"type": "string", "pattern": _pattern(rules._IMAGE)}
DIGEST = {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
#: A quantity above zero without an exponent (rules.check_quantity with props=True): the
#: number must hold a non-zero digit, and no suffix with an "e" (E, Ei, e3).
QUANTITY = {"type": "string", "pattern": "^\\+?(?=[0-9.]*[1-9])(\\d+\\.?\\d*|\\.\\d+)(Ki|Mi|Gi|Ti|Pi|n|u|m|k|M|G|T|P)?$"}
PG_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"}
CONFIG_KEY = {"type": "string", "maxLength": 253, "pattern": _pattern(rules._CONFIG_KEY)}
_LABEL_NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
LABEL_KEY = {"type": "string", "maxLength": 253 + 1 + 63,
             "pattern": f"^({_pattern(rules.DNS1123_SUBDOMAIN)[1:-1]}/)?{_LABEL_NAME}$"}
LABEL_VALUE = {"type": "string", "maxLength": 63, "pattern": f"^({_LABEL_NAME})?$"}
LABELS = {"type": "object", "propertyNames": LABEL_KEY, "additionalProperties": LABEL_VALUE}
ANNOTATIONS = {"type": "object", "propertyNames": LABEL_KEY, "additionalProperties": {"type": "string"}}
_CRON = "([0-9*/,-]+|[A-Za-z]{3}([,-][A-Za-z]{3})*)"
CRON = {"type": "string", "pattern": f"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|{_CRON}( {_CRON}){{4}})$"}
WRITABLE_PATHS = {"type": "array", "uniqueItems": True,
                  "items": {"type": "string", "pattern": "^(?!.*/\\.\\.)(/[A-Za-z0-9._-]+)+$"}}
POLICY_EXCEPTIONS = {"type": "object", "propertyNames": {"pattern": _pattern(rules._CHECK_ID)},
                     "additionalProperties": {"type": "string", "maxLength": 160, "pattern": "^[^=\\n]*[^=\\s][^=\\n]*$"}}


def enum(values: tuple[str, ...] | list[str]) -> Json:
    return {"enum": list(values)}


def _workload(w: str, *, replicas: bool) -> dict[str, Json]:
    """The rules every workload section shares (core/props.py, core/pod.py, web/workload.py)."""
    found = {f"{w}.port": PORT, f"{w}.runAsUser": POSITIVE, f"{w}.runAsGroup": POSITIVE, f"{w}.fsGroup": POSITIVE,
             f"{w}.image": IMAGE, f"{w}.imageDigest": DIGEST, f"{w}.imagePullPolicy": enum(rules.PULL_POLICIES),
             f"{w}.writableSizeLimit": QUANTITY, f"{w}.writablePaths": WRITABLE_PATHS,
             f"{w}.seccompProfile": enum(rules.SECCOMP_PROFILES), f"{w}.policyExceptions": POLICY_EXCEPTIONS,
             f"{w}.labels": LABELS, f"{w}.podLabels": LABELS, f"{w}.nodeSelector": LABELS,
             f"{w}.annotations": ANNOTATIONS, f"{w}.podAnnotations": ANNOTATIONS,
             f"{w}.imagePullSecrets[]": DNS_SUBDOMAIN, f"{w}.priorityClassName": DNS_SUBDOMAIN}
    for side in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            found[f"{w}.resources.{side}.{resource}"] = QUANTITY
    for probe in ("liveness", "readiness", "startup"):
        found[f"{w}.probes.{probe}.initialDelaySeconds"] = NON_NEGATIVE
        for key in ("periodSeconds", "timeoutSeconds", "failureThreshold"):
            found[f"{w}.probes.{probe}.{key}"] = POSITIVE
    if replicas:
        found |= {f"{w}.replicas": REPLICAS, f"{w}.servicePort": PORT,
                  f"{w}.autoscaling.minReplicas": REPLICAS, f"{w}.autoscaling.maxReplicas": REPLICAS,
                  f"{w}.autoscaling.targetCPUUtilizationPercentage": POSITIVE,
                  f"{w}.disruptionBudget.maxUnavailable": POSITIVE, f"{w}.disruptionBudget.minAvailable": POSITIVE}
    return found


#: Key path (``a.b``, ``a[]`` for a list's items) -> what the props check there.
CONSTRAINTS: dict[str, Json] = {
    # appName: a DNS label whose longest derived name, "<app>-db-credentials", stays one (names.py)
    "appName": {**DNS_LABEL, "maxLength": 63 - len("-db-credentials")},
    "namespace": {**DNS_LABEL, "not": enum(rules.SYSTEM_NAMESPACES)},
    "podSecurity": enum(POD_SECURITY_LEVELS),
    "secrets.existingSecret": DNS_SUBDOMAIN,
    "secrets.external": {"required": ["storeRef", "app", "database"]},
    "secrets.external.storeRef": {"required": ["name"]},
    "secrets.external.storeRef.name": DNS_SUBDOMAIN,
    "secrets.external.storeRef.kind": enum(external_secrets.STORE_KINDS),
    "secrets.external.refreshInterval": {"type": "string", "pattern": _pattern(external_secrets._DURATION)},
    **{f"secrets.external.{part}": {"required": ["remoteKey"]} for part in ("app", "database")},
    **{f"secrets.external.{part}.remoteKey": {"type": "string", "pattern": _pattern(external_secrets._REMOTE_KEY)}
       for part in ("app", "database")},
    "secrets.external.app.properties": {"propertyNames": enum(external_secrets.APP_KEYS), "additionalProperties": {
        "type": "string", "pattern": _pattern(external_secrets._REMOTE_KEY)}},
    "secrets.external.database.properties": {"propertyNames": enum(external_secrets.DATABASE_KEYS),
                                             "additionalProperties": {"type": "string", "pattern": _pattern(
                                                 external_secrets._REMOTE_KEY)}},
    **_workload("frontend", replicas=True),
    **_workload("backend", replicas=True),
    **_workload("database", replicas=False),
    "database.engine": enum(ENGINES),
    "database.storage": QUANTITY,
    "database.storageClassName": DNS_SUBDOMAIN,
    "database.existingSecret": DNS_SUBDOMAIN,
    "database.name": PG_NAME,
    "database.username": PG_NAME,
    "database.terminationGracePeriodSeconds": POSITIVE,
    "database.retainedStorageClass.volumeBindingMode": enum(VOLUME_BINDING_MODES),
    "database.backup.schedule": CRON,
    "database.backup.retention": POSITIVE,
    "database.backup.storage": QUANTITY,
    "database.backup.storageClassName": DNS_SUBDOMAIN,
    "database.backup.runAsUser": POSITIVE,
    "database.backup.activeDeadlineSeconds": POSITIVE,
    "database.backup.policyExceptions": POLICY_EXCEPTIONS,
    **{f"database.backup.resources.{s}.{r}": QUANTITY for s in ("requests", "limits") for r in ("cpu", "memory")},
    "database.backup.offSite.existingSecret": DNS_SUBDOMAIN,
    "database.backup.offSite.image": IMAGE,
    "database.cloudnativePg.instances": REPLICAS,
    "database.cloudnativePg.podAntiAffinityType": enum(("required", "preferred")),
    "database.cloudnativePg.monitoringNamespace": DNS_LABEL,
    "database.cloudnativePg.operatorNamespace": DNS_LABEL,
    "database.cloudnativePg.operatorPodLabels": LABELS,
    # An empty list would write a rule with no peers (no ports), which allows every address (port).
    "database.cloudnativePg.apiServerCidrs": {"minItems": 1},
    "database.cloudnativePg.apiServerPorts": {"minItems": 1},
    "database.cloudnativePg.apiServerPorts[]": PORT,
    "database.cloudnativePg.backup.credentialsSecret": DNS_SUBDOMAIN,
    "database.cloudnativePg.backup.accessKeyIdKey": CONFIG_KEY,
    "database.cloudnativePg.backup.secretAccessKeyKey": CONFIG_KEY,
    "database.cloudnativePg.backup.compression": enum(("gzip", "bzip2", "snappy", "lz4", "xz", "zstd")),
    "database.cloudnativePg.backup.egressPort": PORT,
    "database.cloudnativePg.pooler.instances": REPLICAS,
    "database.cloudnativePg.pooler.poolMode": enum(("session", "transaction")),
    "ingress.host": DNS_SUBDOMAIN,
    "ingress.className": DNS_SUBDOMAIN,
    "ingress.proxyReadTimeoutSeconds": POSITIVE,
    "ingress.routing": enum(ROUTINGS),
    "ingress.tls.hosts[]": HOST,
    "ingress.tls.secretName": DNS_SUBDOMAIN,
    "ingress.tls.clusterIssuer": DNS_SUBDOMAIN,
    "ingress.tls.issuer": DNS_SUBDOMAIN,
    "ingress.gateway.proxyNamespaces[]": DNS_LABEL,
    "ingress.gateway.parentRefs[].name": DNS_SUBDOMAIN,
    "ingress.gateway.parentRefs[].namespace": DNS_LABEL,
    "networkPolicy.ingressControllerNamespace": DNS_LABEL,
    "networkPolicy.dnsNamespace": DNS_LABEL,
    "networkPolicy.dnsPodLabels": LABELS,
    "config.APP_ENV": DNS_LABEL,
    "config.LOG_LEVEL": enum(LOG_LEVELS),
    "config.MAX_CONVERSATION_HISTORY": POSITIVE,
    "config.CHAT_RATE_LIMIT": POSITIVE,
}


def _steps(path: str) -> Iterator[str]:
    for part in path.split("."):
        if part.endswith("[]"):
            yield part[:-2]
            yield "[]"
        else:
            yield part


def _constrain(node: Json, steps: list[str], constraint: Json, path: str) -> None:
    """Merge ``constraint`` into the schema of ``path`` under ``node`` (into the non-null
    branch of a nullable one). A path the props do not have is an error: the table is stale."""
    branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"] or [node]
    if not steps:
        for branch in branches:
            if "enum" in constraint:
                branch.pop("type", None)
            branch.update(constraint)
        return
    step, rest = steps[0], steps[1:]
    for branch in branches:
        if step == "[]":
            child = branch.get("items")
        else:
            child = branch.get("properties", {}).get(step)
        if child is None:
            raise KeyError(f"{path}: no such key in the values schema (CONSTRAINTS in {Path(__file__).name})")
        _constrain(child, rest, constraint, path)


def strict_schema() -> Json:
    """docs/values.schema.json: the props' schema, constrained as the props check, with the
    top-level spellings of the loader's aliases."""
    schema = values_json_schema()
    schema["description"] = ("Every key and default derives from the construct props of taskora_constructs; "
                             "patterns, ranges and enums are the props' own rules (core/rules.py).")
    for path, constraint in CONSTRAINTS.items():
        _constrain(schema, list(_steps(path)), json.loads(json.dumps(constraint)), path)
    for alias, section in ALIASES.items():  # `routing: gateway` at the top, as the README writes it
        aliased = json.loads(json.dumps(schema["properties"][section]["properties"][alias]))
        aliased["description"] = f"The same as {section}.{alias} (a top-level spelling). " + aliased.get("description", "")
        schema["properties"][alias] = aliased
    return schema


def main() -> int:
    text = json.dumps(strict_schema(), indent=2, sort_keys=True) + "\n"
    return write_or_check(TARGET, text, regenerate="python scripts/values_schema.py")


if __name__ == "__main__":
    sys.exit(main())
