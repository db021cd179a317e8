#!/usr/bin/env python3
"""Write the custom resources' TypedDicts under taskora_constructs/_generated/ (``make generate``),
one module per vendored CRD family (:data:`FAMILIES`): ``cnpg_types.py`` for the CloudNativePG
resources the library emits (``Cluster``, ``ScheduledBackup``, ``Pooler``; ``crds/cloudnative-pg-v1.29.2/``),
``barman_types.py`` for the Barman Cloud plugin's ``ObjectStore`` (``crds/plugin-barman-cloud-v0.14.0/``)
and ``eso_types.py`` for External Secrets' ``ExternalSecret`` (``crds/external-secrets-v2.9.0/``),
each from the ``openAPIV3Schema`` of the CRD's storage version. With --check, exit 1 if a
committed file is stale.

Why TypedDicts and not ``cdk8s import`` bindings (docs/decisions.md, "CloudNativePG types"):
the bindings of the three CloudNativePG CRDs are 2.4 MB (1.97 MB of Python, a 0.42 MB jsii assembly, 366
classes) that take ~0.9 s to import on the reference machine, and they would land in the app's
``imports/``, which the library must not import. These TypedDicts cost nothing at run time
(the construct imports them only for the type checker) and type the same fields for mypy.

What is generated: one ``TypedDict`` (``total=False``; the schema's ``required`` fields are
``Required[...]``) per object schema with properties, named by its path from the kind
(``Cluster`` -> ``ClusterSpec`` -> ``ClusterSpecBackup`` -> ``ClusterSpecBackupBarmanObjectStore``;
an array's item gets ``Item``). The ``status`` of each kind is left out (the operator writes
it); ``metadata`` is the Kubernetes ``ObjectMeta`` of ``k8s_types``. ``x-kubernetes-int-or-string``
is ``int | str``; an object without properties (or with preserved unknown fields) is
``dict[str, Any]``; an ``enum`` is a ``Literal``.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import Any

import yaml

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "taskora_constructs" / "_generated"


@dataclass(frozen=True)
class Family:
    """One generated module: its file, the CRDs it reads and the first lines of its docstring."""

    module: str
    crd_dir: Path
    crds: tuple[str, ...]
    title: str
    manifest_doc: str


FAMILIES = (
    Family("cnpg_types", Path("crds") / "cloudnative-pg-v1.29.2",
           ("postgresql.cnpg.io_clusters.yaml", "postgresql.cnpg.io_scheduledbackups.yaml",
            "postgresql.cnpg.io_poolers.yaml"),
           "CloudNativePG v1.29.2 custom resources as TypedDicts: ``Cluster``, ``ScheduledBackup`` and\n"
           "``Pooler`` (their ``status`` excepted).", "Any CloudNativePG object the library emits."),
    Family("barman_types", Path("crds") / "plugin-barman-cloud-v0.14.0",
           ("barmancloud.cnpg.io_objectstores.yaml",),
           "The Barman Cloud plugin v0.14.0's ``ObjectStore`` (CloudNativePG backups through the\n"
           "plugin) as TypedDicts (its ``status`` excepted).", "The Barman Cloud object the library emits."),
    Family("eso_types", Path("crds") / "external-secrets-v2.9.0",
           ("external-secrets.io_externalsecrets.yaml",),
           "External Secrets Operator v2.9.0's ``ExternalSecret`` as TypedDicts (its ``status``\n"
           "excepted).", "The External Secrets object the library emits."),
)
#: The CloudNativePG family's directory (the tests validate against it).
CRD_DIR = FAMILIES[0].crd_dir
TARGET = GENERATED / "cnpg_types.py"

SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
RESERVED = {"Any", "Literal", "Required", "TypeAlias", "TypedDict", "Manifest", "ObjectMeta", "k8s"}


def pascal(key: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", key)
    return "".join(part[:1].upper() + part[1:] for part in parts if part)


class Generator:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.names: set[str] = set()

    def python_type(self, schema: dict[str, Any], name: str) -> str:
        if schema.get("x-kubernetes-int-or-string"):
            return "int | str"
        if "enum" in schema:
            return "Literal[" + ", ".join(json.dumps(value) for value in schema["enum"]) + "]"
        kind = schema.get("type")
        if kind == "array":
            return f"list[{self.python_type(schema.get('items', {}), name + 'Item')}]"
        if kind == "object" or "properties" in schema:
            if schema.get("properties"):
                return self.typeddict(name, schema)
            values = schema.get("additionalProperties")
            if isinstance(values, dict) and values:
                return f"dict[str, {self.python_type(values, name + 'Value')}]"
            return "dict[str, Any]"
        if kind in SCALARS:
            return SCALARS[kind]
        return "Any"

    def typeddict(self, name: str, schema: dict[str, Any], extra: dict[str, str] | None = None) -> str:
        if name in self.names or name in RESERVED or keyword.iskeyword(name):
            raise ValueError(f"class name clash: {name}")
        self.names.add(name)
        required = set(schema.get("required", []))
        fields = dict(extra or {})
        for key, sub in sorted(schema["properties"].items()):
            if key in fields:
                continue
            fields[key] = self.python_type(sub, name + pascal(key))
        # Children are written first: no forward references (the module does not postpone
        # annotations, so ``Required`` stays visible at run time).
        rendered = [(key, f"Required[{annotation}]" if key in required else annotation)
                    for key, annotation in sorted(fields.items())]
        if all(key.isidentifier() and not keyword.iskeyword(key) for key, _ in rendered):
            body = "".join(f"    {key}: {annotation}\n" for key, annotation in rendered)
            self.blocks.append(f"class {name}(TypedDict, total=False):\n{body}")
        else:
            body = "".join(f"    {json.dumps(key)}: {annotation},\n" for key, annotation in rendered)
            self.blocks.append(f"{name} = TypedDict(\"{name}\", {{\n{body}}}, total=False)\n")
        return name


def render(crds: list[dict[str, Any]], family: Family = FAMILIES[0]) -> str:
    generator = Generator()
    kinds = []
    for crd in crds:
        spec = crd["spec"]
        [version] = [v for v in spec["versions"] if v.get("storage")]
        kind = spec["names"]["kind"]
        schema = dict(version["schema"]["openAPIV3Schema"])
        properties = {k: v for k, v in schema["properties"].items() if k not in ("status", "apiVersion", "kind",
                                                                                 "metadata")}
        api_version = f"{spec['group']}/{version['name']}"
        generator.typeddict(kind, {**schema, "properties": properties}, extra={
            "apiVersion": f"Literal[{json.dumps(api_version)}]", "kind": f"Literal[{json.dumps(kind)}]",
            "metadata": "ObjectMeta"})
        kinds.append(kind)
    header = (
        f'"""{family.title}\n\n'
        f"Generated by scripts/crd_typeddicts.py from the CRDs in {family.crd_dir.as_posix()}/. Do not edit by\n"
        "hand: run ``make generate``. Imported by the type checker only (the library\n"
        "imports it under ``TYPE_CHECKING``): no synth pays for it.\n"
        '"""\n\n'
        "from typing import Any, Literal, Required, TypeAlias, TypedDict\n\n"
        "from .k8s_types import ObjectMeta\n"
    )
    manifest = f"#: {family.manifest_doc}\nManifest: TypeAlias = {' | '.join(sorted(kinds))}\n"
    text = header + "\n\n" + "\n\n".join(generator.blocks) + "\n\n" + manifest
    if re.search(r"[ \t]+$", text, re.MULTILINE):
        raise ValueError("trailing whitespace in the generated module")
    return text


def main() -> int:
    status = 0
    for family in FAMILIES:  # every family, even after a stale one: --check names them all
        crds = [yaml.load((ROOT / family.crd_dir / name).read_text(), Loader=yaml.CSafeLoader)
                for name in family.crds]
        status = max(status, write_or_check(GENERATED / f"{family.module}.py", render(crds, family),
                                            regenerate="make generate"))
    return status


if __name__ == "__main__":
    sys.exit(main())
