"""Values-file sections derived from the construct props: one definition of every field.

A props dataclass of ``taskora_constructs`` (``FrontendProps``, ``PostgresProps``, ...) is the
single source of a section's keys, defaults, rules and docs:

* keys: each field's name in camelCase (``run_as_user`` -> ``runAsUser``), or the
  ``values_key`` of its ``field(metadata=...)`` where the values file says it otherwise;
* defaults: the props' own defaults (a section starts from the preset, e.g. ``FrontendProps()``,
  and a nested props value such as ``resources`` is overridden key by key);
* rules: the props check themselves when built (``__post_init__``); their problems are
  reported under the section's key path;
* docs: the ``#:`` comment above each field, or the class docstring's ``Attributes:`` entry.

An optional nested props field (``disruption_budget: DisruptionBudget | None``) is a mapping
with an ``enabled`` key; a mapping field drops ``null`` entries (a later layer removes a key of
an earlier one); a tuple field is a list.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import functools
import inspect
import re
import types
import typing
from typing import Any, Mapping

from taskora_constructs import Problem, TaskoraConfigError

ENABLED = "enabled"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def join(path: str, key: str) -> str:
    """A key path: ``frontend`` + ``replicas`` is ``frontend.replicas``; at the top, just the key."""
    return f"{path}.{key}" if path else key


def key_of(f: dataclasses.Field) -> str:
    return f.metadata.get("values_key", camel(f.name))


def fields_of(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.init]


@functools.cache
def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional_dataclass(annotation: Any) -> type | None:
    """``X`` for an annotation ``X | None`` where X is a dataclass, else None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and type(None) in typing.get_args(annotation) and dataclasses.is_dataclass(args[0]):
            return typing.cast(type, args[0])
    return None


def _dataclass(annotation: Any) -> type | None:
    return annotation if isinstance(annotation, type) and dataclasses.is_dataclass(annotation) else None


def _origin(annotation: Any) -> Any:
    return typing.get_origin(annotation) or annotation


def _is_mapping(annotation: Any) -> bool:
    return _origin(annotation) in (collections.abc.Mapping, dict, typing.Mapping) or annotation is dict


def _tuple_item(annotation: Any) -> Any | None:
    """``X`` for ``tuple[X, ...]`` (also inside ``| None``), else None."""
    candidates = [annotation] + list(typing.get_args(annotation) if _origin(annotation) in (
        typing.Union, types.UnionType) else [])
    for candidate in candidates:
        if _origin(candidate) is tuple:
            args = typing.get_args(candidate)
            return args[0] if args else Any
    return None


# --- building props from a values section -------------------------------------------------

