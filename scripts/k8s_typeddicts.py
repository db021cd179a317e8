#!/usr/bin/env python3
"""Write taskora_constructs/_generated/k8s_types.py (``make generate``): TypedDicts for the
Kubernetes objects the library emits, from the Kubernetes 1.28 JSON schema that the pinned
kubernetes-validate ships (the schema the test suite validates every emitted object
against), and for the Gateway API ``HTTPRoute`` from the ``openAPIV3Schema`` of the vendored
v1 CRD (``crds/``, the schema the tests validate HTTPRoutes against). With --check, exit 1 if
the committed file is stale.

What is generated: one ``TypedDict`` (``total=False``; the schema's required fields are
``Required[...]``) per definition reachable from the kinds in ``KINDS``, named after the
definition's last segment (``io.k8s.api.core.v1.PodSpec`` -> ``PodSpec``; where two reachable
definitions share a last segment, both get their API group and version as a prefix). The
``status`` of each kind is left out: the API server writes it, the library never does, and it
would add 26 definitions. ``apiVersion`` and ``kind`` are ``Literal`` types; ``null`` (which
the schema allows for most optional fields) is not: the library omits a field instead.

A CRD's schema has no named definitions: each nested object is inline. Each becomes a
definition named after its path below ``spec`` (``spec.rules[].matches[].path`` ->
``HTTPRouteRuleMatchPath``: list items singular, the kind as prefix); an object that is
structurally the same as one nearer the root (``spec.rules[].backendRefs[].filters[]`` and
``spec.rules[].filters[]``) reuses its class. ``metadata`` is the Kubernetes ``ObjectMeta``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from _generated import write_or_check  # scripts/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "taskora_constructs" / "_generated" / "k8s_types.py"
SCHEMA_DIR = "v1.28.0-local-strict"
DISTRIBUTION = "kubernetes-validate"

#: The kinds the library emits (taskora_constructs/), as schema definitions.
KINDS = (
    "io.k8s.api.apps.v1.Deployment",
    "io.k8s.api.apps.v1.StatefulSet",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    "io.k8s.api.batch.v1.CronJob",
    "io.k8s.api.core.v1.ConfigMap",
    "io.k8s.api.core.v1.Namespace",
    "io.k8s.api.core.v1.Secret",
    "io.k8s.api.core.v1.Service",
    "io.k8s.api.core.v1.ServiceAccount",
    "io.k8s.api.networking.v1.Ingress",
    "io.k8s.api.networking.v1.NetworkPolicy",
    "io.k8s.api.policy.v1.PodDisruptionBudget",
    "io.k8s.api.storage.v1.StorageClass",
    "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy",
    "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding",
    "io.k8s.networking.gateway.v1.HTTPRoute",  # from CRDS
)

#: Kinds the 1.28 schema does not have, with the first schema that does: their definitions
#: (and only the definitions 1.28 lacks) come from it. admissionregistration.k8s.io/v1
#: ValidatingAdmissionPolicy is GA in Kubernetes 1.30 (the deletion protection needs it).
LATER_SCHEMAS = {
    "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy": "v1.30.0-local-strict",
    "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding": "v1.30.0-local-strict",
}

#: Custom resources the library emits: (CRD file, served version), from the vendored CRDs.
CRDS = (
    (ROOT / "crds" / "gateway-api-v1.6.1" / "gateway.networking.k8s.io_httproutes.yaml", "v1"),
)
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

#: Definitions that are not objects: a type alias each (the schema's oneOf / format).
ALIASES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int | str",     # oneOf string, integer
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "str | int | float",  # oneOf string, number
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "str",                # string, date-time
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "dict[str, Any]",  # object, no properties
}

#: Names the module itself defines or imports.
RESERVED = {"Any", "Literal", "Required", "TypeAlias", "TypedDict", "Manifest"}

SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def load_definitions() -> dict[str, Any]:
    schemas = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / SCHEMA_DIR
    definitions: dict[str, Any] = json.loads((schemas / "_definitions.json").read_text())["$defs"]
    for schema_dir in sorted(set(LATER_SCHEMAS.values())):
        later = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / schema_dir
        for name, definition in json.loads((later / "_definitions.json").read_text())["$defs"].items():
            definitions.setdefault(name, definition)
    for path, version in CRDS:
        definitions.update(crd_definitions(path, version))
    return definitions


def _singular(name: str) -> str:
    return name[:-2] if name.endswith("ches") else name[:-1] if name.endswith("s") else name


def _shape(schema: Any) -> Any:
    """``schema`` without its prose, to find structurally equal inline objects."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in sorted(schema.items()) if k != "description"}
    if isinstance(schema, list):
        return [_shape(item) for item in schema]
    return schema


