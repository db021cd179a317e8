"""Pieces of pod specs shared by the frontend, backend and Postgres constructs."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

from ._manifest import Json
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
) -> Json:
    """A container in the model's field order."""
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
    return spec


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


def service_spec(*, selector: Mapping[str, str], port_name: str, port: int, headless: bool = False) -> Json:
    spec: Json = {"type": "ClusterIP"}
    if headless:
        spec["clusterIP"] = "None"
    spec["selector"] = dict(selector)
    spec["ports"] = [{"name": port_name, "port": port, "targetPort": port, "protocol": "TCP"}]
    return spec
