"""The app's objects indexed once per check, and :func:`check_manifests`, which runs every rule."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from ..core.errors import Problem
from ..database import cnpg_operator as cnpg
from ..taskora.ingress import TaskoraIngress
from ..network.evaluate import selects
from .model import (LONG_RUNNING_KINDS, NAMESPACED_KINDS, Declarations, ExternalSecret, Manifest, _dict, _labels, _list, _Obj,
                    _pod_spec, _PodSpec, _str)
from .pods import _check_metadata, _check_pod, _check_statefulset, _check_storage, _check_workload
from .routing import (_check_autoscaler, _check_declarations, _check_disruption_budget, _check_http_route,
                      _check_ingress, _check_network_policy, _check_secret, _check_service)


class _Index:
    """The app's objects by namespace and name, built once per check."""

    def __init__(self, objects: Sequence[_Obj], declarations: Declarations) -> None:
        self.objects = objects
        self.declarations = declarations
        self.services: dict[tuple[str | None, str], _Obj] = {}
        self.secrets: dict[tuple[str | None, str], set[str]] = {}
        self.config_maps: dict[tuple[str | None, str], set[str]] = {}
        self.pods: list[_PodSpec] = []
        self.created_namespaces: list[str] = []
        #: other objects by kind, then (namespace, name)
        self.by_kind: dict[str, dict[tuple[str | None, str], _Obj]] = {}
        for obj in objects:
            key = (obj.namespace, obj.name)
            self.by_kind.setdefault(obj.kind, {}).setdefault(key, obj)
            if obj.kind == "Service":
                self.services.setdefault(key, obj)
            elif obj.kind == "Secret":
                self.secrets.setdefault(key, set()).update(
                    _dict(obj.manifest.get("data")), _dict(obj.manifest.get("stringData")))
            elif obj.kind == "ConfigMap":
                self.config_maps.setdefault(key, set()).update(
                    _dict(obj.manifest.get("data")), _dict(obj.manifest.get("binaryData")))
            elif obj.kind == "Namespace" and obj.name:
                self.created_namespaces.append(obj.name)
            pod = _pod_spec(obj) or _operator_pods(obj)
            if pod is not None:
                self.pods.append(pod)
        self.external_secrets = {(s.namespace, s.name): s for s in declarations.external_secrets}
        # The operator writes each CloudNativePG Cluster's application Secret <cluster>-app.
        for (namespace, name), cluster in self.by_kind.get("Cluster", {}).items():
            if _str(cluster.manifest.get("apiVersion")).startswith(_CNPG_GROUP) and namespace is not None:
                self.external_secrets.setdefault((namespace, f"{name}-app"), ExternalSecret(
                    name=f"{name}-app", namespace=namespace, keys=cnpg.APP_SECRET_KEYS))
        self.external_objects = set(declarations.external_objects)
        # Claims the StatefulSets' volumeClaimTemplates create: <template>-<statefulset>-<ordinal>.
        self.template_claims: set[tuple[str | None, str]] = set()
        for (namespace, name), sts in self.by_kind.get("StatefulSet", {}).items():
            spec = _dict(sts.manifest.get("spec"))
            replicas = spec.get("replicas", 1)
            for template in _list(spec.get("volumeClaimTemplates")):
                claim = _str(_dict(_dict(template).get("metadata")).get("name"))
                for ordinal in range(replicas if isinstance(replicas, int) else 1):
                    self.template_claims.add((namespace, f"{claim}-{name}-{ordinal}"))
        # Autoscaled workloads: (namespace, kind, name) -> the autoscaler's minReplicas.
        self.autoscaled: dict[tuple[str | None, str, str], Any] = {}
        for (namespace, _), hpa in self.by_kind.get("HorizontalPodAutoscaler", {}).items():
            spec = _dict(hpa.manifest.get("spec"))
            target = _dict(spec.get("scaleTargetRef"))
            self.autoscaled[(namespace, _str(target.get("kind")), _str(target.get("name")))] = \
                spec.get("minReplicas", 1)
        self.app_namespaces = self._app_namespaces()

    def pods_selected(self, namespace: str | None, selector: Mapping[str, Any]) -> list[_PodSpec]:
        """The pod templates in ``namespace`` that the label selector ``selector`` selects."""
        return [pod for pod in self.pods if pod.owner.namespace == namespace and selects(selector, pod.labels)]

    def pods_in(self, namespace: str | None) -> str:
        return "; ".join(f"{p.owner.label} ({_labels(p.labels)})" for p in self.pods
                         if p.owner.namespace == namespace) or "none"

    def _app_namespaces(self) -> list[str]:
        """The namespaces the app's objects may live in.

        Those the app creates, plus those declared cross-namespace. An app that creates none
        deploys into one existing namespace: the first one its objects name.
        """
        namespaces = list(dict.fromkeys(self.created_namespaces + list(self.declarations.allowed_namespaces)))
        if self.created_namespaces:
            return namespaces
        used = [o.namespace for o in self.objects if o.namespace and o.kind in NAMESPACED_KINDS]
        return list(dict.fromkeys(namespaces + used[:1]))


