#!/usr/bin/env python3
"""Write taskora_constructs/_generated/cnpg_types.py (``make generate``): TypedDicts for the
CloudNativePG custom resources the library emits (``Cluster``, ``ScheduledBackup``,
``Pooler``), generated from the ``openAPIV3Schema`` of the CRDs vendored in
``crds/cloudnative-pg-v1.29.2/``. With --check, exit 1 if the committed file is stale.

Why TypedDicts and not ``cdk8s import`` bindings (docs/decisions.md, "CloudNativePG types"):
the bindings of these three CRDs are 2.4 MB (1.97 MB of Python, a 0.42 MB jsii assembly, 366
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
from typing import Any

import yaml

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "taskora_constructs" / "_generated" / "cnpg_types.py"
CRD_DIR = Path("crds") / "cloudnative-pg-v1.29.2"
#: The CRD files, and the kinds the library emits from them.
CRDS = ("postgresql.cnpg.io_clusters.yaml", "postgresql.cnpg.io_scheduledbackups.yaml",
        "postgresql.cnpg.io_poolers.yaml")

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


def render(crds: list[dict[str, Any]]) -> str:
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
        '"""CloudNativePG v1.29.2 custom resources as TypedDicts: ``Cluster``, ``ScheduledBackup`` and\n'
        "``Pooler`` (their ``status`` excepted).\n\n"
        f"Generated by scripts/crd_typeddicts.py from the CRDs in {CRD_DIR.as_posix()}/. Do not edit by\n"
        "hand: run ``make generate``. Imported by the type checker only (``taskora_constructs.database``\n"
        "imports it under ``TYPE_CHECKING``): no synth pays for it.\n"
        '"""\n\n'
        "from typing import Any, Literal, Required, TypeAlias, TypedDict\n\n"
        "from .k8s_types import ObjectMeta\n"
    )
    manifest = f"#: Any CloudNativePG object the library emits.\nManifest: TypeAlias = {' | '.join(sorted(kinds))}\n"
    text = header + "\n\n" + "\n\n".join(generator.blocks) + "\n\n" + manifest
    if re.search(r"[ \t]+$", text, re.MULTILINE):
        raise ValueError("trailing whitespace in the generated module")
    return text


def main() -> int:
    crds = [yaml.safe_load((ROOT / CRD_DIR / name).read_text()) for name in CRDS]
    return write_or_check(TARGET, render(crds), regenerate="make generate")


if __name__ == "__main__":
    sys.exit(main())