def crd_definitions(path: Path, version: str) -> dict[str, Any]:
    """The kind of the CRD in ``path`` at ``version`` and its inline objects as definitions, keyed
    ``<reversed group>.<version>.<Class>`` (e.g. ``io.k8s.networking.gateway.v1.HTTPRoute``)."""
    crd = yaml.safe_load(path.read_text())
    spec = crd["spec"]
    kind = spec["names"]["kind"]
    prefix = ".".join(reversed(spec["group"].split("."))) + f".{version}."
    [served] = [v for v in spec["versions"] if v["name"] == version]
    root = json.loads(json.dumps(served["schema"]["openAPIV3Schema"]))
    root["properties"].pop("status", None)
    root["properties"]["apiVersion"] = {"type": "string", "enum": [f"{spec['group']}/{version}"]}
    root["properties"]["kind"] = {"type": "string", "enum": [kind]}
    root["properties"]["metadata"] = {"$ref": f"#/$defs/{OBJECT_META}"}
    root["required"] = sorted({*root.get("required", []), "apiVersion", "kind"})
    definitions: dict[str, Any] = {}
    names_by_shape: dict[str, str] = {}
    # Breadth first: an object nearer the root names the class that its equals elsewhere reuse.
    queue: list[tuple[dict[str, Any], str]] = [(root, kind)]
    while queue:
        schema, name = queue.pop(0)
        for key, child in schema.get("properties", {}).items():
            item_holder, item_key, class_name = schema["properties"], key, name + key[:1].upper() + key[1:]
            if child.get("type") == "array":
                item_holder, item_key, class_name = child, "items", name + _singular(key[:1].upper() + key[1:])
            target = item_holder[item_key]
            if target.get("type") != "object" or "properties" not in target:
                continue
            if name == kind and key == "spec":
                class_name = f"{kind}Spec"
            elif name == f"{kind}Spec":
                class_name = kind + class_name[len(name):]
            shape = json.dumps(_shape(target), sort_keys=True)
            known = names_by_shape.get(shape)
            if known is None:
                names_by_shape[shape] = known = class_name
                definitions[prefix + known] = target
                queue.append((target, known))
            item_holder[item_key] = {"$ref": f"#/$defs/{prefix}{known}"}
    definitions[prefix + kind] = root
    return definitions


def ref_name(schema: dict[str, Any]) -> str:
    ref: str = schema["$ref"]
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        raise ValueError(f"unsupported $ref {ref}")
    return ref[len(prefix):]