#: The rules of one kind of object, beyond those of every object and every pod.
_BY_KIND: dict[str, Callable[[_Obj, "_Index"], list[Problem]]] = {
    "StatefulSet": _check_statefulset, "Service": _check_service, "Ingress": _check_ingress,
    "HTTPRoute": _check_http_route, "NetworkPolicy": _check_network_policy,
    "PodDisruptionBudget": _check_disruption_budget, "HorizontalPodAutoscaler": _check_autoscaler,
    "Secret": _check_secret,
}


#: The pods the CloudNativePG operator runs for a Cluster (its primary stands for every
#: instance) and a Pooler: their labels and ports, so that NetworkPolicies may select them.
_CNPG_GROUP = cnpg.API_VERSION.split("/")[0] + "/"
_CNPG_PODS = {
    "Cluster": (lambda name: {cnpg.CLUSTER_LABEL: name, cnpg.POD_ROLE_LABEL: "instance",
                              cnpg.INSTANCE_ROLE_LABEL: "primary"},
                [{"name": "postgres", "ports": [{"name": "postgresql", "containerPort": cnpg.POSTGRES_PORT},
                                                {"name": "status", "containerPort": cnpg.STATUS_PORT},
                                                {"name": "metrics", "containerPort": cnpg.METRICS_PORT}]}]),
    "Pooler": (lambda name: {cnpg.POOLER_LABEL: name, cnpg.POD_ROLE_LABEL: "pooler"},
               [{"name": "pgbouncer", "ports": [{"name": "pgbouncer", "containerPort": cnpg.POSTGRES_PORT},
                                                {"name": "metrics", "containerPort": cnpg.POOLER_METRICS_PORT}]}]),
}


#: cert-manager's annotations that ask an issuer for an Ingress's certificate: an ACME issuer
#: then starts HTTP-01 solver pods beside the Ingress (their documented label, port 8089).
_CERT_MANAGER_ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
_ACME_SOLVER_CONTAINERS = [{"name": "acmesolver", "ports": [{"name": "http",
                                                            "containerPort": TaskoraIngress.ACME_SOLVER_PORT}]}]


def _operator_pods(obj: _Obj) -> _PodSpec | None:
    """The pods an operator creates for ``obj`` (a CloudNativePG Cluster or Pooler; cert-manager's
    HTTP-01 solver for an Ingress with an issuer), else None. They are not the app's to check
    (no pod rule applies), only to be selected."""
    if obj.kind == "Ingress":
        annotations = _dict(_dict(obj.manifest.get("metadata")).get("annotations"))
        if not any(key in annotations for key in _CERT_MANAGER_ISSUER_ANNOTATIONS):
            return None
        return _PodSpec(obj, "(cert-manager's HTTP-01 solver)", dict(TaskoraIngress.ACME_SOLVER_LABELS),
                        {"containers": _ACME_SOLVER_CONTAINERS})
    if obj.kind not in _CNPG_PODS or not _str(obj.manifest.get("apiVersion")).startswith(_CNPG_GROUP):
        return None
    labels, containers = _CNPG_PODS[obj.kind]
    return _PodSpec(obj, "(pods the operator runs)", labels(obj.name), {"containers": containers})


def check_manifests(objects: Iterable[Manifest | tuple[str, Manifest] | tuple[str, Manifest, bool | frozenset[str]]],
                    declarations: Declarations = Declarations()) -> list[Problem]:
    """Every problem the cross-object rules find in ``objects``, in object order.

    Args:
        objects: the app's manifests as plain dicts, each optionally paired with where it
            came from (a construct path or a file name); without one, problems name the
            object as ``Kind/name``.
        declarations: Secrets managed outside the app, namespaces allowed without being
            created, and the keys the app's Secrets must hold.
    """
    wrapped: list[_Obj] = []
    for item in objects:
        if isinstance(item, tuple):
            where, manifest, *rest = item
            managed: bool | frozenset[str] = rest[0] if rest else True
            wrapped.append(_Obj(where, _dict(manifest), managed))
        else:
            manifest = _dict(item)
            obj = _Obj("", manifest)
            wrapped.append(_Obj(obj.label, manifest))
    index = _Index(wrapped, declarations)
    problems: list[Problem] = []
    for obj in wrapped:
        problems += _check_metadata(obj, index)
        if obj.kind in LONG_RUNNING_KINDS:
            problems += _check_workload(obj)
        pod = _pod_spec(obj)
        if pod is not None:
            problems += _check_pod(pod, index)
        if obj.kind == "PersistentVolumeClaim":
            problems += _check_storage(obj, "spec.resources.requests.storage",
                                       _dict(_dict(obj.manifest.get("spec")).get("resources")))
        elif obj.kind in _BY_KIND:
            problems += _BY_KIND[obj.kind](obj, index)
    problems += _check_declarations(index)
    return problems
