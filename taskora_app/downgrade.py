"""The downgrade guard: a later values layer may not quietly strip production of its protections.

``config/production.yaml`` is TLS, backups, the ``restricted`` Pod Security level, the
NetworkPolicies and deletion protection. A ``TASKORA_VALUES`` layer that switches one of them
off is refused (exit 2, every weakened item at once) unless that same layer names what it
gives up in ``acceptRisks``: a release pipeline's digests layer cannot turn backups off by a
stray line, and a reviewer sees ``acceptRisks: [no-backups]`` in the diff that does.

A protection is weakened when the merged props lack it *and* a key that decides it comes from a
layer after the base file: what the base profile itself leaves off (local's plain HTTP) is the
profile, not a downgrade. Only the environments in :data:`GUARDED_ENVS` are guarded; the key is
checked (known names only) everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from taskora_constructs import CloudNativePgProps, Problem, TaskoraProps

from .origins import file_of, located_in
from .suggest import closest

#: The values key a layer names what it gives up with.
KEY = "acceptRisks"
#: The environments whose base file is the floor a later layer may not go below unasked.
GUARDED_ENVS = ("production",)


@dataclass(frozen=True, kw_only=True)
class Risk:
    """One protection a layer may give up, by name."""

    #: The name ``acceptRisks`` lists.
    name: str
    #: What is lost, in words (the rule of the problem).
    lost: str
    #: Whether ``props`` lack the protection.
    weakened: Callable[[TaskoraProps], bool]
    #: The key paths that decide it, most telling first (aliases included): the first one a
    #: later layer wrote is the one the problem names.
    keys: Callable[[TaskoraProps], tuple[str, ...]]
    #: How to keep the protection instead.
    keep: str


def _no_tls(props: TaskoraProps) -> bool:
    ingress = props.ingress
    if ingress.routing == "gateway":
        return not ingress.gateway.https
    return ingress.tls is None or not ingress.tls.redirect_http


def _tls_keys(props: TaskoraProps) -> tuple[str, ...]:
    if props.ingress.routing == "gateway":
        return ("ingress.gateway.https", "gateway.https", "ingress.gateway", "gateway", "ingress.routing", "routing")
    if props.ingress.tls is not None:  # on, but plain HTTP is served beside it
        return ("ingress.tls.redirectHttp",)
    return ("ingress.tls.enabled", "ingress.tls", "ingress.routing", "routing", "ingress")


def _no_backups(props: TaskoraProps) -> bool:
    database = props.database
    if isinstance(database, CloudNativePgProps):  # the engine is the props' class (0.3.0)
        return database.cloudnative_pg.backup is None
    return database.backup is None


def _backup_keys(props: TaskoraProps) -> tuple[str, ...]:
    if isinstance(props.database, CloudNativePgProps):
        return ("database.cloudnativePg.backup.enabled", "database.cloudnativePg.backup", "database.cloudnativePg",
                "database.engine", "database")
    return ("database.backup.enabled", "database.backup", "database.engine", "database")


RISKS: tuple[Risk, ...] = (
    Risk(name="no-tls", lost="strips production of TLS: the public host would be served over plain HTTP "
                             "(or plain HTTP beside HTTPS, without the redirect)",
         weakened=_no_tls, keys=_tls_keys,
         keep="keep ingress.tls on with redirectHttp (routing ingress), or gateway.https true on an HTTPS "
              "listener (routing gateway)"),
    Risk(name="no-backups", lost="strips production of its database backups: nothing would survive a lost "
                                 "volume, a dropped table or a deleted Cluster",
         weakened=_no_backups, keys=_backup_keys,
         keep="keep database.cloudnativePg.backup on (engine cloudnative-pg) or database.backup on "
              "(engine statefulset)"),
    Risk(name="weaker-pod-security", lost="lowers the namespace's enforced Pod Security level below restricted "
                                          "(its pod-security.kubernetes.io/enforce label)",
         weakened=lambda props: props.pod_security != "restricted", keys=lambda props: ("podSecurity",),
         keep="keep podSecurity: restricted (every pod of the app meets it)"),
    Risk(name="no-network-policies", lost="strips production of its NetworkPolicies: every pod could reach "
                                          "every pod, the database included, and the internet",
         weakened=lambda props: not props.network_policy.enabled,
         keys=lambda props: ("networkPolicy.enabled", "networkPolicy"),
         keep="keep networkPolicy.enabled: true"),
    Risk(name="no-deletion-protection", lost="strips production of deletion protection: one kubectl delete could "
                                             "take the namespace and the database's claims",
         weakened=lambda props: not props.deletion_protection, keys=lambda props: ("deletionProtection",),
         keep="keep deletionProtection: true"),
)
NAMES = tuple(risk.name for risk in RISKS)

#: The JSON Schema of the key (docs/values.schema.json) and its doc.
SCHEMA = ({"type": "array", "items": {"enum": list(NAMES)}, "default": []},
          "what this layer gives up of the production profile, by name (" + ", ".join(NAMES) + "): without it a "
          "layer that switches one off is refused in production (README, Production refuses downgrades)")


def accepted_risks(source: str, data: Mapping, problems: list[Problem],
                   marks: Mapping[str, tuple[int, int]]) -> set[str]:
    """The names layer ``source`` (its top-level mapping ``data``, its keys' ``marks``) accepts; a
    bad list goes to ``problems``, each named by its file:line:column."""
    value = data.get(KEY)
    if value is None:
        return set()
    if not isinstance(value, list):
        problems.append(Problem(where=located_in(source, marks, KEY), field=KEY, value=value, rule="must be a list of risk names",
                                fix=f"write it like [no-tls]; the names: {', '.join(NAMES)}"))
        return set()
    found: set[str] = set()
    for i, name in enumerate(value):
        if name in NAMES:
            found.add(name)
            continue
        close = closest(str(name), NAMES)
        problems.append(Problem(where=located_in(source, marks, f"{KEY}[{i}]"), field=f"{KEY}[{i}]", value=name, rule="is not a known risk",
                                fix=f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(NAMES)}"))
    return found


def downgrade_problems(props: TaskoraProps, merged: Mapping, origin: Mapping[str, str], base: str,
                       accepted: Mapping[str, set[str]]) -> list[Problem]:
    """Every protection of the base profile a later layer weakens without accepting it, one problem
    each, named by the first deciding key that layer wrote (its file, key path and value)."""
    problems: list[Problem] = []
    for risk in RISKS:
        if not risk.weakened(props):
            continue
        # origin holds "file:line:column" where a key's line is known: the layer is the file.
        written = [(key, origin[key], file_of(origin[key])) for key in risk.keys(props)
                   if file_of(origin.get(key, base)) != base]
        if not written or any(risk.name in accepted.get(layer, set()) for _, _, layer in written):
            continue  # the base profile's own choice, or a layer that says so
        key, located, layer = written[0]
        problems.append(Problem(where=located, field=key, value=_value_at(merged, key),
                                rule=f"{risk.lost}; production refuses that unless the layer that does it "
                                     f"accepts the risk by name",
                                fix=f"add '{KEY}: [{risk.name}]' to {layer} if that is intended, or {risk.keep}"))
    return problems


def _value_at(data: Any, key: str) -> Any:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, Mapping) else None
    return data
