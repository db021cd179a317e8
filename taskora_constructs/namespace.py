"""The Namespace every Taskora object lives in (model section 1)."""

from __future__ import annotations

from constructs import Construct

from . import rules
from . import k8s_types as k8s
from ._manifest import emit, object_metadata
from .errors import raise_if_any
import cdk8s

from ._scope import chart_namespace, claim
from .names import DEFAULT_NAMES

#: Written as the ``app.kubernetes.io/managed-by`` label. The model says ``helm``, which is
#: no longer true: these manifests come from cdk8s (deviation D1).
MANAGED_BY = "cdk8s"


class TaskoraNamespace(Construct):
    """A Namespace labelled ``app.kubernetes.io/name=<app>``.

    Attributes:
        namespace_name: the Namespace's name, for every namespaced object of the instance.
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str = DEFAULT_NAMES.namespace,
                 app_name: str = DEFAULT_NAMES.app) -> None:
        super().__init__(scope, construct_id)
        raise_if_any(rules.check_dns_label(self.node.path, "namespace", name))
        claim(self, [("Namespace", None, name)])
        self.namespace_name = name
        #: The Namespace's ``cdk8s.ApiObject`` (the escape hatch); also ``api_object``.
        namespace: k8s.Namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            # No metadata.namespace: a Namespace is cluster-scoped.
            "metadata": object_metadata(name=name, namespace=None, labels={
                "app.kubernetes.io/name": app_name,
                "app.kubernetes.io/managed-by": MANAGED_BY,
            }),
        }
        self.namespace = emit(self, "namespace", namespace)
        self.api_object = self.namespace
        self.node.default_child = self.namespace  # cdk8s.ApiObject.of(construct) finds it
        if chart_namespace(self) is not None:
            # cdk8s stamps the enclosing Chart's namespace on every object; a Namespace has none.
            self.namespace.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