def build(cls: type, data: Any, path: str, default: Any, problems: list[Problem],
          where: typing.Callable[[str], str]) -> Any:
    """``cls`` from the values mapping ``data`` at key ``path``, starting from ``default`` (an
    instance, or None: the class defaults). Problems go to ``problems``, each named by the
    file ``where(key_path)`` gives; on any problem the default (or None) comes back."""
    if not isinstance(data, Mapping):
        problems.append(Problem(where=where(path), field=path, value=data,
                                rule="must be a mapping of keys to values",
                                fix=f"write {path or 'the file'} as keys and values (see docs/values.schema.json)"))
        return default
    known = {key_of(f): f for f in fields_of(cls)}
    before = len(problems)
    _unknown_keys(cls, data, path, problems, where)
    changes: dict[str, Any] = {}
    for key, f in known.items():
        if key not in data:
            continue
        changes[f.name] = convert(hints(cls)[f.name], data[key], join(path, key),
                                  getattr(default, f.name) if default is not None else _field_default(f),
                                  problems, where)
    if len(problems) > before:
        return default
    missing = [key for key, f in known.items() if f.name not in changes and default is None
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        problems += [Problem(where=where(path), field=join(path, key), value=None, rule="is required here",
                             fix=f"set {join(path, key)}") for key in missing]
        return default
    try:
        return dataclasses.replace(default, **changes) if default is not None else cls(**changes)
    except TaskoraConfigError as error:
        problems += [dataclasses.replace(p, where=where(join(path, p.field)), field=join(path, p.field))
                     for p in error.problems]
        return default


def _unknown_keys(cls: type, data: Mapping, path: str, problems: list[Problem],
                  where: typing.Callable[[str], str], also: tuple[str, ...] = ()) -> None:
    known = [key_of(f) for f in fields_of(cls)]
    for key in data:
        if key not in known and key not in also:
            close = difflib.get_close_matches(str(key), known + list(also), n=1)
            problems.append(Problem(
                # Never the value: a secret typed under a section (database.password) stays unseen.
                where=where(join(path, key)), field=join(path, key), value="<not shown>", rule="is not a known key",
                fix=f"did you mean {join(path, close[0])!r}?" if close else
                f"remove it; known keys here: {', '.join(known)}"))


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def convert(annotation: Any, value: Any, path: str, default: Any, problems: list[Problem],
            where: typing.Callable[[str], str]) -> Any:
    """One field's value from the values file, as the props field takes it."""
    optional = _optional_dataclass(annotation)
    if optional is not None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            return build(optional, value, path, default, problems, where)
        enabled = value.get(ENABLED, default is not None)
        if enabled is False:  # off: its keys are not read, but a misspelt one (tls.enabeld) is still named
            _unknown_keys(optional, value, path, problems, where, also=(ENABLED,))
            return None
        if enabled is not True:
            problems.append(Problem(where=where(join(path, ENABLED)), field=join(path, ENABLED), value=enabled,
                                    rule="must be a boolean", fix="write true or false"))
            return default
        rest = {k: v for k, v in value.items() if k != ENABLED}
        return build(optional, rest, path, default, problems, where)
    nested = _dataclass(annotation)
    if nested is not None:
        return build(nested, value, path, default, problems, where)
    item = _tuple_item(annotation)
    if item is not None and isinstance(value, list):
        item_class = _dataclass(item)
        if item_class is not None:
            return tuple(build(item_class, v, f"{path}[{i}]", None, problems, where) for i, v in enumerate(value))
        return tuple(value)
    if _is_mapping(annotation) and isinstance(value, Mapping):
        return {k: v for k, v in value.items() if v is not None}
    return value  # the props' rules check it


# --- docs and JSON Schema -----------------------------------------------------------------

@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """Each field's one-paragraph doc: its ``#:`` comment, or its docstring ``Attributes:`` entry."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        docstring = inspect.getdoc(klass) or ""
        if "Attributes:" in docstring:
            current: list[str] = []
            for line in docstring.split("Attributes:", 1)[1].splitlines():
                match = re.match(r"^\s{4}([a-z_]+(?:\s*/\s*[a-z_]+)*):\s*(.*)$", line)
                if match:
                    current = [n.strip() for n in match.group(1).split("/")]
                    for name in current:
                        docs[name] = match.group(2).strip()
                elif line.strip() and current and line.startswith("        "):
                    for name in current:
                        docs[name] += " " + line.strip()
                elif not line.strip():
                    current = []
        try:
            source = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in source:
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
                continue
            match = re.match(r"^([a-z_][a-z0-9_]*)\s*:", stripped)
            if match and pending:
                docs[match.group(1)] = " ".join(pending)
            if not stripped.startswith("#"):
                pending = []
    return docs


def to_json(value: Any) -> Any:
    """A props default as JSON (tuples as lists, nested props as mappings of values keys)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key_of(f): to_json(getattr(value, f.name)) for f in fields_of(type(value))}
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def _type_schema(annotation: Any, default: Any) -> dict[str, Any]:
    optional = _optional_dataclass(annotation)
    if optional is not None:
        schema = section_schema(optional, default)
        schema["properties"] = {ENABLED: {"type": "boolean", "default": default is not None,
                                          "description": "false: none"}, **schema["properties"]}
        return schema
    nested = _dataclass(annotation)
    if nested is not None:
        return section_schema(nested, default)
    origin = _origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_type_schema(a, None) for a in typing.get_args(annotation)]}
    item = _tuple_item(annotation)
    if item is not None:
        return {"type": "array", "items": _type_schema(item, None)}
    if _is_mapping(annotation):
        args = typing.get_args(annotation)
        values = _type_schema(args[1], None) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": values or True}
    if typing.is_typeddict(annotation):  # a Kubernetes object body (k8s_types), given as JSON
        return {"type": "object", "description": f"Kubernetes {annotation.__name__} (JSON)"}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    return {"type": simple[annotation]} if annotation in simple else {}


def section_schema(cls: type, default: Any = None) -> dict[str, Any]:
    """The JSON Schema of ``cls`` as a values section, with ``default``'s values as defaults."""
    docs = field_docs(cls)
    properties: dict[str, Any] = {}
    for f in fields_of(cls):
        value = getattr(default, f.name) if default is not None else _field_default(f)
        schema = _type_schema(hints(cls)[f.name], value)
        if docs.get(f.name):
            schema["description"] = docs[f.name]
        required = default is None and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if not required and ("properties" not in schema or _optional_dataclass(hints(cls)[f.name]) is None):
            schema["default"] = to_json(value)
        properties[key_of(f)] = schema
    return {"type": "object", "additionalProperties": False, "properties": properties}