def own_properties(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = dict(definition.get("properties", {}))
    if name in KINDS:
        properties.pop("status", None)
    return properties


def references(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        if "$ref" in schema:
            found.add(ref_name(schema))
        for value in schema.values():
            found |= references(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= references(item)
    return found


def closure(definitions: dict[str, Any]) -> list[str]:
    """Every definition reachable from KINDS, sorted."""
    seen: set[str] = set()
    todo = list(KINDS)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in ALIASES:
            todo.extend(references(own_properties(name, definitions[name])))
    return sorted(seen)


def group_version(name: str) -> str:
    """``io.k8s.api.autoscaling.v2.X`` -> ``AutoscalingV2``; ``...apis.meta.v1.X`` -> ``MetaV1``."""
    *path, version, _ = name.split(".")
    if name.startswith("io.k8s.networking.gateway."):  # a CRD's: the group's first label
        path = ["gateway"]
    return "".join(part[:1].upper() + part[1:] for part in (path[-1], version))


def class_names(names: list[str]) -> dict[str, str]:
    last = {name: name.rsplit(".", 1)[1] for name in names}
    counts: dict[str, int] = {}
    for short in last.values():
        counts[short] = counts.get(short, 0) + 1
    result = {name: short if counts[short] == 1 else group_version(name) + short for name, short in last.items()}
    clashes = sorted(n for n in result.values() if n in RESERVED or keyword.iskeyword(n))
    if clashes or len(set(result.values())) != len(result):
        raise ValueError(f"class names clash: {clashes or sorted(result.values())}")
    return result


def python_type(schema: dict[str, Any], names: dict[str, str]) -> str:
    if "$ref" in schema:
        return names[ref_name(schema)]
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(value) for value in schema["enum"]) + "]"
    types: str | list[str] = schema["type"]
    kinds = [t for t in ([types] if isinstance(types, str) else types) if t != "null"]
    if len(kinds) != 1:
        raise ValueError(f"unsupported schema {schema}")
    [kind] = kinds
    if kind == "array":
        return f"list[{python_type(schema['items'], names)}]"
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            return f"dict[str, {python_type(values, names)}]"
        if "properties" in schema:
            raise ValueError(f"unsupported inline object {schema}")
        return "dict[str, Any]"
    return SCALARS[kind]


def render_typeddict(name: str, definition: dict[str, Any], names: dict[str, str]) -> str:
    cls = names[name]
    required = set(definition.get("required", []))
    fields = []
    for key, schema in sorted(own_properties(name, definition).items()):
        annotation = python_type(schema, names)
        # The module does not postpone annotations (``Required`` inside a string annotation is
        # lost at run time: ``__required_keys__`` would be empty), so a reference to a class
        # is a string: the classes are in name order, not in the order they refer to each other.
        if references(schema) - ALIASES.keys():
            annotation = f'"{annotation}"'
        fields.append((key, f"Required[{annotation}]" if key in required else annotation))
    if not fields:
        raise ValueError(f"{name} has no properties")
    if all(key.isidentifier() and not keyword.iskeyword(key) for key, _ in fields):
        body = "".join(f"    {key}: {annotation}\n" for key, annotation in fields)
        return f"class {cls}(TypedDict, total=False):  # {name}\n{body}"
    # A key that is no identifier (e.g. ``from``): the functional syntax.
    body = "".join(f"    {json.dumps(key)}: {annotation},\n" for key, annotation in fields)
    return f"# {name}\n{cls} = TypedDict(\"{cls}\", {{\n{body}}}, total=False)\n"


def render(definitions: dict[str, Any], version: str) -> str:
    reachable = closure(definitions)
    names = class_names(reachable)
    header = (
        f'"""Kubernetes 1.28 object bodies as TypedDicts: the kinds this library emits and every type\n'
        f"they reference (their ``status`` excepted).\n\n"
        f"Generated by scripts/k8s_typeddicts.py from the JSON schema in {DISTRIBUTION} {version}\n"
        f"({SCHEMA_DIR}; {', '.join(sorted(set(LATER_SCHEMAS.values())))} for the kinds 1.28 lacks:\n"
        f"{', '.join(sorted(n.rsplit('.', 1)[1] for n in LATER_SCHEMAS))}).\n"
        f"({SCHEMA_DIR}) and, for custom resources, from the vendored CRDs\n"
        f"({', '.join(f'{p.parent.name}/{p.name} {v}' for p, v in CRDS)}).\n"
        f"Do not edit by hand: run ``make generate``.\n"
        f'"""\n\n'
        f"from typing import Any, Literal, Required, TypeAlias, TypedDict\n"
    )
    blocks = []
    for name in sorted(ALIASES, key=lambda n: names.get(n, n)):
        if name in names:
            blocks.append(f"{names[name]}: TypeAlias = {ALIASES[name]}  # {name}\n")
    aliases = "".join(blocks)
    classes = [render_typeddict(name, definitions[name], names)
               for name in sorted((n for n in reachable if n not in ALIASES), key=names.__getitem__)]
    kinds = " | ".join(sorted(names[name] for name in KINDS))
    manifest = f"#: Any object the library emits.\nManifest: TypeAlias = {kinds}\n"
    text = header + "\n" + aliases + "\n\n" + "\n\n".join(classes) + "\n\n" + manifest
    if re.search(r"[ \t]+$", text, re.MULTILINE):
        raise ValueError("trailing whitespace in the generated module")
    return text


def main() -> int:
    version = importlib.metadata.version(DISTRIBUTION)
    text = render(load_definitions(), version)
    return write_or_check(TARGET, text, regenerate="make generate")


if __name__ == "__main__":
    sys.exit(main())
