"""Checks across constructs: the rules that need every object of the app at once.

A prop that is wrong on its own (a replica count, a quantity, a host) is refused when the
props object is built (``props.py``, ``rules.py``). What only the whole app can tell - does
this Service select any pod, does that ``secretKeyRef`` name a key some Secret holds, is the
StatefulSet's Service headless - is checked here, in one place, over the synthesized objects:

* :func:`check_manifests` is a pure function over plain manifest dicts. Tests, and a
  values-file loader that wants to refuse a file before anything is built, call it directly.
* :class:`TaskoraValidation` is the construct that runs it for a cdk8s app. Every Taskora
  construct adds it to the app it is created in (once per app, under the App root) and it
  registers itself with ``node.add_validation``, so ``cdk8s synth``, ``App.synth()`` and
  ``Testing.synth()`` all refuse the same objects with the same messages, before anything is
  written. It also holds what the app declares about the world outside it: Secrets managed
  elsewhere (:meth:`TaskoraValidation.declare_external_secret`) and namespaces the app may
  place objects in without creating them (:meth:`TaskoraValidation.allow_namespace`).
* :func:`config_error_from_synth` turns the error a failed synth raises through jsii back
  into one :class:`~taskora_constructs.errors.TaskoraConfigError` with every problem.

The checks apply to every object of the app, not only those the Taskora constructs emit: a
Service another construct adds must select pods just the same. Secret values never appear
in a message.
"""

from __future__ import annotations

import ipaddress
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Mapping, Sequence

import cdk8s
import constructs
import jsii
from constructs import Construct, IConstruct

from . import rules
from ._manifest import is_emitted
from .errors import Problem, TaskoraConfigError, raise_if_any

Manifest = Mapping[str, Any]

