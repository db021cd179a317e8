"""Pieces of pod specs shared by the frontend, backend and Postgres constructs."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping, Sequence

from ._manifest import Json, object_metadata
from .props import ProbeTiming, Resources


def env_value(name: str, value: str) -> Json:
    return {"name": name, "value": value}


def env_from(name: str, value_from: Json) -> Json:
    return {"name": name, "valueFrom": value_from}


def http_get_probe(path: str, port: int, timing: ProbeTiming) -> Json:
    return {"httpGet": {"path": path, "port": port}, **timing.to_json()}


def exec_probe(command: Sequence[str], timing: ProbeTiming) -> Json:
    return {"exec": {"command": list(command)}, **timing.to_json()}


def container(
    *,
    name: str,
    image: str,
    image_pull_policy: str,
    port: int,
    port_name: str,
    env: Sequence[Json],
    resources: Resources,
    liveness_probe: Json,
    readiness_probe: Json,
    volume_mounts: Sequence[Json] = (),
    startup_probe: Json | None = None,
    lifecycle: Json | None = None,
    security_context: Json | None = None,
) -> Json:
    """A container in the model's field order; what the model does not have comes after."""
    spec: Json = {
        "name": name,
        "image": image,
        "imagePullPolicy": image_pull_policy,
        "ports": [{"containerPort": port, "name": port_name, "protocol": "TCP"}],
        "env": list(env),
        "resources": resources.to_json(),
    }
    if volume_mounts:
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


def container_security_context(*, read_only_root_filesystem: bool) -> Json:
    """Least privilege for one container: no privilege escalation (setuid binaries), no Linux
    capabilities at all (NET_RAW included), never root, and a read-only root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root_filesystem,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def pod_identity(service_account: str, props: Any) -> Json:
    """The start of a hardened pod spec: its own ServiceAccount, the token mounted only when
    asked, and the pod securityContext, from any workload props with those fields."""
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": props.automount_service_account_token,
        "securityContext": pod_security_context(
            run_as_user=props.run_as_user, run_as_group=props.run_as_group, fs_group=props.fs_group,
            seccomp_profile=props.seccomp_profile),
    }


def pod_security_context(*, run_as_user: int, run_as_group: int, fs_group: int, seccomp_profile: str) -> Json:
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


def writable_dirs(paths: Sequence[str], size_limit: str) -> tuple[list[Json], list[Json]]:
    """``(volumes, volumeMounts)``: one emptyDir per path a process writes under a read-only
    root filesystem."""
    volumes = [{"name": volume_name_for(path), "emptyDir": {"sizeLimit": size_limit}} for path in paths]
    mounts = [{"name": volume_name_for(path), "mountPath": path} for path in paths]
    return volumes, mounts


def service_account(*, name: str, namespace: str | None, labels: Mapping[str, str], automount: bool,
                    annotations: Mapping[str, str] | None = None) -> Json:
    """A ServiceAccount of its own for one workload; its API token is not mounted."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=annotations),
        "automountServiceAccountToken": automount,
    }


def pod_template(*, labels: Mapping[str, str], spec: Mapping[str, Any],
                 annotations: Mapping[str, str] | None = None) -> Json:
    metadata: Json = {"labels": dict(labels)}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"metadata": metadata, "spec": dict(spec)}


def checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of ``data`` (canonical JSON): a pod-template annotation that changes, and so
    rolls the pods, exactly when the consumed ConfigMap/Secret entries change."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def service_spec(*, selector: Mapping[str, str], port_name: str, port: int, headless: bool = False,
                 target_port: int | None = None) -> Json:
    spec: Json = {"type": "ClusterIP"}
    if headless:
        spec["clusterIP"] = "None"
    spec["selector"] = dict(selector)
    spec["ports"] = [{"name": port_name, "port": port, "targetPort": target_port if target_port is not None else port,
                      "protocol": "TCP"}]
    return spec
