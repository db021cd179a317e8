"""What a caller may add to the pods of any workload of the library: environment, volumes,
sidecars and init containers, labels and annotations, and where the pods may run.

:class:`PodOptions` is composed into every workload's props (:class:`WebWorkloadProps`,
:class:`PostgresProps`); its defaults add nothing, so the documented model's objects are
unchanged. Containers, volumes, tolerations and affinity are plain Kubernetes JSON (typed in
``k8s_types`` where it exists): the construct adds them as given, checks their names and the
references between them, and never holds a caller's container to the model's rules.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Mapping, Protocol

from .frozen import frozen_props
from . import api_rules, pod_security, rules
from .._generated import k8s_types as k8s
from .errors import Problem

# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
_ENV_NAME = r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"


class KeyReferable(Protocol):
    """A ConfigMap or Secret construct of the library (``TaskoraConfig``, ``TaskoraSecrets``)."""

    def key_ref(self, key: str) -> k8s.EnvVarSource: ...


@frozen_props
class EnvVar:
    """One environment variable: a plain value, or a key of a Secret or ConfigMap.

    Build it with :meth:`of`, :meth:`secret_key`, :meth:`config_map_key` or :meth:`from_key`
    (a key of one of the library's ConfigMap/Secret constructs, checked to exist).
    """

    #: The variable's name.
    name: str
    #: A plain value; default None (then ``value_from``).
    value: str | None = None
    #: A ``valueFrom`` (secretKeyRef, configMapKeyRef, fieldRef); default None (then ``value``).
    value_from: k8s.EnvVarSource | None = None

    @classmethod
    def of(cls, name: str, value: str) -> "EnvVar":
        return cls(name=name, value=value)

    @classmethod
    def secret_key(cls, name: str, secret: str, key: str) -> "EnvVar":
        """``name`` from ``key`` of the Secret named ``secret`` (any Secret: yours to get right)."""
        return cls(name=name, value_from={"secretKeyRef": {"name": secret, "key": key}})

    @classmethod
    def config_map_key(cls, name: str, config_map: str, key: str) -> "EnvVar":
        """``name`` from ``key`` of the ConfigMap named ``config_map``."""
        return cls(name=name, value_from={"configMapKeyRef": {"name": config_map, "key": key}})

    @classmethod
    def from_key(cls, name: str, source: KeyReferable, key: str) -> "EnvVar":
        """``name`` from ``key`` of a library construct; raises if it does not define the key."""
        return cls(name=name, value_from=source.key_ref(key))

    def to_json(self) -> k8s.EnvVar:
        env: k8s.EnvVar = {"name": self.name}
        if self.value_from is not None:
            env["valueFrom"] = self.value_from
        elif self.value is not None:
            env["value"] = self.value
        return env


@frozen_props
class PodOptions:
    """Additions to a workload's objects and pods; every default adds nothing.

    Attributes:
        env: environment variables appended to the main container's (after the construct's own).
        volumes: pod volumes (Kubernetes ``Volume`` JSON) added to the construct's own.
        volume_mounts: mounts of the main container (``VolumeMount`` JSON) into those volumes.
        sidecars: more containers (``Container`` JSON) beside the main one.
        init_containers: containers (``Container`` JSON) run to completion before the others.
        labels / annotations: added to the metadata of every object the construct creates.
        pod_labels / pod_annotations: added to the pod template (never to the selector).
        node_selector: the pods' ``nodeSelector`` (labels a node must have).
        tolerations: the pods' ``tolerations`` (``Toleration`` JSON).
        affinity: the pods' ``affinity`` (``Affinity`` JSON); default None.
        priority_class_name: the pods' PriorityClass; default None.
        image_pull_secrets: names of Secrets with registry credentials.
    """

    env: tuple[EnvVar, ...] = ()
    volumes: tuple[k8s.Volume, ...] = ()
    volume_mounts: tuple[k8s.VolumeMount, ...] = ()
    sidecars: tuple[k8s.Container, ...] = ()
    init_containers: tuple[k8s.Container, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[k8s.Toleration, ...] = ()
    affinity: k8s.Affinity | None = None
    image_pull_secrets: tuple[str, ...] = ()
    priority_class_name: str | None = None

    def pod_problems(self, where: str) -> list[Problem]:
        """The rules of these options on their own (references are checked by :func:`apply_to_pod`)."""
        found: list[Problem] = []
        for i, env in enumerate(self.env):
            if not isinstance(env, EnvVar) or not isinstance(env.name, str) or not re.fullmatch(_ENV_NAME, env.name):
                found.append(Problem(where=where, field=f"env[{i}].name", value=getattr(env, "name", env),
                                     rule="must be an environment variable name (letters, digits, '_', '-', '.', "
                                          "not starting with a digit)",
                                     fix="write it like 'FEATURE_FLAGS', built with EnvVar.of(...)"))
            elif (env.value is None) == (env.value_from is None):
                found.append(Problem(where=where, field=f"env[{i}]", value=env.name,
                                     rule="must have exactly one of value and value_from",
                                     fix="build it with EnvVar.of, EnvVar.secret_key or EnvVar.config_map_key"))
        for name, labels in (("labels", self.labels), ("podLabels", self.pod_labels),
                             ("nodeSelector", self.node_selector)):
            found += rules.check_labels(where, name, dict(labels))
        for name, annotations in (("annotations", self.annotations), ("podAnnotations", self.pod_annotations)):
            for key, value in annotations.items():
                found += rules.check_label_key(where, f"{name}.{key}", key)
                if not isinstance(value, str):
                    found.append(Problem(where=where, field=f"{name}.{key}", value=value,
                                         rule="must be a string", fix="quote the value"))
        for i, secret in enumerate(self.image_pull_secrets):
            found += rules.check_dns_subdomain(where, f"imagePullSecrets[{i}]", secret)
        if self.priority_class_name is not None:
            found += rules.check_dns_subdomain(where, "priorityClassName", self.priority_class_name)
        for group in ("volumes", "volume_mounts", "sidecars", "init_containers", "tolerations"):
            for i, item in enumerate(getattr(self, group)):
                if not isinstance(item, Mapping):
                    found.append(Problem(where=where, field=f"{_camel(group)}[{i}]", value=item,
                                         rule="must be a Kubernetes object (a mapping)",
                                         fix="write it as the Kubernetes JSON, e.g. {'name': ..., ...}"))
        if self.affinity is not None and not isinstance(self.affinity, Mapping):
            found.append(Problem(where=where, field="affinity", value=self.affinity,
                                 rule="must be a Kubernetes Affinity (a mapping)", fix="write it as JSON"))
        return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def apply_to_pod(where: str, options: PodOptions, pod_spec: k8s.PodSpec, main_container: k8s.Container,
                 claim_templates: tuple[str, ...] = (), level: str | None = "restricted") -> list[Problem]:
    """Add ``options`` to ``pod_spec`` (whose first container is ``main_container``); return the
    problems of the result: duplicate names, mounts of volumes that do not exist (a
    StatefulSet's ``claim_templates`` count as volumes), an added env entry that repeats one
    of the container's, and what the Pod Security ``level`` of the namespace refuses
    (:func:`pod_security.level_for`)."""
    found: list[Problem] = []
    own_env = [str(env.get("name")) for env in main_container.get("env", [])]
    found += api_rules.check_env_not_shadowed(where, "env", own_env, [env.name for env in options.env])
    own_containers = len(pod_spec["containers"])
    own_volumes = len(pod_spec.get("volumes", []))
    if options.env:
        main_container.setdefault("env", []).extend(env.to_json() for env in options.env)
    if options.volume_mounts:
        main_container.setdefault("volumeMounts", []).extend(options.volume_mounts)
    if options.volumes:
        pod_spec.setdefault("volumes", []).extend(options.volumes)
    if options.sidecars:
        pod_spec["containers"].extend(options.sidecars)
    if options.init_containers:
        pod_spec["initContainers"] = list(options.init_containers)
    if options.node_selector:
        pod_spec["nodeSelector"] = dict(options.node_selector)
    if options.tolerations:
        pod_spec["tolerations"] = list(options.tolerations)
    if options.affinity is not None:
        pod_spec["affinity"] = options.affinity
    if options.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": name} for name in options.image_pull_secrets]
    if options.priority_class_name is not None:
        pod_spec["priorityClassName"] = options.priority_class_name

    groups: list[tuple[str, list[k8s.Container]]] = [("containers", pod_spec["containers"]),
                                                     ("initContainers", pod_spec.get("initContainers", []))]
    names: dict[str, str] = {}
    for group, containers in groups:
        for i, container in enumerate(containers):
            path = f"{group}[{i}].name"
            found += rules.check_dns_label(where, path, container.get("name"))
            name = container.get("name")
            if isinstance(name, str) and name in names:
                found.append(Problem(where=where, field=path, value=name,
                                     rule=f"must be unique in the pod (also {names[name]})",
                                     fix="give the container another name"))
            names.setdefault(str(name), path)
    volumes = [v.get("name") for v in pod_spec.get("volumes", [])]
    for name in {v for v in volumes if volumes.count(v) > 1}:
        found.append(Problem(where=where, field="volumes", value=name, rule="must name each volume once",
                             fix="rename one of the volumes"))
    for _, containers in groups:
        for container in containers:
            for mount in container.get("volumeMounts", []):
                if mount.get("name") not in volumes and mount.get("name") not in claim_templates:
                    found.append(Problem(
                        where=where, field=f"{container.get('name')}.volumeMounts", value=mount.get("name"),
                        rule=f"must name a volume of the pod ({', '.join(map(str, volumes)) or 'none'})",
                        fix="add the volume with volumes=(...) or mount one that exists"))
    found += pod_security.check_pod(where, level, pod_spec, _props_path(own_containers, own_volumes))
    return found


_POD_FIELDS = {"securityContext.seccompProfile.type": "seccompProfile", "securityContext.runAsUser": "runAsUser"}


def _props_path(own_containers: int, own_volumes: int):  # type: ignore[no-untyped-def]
    """A pod-spec path as the caller's props name it: ``containers[1]`` is ``sidecars[0]``."""
    def rename(path: str) -> str:
        if path in _POD_FIELDS:
            return _POD_FIELDS[path]
        match = re.match(r"^(containers|volumes)\[(\d+)\](.*)$", path)
        if match:
            index = int(match[2]) - (own_containers if match[1] == "containers" else own_volumes)
            if index >= 0:
                return f"{'sidecars' if match[1] == 'containers' else 'volumes'}[{index}]{match[3]}"
        return path
    return rename


def owned_key_problems(where: str, options: PodOptions, *, pod_labels: Mapping[str, str],
                       pod_annotations: Mapping[str, str], labels: Mapping[str, str],
                       annotations: Mapping[str, str]) -> list[Problem]:
    """A caller's labels and annotations that set a key the construct sets itself (its own win)."""
    return (api_rules.check_keys_not_owned(api_rules.LABEL_SHADOW, where, "podLabels", pod_labels, options.pod_labels)
            + api_rules.check_keys_not_owned(api_rules.LABEL_SHADOW, where, "labels", labels, options.labels)
            + api_rules.check_keys_not_owned(api_rules.ANNOTATION_SHADOW, where, "podAnnotations", pod_annotations,
                                             options.pod_annotations)
            + api_rules.check_keys_not_owned(api_rules.ANNOTATION_SHADOW, where, "annotations", annotations,
                                             options.annotations))


def merged(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` with ``extra`` added; the construct's own keys win (a selector must not move)."""
    return {**dict(extra), **dict(base)}
