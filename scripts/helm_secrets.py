"""The Secrets a Helm chart's templates read and nothing in the chart creates (``make helm``).

Apart from :mod:`helm_chart` because it is one concern of its own: reading the synthesized
objects for every Secret they reference (env, volumes, envFrom, Ingress TLS, the backup's
credentials) and leaving out those the chart or an operator makes, so the chart's README can
list each Secret to create, with its keys, before ``helm install``.
"""

from __future__ import annotations

from typing import Any, Iterator

#: The keys of an existing Secret a pod mounts whole (the manifests do not name them).
MOUNTED_SECRET_KEYS = {"db-credentials": ("username", "password")}


def _walk(value: Any, parent: str = "") -> Iterator[tuple[str, dict]]:
    """(key it sits under, mapping) for every mapping inside ``value``."""
    if isinstance(value, dict):
        yield parent, value
        for key, child in value.items():
            yield from _walk(child, str(key))
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, parent)


def _issued_tls_secrets(o: dict) -> set[str]:
    """TLS Secrets cert-manager issues for an annotated Ingress (ingress-shim)."""
    annotations = o["metadata"].get("annotations") or {}
    if o["kind"] != "Ingress" or not {"cert-manager.io/cluster-issuer", "cert-manager.io/issuer"} & set(annotations):
        return set()
    return {tls["secretName"] for tls in o.get("spec", {}).get("tls", []) if tls.get("secretName")}


def secrets_to_create(objects: list[dict]) -> dict[str, dict[str, Any]]:
    """Every Secret the chart's objects read and nothing creates: name -> {"namespace", "keys"
    (sorted), "type" ("generic" or "tls")}. Left out: Secrets in the chart, the credentials a
    CloudNativePG Cluster's operator writes (``<cluster>-app``), TLS Secrets cert-manager issues."""
    made = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    made |= {f"{o['metadata']['name']}-app" for o in objects if o["kind"] == "Cluster"}
    found: dict[str, dict[str, Any]] = {}

    def need(name: str, namespace: str, keys: tuple[str, ...] = (), kind: str = "generic") -> None:
        entry = found.setdefault(name, {"namespace": namespace, "keys": set(), "type": kind})
        entry["keys"].update(keys)

    for o in objects:
        namespace = o["metadata"].get("namespace", "")
        made |= _issued_tls_secrets(o)
        for parent, mapping in _walk(o.get("spec", {})):
            if parent == "secretKeyRef" or {"name", "key"} == set(mapping) and parent in (
                    "accessKeyId", "secretAccessKey", "region", "sessionToken"):
                need(mapping["name"], namespace, (mapping["key"],))
            elif parent == "secret" and "secretName" in mapping:
                keys = tuple(i["key"] for i in mapping.get("items", [])) or next(
                    (k for suffix, k in MOUNTED_SECRET_KEYS.items() if mapping["secretName"].endswith(suffix)), ())
                need(mapping["secretName"], namespace, keys)
            elif parent == "secretRef" and "name" in mapping:
                need(mapping["name"], namespace)
        if o["kind"] == "Ingress":
            for tls in o.get("spec", {}).get("tls", []):
                if tls.get("secretName"):
                    need(tls["secretName"], namespace, ("tls.crt", "tls.key"), "tls")
    return {name: {**entry, "keys": sorted(entry["keys"])} for name, entry in sorted(found.items())
            if name not in made}


def secret_commands(secrets: dict[str, dict[str, Any]]) -> list[str]:
    """One ``kubectl create secret`` per Secret to create, its values left for the user."""
    commands = []
    for name, entry in secrets.items():
        if entry["type"] == "tls":
            commands.append(f"kubectl -n {entry['namespace']} create secret tls {name} --cert=tls.crt --key=tls.key")
        else:
            literals = " ".join(f"--from-literal={key}=..." for key in entry["keys"])
            commands.append(f"kubectl -n {entry['namespace']} create secret generic {name} {literals}".rstrip())
    return commands
