"""The whole-app reference lint, opt-in: :class:`TaskoraValidation` and the pure :func:`check_manifests`.

``model`` holds the data it works on, ``index`` indexes an app's objects and runs every rule,
``pods`` and ``routing`` hold the rules, ``app`` the construct a cdk8s app switches it on with.
"""

from .app import TaskoraValidation, config_error_from_synth, declare_external_secret, require_secret_keys
from .index import check_manifests
from .model import (CLUSTER_SCOPED_KINDS, NAMESPACED_KINDS, Declarations, ExternalSecret, Manifest,
                    RequiredSecretKeys)

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "Declarations",
    "ExternalSecret",
    "Manifest",
    "NAMESPACED_KINDS",
    "RequiredSecretKeys",
    "TaskoraValidation",
    "check_manifests",
    "config_error_from_synth",
    "declare_external_secret",
    "require_secret_keys",
]
