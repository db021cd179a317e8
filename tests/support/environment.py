"""What the tests keep of the shell's TASKORA_* variables: the control plane `make cluster-test`
starts (its kubeconfig and kubectl; no secret value). Read when first imported, which conftest.py
does before it deletes every TASKORA_* variable (so no developer's secret reaches a test)."""

from __future__ import annotations

import os

CLUSTER_VARIABLES = ("TASKORA_CLUSTER_KUBECONFIG", "TASKORA_CLUSTER_KUBECTL")
CLUSTER_ENVIRONMENT = {v: os.environ[v] for v in CLUSTER_VARIABLES if v in os.environ}
