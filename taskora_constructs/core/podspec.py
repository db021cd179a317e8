"""Pieces of pod specs shared by the frontend, backend and Postgres constructs."""

from __future__ import annotations

import json
import re
import typing
from typing import Any, Mapping, Sequence

# SHA-256 from CPython's built-in module, as the random module takes its SHA-512: hashlib would
# load OpenSSL (_hashlib, ~2.5 ms of every synth's start-up, issue #22) for one digest of a
# few hundred bytes. The same digest either way; hashlib where the built-in one is missing
# (Python 3.12 renamed it _sha2, a name 3.11's standard library, which the packaging test
# checks imports against, does not have).
try:
    from _sha256 import sha256  # type: ignore[import-not-found]  # typeshed has no stub for it
except ImportError:  # pragma: no cover - Python 3.12+, or a CPython built without it
    from hashlib import sha256

from .._generated import k8s_types as k8s
from .manifest import object_metadata
from .props import ProbeTiming, Resources


def env_value(name: str, value: str) -> k8s.EnvVar:
    return {"name": name, "value": value}


def env_from(name: str, value_from: k8s.EnvVarSource) -> k8s.EnvVar:
    return {"name": name, "valueFrom": value_from}


def http_get_probe(path: str, port: int, timing: ProbeTiming) -> k8s.Probe:
    probe: k8s.Probe = {"httpGet": {"path": path, "port": port}}
    probe.update(timing.to_json())
    return probe


def exec_probe(command: Sequence[str], timing: ProbeTiming) -> k8s.Probe:
    probe: k8s.Probe = {"exec": {"command": list(command)}}
    probe.update(timing.to_json())
    return probe


def container(
    *,
    name: str,
    image: str,
    image_pull_policy: str,
    port: int,
    port_name: str,
    env: Sequence[k8s.EnvVar],
    resources: Resources,
    liveness_probe: k8s.Probe,
    readiness_probe: k8s.Probe,
    volume_mounts: Sequence[k8s.VolumeMount] = (),
    startup_probe: k8s.Probe | None = None,
    lifecycle: k8s.Lifecycle | None = None,
    security_context: k8s.SecurityContext | None = None,
) -> k8s.Container:
    """A container in the model's field order; what the model does not have comes after."""
    spec: k8s.Container = {
        "name": name,
        "image": image,
        "imagePullPolicy": image_pull_policy,
        "ports": [{"containerPort": port, "name": port_name, "protocol": "TCP"}],
        "env": list(env),
        "resources": resources.to_json(),
    }
    # Always a list, so a caller's JSON patch ".../volumeMounts/-" appends even to no mounts.
    spec["volumeMounts"] = list(volume_mounts)
    spec["livenessProbe"] = liveness_probe
    spec["readinessProbe"] = readiness_probe
    if startup_probe is not None:
        spec["startupProbe"] = startup_probe
    if lifecycle is not None:
        spec["lifecycle"] = lifecycle
    if security_context is not None:
        spec["securityContext"] = security_context
    return spec


def container_security_context(*, read_only_root_filesystem: bool) -> k8s.SecurityContext:
    """Least privilege for one container: no privilege escalation (setuid binaries), no Linux
    capabilities at all (NET_RAW included), never root, and a read-only root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root_filesystem,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def pod_identity(service_account: str, props: Any) -> k8s.PodSpec:
    """The start of a hardened pod spec: its own ServiceAccount, the token mounted only when
    asked, and the pod securityContext, from any workload props with those fields.

    The caller adds ``containers`` (required) after any fields that come before them: the
    output keeps the keys in the order they are added (the model's order), so the spec starts
    as an empty mapping and each key is type-checked as it is set.
    """
    spec = typing.cast("k8s.PodSpec", {})  # a string: evaluating k8s.PodSpec would load k8s_types
    spec["serviceAccountName"] = service_account
    spec["automountServiceAccountToken"] = props.automount_service_account_token
    spec["securityContext"] = pod_security_context(
        run_as_user=props.run_as_user, run_as_group=props.run_as_group, fs_group=props.fs_group,
        seccomp_profile=props.seccomp_profile)
    return spec


def pod_security_context(*, run_as_user: int, run_as_group: int, fs_group: int,
                         seccomp_profile: str) -> k8s.PodSecurityContext:
    """The pod's securityContext: the model's three fields (frontend and backend document
    ``runAsNonRoot``, ``runAsUser``, ``fsGroup``), then the primary group, an fsGroup change
    only when the volume root does not match yet, and the runtime's seccomp filter."""
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "fsGroup": fs_group,
        "runAsGroup": run_as_group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": seccomp_profile},
    }


def volume_name_for(path: str) -> str:
    """A DNS-label volume name for a mount path: ``/app/.next/cache`` -> ``app-next-cache``."""
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return name[:63].rstrip("-") or "root"


def writable_dirs(paths: Sequence[str], size_limit: str) -> tuple[list[k8s.Volume], list[k8s.VolumeMount]]:
    """``(volumes, volumeMounts)``: one emptyDir per path a process writes under a read-only
    root filesystem."""
    volumes: list[k8s.Volume] = [{"name": volume_name_for(path), "emptyDir": {"sizeLimit": size_limit}}
                                 for path in paths]
    mounts: list[k8s.VolumeMount] = [{"name": volume_name_for(path), "mountPath": path} for path in paths]
    return volumes, mounts


def service_account(*, name: str, namespace: str | None, labels: Mapping[str, str], automount: bool,
                    annotations: Mapping[str, str] | None = None) -> k8s.ServiceAccount:
    """A ServiceAccount of its own for one workload; its API token is not mounted."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=annotations),
        "automountServiceAccountToken": automount,
    }


def pod_template(*, labels: Mapping[str, str], spec: k8s.PodSpec,
                 annotations: Mapping[str, str] | None = None) -> k8s.PodTemplateSpec:
    metadata: k8s.ObjectMeta = {"labels": dict(labels)}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"metadata": metadata, "spec": spec}


#: Pod-template annotations that roll the pods reading secrets: counters the user bumps after
#: changing a secret value. Nothing derived from a secret value goes into a pod spec (a digest,
#: keyed or not, lets whoever may read pods test guesses offline); docs/hardening.md.
SECRETS_REVISION = "revision/secrets"
CREDENTIALS_REVISION = "revision/credentials"


def checksum(data: Mapping[str, Any]) -> str:
    """A SHA-256 digest of ``data`` (canonical JSON) for a pod-template annotation that changes,
    and so rolls the pods, exactly when the consumed ConfigMap entries change. Never for
    secret data: see :data:`SECRETS_REVISION`."""
    message = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return sha256(message).hexdigest()


def service_spec(*, selector: Mapping[str, str], port_name: str, port: int, headless: bool = False,
                 target_port: int | None = None) -> k8s.ServiceSpec:
    spec: k8s.ServiceSpec = {"type": "ClusterIP"}
    if headless:
        spec["clusterIP"] = "None"
    spec["selector"] = dict(selector)
    spec["ports"] = [{"name": port_name, "port": port, "targetPort": target_port if target_port is not None else port,
                      "protocol": "TCP"}]
    return spec
