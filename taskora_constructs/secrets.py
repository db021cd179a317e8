"""Application secrets: the Secret the backend reads (model section 6.1)."""

from __future__ import annotations

from constructs import Construct

from . import rules
from ._manifest import Json, emit, object_metadata
from .errors import Problem, raise_if_any
from .names import DEFAULT_NAMES
from .postgres import PostgresDatabase


class AppSecrets(Construct):
    """The application Secret: ``DATABASE_URL`` derived from the database, plus API keys.

    ``DATABASE_URL`` is never typed: it is built from the database construct's service,
    port, database name and credentials (deviation D3), for clients in ``namespace``.

    Args:
        database: the database the backend connects to.
        cohere_api_key / better_auth_secret / gemini_api_key: the secret values (non-empty).
        name: Secret name (default ``taskora-secrets``); namespace and app label as usual.
    """

    DATABASE_URL = "DATABASE_URL"
    COHERE_API_KEY = "COHERE_API_KEY"
    BETTER_AUTH_SECRET = "BETTER_AUTH_SECRET"
    GEMINI_API_KEY = "GEMINI_API_KEY"

    def __init__(self, scope: Construct, construct_id: str, *, database: PostgresDatabase,
                 cohere_api_key: str, better_auth_secret: str, gemini_api_key: str,
                 name: str = DEFAULT_NAMES.secrets, namespace: str = DEFAULT_NAMES.namespace,
                 app_name: str = DEFAULT_NAMES.app) -> None:
        super().__init__(scope, construct_id)
        where = self.node.path
        raise_if_any(rules.check_dns_subdomain(where, "name", name)
                     + rules.check_non_empty(where, "cohereApiKey", cohere_api_key)
                     + rules.check_non_empty(where, "betterAuthSecret", better_auth_secret)
                     + rules.check_non_empty(where, "geminiApiKey", gemini_api_key))
        self.secret_name = name
        self.namespace = namespace
        self.database = database
        self.keys = (self.DATABASE_URL, self.COHERE_API_KEY, self.BETTER_AUTH_SECRET, self.GEMINI_API_KEY)
        emit(self, "secret", {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": object_metadata(name=name, namespace=namespace, labels={"app": app_name}),
            "type": "Opaque",
            "stringData": {
                self.DATABASE_URL: database.connection_url(namespace),
                self.COHERE_API_KEY: cohere_api_key,
                self.BETTER_AUTH_SECRET: better_auth_secret,
                self.GEMINI_API_KEY: gemini_api_key,
            },
        })

    def key_ref(self, key: str) -> Json:
        """A ``valueFrom`` for ``key``; raises if the Secret does not hold it."""
        if key not in self.keys:
            raise_if_any([Problem(where=self.node.path, field="secretKeyRef.key", value=key,
                                  rule=f"must be a key of Secret {self.secret_name!r} ({', '.join(self.keys)})",
                                  fix="reference one of the defined keys")])
        return {"secretKeyRef": {"name": self.secret_name, "key": key}}
