"""The Next.js frontend: Deployment and Service (model sections 2.1, 4.1)."""

from __future__ import annotations

from constructs import Construct

from ._workload import env_from
from .config import AppConfig
from .errors import Problem, raise_if_any
from .names import DEFAULT_NAMES
from .props import FrontendProps
from .web import WebWorkload


class Frontend(WebWorkload):
    """The web frontend; ``NEXT_PUBLIC_API_URL`` comes from the ConfigMap's ``API_BASE_URL``.

    Args:
        config: the application ConfigMap; its ``API_BASE_URL`` must be ``backend.url``.
        backend: the backend the frontend calls.
        name / namespace: default ``taskora-frontend`` / ``taskora``.
        props: replicas, image, resources, probes; defaults are the model's.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, backend: "WebWorkload",
                 name: str = DEFAULT_NAMES.frontend, namespace: str = DEFAULT_NAMES.namespace,
                 props: FrontendProps = FrontendProps()) -> None:
        env = [env_from("NEXT_PUBLIC_API_URL", config.key_ref(AppConfig.API_BASE_URL))]
        super().__init__(scope, construct_id, name=name, namespace=namespace, component="frontend",
                         container_name="frontend", props=props, env=env,
                         pod_annotations={"checksum/config": config.checksum([AppConfig.API_BASE_URL])})
        self.backend = backend
        configured = config.data[AppConfig.API_BASE_URL]
        if configured != backend.url:
            raise_if_any([Problem(
                where=self.node.path, field=f"{config.config_map_name}.{AppConfig.API_BASE_URL}",
                value=configured, rule=f"must be the backend's URL ({backend.url})",
                fix="build AppConfig with api_base_url=Backend.url_for(name, props)")])
