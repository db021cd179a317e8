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

from importlib import metadata as _metadata

from .backend import Backend, BackendProps
from .backup import OffSiteBackup, PostgresBackup
from .cloudnative_pg import CloudNativePgDatabase
from .cnpg_props import CloudNativePgOptions, ObjectStoreBackup, PgBouncerPooler
from .config import AppConfig, AppSettings
from .errors import Problem, TaskoraConfigError
from .frontend import Frontend, FrontendProps
from .gateway import GatewayParentRef, HttpRoute, HttpRouteProps, HttpRouteRule
from .ingress import GatewayRouting, IngressProps, IngressTLS, TaskoraIngress
from .names import DEFAULT_APP_NAME, TaskoraNames
from .namespace import TaskoraNamespace
from .lint import (Declarations, ExternalSecret, TaskoraValidation, check_manifests, config_error_from_synth,
                   declare_external_secret)
from .network import Allow, NamespaceNetworkPolicy, NetworkPeer, NetworkPolicyProps, WorkloadNetworkPolicy
from .pod import EnvVar, PodOptions
from .postgres import PostgresDatabase, PostgresProps
from .props import Autoscaling, ComputeResources, DisruptionBudget, Probes, ProbeTiming, Resources, WorkloadProps
from .secrets import AppSecrets
from .storage import RetainedStorageClass
from .taskora import Taskora, TaskoraProps, TaskoraSecretValues
from .web import WebWorkload, WebWorkloadProps

try:
    #: The installed distribution's version (``taskora-constructs``, see pyproject.toml).
    __version__ = _metadata.version("taskora-constructs")
except _metadata.PackageNotFoundError:  # used from a source tree without installing it
    __version__ = "0+unknown"

__all__ = [
    "Allow",
    "AppConfig",
    "AppSecrets",
    "AppSettings",
    "Autoscaling",
    "Backend",
    "BackendProps",
    "CloudNativePgDatabase",
    "CloudNativePgOptions",
    "ComputeResources",
    "DEFAULT_APP_NAME",
    "Declarations",
    "DisruptionBudget",
    "EnvVar",
    "ExternalSecret",
    "Frontend",
    "FrontendProps",
    "GatewayParentRef",
    "GatewayRouting",
    "HttpRoute",
    "HttpRouteProps",
    "HttpRouteRule",
    "IngressProps",
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
    "Problem",
    "ProbeTiming",
    "Probes",
    "Resources",
    "RetainedStorageClass",
    "Taskora",
    "TaskoraConfigError",
    "TaskoraIngress",
    "TaskoraNames",
    "TaskoraNamespace",
    "TaskoraProps",
    "TaskoraSecretValues",
    "TaskoraValidation",
    "WebWorkload",
    "WebWorkloadProps",
    "WorkloadProps",
    "WorkloadNetworkPolicy",
    "check_manifests",
    "config_error_from_synth",
    "declare_external_secret",
]
