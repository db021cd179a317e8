"""The FastAPI backend: the documented model's preset of :class:`WebWorkload` (model sections 2.2, 4.2)."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, Mapping

from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core import policy
from ..core.resource import TaskoraResource
from ..core.podspec import env_from
from .config import TaskoraConfig
from .frontend import APP_USER_EXCEPTIONS, LOCAL_IMAGE_EXCEPTIONS, web_preset_documented
from ..database.postgres import PostgresDatabase
from ..core.props import ProbeTiming, Probes, Resources, _probes, _resources
from .secrets import TaskoraSecrets
from ..web.workload import WebWorkload, WebWorkloadProps

if TYPE_CHECKING:  # imported where a Cluster is made (taskora_constructs.database)
    from ..database.cloudnative_pg import CloudNativePgDatabase


#: TaskoraBackend defaults: as the frontend, plus its documented environment contract.
BACKEND_EXCEPTIONS: Mapping[str, str] = {
    **LOCAL_IMAGE_EXCEPTIONS, **APP_USER_EXCEPTIONS,
    policy.SECRETS_AS_FILES: "the app reads DATABASE_URL and its API keys from the environment (documented env)",
}


@frozen_props
class TaskoraBackendProps(WebWorkloadProps):
    """The FastAPI backend (model section 2.2). Every default is the model's."""

    #: Pods (model: 3), replicas: 3.
    replicas: int = 3
    #: Container image (model): taskora/backend:latest.
    image: str = "taskora/backend:latest"
    #: Requests 200m CPU / 256Mi, limits 1000m / 1Gi (model).
    resources: Resources = field(default_factory=lambda: _resources("200m", "256Mi", "1000m", "1Gi"))
    #: Plus a startup probe: the LLM client libraries make the first start slow; it allows
    #: 2 minutes before liveness takes over.
    probes: Probes = field(default_factory=lambda: _probes(
        liveness_delay=30, readiness_delay=10,
        startup=ProbeTiming(initial_delay_seconds=0, period_seconds=5, timeout_seconds=3, failure_threshold=24)))
    #: Container and Service port (model): 8000.
    port: int = 8000
    #: Probe path (model): /health.
    health_path: str = "/health"
    #: uvicorn writes only temporary files (request bodies spooled to disk) to ``/tmp``.
    writable_paths: tuple[str, ...] = ("/tmp",)
    #: As the frontend's, plus its env contract (BACKEND_EXCEPTIONS).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(BACKEND_EXCEPTIONS))

    def _documented_exceptions(self) -> Mapping[str, policy.InUse]:
        return _BACKEND_DOCUMENTED


#: As the frontend's, for TaskoraBackendProps' own default image and user. The env contract's
#: exception is the construct's (it reads the secrets from env whatever the image): no value.
_BACKEND_DOCUMENTED = web_preset_documented(TaskoraBackendProps.image, TaskoraBackendProps.run_as_user)


class TaskoraBackend(WebWorkload):
    """The backend API, wired to its config, secrets and database by construct, not by string.

    Environment: the model's ``DATABASE_URL``, ``COHERE_API_KEY``, ``BETTER_AUTH_SECRET``
    and ``APP_ENV``, plus the keys the model defines but left unconsumed (deviation D6):
    ``GEMINI_API_KEY`` from the Secret and ``LOG_LEVEL``, ``ENABLE_METRICS``,
    ``MAX_CONVERSATION_HISTORY``, ``CHAT_RATE_LIMIT`` from the ConfigMap. For another
    service's API use :class:`WebWorkload`, with ``env`` from any Secret or ConfigMap.

    Args:
        config: the application ConfigMap.
        secrets: the application Secret (its ``DATABASE_URL`` points at ``database``; for a
            CloudNativePG database it comes from the operator's Secret instead).
        database: the database the backend uses.
        props: :class:`TaskoraBackendProps` (or its fields as keyword arguments); defaults are the model's.
        name / namespace: default: the construct id / the enclosing Chart's namespace.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraBackendProps | None = None, *,
                 config: TaskoraConfig, secrets: TaskoraSecrets, database: PostgresDatabase | CloudNativePgDatabase,
                 name: str | None = None,
                 namespace: str | None = None, **props_fields: Any) -> None:
        TaskoraResource.__init__(self, scope, construct_id, name=name, namespace=namespace)
        props = self._props(TaskoraBackendProps, props, props_fields)
        self.database = database
        secret_keys = (TaskoraSecrets.DATABASE_URL, TaskoraSecrets.COHERE_API_KEY,
                       TaskoraSecrets.BETTER_AUTH_SECRET)
        config_keys = (TaskoraConfig.APP_ENV,)
        unconsumed_in_model_secret = (TaskoraSecrets.GEMINI_API_KEY,)
        unconsumed_in_model_config = (TaskoraConfig.LOG_LEVEL, TaskoraConfig.ENABLE_METRICS,
                                      TaskoraConfig.MAX_CONVERSATION_HISTORY, TaskoraConfig.CHAT_RATE_LIMIT)
        env = ([var for key in secret_keys for var in secrets.env(key)]
               + [env_from(key, config.key_ref(key)) for key in config_keys]
               + [var for key in unconsumed_in_model_secret for var in secrets.env(key)]
               + [env_from(key, config.key_ref(key)) for key in unconsumed_in_model_config])
        # Roll the pods when the config entries they read change, or the secrets' revision.
        annotations = {
            "checksum/config": config.checksum(config_keys + unconsumed_in_model_config),
            **secrets.revision_annotations(),
        }
        self._build(props, component="backend", container_name="backend", env=env, pod_annotations=annotations)

    @staticmethod
    def url_for(name: str, props: TaskoraBackendProps | None = None) -> str:
        """The URL the backend named ``name`` will serve at (same-namespace clients)."""
        props = props or TaskoraBackendProps()
        port = props.service_port if props.service_port is not None else props.port
        return f"http://{name}:{port}"
