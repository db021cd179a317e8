"""The lint's data model: what the app declares about the world outside it, and the objects
as the checks see them (a manifest with where it came from, a pod spec with its path)."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ..core.frozen import frozen_props
from ..core import rules
from ..core.errors import Problem, raise_if_any

Manifest = Mapping[str, Any]

#: Kinds whose objects live in a namespace; an object of these kinds without
#: ``metadata.namespace`` lands in whatever namespace kubectl's context points at.
NAMESPACED_KINDS = frozenset({
    "ConfigMap", "ControllerRevision", "CronJob", "DaemonSet", "Deployment", "Endpoints", "EndpointSlice",
    "Event", "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange", "NetworkPolicy",
    "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet",
    "ReplicationController", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount",
    "StatefulSet", "HTTPRoute", "GRPCRoute", "Gateway", "ReferenceGrant", "Cluster", "ScheduledBackup", "Pooler",
    "ExternalSecret", "ObjectStore",
})
#: Kinds without a namespace: a ``metadata.namespace`` on them means nothing.
CLUSTER_SCOPED_KINDS = frozenset({
    "APIService", "CSIDriver", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "GatewayClass",
    "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
    "RuntimeClass", "StorageClass", "ValidatingWebhookConfiguration",
})
#: Long-running workloads: the model's rules (requests, probes, replicas) apply to them.
LONG_RUNNING_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
#: Kinds whose name becomes a DNS label (Service and Namespace names, StatefulSet pod hostnames).
DNS_LABEL_NAMED_KINDS = frozenset({"Namespace", "Service", "StatefulSet"})
#: Model rule (section 11): no volume claim below this (the database props' own rule).
MIN_STORAGE = rules.MIN_STORAGE

_QUANTITY_EXAMPLES = {"cpu": "250m", "memory": "256Mi", "storage": "10Gi", "ephemeral-storage": "1Gi"}


# --- What the app declares about the world outside it ------------------------------------

@frozen_props
class ExternalSecret:
    """A Secret the app references but does not create (managed by an operator or by hand).

    Attributes:
        name / namespace: where the Secret is.
        keys: the keys it is known to hold; references to any other key are refused.
    """

    name: str
    namespace: str
    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        where = f"ExternalSecret {self.namespace}/{self.name}"
        problems = (rules.check_dns_subdomain(where, "name", self.name)
                    + rules.check_dns_label(where, "namespace", self.namespace))
        if isinstance(self.keys, str) or not self.keys:
            problems.append(Problem(where=where, field="keys", value=self.keys,
                                    rule="must list at least one key", fix="write keys=('DATABASE_URL', ...)"))
        else:
            for key in self.keys:
                problems += rules.check_config_key(where, "keys", key)
        raise_if_any(problems)


@frozen_props
class RequiredSecretKeys:
    """Keys a Secret of the app must hold, non-empty (model rule: all required keys present)."""

    name: str
    namespace: str
    keys: tuple[str, ...]
    #: who requires them (a construct path), named in the message.
    required_by: str = ""


@frozen_props
class Declarations:
    """Everything :func:`check_manifests` needs to know besides the objects themselves.

    Attributes:
        external_secrets: Secrets managed outside the app that references may name.
        allowed_namespaces: namespaces objects may live in although the app does not create
            them (explicitly cross-namespace).
        required_secret_keys: keys that Secrets of the app must hold, non-empty.
        external_objects: other objects the app references but does not create, as
            ``(kind, namespace, name)``: ServiceAccounts and PersistentVolumeClaims.
        where: the name under which problems with the declarations themselves are reported.
    """

    external_secrets: tuple[ExternalSecret, ...] = ()
    allowed_namespaces: tuple[str, ...] = ()
    required_secret_keys: tuple[RequiredSecretKeys, ...] = ()
    where: str = "declarations"
    external_objects: tuple[tuple[str, str, str], ...] = ()


# --- The pure checks ----------------------------------------------------------------------

@frozen_props(kw_only=False)
class _Obj:
    where: str
    manifest: Manifest
    #: Emitted by a Taskora construct: the model's policy rules (replicas >= 1, storage >=
    #: 1Gi, and requests and probes for the containers the library built) apply. ``True``: to
    #: every container; a set of names: to those containers only (a sidecar a caller adds is
    #: the caller's). Other objects of the app get the reference and API-validity checks only.
    managed: bool | frozenset[str] = True

    def builds(self, container_name: str) -> bool:
        """Whether the library built the container ``container_name`` of this object."""
        return self.managed is True or (isinstance(self.managed, frozenset) and container_name in self.managed)

    @property
    def kind(self) -> str:
        return _str(self.manifest.get("kind"))

    @property
    def name(self) -> str:
        return _str(_dict(self.manifest.get("metadata")).get("name"))

    @property
    def namespace(self) -> str | None:
        namespace = _dict(self.manifest.get("metadata")).get("namespace")
        return namespace if isinstance(namespace, str) else None

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"


@frozen_props(kw_only=False)
class _PodSpec:
    """A pod spec inside an object, with the field path that leads to it."""

    owner: _Obj
    path: str
    labels: Mapping[str, Any]
    spec: Mapping[str, Any]

    def containers(self, *, init: bool = True) -> Iterator[tuple[str, Mapping[str, Any]]]:
        groups = ("containers", "initContainers") if init else ("containers",)
        for group in groups:
            for index, container in enumerate(_list(self.spec.get(group))):
                yield f"{self.path}.{group}[{index}]", _dict(container)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, (list, tuple)) else ()


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pod_spec(obj: _Obj) -> _PodSpec | None:
    spec = _dict(obj.manifest.get("spec"))
    if obj.kind == "Pod":
        return _PodSpec(obj, "spec", _dict(_dict(obj.manifest.get("metadata")).get("labels")), spec)
    if obj.kind == "CronJob":
        template = _dict(_dict(_dict(spec.get("jobTemplate")).get("spec")).get("template"))
        path = "spec.jobTemplate.spec.template"
    elif obj.kind in LONG_RUNNING_KINDS or obj.kind == "Job":
        template = _dict(spec.get("template"))
        path = "spec.template"
    else:
        return None
    return _PodSpec(obj, f"{path}.spec", _dict(_dict(template.get("metadata")).get("labels")),
                    _dict(template.get("spec")))







def _names(names: Sequence[str], sep: str = ", ") -> str:
    return sep.join(repr(n) for n in names)


def _labels(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
