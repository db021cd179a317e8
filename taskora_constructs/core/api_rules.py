"""What the API server or an admission step would refuse (or accept and then break), as named
rules a construct runs on its own objects before anything is written.

Each :class:`Rule` is one unit in the style of cdk-nag: an ``id``, a one-line ``doc``, who
enforces it on the cluster (``enforced_by``), and a check; tests/core/test_api_rules.py holds a
compliant and a non-compliant case of each, and tests/support/refused_cases.py the values-file cases
the cluster tests apply to a real API server. A problem names its rule as ``[<id>]`` so the
message says which rule the cluster would apply. The Pod Security Standards are in
:mod:`.pod_security`.

A construct checks what it builds (its derived names, the env, labels and annotations it
merges with a caller's); it never looks at objects it did not create.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable, Mapping

from .frozen import frozen_props
from .errors import Problem


@frozen_props(kw_only=False)
class Rule:
    """One named rule: ``id``, a one-line ``doc``, and what enforces it on a cluster."""

    id: str
    doc: str
    enforced_by: str

    def problem(self, where: str, field: str, value: Any, detail: str, fix: str) -> Problem:
        return Problem(where=where, field=field, value=value,
                       rule=f"{detail} [{self.id}: {self.enforced_by}]", fix=fix)


CRONJOB_NAME = Rule("K8S-CRONJOB-NAME", "a CronJob's name is at most 52 characters (its Jobs add 11)",
                    "kube-apiserver, CronJob validation")
CNPG_CLUSTER_NAME = Rule("CNPG-CLUSTER-NAME", "a CloudNativePG Cluster's name is at most 50 characters",
                         "CloudNativePG's validating webhook")
OBJECT_NAME = Rule("K8S-OBJECT-NAME", "an object name is a DNS-1123 subdomain of at most 253 characters, "
                   "a DNS-1123 label of at most 63 for Services, Namespaces and ServiceAccounts' peers",
                   "kube-apiserver, ObjectMeta validation")
LABEL_VALUE = Rule("K8S-LABEL-VALUE", "a label value is at most 63 characters", "kube-apiserver, label validation")
HOST_LABEL = Rule("DNS-HOST-LABEL", "each dot-separated label of a host name is at most 63 characters",
                  "RFC 1123 / DNS; the Gateway API hostname pattern")
HOST_NOT_IP = Rule("K8S-HOST-NOT-IP", "an Ingress host or HTTPRoute hostname is a DNS name, not an IP address",
                   "kube-apiserver, Ingress validation; the Gateway API spec")
ENV_SHADOW = Rule("K8S-ENV-UNIQUE", "a container's env names each variable once: an added entry never "
                  "replaces the library's", "server-side apply (env is a map keyed by name)")
LABEL_SHADOW = Rule("TSK-LABEL-OWNED", "a caller's label never sets a key the library sets (it would lose "
                    "silently)", "the construct: its own keys win, so the caller's would be dropped")
ANNOTATION_SHADOW = Rule("TSK-ANNOTATION-OWNED", "a caller's annotation never sets a key the library sets",
                         "the construct: its own keys win, so the caller's would be dropped")

#: Every rule of this module, by id (the Pod Security ones are in pod_security.RULES).
RULES: dict[str, Rule] = {rule.id: rule for rule in (
    CRONJOB_NAME, CNPG_CLUSTER_NAME, OBJECT_NAME, LABEL_VALUE, HOST_LABEL, HOST_NOT_IP, ENV_SHADOW,
    LABEL_SHADOW, ANNOTATION_SHADOW)}

#: Kinds whose names must be DNS labels (63), not subdomains (253).
_LABEL_NAMED = frozenset({"Namespace", "Service"})


def check_cronjob_name(where: str, field: str, name: str) -> list[Problem]:
    if len(name) > 52:
        return [CRONJOB_NAME.problem(where, field, name, f"derived CronJob name {name!r} has {len(name)} "
                                     "characters, more than 52", "shorten the name it derives from "
                                     f"by {len(name) - 52} characters")]
    return []


def check_cnpg_cluster_name(where: str, field: str, name: str) -> list[Problem]:
    if len(name) > 50:
        return [CNPG_CLUSTER_NAME.problem(where, field, name, f"derived Cluster name {name!r} has {len(name)} "
                                          "characters, more than 50", "shorten the name it derives from "
                                          f"by {len(name) - 50} characters")]
    return []


def check_object_name(where: str, field: str, kind: str, name: object) -> list[Problem]:
    limit = 63 if kind in _LABEL_NAMED else 253
    if isinstance(name, str) and len(name) > limit:
        return [OBJECT_NAME.problem(where, field, name, f"the {kind} name has {len(name)} characters, more "
                                    f"than {limit}", f"shorten the name it derives from by {len(name) - limit}")]
    return []


def check_label_values(where: str, field: str, labels: Mapping[str, object]) -> list[Problem]:
    return [LABEL_VALUE.problem(where, f"{field}.{key}", value, f"the label value has {len(value)} "
                                "characters, more than 63", "shorten the name it derives from")
            for key, value in labels.items() if isinstance(value, str) and len(value) > 63]


def check_host_name(where: str, field: str, host: object) -> list[Problem]:
    """A host (Ingress rule host, HTTPRoute hostname): not an IP, each label at most 63."""
    if not isinstance(host, str):
        return []
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [HOST_NOT_IP.problem(where, field, host, "must be a DNS name, not an IP address",
                                    "serve a DNS name that resolves to the address (e.g. 'tasks.example.com'); "
                                    "a route without a host matches every address")]
    long = [label for label in host.split(".") if len(label) > 63]
    if long:
        return [HOST_LABEL.problem(where, field, host, f"the label {long[0][:20]!r}... has {len(long[0])} "
                                   "characters, more than 63", "use shorter dot-separated parts")]
    return []


def check_env_not_shadowed(where: str, field: str, own: Iterable[str], added: list[str]) -> list[Problem]:
    """``added`` (a caller's env names, in order) repeat none of ``own`` nor each other."""
    found: list[Problem] = []
    seen = set(own)
    owned = set(own)
    for i, name in enumerate(added):
        if name in seen:
            whose = "the library's own" if name in owned else "an earlier entry"
            found.append(ENV_SHADOW.problem(where, f"{field}[{i}].name", name,
                                            f"repeats {whose} variable {name!r}: only one of them would "
                                            "take effect", "drop the entry, or give it another name"
                                            + (" (the library sets this one from its Secret or ConfigMap)"
                                               if name in owned else "")))
        seen.add(name)
    return found


def check_keys_not_owned(rule: Rule, where: str, field: str, own: Mapping[str, object],
                         added: Mapping[str, object]) -> list[Problem]:
    """No key of ``added`` (a caller's labels or annotations) is one of ``own`` with another value."""
    return [rule.problem(where, f"{field}.{key}", value,
                         f"sets {key!r}, which the library sets to {own[key]!r}: the library's value wins",
                         "drop the key, or use a key of your own (e.g. 'example.com/" + key.rsplit("/", 1)[-1] + "')")
            for key, value in added.items() if key in own and own[key] != value]
