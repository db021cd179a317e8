"""What a client wires to, whichever engine runs the database: one contract, two constructs.

:class:`~taskora_constructs.PostgresDatabase` (a StatefulSet) and
:class:`~taskora_constructs.CloudNativePgDatabase` (an operator-run Cluster) both offer:

* ``host`` (for a client in the database's namespace) and ``host_for(namespace)``, ``port``;
* ``credentials_secret_name`` with the keys ``USERNAME_KEY`` and ``PASSWORD_KEY``;
* ``url_env(variable)``: :class:`~taskora_constructs.EnvVar` values that ``WebWorkload(env=...)``
  (any :class:`~taskora_constructs.PodOptions`) takes, giving the client the connection URL
  without the password ever being written outside a Secret;
* ``client_endpoint``: the Service and the pods a client really connects to (a CloudNativePG
  pooler when there is one, else the primary or the StatefulSet's pod), which a NetworkPolicy
  admits: ``NetworkPeer.workload(db.client_endpoint)`` for the client's egress.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Mapping

from ..core.frozen import frozen_props
from .._generated import k8s_types as k8s
from ..core.errors import Problem, raise_if_any
from ..core.pod import EnvVar

# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
#: Characters a URL's user or password may hold unescaped: ``$(VAR)`` expansion does not escape.
_URL_SAFE = r"^[A-Za-z0-9._~-]*$"


@frozen_props(kw_only=False)
class DatabaseEndpoint:
    """The Service clients connect to and the pods behind it (a peer of NetworkPolicies)."""

    service_name: str
    port: int
    selector_labels: Mapping[str, str] = field(hash=False)
    namespace: str | None


class DatabaseContract:
    """The wiring both database constructs share (mixed into each; see the module docstring)."""

    USERNAME_KEY = "username"
    PASSWORD_KEY = "password"

    # Provided by each construct:
    service_name: str
    namespace: str | None
    port: int
    database_name: str
    credentials_secret_name: str

    def host_for(self, client_namespace: str | None) -> str:
        """The DNS name a client in ``client_namespace`` uses to reach the database."""
        if client_namespace == self.namespace or self.namespace is None:
            # Without a namespace of its own the database lands in kubectl's current namespace,
            # which only the short name reaches (from a client deployed there too).
            return self.service_name
        return f"{self.service_name}.{self.namespace}.svc"

    @property
    def host(self) -> str:
        """The DNS name for a client in the database's own namespace."""
        return self.host_for(self.namespace)

    @property
    def client_endpoint(self) -> DatabaseEndpoint:
        """What clients connect to: :attr:`service_name` and the pods behind it."""
        return DatabaseEndpoint(self.service_name, self.port, dict(self._client_pod_labels()), self.namespace)

    def _client_pod_labels(self) -> Mapping[str, str]:
        raise NotImplementedError

    def _check_url_client(self, client_namespace: str | None) -> list[Problem]:
        """Why a client in ``client_namespace`` cannot read the credentials (none: it can)."""
        return []

    def url_env(self, variable: str = "DATABASE_URL", client_namespace: str | None = None) -> list[EnvVar]:
        """``<variable>_USERNAME`` and ``<variable>_PASSWORD`` from the credentials Secret, then
        ``variable`` = ``postgresql://$(..._USERNAME):$(..._PASSWORD)@host:port/db`` (Kubernetes
        expands the references): pass them as ``WebWorkload(env=db.url_env())``. The client
        runs in ``client_namespace`` (default the database's), whose Secrets it reads."""
        client_namespace = self.namespace if client_namespace is None else client_namespace
        problems = self._check_url_client(client_namespace)
        raise_if_any(problems)
        return [EnvVar(name=name, value=value, value_from=value_from)
                for name, value, value_from in self._url_parts(variable, client_namespace)]

    def _url_parts(self, variable: str,
                   client_namespace: str | None) -> list[tuple[str, str | None, k8s.EnvVarSource | None]]:
        """(name, value, valueFrom) of :meth:`url_env`'s variables: the one composition both use."""
        user, password = f"{variable}_USERNAME", f"{variable}_PASSWORD"
        secret = self.credentials_secret_name
        return [(user, None, {"secretKeyRef": {"name": secret, "key": self.USERNAME_KEY}}),
                (password, None, {"secretKeyRef": {"name": secret, "key": self.PASSWORD_KEY}}),
                (variable, f"postgresql://$({user}):$({password})@{self.host_for(client_namespace)}:"
                           f"{self.port}/{self.database_name}", None)]

    def _url_safe_problems(self, where: str, username: str, password: str | None) -> list[Problem]:
        """The user and password must need no URL escaping for ``$(VAR)`` composition."""
        return [Problem(where=where, field=key, value=shown,
                        rule="must be URL-safe (letters, digits, '.', '_', '~', '-') for url_env: Kubernetes "
                             "expands $(VAR) without escaping",
                        fix="use such a password, or give clients connection_url() through a Secret")
                for key, value, shown in (("username", username, username), ("password", password, "<redacted>"))
                if value is not None and not re.fullmatch(_URL_SAFE, value)]
