"""Application secrets: the Secret the backend reads (model section 6.1)."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, Sequence

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core import rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.podspec import CREDENTIALS_REVISION, SECRETS_REVISION
from ..core.errors import Problem, raise_if_any
from ..core.resource import MAIN_ID, TaskoraResource
from ..lint import require_secret_keys
from ..lint.app import declare_external_secret
from ..database import is_cloudnative_pg_database
from ..database.postgres import PostgresDatabase
from ..core.podspec import env_from
from ..core.external_secrets import ExternalSecretsProps, external_secret, url_escaped

if TYPE_CHECKING:  # imported where a Cluster is made (taskora_constructs.database)
    from ..database.cloudnative_pg import CloudNativePgDatabase


@frozen_props
class TaskoraSecretsProps:
    """Where the application Secret's values come from (see :class:`TaskoraSecrets`). The values
    are kept out of ``repr``: a props object in a traceback or a log prints no secret."""

    #: COHERE_API_KEY; default None: required unless ``existing_secret`` or ``external``.
    cohere_api_key: str | None = field(default=None, repr=False)
    #: BETTER_AUTH_SECRET; default None: required unless ``existing_secret`` or ``external``.
    better_auth_secret: str | None = field(default=None, repr=False)
    #: GEMINI_API_KEY; default None: required unless ``existing_secret`` or ``external``.
    gemini_api_key: str | None = field(default=None, repr=False)
    #: A Secret managed outside the app holding every key; default None: synthesized here.
    existing_secret: str | None = None
    #: The counter the consumers' pods carry (``revision/secrets``); bump it to roll them: 0.
    revision: int = 0
    #: The External Secrets Operator writes the Secret from this store; default None.
    external: ExternalSecretsProps | None = None


class TaskoraSecrets(TaskoraResource):
    """The application Secret: ``DATABASE_URL`` derived from the database, plus API keys.

    ``DATABASE_URL`` is never typed: it is built from the database construct's service,
    port, database name and credentials (deviation D3), for clients in ``namespace``. For a
    :class:`~taskora_constructs.CloudNativePgDatabase` the Secret does not hold it: the
    operator generates the password, and :meth:`env` takes ``DATABASE_URL`` from the
    operator's Secret ``<cluster>-app`` (its ``uri``, or the pooler's URL).

    Args:
        database: the database the backend connects to.
        cohere_api_key / better_auth_secret / gemini_api_key: the secret values (non-empty).
        existing_secret: instead of the values, the name of a Secret managed outside the app
            that holds the keys ``DATABASE_URL``, ``COHERE_API_KEY``, ``BETTER_AUTH_SECRET``
            and ``GEMINI_API_KEY``; no Secret is synthesized and consumers reference it.
        name: Secret name; default: the construct id as a DNS label. namespace: default: the
            enclosing Chart's. app_name: its ``app`` label (default: its name).
        revision: the counter the consumers' pods carry (``revision/secrets``): bump
            it after changing a value, so they roll; default 0. No digest of the values is ever
            written outside the Secret (docs/hardening.md).
        external: instead of the values, the External Secrets Operator writes the Secret
            ``name`` (same keys) from ``external.app`` (the API keys) and, for a StatefulSet
            database, ``DATABASE_URL`` composed from ``external.database``'s password: an
            ``ExternalSecret`` is synthesized instead of the Secret (README, "Secrets").
    """

    DATABASE_URL = "DATABASE_URL"
    COHERE_API_KEY = "COHERE_API_KEY"
    BETTER_AUTH_SECRET = "BETTER_AUTH_SECRET"
    GEMINI_API_KEY = "GEMINI_API_KEY"

    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraSecretsProps | None = None, *,
                 database: PostgresDatabase | CloudNativePgDatabase, name: str | None = None,
                 namespace: str | None = None, app_name: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(TaskoraSecretsProps, props, props_fields)
        name, namespace = self.name, self.namespace
        cohere_api_key, better_auth_secret = props.cohere_api_key, props.better_auth_secret
        gemini_api_key, existing_secret = props.gemini_api_key, props.existing_secret
        revision, external = props.revision, props.external
        where = tree.path_of(self)
        values = {"cohereApiKey": cohere_api_key, "betterAuthSecret": better_auth_secret,
                  "geminiApiKey": gemini_api_key}
        if external is not None:
            problems = [Problem(where=where, field=field, value="<redacted>",
                                 rule="must not be given together with external: the store holds it",
                                 fix="drop the value") for field, value in
                         {**values, "existingSecret": existing_secret}.items() if value is not None]
        elif existing_secret is not None:
            problems = rules.check_dns_subdomain(where, "existingSecret", existing_secret)
            problems += [Problem(where=where, field=field, value="<redacted>",
                                 rule="must not be given together with existingSecret",
                                 fix="drop the value: the existing Secret holds it")
                         for field, value in values.items() if value is not None]
        else:
            problems = []
            for key, value in values.items():
                problems += rules.check_non_empty(where, key, value)
        problems += rules.check_positive_int(where, "revision", revision, minimum=0)
        self._check(problems)
        #: The revision counter (see :meth:`revision_annotations`).
        self.revision = revision
        self.secret_name = existing_secret or name
        self.database = database
        #: True when the Secret is synthesized here, False for an existing one or one the
        #: External Secrets Operator writes (``external``).
        self.manages_secret = existing_secret is None and external is None
        self.external = external
        #: False when ``DATABASE_URL`` comes from the database's own Secret (CloudNativePG).
        self.holds_database_url = isinstance(database, PostgresDatabase)
        self.keys = ((self.DATABASE_URL,) if self.holds_database_url else ()) + (
            self.COHERE_API_KEY, self.BETTER_AUTH_SECRET, self.GEMINI_API_KEY)
        if not self.manages_secret and namespace is not None:
            # Managed outside the app (or written by the External Secrets Operator): the opt-in
            # lint lets references name it.
            declare_external_secret(self, name=self.secret_name, namespace=namespace, keys=self.keys)
        require_secret_keys(self, name=self.secret_name, namespace=namespace, keys=self.keys)
        self._string_data: dict[str, str] = {}
        #: The Secret's ``cdk8s.ApiObject`` (``None`` for an existing Secret); also ``api_object``.
        self.secret: cdk8s.ApiObject | None = None
        if self.manages_secret:
            self._claim([("Secret", name)])
            self._string_data = {
                **({self.DATABASE_URL: database.connection_url(namespace)}
                   if isinstance(database, PostgresDatabase) else {}),
                self.COHERE_API_KEY: cohere_api_key,  # type: ignore[dict-item]
                self.BETTER_AUTH_SECRET: better_auth_secret,  # type: ignore[dict-item]
                self.GEMINI_API_KEY: gemini_api_key,  # type: ignore[dict-item]
            }
            secret: k8s.Secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": object_metadata(name=name, namespace=namespace, labels={"app": app_name or name}),
                "type": "Opaque",
                "stringData": self._string_data,
            }
            self.secret = emit(self, MAIN_ID, secret)
        #: The ``ExternalSecret``'s ``cdk8s.ApiObject`` with ``external`` (else ``None``).
        self.external_secret: cdk8s.ApiObject | None = None
        if external is not None:
            self._claim([("ExternalSecret", name), ("Secret", name)])
            self.external_secret = self._external_secret(external, name, namespace, app_name or name)
        main = self.secret or self.external_secret
        if main is not None:  # an existing Secret is nobody's object here
            self._expose(main)

    def _external_secret(self, external: ExternalSecretsProps, name: str, namespace: str | None,
                         app_name: str) -> cdk8s.ApiObject:
        """The ExternalSecret of the app Secret: the API keys, and for a StatefulSet database
        ``DATABASE_URL`` with the password from ``external.database``, URL-encoded."""
        from urllib.parse import quote

        data = {key: (external.app, external.app.property_of(key))
                for key in (self.COHERE_API_KEY, self.BETTER_AUTH_SECRET, self.GEMINI_API_KEY)}
        template = {key: f"{{{{ .{key} }}}}" for key in data}
        database = self.database
        if isinstance(database, PostgresDatabase):
            data = {"DATABASE_PASSWORD": (external.database, external.database.property_of("password")), **data}
            template = {self.DATABASE_URL: (
                f"postgresql://{quote(database.username, safe='')}:{url_escaped('DATABASE_PASSWORD')}@"
                f"{database.host_for(namespace)}:{database.port}/{quote(database.database_name, safe='')}"),
                **template}
        return external_secret(self, MAIN_ID, name=name, namespace=namespace, labels={"app": app_name},
                               props=external, data=data, template=template)

    def checksum(self, keys: Sequence[str]) -> str | None:
        """Always ``None``: a digest of secret data in a pod spec lets whoever may read pods test
        guesses offline. Use :meth:`revision_annotations` (kept for callers of 0.2)."""
        return None

    def revision_annotations(self) -> dict[str, str]:
        """The pod-template annotations of a consumer: this Secret's revision, and the database
        credentials' revision when ``DATABASE_URL`` (which embeds the password) is built here."""
        annotations = {SECRETS_REVISION: str(self.revision)}
        if self.manages_secret and isinstance(self.database, PostgresDatabase):
            annotations[CREDENTIALS_REVISION] = str(self.database.props.credentials_revision)
        return annotations

    def env(self, key: str) -> list[k8s.EnvVar]:
        """The environment variable ``key`` from this Secret; ``DATABASE_URL`` of a
        CloudNativePG database from the operator's Secret (see
        :meth:`CloudNativePgDatabase.url_env <taskora_constructs.CloudNativePgDatabase.url_env>`)."""
        if key == self.DATABASE_URL and is_cloudnative_pg_database(self.database):
            return [var.to_json() for var in self.database.url_env(key, self.namespace)]
        return [env_from(key, self.key_ref(key))]

    def key_ref(self, key: str) -> k8s.EnvVarSource:
        """A ``valueFrom`` for ``key``; raises if the Secret does not hold it."""
        if key not in self.keys:
            raise_if_any([Problem(where=tree.path_of(self), field="secretKeyRef.key", value=key,
                                  rule=f"must be a key of Secret {self.secret_name!r} ({', '.join(self.keys)})",
                                  fix="reference one of the defined keys")])
        return {"secretKeyRef": {"name": self.secret_name, "key": key}}
