#!/usr/bin/env python3
"""Check synthesized manifests offline against the Kubernetes API schemas (``make validate``).

Usage: python scripts/validate.py [DIR ...] [--kubernetes VERSION ...] [--crds DIR]

Every object in every ``*.yaml``/``*.yml`` file of each DIR (default ``dist``) is validated
in strict mode (an unknown field is an error, as ``kubectl apply`` with its default
``--validate=strict`` refuses it) against the OpenAPI schemas that the pinned
kubernetes-validate ships, for the minimum Kubernetes version this app supports
(:data:`MIN_KUBERNETES`) and for the newest one it ships. Custom resources (Gateway API
``HTTPRoute``...) are validated against the CRDs vendored in ``crds/`` instead. Nothing is
downloaded and no cluster is needed: ``kubectl apply --dry-run=client`` still asks the API
server for its schema and fails offline.

Exit 0 with one summary line; 1 with one line per problem, naming the file, the object, the
schema and the field; 2 when a directory holds no manifest.
"""

from __future__ import annotations

import argparse
import copy
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import major_minor, schema_contents
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent.parent
CRD_DIR = ROOT / "crds"

#: The oldest Kubernetes release the synthesized objects work on as written (README,
#: "Minimum Kubernetes version"): 1.34, the oldest release the objects are tested on against a
#: real API server (make cluster-test CLUSTER_MODULE=cluster/k8s-1.34). The fields of the
#: workloads need 1.27: the
#: PodDisruptionBudget's ``unhealthyPodEvictionPolicy`` and the StatefulSet's
#: ``persistentVolumeClaimRetentionPolicy`` are on by default from 1.27, CronJob ``timeZone``
#: is GA there; the 1.26 schema accepts them, but its API server drops the alpha PDB field.
MIN_KUBERNETES = "1.34"
NEWEST_KUBERNETES = major_minor(kubernetes_validate.latest_version())
EXIT_INVALID = 1
EXIT_NO_MANIFESTS = 2
OBJECT_META = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, object), against which schema, which field, what is wrong."""

    file: str
    obj: str
    schema: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.obj} ({self.schema})" if self.schema else self.obj
        return f"{self.file}: {where}: {self.field}: {self.message}" if self.field else f"{self.file}: {where}: {self.message}"


def field_path(path: Iterator[Any] | Any) -> str:
    """``['spec', 'containers', 0, 'image']`` as ``spec.containers[0].image``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- the schemas ----------------------------------------------------------------------------

@functools.cache
def _definitions(version: str) -> Resource:
    return Resource.from_contents(schema_contents(f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json",
                                                  version))


@functools.cache
def kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator | None:
    """The strict validator of ``kind`` in ``api_version`` for Kubernetes ``version`` (``1.27``),
    or None when that release has no such kind in that API version."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"kubernetes-json-schema/v{version}.0-local-strict/{kind.lower()}-{group_version}.json",
                                 version)
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ (_definitions(version) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _strict(schema: Any) -> Any:
    """A CRD's structural schema with unknown fields refused, as the API server's strict field
    validation does (fields under ``x-kubernetes-preserve-unknown-fields`` stay open)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        strict["additionalProperties"] = False
    return strict


@functools.cache
def _file_validators(path: Path, crd_dir: Path) -> dict[tuple[str, str], tuple[str, jsonschema.Validator]]:
    """(apiVersion, kind) -> (the file, relative to ``crd_dir``; its strict validator) for every
    version served by every CRD in one file; metadata is checked as ObjectMeta."""
    validators = {}
    for crd in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            schema.setdefault("properties", {})["metadata"] = {"$ref": OBJECT_META}
            registry = _definitions(MIN_KUBERNETES) @ Registry()
            validators[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = (
                path.relative_to(crd_dir).as_posix(), jsonschema.Draft202012Validator(schema, registry=registry))
    return validators


def crd_validators(crd_dir: Path) -> dict[tuple[str, str], tuple[str, jsonschema.Validator]]:
    """(apiVersion, kind) -> (the CRD's file, relative to ``crd_dir``; its strict validator),
    for every version served by every CRD in ``crd_dir``."""
    return {key: value for path in sorted(crd_dir.rglob("*.yaml")) for key, value in _file_validators(path, crd_dir).items()}


def crd_validator(crd_dir: Path, api_version: str, kind: str) -> tuple[str, jsonschema.Validator] | None:
    """The CRD of ``kind`` in ``api_version`` from ``crd_dir``, or None. Files are read only
    when needed: ``<group>_<plural>.yaml`` first (controller-gen's names, which every vendored
    file keeps; the plural guessed as the kind's lower case and ``s``), then the group's other
    files, then any file not named that way (a synth needs a few of the vendored files, never all)."""
    group = api_version.rpartition("/")[0]
    named = sorted(crd_dir.rglob(f"{group}_*.yaml")) if group else []
    guessed = [path for path in named if path.stem == f"{group}_{kind.lower()}s"]
    unnamed = [path for path in sorted(crd_dir.rglob("*.yaml")) if "_" not in path.stem]
    for paths in (guessed, named, unnamed):
        for path in paths:
            found = _file_validators(path, crd_dir).get((api_version, kind))
            if found is not None:
                return found
    return None


# --- checking -------------------------------------------------------------------------------

def _findings(validator: jsonschema.Validator, manifest: dict, *, file: str, obj: str, schema: str) -> list[Finding]:
    found = []
    for error in validator.iter_errors(manifest):
        error = jsonschema.exceptions.best_match([error])
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - known):
                found.append(Finding(file, obj, schema, field_path([*path, extra]),
                                     "unknown field (the schema has no such field here)"))
            continue
        found.append(Finding(file, obj, schema, field_path(path) or "(object)", error.message))
    return found