#: Kinds whose objects live in a namespace; an object of these kinds without
#: ``metadata.namespace`` lands in whatever namespace kubectl's context points at.
NAMESPACED_KINDS = frozenset({
    "ConfigMap", "ControllerRevision", "CronJob", "DaemonSet", "Deployment", "Endpoints", "EndpointSlice",
    "Event", "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange", "NetworkPolicy",
    "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet",
    "ReplicationController", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount",
    "StatefulSet", "HTTPRoute", "GRPCRoute", "Gateway", "ReferenceGrant",
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
#: Model rule (section 11): no volume claim below this.
MIN_STORAGE = "1Gi"

_QUANTITY_EXAMPLES = {"cpu": "250m", "memory": "256Mi", "storage": "10Gi", "ephemeral-storage": "1Gi"}


# --- What the app declares about the world outside it ------------------------------------

@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class RequiredSecretKeys:
    """Keys a Secret of the app must hold, non-empty (model rule: all required keys present)."""

    name: str
    namespace: str
    keys: tuple[str, ...]
    #: who requires them (a construct path), named in the message.
    required_by: str = ""


@dataclass(frozen=True, kw_only=True)
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

@dataclass(frozen=True)
class _Obj:
    where: str
    manifest: Manifest
    #: Emitted by a Taskora construct: the model's policy rules (requests, probes,
    #: replicas >= 1, storage >= 1Gi) apply. Other objects of the app (a caller's own) get the
    #: reference and API-validity checks only.
    managed: bool = True

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


@dataclass(frozen=True)
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
            pod = _pod_spec(obj)
            if pod is not None:
                self.pods.append(pod)
        self.external_secrets = {(s.namespace, s.name): s for s in declarations.external_secrets}
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
        """The pod templates in ``namespace`` whose labels ``selector`` (matchLabels) matches."""
        return [pod for pod in self.pods if pod.owner.namespace == namespace and _selects(selector, pod.labels)]

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


def check_manifests(objects: Iterable[Manifest | tuple[str, Manifest]],
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
            where, manifest, *managed = item
            wrapped.append(_Obj(where, _dict(manifest), *managed))
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
        if obj.kind == "StatefulSet":
            problems += _check_statefulset(obj, index)
        elif obj.kind == "PersistentVolumeClaim":
            problems += _check_storage(obj, "spec.resources.requests.storage",
                                       _dict(_dict(obj.manifest.get("spec")).get("resources")))
        elif obj.kind == "Service":
            problems += _check_service(obj, index)
        elif obj.kind == "Ingress":
            problems += _check_ingress(obj, index)
        elif obj.kind == "HTTPRoute":
            problems += _check_http_route(obj, index)
        elif obj.kind == "NetworkPolicy":
            problems += _check_network_policy(obj, index)
        elif obj.kind == "PodDisruptionBudget":
            problems += _check_disruption_budget(obj, index)
        elif obj.kind == "HorizontalPodAutoscaler":
            problems += _check_autoscaler(obj, index)
        elif obj.kind == "Secret":
            problems += _check_secret(obj, index)
    problems += _check_declarations(index)
    return problems


def _check_metadata(obj: _Obj, index: _Index) -> list[Problem]:
    where, metadata = obj.where, _dict(obj.manifest.get("metadata"))
    name = metadata.get("name")
    if obj.kind in DNS_LABEL_NAMED_KINDS:
        found = rules.check_dns_label(where, "metadata.name", name)
    else:
        found = rules.check_dns_subdomain(where, "metadata.name", name)
    found += rules.check_labels(where, "metadata.labels", metadata.get("labels"))
    namespace = metadata.get("namespace")
    allowed = index.app_namespaces
    if obj.kind in CLUSTER_SCOPED_KINDS:
        return found
    if namespace is None:
        if obj.kind in NAMESPACED_KINDS:
            found.append(Problem(
                where=where, field="metadata.namespace", value=None,
                rule=f"must be set: a {obj.kind} without a namespace lands in whatever namespace "
                     "kubectl's context points at",
                fix=f"set it to the app's namespace ({_names(allowed) or 'e.g. taskora'})"))
    elif namespace not in allowed:
        found.append(Problem(
            where=where, field="metadata.namespace", value=namespace,
            rule=f"must be the app's namespace ({_names(allowed)}): objects live in the app's "
                 "namespace unless declared cross-namespace",
            fix=f"move the object into {_names(allowed, ' or ')}, or declare the namespace with "
                f"TaskoraValidation.of(app).allow_namespace({namespace!r})"))
    return found


def _check_workload(obj: _Obj) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    if obj.managed and obj.kind != "DaemonSet" and "replicas" in spec:
        found += rules.check_replicas(where, "spec.replicas", spec["replicas"])
    template_labels = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
    found += rules.check_labels(where, "spec.template.metadata.labels", template_labels)
    match_labels = _dict(spec.get("selector")).get("matchLabels")
    label_problems = rules.check_labels(where, "spec.selector.matchLabels", match_labels)
    found += label_problems
    if not label_problems and not _selects(_dict(match_labels), template_labels):
        found.append(Problem(
            where=where, field="spec.selector.matchLabels", value=match_labels,
            rule=f"must be non-empty and match the pod template's labels ({_labels(template_labels)})",
            fix="select on labels every pod of the template carries, e.g. its 'app' label"))
    return found


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _check_pod(pod: _PodSpec, index: _Index) -> list[Problem]:
    where, namespace = pod.owner.where, pod.owner.namespace
    # The model's requests-and-probes rule binds the Taskora workloads, not a caller's own.
    long_running = pod.owner.kind in LONG_RUNNING_KINDS and pod.owner.managed
    found: list[Problem] = []
    for path, container in pod.containers():
        is_main = path.startswith(f"{pod.path}.containers[")
        cname = _str(container.get("name")) or "?"
        found += rules.check_dns_label(where, f"{path}.name", container.get("name"))
        found += rules.check_image(where, f"{path}.image", container.get("image"))
        if "imagePullPolicy" in container:
            found += rules.check_pull_policy(where, f"{path}.imagePullPolicy", container["imagePullPolicy"])
        for i, port in enumerate(_list(container.get("ports"))):
            port = _dict(port)
            found += rules.check_port(where, f"{path}.ports[{i}].containerPort", port.get("containerPort"))
            if "name" in port:
                found += rules.check_port_name(where, f"{path}.ports[{i}].name", port["name"])
        found += _check_resources(where, path, cname, container, required=long_running and is_main)
        for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = container.get(probe_name)
            if probe is None:
                if long_running and is_main and probe_name != "startupProbe":
                    kind = "liveness" if probe_name == "livenessProbe" else "readiness"
                    found.append(Problem(
                        where=where, field=f"{path}.{probe_name}", value=None,
                        rule=f"must be defined: every container of a {pod.owner.kind} needs a {kind} "
                             "probe (model, section 11)",
                        fix=f"add a {probe_name} (httpGet on a health path, or exec) to container {cname!r}"))
                continue
            found += _check_probe_port(where, f"{path}.{probe_name}", cname, _dict(probe), container)
        for i, env in enumerate(_list(container.get("env"))):
            value_from = _dict(_dict(env).get("valueFrom"))
            env_name = _str(_dict(env).get("name")) or "?"
            for ref_kind, ref_field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if ref_field in value_from:
                    found += _check_key_ref(where, f"{path}.env[{i}].valueFrom.{ref_field}", namespace,
                                            ref_kind, _dict(value_from[ref_field]), index,
                                            f"environment variable {env_name}")
        for i, source in enumerate(_list(container.get("envFrom"))):
            source = _dict(source)
            for ref_kind, ref_field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                if ref_field in source:
                    found += _check_object_ref(where, f"{path}.envFrom[{i}].{ref_field}.name", namespace,
                                               ref_kind, _dict(source[ref_field]), index)
    account = pod.spec.get("serviceAccountName")
    if account is not None and account != "default" \
            and (namespace, account) not in index.by_kind.get("ServiceAccount", {}) \
            and ("ServiceAccount", namespace, account) not in index.external_objects:
        known = sorted(n for ns, n in index.by_kind.get("ServiceAccount", {}) if ns == namespace)
        found.append(Problem(
            where=where, field=f"{pod.path}.serviceAccountName", value=account,
            rule=f"must name a ServiceAccount the app defines in namespace {namespace!r} (the pods would "
                 "never be created: 'serviceaccount not found')",
            fix=f"name one of the app's ServiceAccounts ({', '.join(known) or 'none'}), or declare one managed "
                "outside the app with TaskoraValidation.of(app).declare_external(kind='ServiceAccount', ...)"))
    for i, volume in enumerate(_list(pod.spec.get("volumes"))):
        volume, vpath = _dict(volume), f"{pod.path}.volumes[{i}]"
        found += _check_volume_source(where, vpath, namespace, volume, index)
        if "persistentVolumeClaim" in volume:
            claim = _dict(volume["persistentVolumeClaim"]).get("claimName")
            if (namespace, claim) not in index.by_kind.get("PersistentVolumeClaim", {}) \
                    and (namespace, claim) not in index.template_claims \
                    and ("PersistentVolumeClaim", namespace, claim) not in index.external_objects:
                known = sorted({n for ns, n in index.by_kind.get("PersistentVolumeClaim", {}) if ns == namespace}
                               | {n for ns, n in index.template_claims if ns == namespace})
                found.append(Problem(
                    where=where, field=f"{vpath}.persistentVolumeClaim.claimName", value=claim,
                    rule=f"must name a claim of the app in namespace {namespace!r}: a PersistentVolumeClaim, or "
                         "one a StatefulSet's volumeClaimTemplate creates (<template>-<statefulset>-<ordinal>); "
                         "the pod would stay Pending",
                    fix=f"name one of them ({', '.join(known) or 'none'}), or declare a claim made outside the "
                        "app with TaskoraValidation.of(app).declare_external(kind='PersistentVolumeClaim', ...)"))
        for j, source in enumerate(_list(_dict(volume.get("projected")).get("sources"))):
            found += _check_volume_source(where, f"{vpath}.projected.sources[{j}]", namespace, _dict(source), index)
    return found


def _check_resources(where: str, path: str, cname: str, container: Mapping[str, Any], *,
                     required: bool) -> list[Problem]:
    resources = _dict(container.get("resources"))
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    found: list[Problem] = []
    if required:
        missing = [r for r in ("cpu", "memory") if r not in requests]
        if missing:
            found.append(Problem(
                where=where, field=f"{path}.resources.requests", value=dict(requests) or None,
                rule=f"must be defined, with cpu and memory (missing: {', '.join(missing)}): the "
                     "scheduler places pods by their requests (model, section 11)",
                fix=f"set resources.requests of container {cname!r}, e.g. {{'cpu': '100m', 'memory': '128Mi'}}"))
    valid: dict[tuple[str, str], Any] = {}
    for group, values in (("requests", requests), ("limits", limits)):
        for resource, quantity in values.items():
            example = _QUANTITY_EXAMPLES.get(resource, "1")
            problems = rules.check_quantity(where, f"{path}.resources.{group}.{resource}", quantity, example=example)
            found += problems
            if not problems:
                valid[group, resource] = rules.parse_quantity(quantity)
    for resource, request in requests.items():
        if ("requests", resource) in valid and ("limits", resource) in valid \
                and valid["requests", resource] > valid["limits", resource]:
            found.append(Problem(
                where=where, field=f"{path}.resources.requests.{resource}", value=request,
                rule=f"must be <= resources.limits.{resource} ({limits[resource]}): the API server "
                     "refuses a request above its limit",
                fix=f"lower the request or raise the limit to at least {request}"))
    return found


def _container_ports(container: Mapping[str, Any]) -> tuple[set[int], set[str], str]:
    numbers: set[int] = set()
    names: set[str] = set()
    shown: list[str] = []
    for port in _list(container.get("ports")):
        port = _dict(port)
        number, name = port.get("containerPort"), port.get("name")
        if isinstance(number, int):
            numbers.add(number)
        if isinstance(name, str):
            names.add(name)
        shown.append(f"{number}/{name}" if name else f"{number}")
    return numbers, names, ", ".join(shown) or "none"


def _has_port(container: Mapping[str, Any], port: Any) -> bool:
    numbers, names, _ = _container_ports(container)
    return port in numbers if isinstance(port, int) and not isinstance(port, bool) else port in names


def _check_probe_port(where: str, path: str, cname: str, probe: Mapping[str, Any],
                      container: Mapping[str, Any]) -> list[Problem]:
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if handler in probe and "port" in _dict(probe[handler]):
            port = _dict(probe[handler])["port"]
            if not _has_port(container, port):
                _, _, shown = _container_ports(container)
                return [Problem(
                    where=where, field=f"{path}.{handler}.port", value=port,
                    rule=f"must be a port of container {cname!r}, by number or by name (it declares: {shown})",
                    fix="probe a declared containerPort, or declare the port on the container")]
    return []


def _check_object_ref(where: str, field: str, namespace: str | None, kind: str, ref: Mapping[str, Any],
                      index: _Index) -> list[Problem]:
    """An ``envFrom`` source or a volume: the object must exist (keys are not checked)."""
    if ref.get("optional") is True:
        return []
    name = ref.get("name") if "name" in ref else ref.get("secretName")
    if kind == "Secret" and ((namespace, name) in index.secrets or (namespace, name) in index.external_secrets):
        return []
    if kind == "ConfigMap" and (namespace, name) in index.config_maps:
        return []
    return [_dangling(where, field, name, kind, namespace, index)]


def _dangling(where: str, field: str, name: Any, kind: str, namespace: str | None, index: _Index) -> Problem:
    known = sorted(n for ns, n in (index.secrets if kind == "Secret" else index.config_maps) if ns == namespace)
    fix = f"name one of the app's {kind}s in {namespace!r} ({', '.join(known) or 'none'})"
    if kind == "Secret":
        fix += (", or declare a Secret managed outside the app with "
                "TaskoraValidation.of(app).declare_external_secret(name=..., namespace=..., keys=[...])")
    return Problem(where=where, field=field, value=name,
                   rule=f"must name a {kind} the app defines in namespace {namespace!r}"
                        + (" or one declared as managed outside the app" if kind == "Secret" else "")
                        + " (the pod would fail with CreateContainerConfigError)",
                   fix=fix)


def _check_key_ref(where: str, field: str, namespace: str | None, kind: str, ref: Mapping[str, Any],
                   index: _Index, user: str) -> list[Problem]:
    if ref.get("optional") is True:
        return []
    name, key = ref.get("name"), ref.get("key")
    if kind == "Secret":
        external = index.external_secrets.get((namespace, name))
        keys = index.secrets.get((namespace, name), set(external.keys) if external else None)
    else:
        keys = index.config_maps.get((namespace, name))
    if keys is None:
        return [_dangling(where, f"{field}.name", name, kind, namespace, index)]
    if key not in keys:
        return [Problem(where=where, field=f"{field}.key", value=key,
                        rule=f"must be a key of {kind} {name!r} (it holds: {', '.join(sorted(keys)) or 'none'}); "
                             f"{user} would fail with CreateContainerConfigError",
                        fix=f"reference one of its keys, or add {key!r} to the {kind}")]
    return []


def _check_volume_source(where: str, path: str, namespace: str | None, volume: Mapping[str, Any],
                         index: _Index) -> list[Problem]:
    found: list[Problem] = []
    for kind, source_field, name_field in (("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name")):
        if source_field not in volume:
            continue
        source = _dict(volume[source_field])
        if source.get("optional") is True:
            continue
        name = source.get(name_field)
        problems = _check_object_ref(where, f"{path}.{source_field}.{name_field}", namespace, kind,
                                     {"name": name}, index)
        found += problems
        if problems:
            continue
        for j, item in enumerate(_list(source.get("items"))):
            found += _check_key_ref(where, f"{path}.{source_field}.items[{j}]", namespace, kind,
                                    {"name": name, "key": _dict(item).get("key")}, index, "the volume")
    return found


def _check_storage(obj: _Obj, field: str, resources: Mapping[str, Any]) -> list[Problem]:
    storage = _dict(resources.get("requests")).get("storage")
    if storage is None:
        return [Problem(where=obj.where, field=field, value=None, rule="must be set",
                        fix=f"request at least {MIN_STORAGE}, e.g. '10Gi'")]
    return (rules.check_quantity(obj.where, field, storage, example="10Gi")
            or (rules.check_min_quantity(obj.where, field, storage, MIN_STORAGE) if obj.managed else []))


def _check_statefulset(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    service_name = spec.get("serviceName")
    service = index.services.get((obj.namespace, service_name))
    headless = [n for (ns, n), s in index.services.items()
                if ns == obj.namespace and _dict(s.manifest.get("spec")).get("clusterIP") == "None"]
    if service is None or _dict(service.manifest.get("spec")).get("clusterIP") != "None":
        found.append(Problem(
            where=where, field="spec.serviceName", value=service_name,
            rule=(f"must name a headless Service (clusterIP: None) in namespace {obj.namespace!r}: "
                  + (f"Service {service_name!r} is not headless" if service is not None
                     else "the app defines no Service of that name"))
                 + "; the pods' stable DNS names come from it",
            fix=(f"set spec.clusterIP: None on Service {service_name!r}" if service is not None
                 else f"add a headless Service named {service_name!r}")
                + (f", or name a headless Service of the app ({', '.join(headless)})" if headless else "")))
    for i, template in enumerate(_list(spec.get("volumeClaimTemplates"))):
        found += _check_storage(obj, f"spec.volumeClaimTemplates[{i}].spec.resources.requests.storage",
                                _dict(_dict(_dict(template).get("spec")).get("resources")))
    return found


def _check_service(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    ports = [_dict(p) for p in _list(spec.get("ports"))]
    for i, port in enumerate(ports):
        found += rules.check_port(where, f"spec.ports[{i}].port", port.get("port"))
        if "name" in port:
            found += rules.check_port_name(where, f"spec.ports[{i}].name", port["name"])
    selector = spec.get("selector")
    if spec.get("type") == "ExternalName" or not selector:
        return found  # no selector: endpoints are managed by hand, nothing to match
    label_problems = rules.check_labels(where, "spec.selector", selector)
    if label_problems:
        return found + label_problems
    selected = [pod for pod in index.pods
                if pod.owner.namespace == obj.namespace and _selects(_dict(selector), pod.labels)]
    if not selected:
        candidates = [f"{p.owner.label} ({_labels(p.labels)})" for p in index.pods
                      if p.owner.namespace == obj.namespace]
        found.append(Problem(
            where=where, field="spec.selector", value=dict(_dict(selector)),
            rule=f"must match the pod labels of a workload of the app in namespace {obj.namespace!r} "
                 f"(an orphaned Service routes nowhere; pods there: {'; '.join(candidates) or 'none'})",
            fix="select on labels the target pods carry, e.g. the workload's spec.selector.matchLabels"))
        return found
    for i, port in enumerate(ports):
        target = port.get("targetPort", port.get("port"))
        for pod in selected:
            containers = [c for _, c in pod.containers(init=False)]
            if not any(_has_port(c, target) for c in containers):
                shown = "; ".join(f"{_str(c.get('name')) or '?'}: {_container_ports(c)[2]}" for c in containers)
                found.append(Problem(
                    where=where, field=f"spec.ports[{i}].targetPort", value=target,
                    rule=f"must be a container port of the pods it selects, by number or by name "
                         f"({pod.owner.label} declares {shown})",
                    fix="target a declared containerPort, or declare the port on the container"))
    return found


def _check_service_backend(where: str, namespace: str | None, index: _Index, *, name_field: str, name: Any,
                           port_field: str, port: Any, by_name: bool) -> list[Problem]:
    """A route to a Service (Ingress backend, HTTPRoute backendRef): Service and port must exist."""
    service = index.services.get((namespace, name))
    if service is None:
        known = sorted(n for ns, n in index.services if ns == namespace)
        return [Problem(where=where, field=name_field, value=name,
                        rule=f"must name a Service the app defines in namespace {namespace!r}",
                        fix=f"route to one of the app's Services ({', '.join(known) or 'none'})")]
    ports = [_dict(p) for p in _list(_dict(service.manifest.get("spec")).get("ports"))]
    if any((p.get("name") if by_name else p.get("port")) == port for p in ports):
        return []
    shown = ", ".join(f"{p.get('port')}/{p['name']}" if "name" in p else f"{p.get('port')}" for p in ports)
    return [Problem(where=where, field=port_field, value=port,
                    rule=f"must be a port of Service {name!r}, by number or by name (it has: {shown or 'none'})",
                    fix="use one of the Service's ports")]


def _check_ingress(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    backends: list[tuple[str, Mapping[str, Any]]] = []
    if "defaultBackend" in spec:
        backends.append(("spec.defaultBackend", _dict(spec["defaultBackend"])))
    for i, rule in enumerate(_list(spec.get("rules"))):
        rule = _dict(rule)
        if "host" in rule:
            found += rules.check_host(where, f"spec.rules[{i}].host", rule["host"])
        for j, path in enumerate(_list(_dict(rule.get("http")).get("paths"))):
            backends.append((f"spec.rules[{i}].http.paths[{j}].backend", _dict(_dict(path).get("backend"))))
    for path, backend in backends:
        if "service" not in backend:
            continue  # a resource backend: not a Service
        service = _dict(backend["service"])
        port = _dict(service.get("port"))
        by_name = "name" in port
        found += _check_service_backend(
            where, obj.namespace, index, name_field=f"{path}.service.name", name=service.get("name"),
            port_field=f"{path}.service.port.{'name' if by_name else 'number'}",
            port=port.get("name") if by_name else port.get("number"), by_name=by_name)
    return found


def _check_http_route(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    for i, hostname in enumerate(_list(spec.get("hostnames"))):
        found += rules.check_host(where, f"spec.hostnames[{i}]", hostname)
    for i, rule in enumerate(_list(spec.get("rules"))):
        for j, ref in enumerate(_list(_dict(rule).get("backendRefs"))):
            ref = _dict(ref)
            if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "" \
                    or ref.get("namespace", obj.namespace) != obj.namespace:
                continue  # another kind, or explicitly cross-namespace (a ReferenceGrant's business)
            ref_path = f"spec.rules[{i}].backendRefs[{j}]"
            found += _check_service_backend(
                where, obj.namespace, index, name_field=f"{ref_path}.name", name=ref.get("name"),
                port_field=f"{ref_path}.port", port=ref.get("port"), by_name=False)
    return found


def _check_secret(obj: _Obj, index: _Index) -> list[Problem]:
    where = obj.where
    values = {**_dict(obj.manifest.get("data")), **_dict(obj.manifest.get("stringData"))}
    found: list[Problem] = []
    for required in index.declarations.required_secret_keys:
        if (required.namespace, required.name) != (obj.namespace, obj.name):
            continue
        missing = [key for key in required.keys if key not in values]
        if missing:
            found.append(Problem(
                where=where, field="stringData", value=sorted(values),
                rule=f"must hold every required key (missing: {', '.join(missing)})"
                     + (f"; required by {required.required_by}" if required.required_by else ""),
                fix=f"add {', '.join(missing)} to the Secret"))
        for key in required.keys:
            if key in values:
                source = "stringData" if key in _dict(obj.manifest.get("stringData")) else "data"
                found += rules.check_non_empty(where, f"{source}.{key}", values[key])
    return found


def _check_declarations(index: _Index) -> list[Problem]:
    where = index.declarations.where
    found: list[Problem] = []
    for key, external in index.external_secrets.items():
        if key in index.secrets:
            found.append(Problem(
                where=where, field="externalSecrets", value=f"{external.namespace}/{external.name}",
                rule="must not be a Secret the app defines too: applying the app would overwrite the "
                     "Secret managed outside it",
                fix="either declare the Secret external or define it in the app, not both"))
        for required in index.declarations.required_secret_keys:
            if (required.namespace, required.name) == key:
                missing = [k for k in required.keys if k not in external.keys]
                if missing:
                    found.append(Problem(
                        where=where, field=f"externalSecrets[{external.namespace}/{external.name}].keys",
                        value=list(external.keys),
                        rule=f"must include every required key (missing: {', '.join(missing)})",
                        fix=f"make sure the Secret holds {', '.join(missing)} and declare them"))
    return found


# --- NetworkPolicies, disruption budgets, autoscalers --------------------------------------

def _port_of_pods(port: Any, pods: Sequence[_PodSpec]) -> bool:
    """Whether every pod template in ``pods`` has a container with ``port`` (number or name)."""
    return all(any(_has_port(c, port) for _, c in pod.containers(init=False)) for pod in pods)


def _pods_ports(pods: Sequence[_PodSpec]) -> str:
    return "; ".join(f"{pod.owner.label}: " + ", ".join(_container_ports(c)[2] for _, c in pod.containers(init=False))
                     for pod in pods)


def _check_peer(where: str, path: str, peer: Mapping[str, Any], namespace: str | None,
                index: _Index) -> tuple[list[Problem], list[_PodSpec] | None]:
    """One ``from``/``to`` peer: its problems, and the app pods it stands for (``None``: not
    only pods of this namespace)."""
    found: list[Problem] = []
    if "ipBlock" in peer:
        block = _dict(peer["ipBlock"])
        found += rules.check_cidr(where, f"{path}.ipBlock.cidr", block.get("cidr"))
        for j, excepted in enumerate(_list(block.get("except"))):
            problems = rules.check_cidr(where, f"{path}.ipBlock.except[{j}]", excepted)
            found += problems
            if not problems and not found:
                outer, inner = ipaddress.ip_network(block["cidr"]), ipaddress.ip_network(excepted)
                if inner.version != outer.version or not inner.subnet_of(outer):
                    found.append(Problem(where=where, field=f"{path}.ipBlock.except[{j}]", value=excepted,
                                         rule=f"must lie inside the block's cidr ({block['cidr']})",
                                         fix="except only ranges inside the cidr"))
        return found, None
    if "namespaceSelector" in peer:
        namespace_selector = _dict(_dict(peer["namespaceSelector"]).get("matchLabels"))
        found += rules.check_labels(where, f"{path}.namespaceSelector.matchLabels", namespace_selector)
        found += rules.check_labels(where, f"{path}.podSelector.matchLabels",
                                    _dict(_dict(peer.get("podSelector")).get("matchLabels")))
        return found, None
    selector = _dict(_dict(peer.get("podSelector")).get("matchLabels"))
    label_problems = rules.check_labels(where, f"{path}.podSelector.matchLabels", selector)
    if label_problems or not selector:
        return label_problems, None if not selector else []
    pods = index.pods_selected(namespace, selector)
    if not pods:
        found.append(Problem(
            where=where, field=f"{path}.podSelector.matchLabels", value=dict(selector),
            rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a peer that "
                 f"selects nothing allows nothing; pods there: {index.pods_in(namespace)})",
            fix="select on a workload's selector labels"))
    return found, pods


def _check_network_policy(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    found: list[Problem] = []
    selector = _dict(_dict(spec.get("podSelector")).get("matchLabels"))
    found += rules.check_labels(where, "spec.podSelector.matchLabels", selector)
    targets: list[_PodSpec] | None = None
    if selector and not found:
        targets = index.pods_selected(namespace, selector)
        if not targets:
            found.append(Problem(
                where=where, field="spec.podSelector.matchLabels", value=dict(selector),
                rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a policy "
                     f"that selects nothing protects nothing; pods there: {index.pods_in(namespace)})",
                fix="select on the workload's selector labels"))
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_list(spec.get(direction))):
            rule = _dict(rule)
            peer_pods: list[_PodSpec] = []
            only_app_pods = bool(_list(rule.get(peers_field)))
            for j, peer in enumerate(_list(rule.get(peers_field))):
                problems, pods = _check_peer(where, f"spec.{direction}[{i}].{peers_field}[{j}]", _dict(peer),
                                             namespace, index)
                found += problems
                if pods is None:
                    only_app_pods = False
                else:
                    peer_pods += pods
            # The ports must be open on the pods the traffic goes to: the policy's own pods for
            # ingress, the peers for egress (when they are all pods of the app).
            receivers = targets if direction == "ingress" else (peer_pods if only_app_pods else None)
            for k, port in enumerate(_list(rule.get("ports"))):
                number = _dict(port).get("port")
                if number is None or not receivers or isinstance(number, int) and "endPort" in _dict(port):
                    continue
                if not _port_of_pods(number, receivers):
                    found.append(Problem(
                        where=where, field=f"spec.{direction}[{i}].ports[{k}].port", value=number,
                        rule=f"must be a container port of the pods the traffic goes to, by number or by name "
                             f"({_pods_ports(receivers)}); a policy for another port lets nothing through",
                        fix="use the workload's containerPort"))
    return found


def _workloads_selected(namespace: str | None, selector: Mapping[str, Any], index: _Index) -> list[_Obj]:
    return [pod.owner for pod in index.pods_selected(namespace, selector) if pod.owner.kind in LONG_RUNNING_KINDS]


def _check_disruption_budget(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    selector = _dict(_dict(spec.get("selector")).get("matchLabels"))
    found = rules.check_labels(where, "spec.selector.matchLabels", selector)
    if found:
        return found
    workloads = _workloads_selected(namespace, selector, index) if selector else []
    if not workloads:
        found.append(Problem(
            where=where, field="spec.selector.matchLabels", value=dict(selector),
            rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a budget "
                 f"that selects nothing protects nothing; pods there: {index.pods_in(namespace)})",
            fix="select on the workload's selector labels"))
        return found
    if "minAvailable" in spec and "maxUnavailable" in spec:
        found.append(Problem(where=where, field="spec", value={k: spec[k] for k in ("minAvailable", "maxUnavailable")},
                             rule="must set minAvailable or maxUnavailable, not both (the API server refuses it)",
                             fix="keep one of them"))
    if spec.get("maxUnavailable") == 0:
        found.append(Problem(where=where, field="spec.maxUnavailable", value=0,
                             rule="must be >= 1: 0 blocks every voluntary eviction, so node drains hang",
                             fix="set maxUnavailable: 1"))
    minimum = spec.get("minAvailable")
    if isinstance(minimum, int) and not isinstance(minimum, bool):
        replicas = 0
        for workload in workloads:
            floor = index.autoscaled.get((namespace, workload.kind, workload.name))
            count = floor if floor is not None else _dict(workload.manifest.get("spec")).get("replicas", 1)
            replicas += count if isinstance(count, int) else 0
        if minimum >= replicas:
            found.append(Problem(
                where=where, field="spec.minAvailable", value=minimum,
                rule=f"must be below the selected pods' replica count ({replicas}): otherwise no pod may ever "
                     "be evicted and node drains hang",
                fix=f"set minAvailable to at most {replicas - 1}, or use maxUnavailable: 1"))
    return found


def _check_autoscaler(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    found: list[Problem] = []
    target = _dict(spec.get("scaleTargetRef"))
    kind, name = target.get("kind"), target.get("name")
    workload = index.by_kind.get(_str(kind), {}).get((namespace, _str(name))) \
        if kind in ("Deployment", "StatefulSet", "ReplicaSet") else None
    if workload is None:
        known = sorted(f"{o.kind}/{o.name}" for k in ("Deployment", "StatefulSet")
                       for (ns, _), o in index.by_kind.get(k, {}).items() if ns == namespace)
        found.append(Problem(
            where=where, field="spec.scaleTargetRef", value=dict(target),
            rule=f"must name a Deployment or StatefulSet of the app in namespace {namespace!r} "
                 "(the autoscaler would scale nothing)",
            fix=f"target one of {', '.join(known) or 'none'}"))
    minimum, maximum = spec.get("minReplicas", 1), spec.get("maxReplicas")
    found += rules.check_replicas(where, "spec.minReplicas", minimum)
    found += rules.check_replicas(where, "spec.maxReplicas", maximum)
    if not found and maximum < minimum:
        found.append(Problem(where=where, field="spec.maxReplicas", value=maximum,
                             rule=f"must be >= spec.minReplicas ({minimum})", fix=f"raise it to at least {minimum}"))
    if workload is None:
        return found
    pod = _pod_spec(workload)
    for i, metric in enumerate(_list(spec.get("metrics"))):
        resource = _dict(_dict(metric).get("resource"))
        name = resource.get("name")
        if _dict(metric).get("type") != "Resource" or pod is None:
            continue
        for path, container in pod.containers(init=False):
            if name not in _dict(_dict(container.get("resources")).get("requests")):
                found.append(Problem(
                    where=where, field=f"spec.metrics[{i}].resource.name", value=name,
                    rule=f"needs a {name} request on every container of {workload.label} (utilization is a share "
                         f"of the request; container {_str(container.get('name'))!r} has none)",
                    fix=f"set resources.requests.{name} of the container"))
    return found


def _names(names: Sequence[str], sep: str = ", ") -> str:
    return sep.join(repr(n) for n in names)


def _labels(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"


# --- The construct that runs the checks for a cdk8s app -----------------------------------

@jsii.implements(constructs.IValidation)
class _Validation:
    """The ``IValidation`` cdk8s calls before writing anything."""

    def __init__(self, owner: "TaskoraValidation") -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        owner = self._owner
        if owner._synth_cache is not None:
            return list(owner._synth_cache)
        problems = owner.problems()
        owner.last_problems = tuple(problems)
        messages = [str(problem) for problem in problems]
        if owner._in_synth:
            owner._synth_cache = tuple(messages)
        return messages


class TaskoraValidation(Construct):
    """The cross-construct checks of one cdk8s app, and what the app declares about the outside.

    There is one per app, directly under the App root with id :attr:`ID`; every Taskora
    construct creates it through :meth:`of`. It emits no object. Its validation runs on every
    synth (``cdk8s synth``, ``App.synth()``, ``Testing.synth()``) over every object of the app.

    Attributes:
        last_problems: the problems of the latest validation run (empty if it passed).
    """

    ID = "taskora-validation"

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._external_secrets: dict[tuple[str, str], ExternalSecret] = {}
        self._allowed_namespaces: list[str] = []
        self._required_secret_keys: list[RequiredSecretKeys] = []
        self._external_objects: list[tuple[str, str, str]] = []
        self.last_problems: tuple[Problem, ...] = ()
        self._in_synth = False
        self._synth_cache: tuple[str, ...] | None = None
        self.node.add_validation(_Validation(self))

    @contextmanager
    def once(self) -> Iterator["TaskoraValidation"]:
        """Check the app once for everything synthesized inside the ``with`` block.

        cdk8s runs every validation again for each chart it writes (``App.synth()`` runs them
        once, then ``Chart.toJson()`` once per chart), and each run reads every object of the
        app across jsii: with six charts per Taskora instance that is quadratic in the number
        of instances. Inside this block the first run's result is reused. Sound only while the
        app does not change: synthesize inside it, do not add or patch objects::

            with TaskoraValidation.of(app).once():
                app.synth()
        """
        self._in_synth, self._synth_cache = True, None
        try:
            yield self
        finally:
            self._in_synth, self._synth_cache = False, None

    @classmethod
    def of(cls, scope: IConstruct) -> "TaskoraValidation":
        """The validation of the app ``scope`` belongs to, created on first use."""
        root = scope.node.root
        existing = root.node.try_find_child(cls.ID)
        if existing is None:
            return cls(root, cls.ID)  # type: ignore[arg-type]
        if not isinstance(existing, TaskoraValidation):
            raise TypeError(f"construct {cls.ID!r} under the App root is not a TaskoraValidation")
        return existing

    def declare_external_secret(self, *, name: str, namespace: str, keys: Iterable[str]) -> ExternalSecret:
        """Declare a Secret managed outside the app, holding ``keys``.

        ``secretKeyRef``, ``envFrom`` and volumes may then name it. Raises
        :class:`~taskora_constructs.errors.TaskoraConfigError` if the declaration is malformed
        or contradicts an earlier one.
        """
        secret = ExternalSecret(name=name, namespace=namespace, keys=tuple(keys))
        previous = self._external_secrets.get((namespace, name))
        if previous is not None and previous != secret:
            raise_if_any([Problem(where=self.node.path, field=f"externalSecrets[{namespace}/{name}].keys",
                                  value=list(secret.keys),
                                  rule=f"contradicts the earlier declaration (keys {list(previous.keys)})",
                                  fix="declare each external Secret once, with all its keys")])
        self._external_secrets[(namespace, name)] = secret
        return secret

    def declare_external(self, *, kind: str, name: str, namespace: str) -> None:
        """Declare a ServiceAccount or PersistentVolumeClaim made outside the app, so pods may
        name it (``serviceAccountName``, a ``persistentVolumeClaim`` volume)."""
        problems = rules.check_dns_subdomain(self.node.path, "name", name)
        problems += rules.check_dns_label(self.node.path, "namespace", namespace)
        if kind not in ("ServiceAccount", "PersistentVolumeClaim"):
            problems.append(Problem(where=self.node.path, field="kind", value=kind,
                                    rule="must be ServiceAccount or PersistentVolumeClaim",
                                    fix="declare Secrets with declare_external_secret"))
        raise_if_any(problems)
        if (kind, namespace, name) not in self._external_objects:
            self._external_objects.append((kind, namespace, name))

    def allow_namespace(self, namespace: str) -> None:
        """Let objects live in ``namespace`` although the app does not create it (cross-namespace)."""
        raise_if_any(rules.check_dns_label(self.node.path, "namespace", namespace))
        if namespace not in self._allowed_namespaces:
            self._allowed_namespaces.append(namespace)

    def require_secret_keys(self, *, name: str, namespace: str, keys: Iterable[str], required_by: str = "") -> None:
        """Require the Secret ``namespace/name`` to hold ``keys``, each non-empty."""
        self._required_secret_keys.append(RequiredSecretKeys(name=name, namespace=namespace, keys=tuple(keys),
                                                             required_by=required_by))

    @property
    def declarations(self) -> Declarations:
        return Declarations(external_secrets=tuple(self._external_secrets.values()),
                            allowed_namespaces=tuple(self._allowed_namespaces),
                            external_objects=tuple(self._external_objects),
                            required_secret_keys=tuple(self._required_secret_keys),
                            where=self.node.path)

    def api_objects(self) -> list[cdk8s.ApiObject]:
        """Every ApiObject of the app, in construct-tree order."""
        found = []
        for child in self.node.root.node.find_all():
            if isinstance(child, cdk8s.ApiObject):
                found.append(child)
            elif isinstance(child, (cdk8s.App, cdk8s.Chart, TaskoraValidation)) \
                    or type(child).__module__.startswith(__package__ + "."):
                continue  # known not to be an ApiObject: spare a call across jsii
            elif cdk8s.ApiObject.is_api_object(child):
                found.append(child)
        return found

    def problems(self) -> list[Problem]:
        """Run every cross-object check now; the problems name each object's construct path."""
        api_objects = self.api_objects()
        # Construct paths cost a call across jsii each: fetch them only for objects with problems.
        placeholders = [f"\0{i}" for i in range(len(api_objects))]
        problems = check_manifests(zip(placeholders, (o.to_json() for o in api_objects),
                                       (is_emitted(o) for o in api_objects)), self.declarations)
        paths: dict[str, str] = {}

        def path_of(where: str) -> str:
            if not where.startswith("\0"):
                return where
            if where not in paths:
                paths[where] = api_objects[int(where[1:])].node.path
            return paths[where]

        return [replace(p, where=path_of(p.where)) for p in problems]


def declare_external_secret(scope: IConstruct, *, name: str, namespace: str, keys: Iterable[str]) -> ExternalSecret:
    """Shorthand for ``TaskoraValidation.of(scope).declare_external_secret(...)``."""
    return TaskoraValidation.of(scope).declare_external_secret(name=name, namespace=namespace, keys=keys)


_CDK8S_VALIDATION_FAILED = "Validation failed with the following errors:"


def config_error_from_synth(error: BaseException, app: IConstruct) -> TaskoraConfigError | None:
    """The configuration error behind a failed ``app.synth()``, or ``None`` if it was not one.

    cdk8s reports failed validations as one JavaScript error, which jsii raises in Python as
    ``RuntimeError("Error: Validation failed with the following errors: ...")``. The
    problems found by :class:`TaskoraValidation` come back as :class:`Problem` objects;
    messages of other constructs' validations are kept as they are. Anything else (a bug)
    gives ``None``: let it propagate with its traceback.
    """
    text = str(error)
    if not isinstance(error, RuntimeError) or _CDK8S_VALIDATION_FAILED not in text:
        return None
    validation = app.node.root.node.try_find_child(TaskoraValidation.ID)
    ours = f"[{validation.node.path}] " if isinstance(validation, TaskoraValidation) else None
    problems = validation.last_problems if isinstance(validation, TaskoraValidation) else ()
    lines = text.split(_CDK8S_VALIDATION_FAILED, 1)[1].split("\n  ")
    messages = [line.strip() for line in lines
                if line.strip() and not (ours and line.strip().startswith(ours.strip() + " "))]
    return TaskoraConfigError(problems, messages=messages)
