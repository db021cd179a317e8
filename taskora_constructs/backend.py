"""The FastAPI backend: Deployment and Service (model sections 2.2, 4.2)."""

from __future__ import annotations

from constructs import Construct

from ._workload import env_from
from .config import AppConfig
from .names import DEFAULT_NAMES
from .postgres import PostgresDatabase
from .props import BackendProps
from .secrets import AppSecrets
from .web import WebWorkload


class Backend(WebWorkload):
    """The backend API, wired to its config, secrets and database by construct, not by string.

    Environment: the model's ``DATABASE_URL``, ``COHERE_API_KEY``, ``BETTER_AUTH_SECRET``
    and ``APP_ENV``, plus the keys the model defines but left unconsumed (deviation D6):
    ``GEMINI_API_KEY`` from the Secret and ``LOG_LEVEL``, ``ENABLE_METRICS``,
    ``MAX_CONVERSATION_HISTORY``, ``CHAT_RATE_LIMIT`` from the ConfigMap.

    Args:
        config: the application ConfigMap.
        secrets: the application Secret (its ``DATABASE_URL`` points at ``database``).
        database: the database the backend uses.
        name / namespace: default ``taskora-backend`` / ``taskora``.
        props: replicas, image, resources, probes; defaults are the model's.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, secrets: AppSecrets,
                 database: PostgresDatabase, name: str = DEFAULT_NAMES.backend,
                 namespace: str = DEFAULT_NAMES.namespace, props: BackendProps = BackendProps()) -> None:
        self.database = database
        secret_keys = (AppSecrets.DATABASE_URL, AppSecrets.COHERE_API_KEY,
                       AppSecrets.BETTER_AUTH_SECRET)
        config_keys = (AppConfig.APP_ENV,)
        unconsumed_in_model_secret = (AppSecrets.GEMINI_API_KEY,)
        unconsumed_in_model_config = (AppConfig.LOG_LEVEL, AppConfig.ENABLE_METRICS,
                                      AppConfig.MAX_CONVERSATION_HISTORY, AppConfig.CHAT_RATE_LIMIT)
        env = ([env_from(key, secrets.key_ref(key)) for key in secret_keys]
               + [env_from(key, config.key_ref(key)) for key in config_keys]
               + [env_from(key, secrets.key_ref(key)) for key in unconsumed_in_model_secret]
               + [env_from(key, config.key_ref(key)) for key in unconsumed_in_model_config])
        # Roll the pods when exactly the entries they read change.
        annotations = {
            "checksum/config": config.checksum(config_keys + unconsumed_in_model_config),
            "checksum/secrets": secrets.checksum(secret_keys + unconsumed_in_model_secret),
        }
        super().__init__(scope, construct_id, name=name, namespace=namespace, component="backend",
                         container_name="backend", props=props, env=env, pod_annotations=annotations)

    @staticmethod
    def url_for(name: str, props: BackendProps) -> str:
        """The URL the backend named ``name`` will serve at (same-namespace clients)."""
        return f"http://{name}:{props.port}"