def check_object(manifest: dict, *, file: str, versions: tuple[str, ...], crd_dir: Path) -> list[Finding]:
    """Every problem of one object against each Kubernetes version, or against its CRD."""
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    name = (manifest.get("metadata") or {}).get("name", "?")
    obj = f"{kind}/{name}"
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [Finding(file, obj, "", "apiVersion" if not isinstance(api_version, str) else "kind",
                        "missing: every Kubernetes object names its apiVersion and kind")]
    custom = crd_validator(crd_dir, api_version, kind)
    if custom is not None:
        crd_file, validator = custom
        return _findings(validator, manifest, file=file, obj=obj, schema=f"CRD {crd_file}")
    found = []
    for version in versions:
        validator = kubernetes_validator(version, api_version, kind)
        if validator is None:
            found.append(Finding(file, obj, f"Kubernetes {version}", "apiVersion",
                                 f"Kubernetes {version} has no {kind} in {api_version}, and no CRD in "
                                 f"{crd_dir.name}/ defines it"))
        else:
            found.extend(_findings(validator, manifest, file=file, obj=obj, schema=f"Kubernetes {version}"))
    return found


def manifests(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    path = path.absolute()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def check_directory(directory: Path, *, versions: tuple[str, ...] = (MIN_KUBERNETES, NEWEST_KUBERNETES),
                    crd_dir: Path = CRD_DIR) -> tuple[int, list[Finding]]:
    """(number of objects, every problem) of the manifests in ``directory``."""
    count, found = 0, []
    for path in manifests(directory):
        file = shown(path)
        try:
            documents = [d for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if d is not None]
        except yaml.YAMLError as error:
            found.append(Finding(file, "(file)", "", "", f"not valid YAML: {error}".replace("\n", " ")))
            continue
        for document in documents:
            if not isinstance(document, dict):
                found.append(Finding(file, "(document)", "", "", "not a Kubernetes object (a mapping)"))
                continue
            count += 1
            found.extend(check_object(document, file=file, versions=versions, crd_dir=crd_dir))
    return count, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="*", type=Path, default=[Path("dist")],
                        help="directories of manifests (default: dist)")
    parser.add_argument("--kubernetes", action="append", metavar="VERSION",
                        help=f"Kubernetes version to check against, repeatable (default: {MIN_KUBERNETES}, the "
                             f"minimum supported, and {NEWEST_KUBERNETES}, the newest kubernetes-validate ships)")
    parser.add_argument("--crds", type=Path, default=CRD_DIR, help="directory of CRDs for custom resources")
    args = parser.parse_args(argv)
    versions = tuple(major_minor(v.removeprefix("v")) for v in args.kubernetes or (MIN_KUBERNETES, NEWEST_KUBERNETES))
    shipped = sorted({major_minor(v) for v in kubernetes_validate.utils.all_versions()}, key=lambda v: int(v.split(".")[1]))
    if unknown := [v for v in versions if v not in shipped]:
        parser.error(f"no schema for Kubernetes {', '.join(unknown)}: kubernetes-validate ships {', '.join(shipped)}")
    if not args.crds.is_dir():
        parser.error(f"--crds {args.crds}: not a directory")
    crd_names = ", ".join(sorted(p.name for p in args.crds.iterdir() if p.is_dir())) or args.crds.name
    status = 0
    for directory in args.directories:
        if not manifests(directory):
            print(f"validate: no manifests in {shown(directory)}/ (run make synth first)", file=sys.stderr)
            status = max(status, EXIT_NO_MANIFESTS)
            continue
        count, found = check_directory(directory, versions=versions, crd_dir=args.crds)
        if found:
            for finding in found:
                print(finding, file=sys.stderr)
            print(f"validate: {len(found)} problem(s) in {shown(directory)}/", file=sys.stderr)
            status = max(status, EXIT_INVALID)
        else:
            print(f"Validated {count} object{'s' if count != 1 else ''} in {shown(directory)}/ against Kubernetes {' and '.join(versions)} "
                  f"(strict: no unknown fields) and the vendored CRDs ({crd_names}): no problems")
    return status


if __name__ == "__main__":
    sys.exit(main())
