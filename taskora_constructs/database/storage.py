"""A StorageClass whose volumes outlive their claims (``reclaimPolicy: Retain``): the last
line of the database's deletion protection (docs/decisions.md, "Teardown keeps the data")."""

from __future__ import annotations

import json
import re
from dataclasses import field
from typing import Mapping

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.scope import book_of
from ..core.errors import Problem, raise_if_any

#: A provisioner name: a DNS subdomain, optionally ``/`` and a path segment
#: (``ebs.csi.aws.com``, ``k8s.io/minikube-hostpath``, ``rancher.io/local-path``).
_PROVISIONER = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
VOLUME_BINDING_MODES = ("Immediate", "WaitForFirstConsumer")


@frozen_props
class RetainedStorageClass:
    """A StorageClass the database construct creates for its claims, with ``reclaimPolicy:
    Retain``: when a claim is deleted (by hand, or with its namespace) its PersistentVolume
    and the data on it stay (phase ``Released``) until someone deletes the volume.

    The reclaim policy is copied into each volume when it is provisioned, so it protects
    the data even after the StorageClass itself is deleted (``kubectl delete -f dist/``
    deletes it; ``kubectl apply -f dist/`` recreates it). A StorageClass cannot be changed
    once created: keep its fields as they are, or give it another name.

    Attributes:
        provisioner: the volume plugin: default ``k8s.io/minikube-hostpath``, the provisioner
            of minikube's ``standard`` class that the model uses; e.g. ``ebs.csi.aws.com``,
            ``pd.csi.storage.gke.io``, ``rancher.io/local-path`` (kind).
        parameters: the provisioner's parameters (e.g. ``{type: gp3}``); default none.
        volume_binding_mode: ``Immediate`` (default, as minikube's class) or
            ``WaitForFirstConsumer`` (zonal cloud disks: provision where the pod runs).
        allow_volume_expansion: let a claim grow (if the provisioner can); default false.
    """

    provisioner: str = "k8s.io/minikube-hostpath"
    parameters: Mapping[str, str] = field(default_factory=dict)
    volume_binding_mode: str = "Immediate"
    allow_volume_expansion: bool = False

    def problems(self, where: str) -> list[Problem]:
        found = []
        if not isinstance(self.provisioner, str) or len(self.provisioner) > 253 \
                or not _PROVISIONER.fullmatch(self.provisioner):
            found.append(Problem(where=where, field="provisioner", value=self.provisioner,
                                 rule="must be a provisioner name (a DNS subdomain, optionally '/' and a name)",
                                 fix="use your cluster's CSI driver, e.g. 'ebs.csi.aws.com' "
                                     "(kubectl get storageclass shows it)"))
        if not isinstance(self.parameters, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.parameters.items()):
            found.append(Problem(where=where, field="parameters", value=self.parameters,
                                 rule="must map strings to strings", fix="quote every value, e.g. {type: 'gp3'}"))
        if self.volume_binding_mode not in VOLUME_BINDING_MODES:
            found.append(Problem(where=where, field="volumeBindingMode", value=self.volume_binding_mode,
                                 rule=f"must be one of {', '.join(VOLUME_BINDING_MODES)}",
                                 fix="use WaitForFirstConsumer for zonal disks, Immediate otherwise"))
        if not isinstance(self.allow_volume_expansion, bool):
            found.append(Problem(where=where, field="allowVolumeExpansion", value=self.allow_volume_expansion,
                                 rule="must be a boolean", fix="write true or false"))
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))

    def to_json(self, name: str, labels: Mapping[str, str]) -> k8s.StorageClass:
        body: k8s.StorageClass = {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": object_metadata(name=name, namespace=None, labels=labels),
            "provisioner": self.provisioner,
            "reclaimPolicy": "Retain",
            "volumeBindingMode": self.volume_binding_mode,
            "allowVolumeExpansion": self.allow_volume_expansion,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def emit_storage_class(scope: Construct, construct_id: str, name: str, storage_class: RetainedStorageClass,
                       labels: Mapping[str, str]) -> cdk8s.ApiObject | None:
    """Emit the StorageClass ``name`` unless the library already emitted the same one in this
    App (a StorageClass is cluster-wide: two databases may share it); a different one under
    the same name is refused. Returns the object, or ``None`` when it was already emitted."""
    body = storage_class.to_json(name, labels)
    spec = json.dumps({k: v for k, v in body.items() if k != "metadata"}, sort_keys=True)
    book = book_of(scope)
    emitted = book.storage_classes.get(name)
    if emitted is not None:
        if emitted[1] != spec:
            raise_if_any([Problem(where=tree.path_of(scope), field="storageClassName", value=name,
                                  rule=f"StorageClass {name} is already created by {emitted[0]} with other settings",
                                  fix="give one of the two databases another storageClassName")])
        return None
    book.storage_classes[name] = (tree.path_of(scope), spec)
    api_object = emit(scope, construct_id, body)
    if tree.chart_metadata(scope)[0]:  # cluster-scoped
        api_object.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
    return api_object
