"""The Next.js frontend: the documented model's preset of :class:`WebWorkload` (model sections 2.1, 4.1)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Mapping

from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core import policy
from ..core.resource import TaskoraResource
from ..core.podspec import env_from
from .config import TaskoraConfig
from ..core.errors import Problem, raise_if_any
from ..core.props import Probes, Resources, _probes, _resources
from ..web.workload import WebWorkload, WebWorkloadProps


# --- The web presets' documented exceptions (their props' defaults; TaskoraBackend shares them) ----

#: The model's local images: built into the node as ``:latest``, loaded, never pulled.
LOCAL_IMAGE_EXCEPTIONS: Mapping[str, str] = {
    policy.IMAGE_TAG_FIXED: "documented local image: built into the node as :latest, never pulled",
    policy.IMAGE_PULL_ALWAYS: "documented local image: loaded into the node, so IfNotPresent (Always would fail to pull)",
    policy.IMAGE_DIGEST: "documented local image: loaded into the node, it has no registry digest",
}
#: The images' own app user, the model's uid 1001 (the presets' ``run_as_user`` default).
APP_USER_EXCEPTIONS: Mapping[str, str] = {
    policy.HIGH_UID: "runs as the image's own non-root user, the documented uid 1001"}
#: TaskoraFrontend defaults: the model's image (``:latest``, IfNotPresent) and user (1001).
FRONTEND_EXCEPTIONS: Mapping[str, str] = {**LOCAL_IMAGE_EXCEPTIONS, **APP_USER_EXCEPTIONS}


def web_preset_documented(image: str, uid: int) -> Mapping[str, policy.InUse]:
    """reason -> "is the value it explains in use?" for a web preset whose props document
    ``image`` (the image exceptions hold at its repository and tag only) and ``uid``."""
    image_in_use, user_in_use = policy.image_in_use(image), policy.user_in_use(uid)
    return {**{reason: image_in_use for reason in LOCAL_IMAGE_EXCEPTIONS.values()},
            **{reason: user_in_use for reason in APP_USER_EXCEPTIONS.values()}}


@frozen_props
class TaskoraFrontendProps(WebWorkloadProps):
    """The Next.js frontend (model section 2.1). Every default is the model's."""

    #: Pods (model: 2), replicas: 2.
    replicas: int = 2
    #: Container image (model): taskora/frontend:latest.
    image: str = "taskora/frontend:latest"
    #: Requests 100m CPU / 128Mi, limits 500m / 512Mi (model).
    resources: Resources = field(default_factory=lambda: _resources("100m", "128Mi", "500m", "512Mi"))
    #: Liveness after 30 s every 10 s (5 s timeout), readiness after 5 s every 5 s (3 s) (model).
    probes: Probes = field(default_factory=lambda: _probes(liveness_delay=30, readiness_delay=5))
    #: Container and Service port (model): 3000.
    port: int = 3000
    #: Probe path (model): /api/health.
    health_path: str = "/api/health"
    #: Next.js writes its cache (ISR pages, optimized images) under ``.next/cache`` of its
    #: working directory (``/app`` in the standard image), and temporary files to ``/tmp``.
    writable_paths: tuple[str, ...] = ("/app/.next/cache", "/tmp")
    #: Room for the Next.js cache: 512Mi per directory.
    writable_size_limit: str = "512Mi"
    #: The model's image (:latest, IfNotPresent, no digest) and user 1001 (FRONTEND_EXCEPTIONS).
    policy_exceptions: Mapping[str, str] = field(default_factory=lambda: dict(FRONTEND_EXCEPTIONS))

    def _documented_exceptions(self) -> Mapping[str, policy.InUse]:
        return _FRONTEND_DOCUMENTED


#: FRONTEND_EXCEPTIONS hold while TaskoraFrontendProps' own default image and user are in use (the
#: reasons' words are about them); another image or user leaves its findings to its caller.
_FRONTEND_DOCUMENTED = web_preset_documented(TaskoraFrontendProps.image, TaskoraFrontendProps.run_as_user)


class TaskoraFrontend(WebWorkload):
    """The web frontend; ``NEXT_PUBLIC_API_URL`` comes from the ConfigMap's ``API_BASE_URL``.

    Args:
        config: the application ConfigMap; its ``API_BASE_URL`` must be ``backend.url``.
        backend: the backend the frontend calls.
        props: :class:`TaskoraFrontendProps` (or its fields as keyword arguments); defaults are the model's.
        name / namespace: default: the construct id / the enclosing Chart's namespace.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraFrontendProps | None = None, *,
                 config: TaskoraConfig, backend: WebWorkload, name: str | None = None, namespace: str | None = None,
                 **props_fields: Any) -> None:
        TaskoraResource.__init__(self, scope, construct_id, name=name, namespace=namespace)
        props = self._props(TaskoraFrontendProps, props, props_fields)
        env = [env_from("NEXT_PUBLIC_API_URL", config.key_ref(TaskoraConfig.API_BASE_URL))]
        self.backend = backend
        configured = config.data[TaskoraConfig.API_BASE_URL]
        if configured != backend.url:
            raise_if_any([Problem(
                where=tree.path_of(self), field=f"{config.config_map_name}.{TaskoraConfig.API_BASE_URL}",
                value=configured, rule=f"must be the backend's URL ({backend.url})",
                fix="build TaskoraConfig with api_base_url=backend.url (or TaskoraBackend.url_for(name, props))")])
        self._build(props, component="frontend", container_name="frontend", env=env,
                    pod_annotations={"checksum/config": config.checksum([TaskoraConfig.API_BASE_URL])})
