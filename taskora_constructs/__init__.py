"""Typed cdk8s constructs for Taskora: frontend, backend, PostgreSQL, config, secrets, ingress.

Use :class:`Taskora` for the whole documented deployment, or any construct on its own inside
your own charts: :class:`WebWorkload` for any HTTP service, :class:`PostgresDatabase` for any
service's database (:class:`CloudNativePgDatabase` for an operator-run, replicated one),
:class:`HttpRoute` for any Service behind a Gateway API Gateway. Every construct is
``Construct(scope, id, props)``, takes its namespace from the enclosing Chart and its name
from its id unless told otherwise, checks itself when it is built, and exposes the
``cdk8s.ApiObject`` of each object it creates. The whole-app reference lint
(:class:`TaskoraValidation`) is opt-in. cdk8s-plus-28 interop lives in
``taskora_constructs.plus`` (imported only when used).
"""

from typing import TYPE_CHECKING

from .taskora.backend import TaskoraBackend, TaskoraBackendProps
from .database.backup import OffSiteBackup, PostgresBackup
from .database.cloudnative_pg_props import CloudNativePgOptions, CloudNativePgProps, ObjectStoreBackup, PgBouncerPooler
from .taskora.config import TaskoraConfig, TaskoraConfigProps, TaskoraSettings
from .core.errors import Problem, TaskoraConfigError
from .core.external_secrets import ExternalSecretsProps, RemoteSecret, SecretStoreRef
from .taskora.frontend import TaskoraFrontend, TaskoraFrontendProps
from .routing.httproute import GatewayParentRef, HttpRoute, HttpRouteProps, HttpRouteRule
from .taskora.ingress import GatewayRouting, IngressTLS, TaskoraIngress, TaskoraIngressProps
from .taskora.names import DEFAULT_APP_NAME, TaskoraNames
from .taskora.namespace import TaskoraNamespace, TaskoraNamespaceProps
from .lint import (Declarations, ExternalSecret, TaskoraValidation, check_manifests, config_error_from_synth,
                   declare_external_secret)
from .network.policy import (Allow, NamespaceNetworkPolicy, NetworkPeer, NetworkPolicyProps, WorkloadNetworkPolicy,
                             WorkloadNetworkPolicyProps)
from .core.pod import EnvVar, PodOptions
from .database.contract import DatabaseEndpoint
from .database.postgres import PostgresDatabase, PostgresProps
from .database.postgres_props import DatabaseProps
from .core.props import Autoscaling, ComputeResources, DisruptionBudget, Probes, ProbeTiming, Resources, WorkloadProps
from .taskora.secrets import TaskoraSecrets, TaskoraSecretsProps
from .database.storage import RetainedStorageClass
from .taskora.composite import Taskora, TaskoraProps, TaskoraSecretValues
from .web.workload import WebWorkload, WebWorkloadProps

if TYPE_CHECKING:
    from .database.cloudnative_pg import CloudNativePgDatabase

    #: The installed distribution's version (``taskora-constructs``, see pyproject.toml).
    __version__: str
else:
    def __getattr__(name: str) -> object:
        """The names read on first use (issue #22), each for what a default synth never needs:
        ``__version__`` (importlib.metadata and the ``email`` package it loads, ~9 ms of
        start-up) and the CloudNativePG construct (its module loads with the first Cluster)."""
        if name == "CloudNativePgDatabase":
            from .database.cloudnative_pg import CloudNativePgDatabase as value
        elif name == "__version__":
            from importlib import metadata
            try:
                value = metadata.version("taskora-constructs")
            except metadata.PackageNotFoundError:  # used from a source tree without installing it
                value = "0+unknown"
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value

__all__ = [
    "Allow",
    "Autoscaling",
    "CloudNativePgDatabase",
    "CloudNativePgOptions",
    "CloudNativePgProps",
    "ComputeResources",
    "DEFAULT_APP_NAME",
    "DatabaseEndpoint",
    "DatabaseProps",
    "Declarations",
    "DisruptionBudget",
    "EnvVar",
    "ExternalSecret",
    "ExternalSecretsProps",
    "GatewayParentRef",
    "GatewayRouting",
    "HttpRoute",
    "HttpRouteProps",
    "HttpRouteRule",
    "IngressTLS",
    "NamespaceNetworkPolicy",
    "NetworkPeer",
    "NetworkPolicyProps",
    "ObjectStoreBackup",
    "OffSiteBackup",
    "PgBouncerPooler",
    "PodOptions",
    "PostgresBackup",
    "PostgresDatabase",
    "PostgresProps",
    "ProbeTiming",
    "Probes",
    "Problem",
    "RemoteSecret",
    "Resources",
    "RetainedStorageClass",
    "SecretStoreRef",
    "Taskora",
    "TaskoraBackend",
    "TaskoraBackendProps",
    "TaskoraConfig",
    "TaskoraConfigError",
    "TaskoraConfigProps",
    "TaskoraFrontend",
    "TaskoraFrontendProps",
    "TaskoraIngress",
    "TaskoraIngressProps",
    "TaskoraNames",
    "TaskoraNamespace",
    "TaskoraNamespaceProps",
    "TaskoraProps",
    "TaskoraSecretValues",
    "TaskoraSecrets",
    "TaskoraSecretsProps",
    "TaskoraSettings",
    "TaskoraValidation",
    "WebWorkload",
    "WebWorkloadProps",
    "WorkloadNetworkPolicy",
    "WorkloadNetworkPolicyProps",
    "WorkloadProps",
    "check_manifests",
    "config_error_from_synth",
    "declare_external_secret",
]
