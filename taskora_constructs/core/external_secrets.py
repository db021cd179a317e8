"""Secrets written by the External Secrets Operator: ``ExternalSecret`` objects in place of Secrets.

With :class:`ExternalSecretsProps` the app synthesizes no secret value at all: each Secret the
workloads read (same name, same keys) is an ``ExternalSecret`` (external-secrets.io/v1, CRD
vendored in ``crds/external-secrets-v2.9.0/``) that the operator fills from a ``SecretStore``
or ``ClusterSecretStore`` of the platform team's. The store and the remote secrets are yours;
the operator must be installed first (README, "Secrets").

The custom resource is typed by ``eso_types`` (TypedDicts generated from the CRD), which only
the type checker imports.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Final, Mapping

import cdk8s
from constructs import Construct

from .frozen import frozen_props
from . import rules
from .errors import Problem, raise_if_any
from .manifest import emit, object_metadata

if TYPE_CHECKING:  # the generated TypedDicts: for mypy only, never imported at run time
    from .._generated import eso_types as eso

#: The API group and version of the External Secrets resources.
API_VERSION: Final = "external-secrets.io/v1"
STORE_KINDS = ("ClusterSecretStore", "SecretStore")
# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
#: Go durations as ``refreshInterval`` takes them (``1h``, ``15m``, ``1h30m``; ``0`` never refreshes).
_DURATION = r"^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$"
_REMOTE_KEY = r"^[^\s\x00-\x1f]{1,1024}$"


@frozen_props
class SecretStoreRef:
    """The store the operator reads from: a ``ClusterSecretStore`` (cluster-wide, the platform
    team's) or a ``SecretStore`` in the app's namespace.

    Attributes:
        name: the store's name (required).
    """

    name: str
    #: ClusterSecretStore or SecretStore: ClusterSecretStore.
    kind: str = "ClusterSecretStore"

    def problems(self, where: str) -> list[Problem]:
        found = rules.check_dns_subdomain(where, "name", self.name)
        if self.kind not in STORE_KINDS:
            found.append(Problem(where=where, field="kind", value=self.kind,
                                 rule=f"must be one of {', '.join(STORE_KINDS)}", fix="use ClusterSecretStore"))
        return found


@frozen_props
class RemoteSecret:
    """One secret in the store and which of its properties holds each value.

    Attributes:
        remote_key: the secret's key in the store, e.g. ``taskora/production/app`` (required).
    """

    remote_key: str
    #: The property of the remote secret that holds each Secret key; default: a key not listed
    #: is read from the property of its own name (``COHERE_API_KEY``, ``password``).
    properties: Mapping[str, str] = field(default_factory=dict)

    def property_of(self, key: str) -> str:
        return self.properties.get(key, key)

    def problems(self, where: str, keys: tuple[str, ...]) -> list[Problem]:
        found = []
        if not isinstance(self.remote_key, str) or not re.fullmatch(_REMOTE_KEY, self.remote_key):
            found.append(Problem(where=where, field="remoteKey", value=self.remote_key,
                                 rule="must be the store's key of the secret: 1-1024 characters, no spaces or "
                                      "control characters", fix="write it like taskora/production/app"))
        if not isinstance(self.properties, Mapping):
            return found + [Problem(where=where, field="properties", value="<not shown>",
                                    rule="must map Secret keys to property names",
                                    fix=f"write e.g. {{{keys[0]}: {keys[0].lower()}}}")]
        for key, prop in self.properties.items():
            if key not in keys:
                found.append(Problem(where=where, field=f"properties.{key}", value="<not shown>",
                                     rule=f"must be a key of this Secret ({', '.join(keys)})",
                                     fix="remove it, or correct the key's spelling"))
            elif not isinstance(prop, str) or not re.fullmatch(_REMOTE_KEY, prop):
                found.append(Problem(where=where, field=f"properties.{key}", value="<not shown>",
                                     rule="must be a property name: no spaces or control characters",
                                     fix=f"write the remote secret's property, e.g. {key.lower()}"))
        return found


#: The keys each remote secret supplies: the app's API keys, and the database owner's password.
APP_KEYS = ("COHERE_API_KEY", "BETTER_AUTH_SECRET", "GEMINI_API_KEY")
DATABASE_KEYS = ("password",)


@frozen_props
class ExternalSecretsProps:
    """Where the External Secrets Operator reads the app's secret values.

    Attributes:
        store_ref: the SecretStore or ClusterSecretStore (required).
        app: the remote secret holding ``COHERE_API_KEY``, ``BETTER_AUTH_SECRET`` and
            ``GEMINI_API_KEY`` (required).
        database: the remote secret holding the database owner's ``password`` (required):
            the database credentials Secret and ``DATABASE_URL`` are built from it.
    """

    store_ref: SecretStoreRef
    app: RemoteSecret
    database: RemoteSecret
    #: How often the operator re-reads the store (a Go duration; ``0``: only once): 1h.
    refresh_interval: str = "1h"

    def problems(self, where: str) -> list[Problem]:
        found = [_under("storeRef", p) for p in self.store_ref.problems(where)]
        found += [_under("app", p) for p in self.app.problems(where, APP_KEYS)]
        found += [_under("database", p) for p in self.database.problems(where, DATABASE_KEYS)]
        if not isinstance(self.refresh_interval, str) or not re.fullmatch(_DURATION, self.refresh_interval):
            found.append(Problem(where=where, field="refreshInterval", value=self.refresh_interval,
                                 rule="must be a Go duration", fix="write it like 1h or 15m (0: read once)"))
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


def _under(prefix: str, problem: Problem) -> Problem:
    from dataclasses import replace
    return replace(problem, field=f"{prefix}.{problem.field}")


#: Go-template escaping of a value inside a URL's user-info: ``urlquery`` percent-encodes
#: everything but the unreserved characters and writes a space as ``+``, which in user-info
#: is a literal plus; a literal ``+`` is already ``%2B``, so every ``+`` left is a space.
def url_escaped(variable: str) -> str:
    return f'{{{{ .{variable} | urlquery | replace "+" "%20" }}}}'


def external_secret(scope: Construct, construct_id: str, *, name: str, namespace: str | None,
                    labels: Mapping[str, str], props: ExternalSecretsProps,
                    data: Mapping[str, tuple[RemoteSecret, str]], template: Mapping[str, str],
                    secret_type: str = "Opaque") -> cdk8s.ApiObject:
    """Emit the ``ExternalSecret`` ``name`` whose operator writes the Secret ``name``.

    ``data`` maps each fetched variable to (remote secret, property); ``template`` maps each
    key of the written Secret to its Go template (``{{ .variable }}``), so the Secret holds
    exactly the keys a hand-made one would, values composed from the fetched ones (engine v2).
    ``creationPolicy: Owner``: the Secret belongs to the ExternalSecret and goes with it;
    ``deletionPolicy: Retain``: a store that loses the secret does not empty the Secret."""
    body: eso.ExternalSecret = {
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": object_metadata(name=name, namespace=namespace, labels=dict(labels)),
        "spec": {
            "secretStoreRef": {"kind": props.store_ref.kind, "name": props.store_ref.name},  # type: ignore[typeddict-item]
            "refreshInterval": props.refresh_interval,
            "target": {
                "name": name,
                "creationPolicy": "Owner",
                "deletionPolicy": "Retain",
                "template": {"type": secret_type, "engineVersion": "v2", "data": dict(template)},
            },
            "data": [{"secretKey": variable, "remoteRef": {"key": remote.remote_key, "property": prop}}
                     for variable, (remote, prop) in data.items()],
        },
    }
    return emit(scope, construct_id, body)
