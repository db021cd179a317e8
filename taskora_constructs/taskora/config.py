"""Non-secret application configuration: the ConfigMap (model section 5)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Sequence

from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core import rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.podspec import checksum
from ..core.errors import Problem, raise_if_any
from ..core.resource import MAIN_ID, TaskoraResource

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@frozen_props
class TaskoraSettings:
    """Application settings written to the ConfigMap. Every default is the model's.

    Attributes:
        app_env: ``APP_ENV`` (default ``production``).
        log_level: ``LOG_LEVEL``, one of debug, info, warning, error, critical (default ``info``).
        enable_metrics: ``ENABLE_METRICS`` (default true).
        max_conversation_history: ``MAX_CONVERSATION_HISTORY``, chat turns kept (default 20).
        chat_rate_limit: ``CHAT_RATE_LIMIT``, chat requests per minute (default 30).
    """

    app_env: str = field(default="production", metadata={"values_key": "APP_ENV"})
    log_level: str = field(default="info", metadata={"values_key": "LOG_LEVEL"})
    enable_metrics: bool = field(default=True, metadata={"values_key": "ENABLE_METRICS"})
    max_conversation_history: int = field(default=20, metadata={"values_key": "MAX_CONVERSATION_HISTORY"})
    chat_rate_limit: int = field(default=30, metadata={"values_key": "CHAT_RATE_LIMIT"})

    def __post_init__(self) -> None:
        where = "TaskoraSettings"
        problems: list[Problem] = []
        if not isinstance(self.app_env, str) or not rules.DNS1123_LABEL.fullmatch(self.app_env):
            problems.append(Problem(where=where, field="APP_ENV", value=self.app_env,
                                    rule="must be a short lower-case name", fix="use e.g. 'production'"))
        if self.log_level not in LOG_LEVELS:
            problems.append(Problem(where=where, field="LOG_LEVEL", value=self.log_level,
                                    rule=f"must be one of {', '.join(LOG_LEVELS)}", fix="use 'info'"))
        if not isinstance(self.enable_metrics, bool):
            problems.append(Problem(where=where, field="ENABLE_METRICS", value=self.enable_metrics,
                                    rule="must be a boolean", fix="write true or false"))
        problems += rules.check_positive_int(where, "MAX_CONVERSATION_HISTORY", self.max_conversation_history)
        problems += rules.check_positive_int(where, "CHAT_RATE_LIMIT", self.chat_rate_limit)
        raise_if_any(problems)


@frozen_props
class TaskoraConfigProps:
    """What the ConfigMap holds.

    Attributes:
        api_base_url: ``API_BASE_URL``, the backend URL; take it from
            :attr:`TaskoraBackend.url <taskora_constructs.TaskoraBackend.url>`, never type it.
        settings: the settings; defaults are the model's.
    """

    api_base_url: str
    settings: TaskoraSettings = field(default_factory=TaskoraSettings)


class TaskoraConfig(TaskoraResource):
    """The application ConfigMap.

    Consumers reference keys through :meth:`key_ref`, which refuses a key the ConfigMap does
    not define, so a typo fails the synth instead of the pod start.

    ``TaskoraConfig(scope, id, props)`` or the fields of :class:`TaskoraConfigProps` as keywords
    (``api_base_url=..., settings=...``).

    Args:
        name: ConfigMap name; default: the construct id as a DNS label.
        namespace: its namespace; default: the enclosing Chart's.
        app_name: value of its ``app`` label (default: its name).
    """

    NAME_RULE = staticmethod(rules.check_dns_subdomain)

    API_BASE_URL = "API_BASE_URL"
    APP_ENV = "APP_ENV"
    LOG_LEVEL = "LOG_LEVEL"
    ENABLE_METRICS = "ENABLE_METRICS"
    MAX_CONVERSATION_HISTORY = "MAX_CONVERSATION_HISTORY"
    CHAT_RATE_LIMIT = "CHAT_RATE_LIMIT"

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraConfigProps | None = None, *,
                 name: str | None = None, namespace: str | None = None,
                 app_name: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(TaskoraConfigProps, props, props_fields)
        name, namespace = self.name, self.namespace
        api_base_url, settings = props.api_base_url, props.settings
        self._claim([("ConfigMap", name)])
        self.config_map_name = name
        self.settings = settings
        self.data: dict[str, str] = {
            self.API_BASE_URL: api_base_url,
            self.APP_ENV: settings.app_env,
            self.LOG_LEVEL: settings.log_level,
            self.ENABLE_METRICS: "true" if settings.enable_metrics else "false",
            self.MAX_CONVERSATION_HISTORY: str(settings.max_conversation_history),
            self.CHAT_RATE_LIMIT: str(settings.chat_rate_limit),
        }
        #: The ConfigMap's ``cdk8s.ApiObject`` (the escape hatch); also ``api_object``.
        config_map: k8s.ConfigMap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_metadata(name=name, namespace=namespace, labels={"app": app_name or name}),
            "data": self.data,
        }
        self.config_map = emit(self, MAIN_ID, config_map)
        self._expose(self.config_map)

    def checksum(self, keys: Sequence[str]) -> str:
        """Checksum of the entries ``keys``, for the annotation that rolls their consumers."""
        return checksum({key: self.data[key] for key in keys})

    def key_ref(self, key: str) -> k8s.EnvVarSource:
        """A ``valueFrom`` for ``key``; raises if the ConfigMap does not define it."""
        if key not in self.data:
            raise_if_any([Problem(where=tree.path_of(self), field="configMapKeyRef.key", value=key,
                                  rule=f"must be a key of ConfigMap {self.config_map_name!r} "
                                       f"({', '.join(self.data)})",
                                  fix="reference one of the defined keys")])
        return {"configMapKeyRef": {"name": self.config_map_name, "key": key}}
