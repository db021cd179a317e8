"""Typed cdk8s constructs for Taskora: frontend, backend, PostgreSQL, config, secrets, ingress.

Use :class:`Taskora` for the whole documented deployment, or any construct on its own
inside your own charts. Every props default is the documented model's value.
"""

from importlib import metadata as _metadata

from .backend import Backend
from .config import AppConfig, AppSettings
from .errors import Problem, TaskoraConfigError
from .frontend import Frontend
from .ingress import IngressProps, TaskoraIngress
from .names import DEFAULT_APP_NAME, TaskoraNames
from .namespace import TaskoraNamespace
from .network import Allow, NamespaceNetworkPolicy, NetworkPeer, NetworkPolicyProps, WorkloadNetworkPolicy
from .postgres import PostgresDatabase
from .props import (Autoscaling, BackendProps, ComputeResources, DisruptionBudget, FrontendProps, PostgresBackup,
                    PostgresProps, Probes, ProbeTiming, Resources)
from .secrets import AppSecrets
from .taskora import Taskora, TaskoraProps, TaskoraSecretValues
from .validation import (Declarations, ExternalSecret, TaskoraValidation, check_manifests,
                         config_error_from_synth, declare_external_secret)
from .web import WebWorkload

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
    "ComputeResources",
    "DEFAULT_APP_NAME",
    "Declarations",
    "DisruptionBudget",
    "ExternalSecret",
    "Frontend",
    "FrontendProps",
    "IngressProps",
    "NamespaceNetworkPolicy",
    "NetworkPeer",
    "NetworkPolicyProps",
    "PostgresBackup",
    "PostgresDatabase",
    "PostgresProps",
    "Problem",
    "ProbeTiming",
    "Probes",
    "Resources",
    "Taskora",
    "TaskoraConfigError",
    "TaskoraIngress",
    "TaskoraNames",
    "TaskoraNamespace",
    "TaskoraProps",
    "TaskoraSecretValues",
    "TaskoraValidation",
    "WebWorkload",
    "WorkloadNetworkPolicy",
    "check_manifests",
    "config_error_from_synth",
    "declare_external_secret",
]
