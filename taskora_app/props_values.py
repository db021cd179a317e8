"""Values-file sections derived from the construct props: one definition of every field.

A props dataclass of ``taskora_constructs`` (``TaskoraFrontendProps``, ``PostgresProps``, ...) is the
single source of a section's keys, defaults, rules and docs:

* keys: each field's name in camelCase (``run_as_user`` -> ``runAsUser``), or the
  ``values_key`` of its ``field(metadata=...)`` where the values file says it otherwise;
* defaults: the props' own defaults (a section starts from the preset, e.g. ``TaskoraFrontendProps()``,
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
import functools
import inspect
import re
import sys
import types
import typing
from typing import Any, Callable, Mapping

import cattrs
from cattrs.errors import (AttributeValidationNote, ClassValidationError, ForbiddenExtraKeysError,
                           IterableValidationError, IterableValidationNote)

from taskora_constructs import Problem, TaskoraConfigError

from .suggest import closest

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


@functools.cache
def hint(cls: type, name: str) -> Any:
    """``hints(cls)[name]``, resolving that one annotation only: a synth reads the types of the
    keys a values file sets, and resolving every field's would load what those never name (the
    ~200 Kubernetes TypedDicts of ``PodOptions``' fields, issue #22). Same namespaces as
    ``typing.get_type_hints``: the defining class's attributes, then its module's globals."""
    klass = next(k for k in cls.__mro__ if name in k.__dict__.get("__annotations__", {}))
    holder = type(klass.__name__, (), {"__annotations__": {name: klass.__dict__["__annotations__"][name]}})
    return typing.get_type_hints(holder, globalns=dict(vars(klass)), localns=vars(sys.modules[klass.__module__]))[name]


class _Preset:
    """A field's value taken from the preset (``_overlay``), not from a values file: already
    built and checked, so it is passed to the props as it is, its type never resolved."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


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
#
# cattrs structures the values into the props (one converter, configured below); this module
# only lays the values over the section's preset first (``_overlay``) and turns cattrs'
# collected errors into the project's Problems (``_problems``), all of them at once.

class _Refused(ValueError):
    """A value the converter refuses itself: ``rule`` broken by ``value`` at ``key`` below the
    path being structured; ``fix`` may name that path as ``{path}``."""

    def __init__(self, value: Any, rule: str, fix: str, key: str = "") -> None:
        super().__init__(rule)
        self.value, self.rule, self.fix, self.key = value, rule, fix, key


class _UnknownKeys(ForbiddenExtraKeysError):
    """Keys of a section that is off (``enabled: false``): not read, but a misspelt one is named;
    ``enabled`` is a key there too."""

    also = (ENABLED,)


def _passthrough(value: Any, _: Any) -> Any:
    return value  # a scalar or Kubernetes body as written: the props' rules check it, nothing coerces it


def _dataclass_hook(cls: type) -> Callable[[Any, Any], Any]:
    """The structure hook of a props dataclass: what cattrs' ``make_dict_structure_fn`` generates
    under this converter (detailed validation, extra keys forbidden, keys renamed by ``key_of``),
    interpreted instead of generated. A synth builds each props class once: compiling a function
    per class cost ~25 ms of the app's start-up, more than structuring the values with it."""
    fields = [(key_of(f), f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
              for f in fields_of(cls)]
    allowed = {key for key, *_ in fields}
    handlers: dict[str, Callable[[Any, Any], Any]] = {}  # each field's hook, looked up on first use

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, cls):  # the preset's own value (see _overlay)
            return value
        if not isinstance(value, Mapping):
            raise _Refused(value, "must be a mapping of keys to values",
                           "write {path} as keys and values (see docs/values.schema.json)")
        structured: dict[str, Any] = {}
        errors: list[Exception] = []
        for key, name, required in fields:
            if not required and key not in value:
                continue
            try:
                raw = value[key]
                if isinstance(raw, _Preset):
                    structured[name] = raw.value
                    continue
                annotation = hint(cls, name)
                handler = handlers.get(name)
                if handler is None:
                    handler = handlers[name] = CONVERTER.get_structure_hook(annotation)
                structured[name] = handler(raw, annotation)
            except Exception as error:  # noqa: BLE001 - every field's problem is collected, as cattrs does
                error.__notes__ = [*getattr(error, "__notes__", []), AttributeValidationNote(
                    f"Structuring class {cls.__qualname__} @ attribute {name}", name, hint(cls, name))]
                errors.append(error)
        unknown = set(value) - allowed
        if unknown:
            errors.append(ForbiddenExtraKeysError("", cls, unknown))
        if errors:
            raise ClassValidationError(f"While structuring {cls.__name__}", errors, cls)
        try:
            return cls(**structured)
        except Exception as error:  # the props' own rules (__post_init__), as cattrs reports them
            raise ClassValidationError(f"While structuring {cls.__name__}", [error], cls) from error
    return structure


def _union_hook(value: Any, annotation: Any) -> Any:
    """``X | None``: None, or X; an optional props section is switched by its ``enabled`` key."""
    if value is None or any(isinstance(value, arm) for arm in typing.get_args(annotation) if isinstance(arm, type)):
        return value
    optional = _optional_dataclass(annotation)
    if optional is None or not isinstance(value, Mapping):
        return value if optional is None else CONVERTER.structure(value, optional)
    enabled = value.get(ENABLED, False)  # _overlay has put the preset's state in
    if enabled is False:  # off: its keys are not read, but a misspelt one (tls.enabeld) is still named
        unknown = set(value) - {key_of(f) for f in fields_of(optional)} - {ENABLED}
        if unknown:
            raise ClassValidationError("While structuring " + optional.__name__,
                                       [_UnknownKeys("", optional, unknown)], optional)
        return None
    if enabled is not True:
        raise _Refused(enabled, "must be a boolean", "write true or false", key=ENABLED)
    return CONVERTER.structure({k: v for k, v in value.items() if k != ENABLED}, optional)


def _mapping_hook(value: Any, _: Any) -> Any:
    return {k: v for k, v in value.items() if v is not None} if isinstance(value, Mapping) else value


def _tuple_hook(value: Any, annotation: Any) -> Any:
    """A list as a tuple, item by item (each item's problems at ``path[i]``, all of them)."""
    if not isinstance(value, list):
        return value  # the preset's tuple, or a wrong type the props' rules name
    item, = typing.get_args(annotation)[:1] or (Any,)
    items, errors = [], []
    for index, entry in enumerate(value):
        try:
            items.append(CONVERTER.structure(entry, item))
        except Exception as error:  # noqa: BLE001 - each item's problem is collected, none stops the others
            error.__notes__ = [*getattr(error, "__notes__", []), IterableValidationNote(f"@ index {index}", index, item)]
            errors.append(error)
    if errors:
        raise IterableValidationError("While structuring a list", errors, annotation)
    return tuple(items)


#: The one converter: values keys in camelCase (``key_of``), an unknown key refused, every
#: problem collected (detailed validation), scalars and Kubernetes bodies passed as written.
CONVERTER = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
for _scalar in (bool, int, float, str):
    CONVERTER.register_structure_hook(_scalar, _passthrough)
CONVERTER.register_structure_hook_func(typing.is_typeddict, _passthrough)
CONVERTER.register_structure_hook_func(lambda t: _origin(t) is tuple, _tuple_hook)
CONVERTER.register_structure_hook_func(_is_mapping, _mapping_hook)
CONVERTER.register_structure_hook_func(lambda t: _origin(t) in (typing.Union, types.UnionType), _union_hook)
CONVERTER.register_structure_hook_factory(dataclasses.is_dataclass, _dataclass_hook)


def build(cls: type, data: Any, path: str, default: Any, problems: list[Problem],
          where: typing.Callable[[str], str]) -> Any:
    """``cls`` from the values mapping ``data`` at key ``path``, starting from ``default`` (an
    instance, or None: the class defaults). Problems go to ``problems``, each named by the
    file ``where(key_path)`` gives; on any problem the default (or None) comes back."""
    data = _overlay(cls, data, default)
    try:
        return CONVERTER.structure(data, cls)
    except Exception as error:  # noqa: BLE001 - cattrs' errors, and the props' own rules, become Problems
        problems += _problems(error, data, path, where)
        return default


def _overlay(cls: type, data: Any, default: Any) -> Any:
    """``data`` over ``default`` (an instance of ``cls``, or None): each key not written keeps the
    preset's value, and a nested props mapping is laid over the preset's nested value, key by key."""
    if not isinstance(data, Mapping):
        return data
    known = {key_of(f): f for f in fields_of(cls)}
    merged = {key: _Preset(getattr(default, f.name)) for key, f in known.items()} if default is not None else {}
    for key, value in data.items():
        f = known.get(key)
        merged[key] = value if f is None else _overlay_field(
            hint(cls, f.name), value, getattr(default, f.name) if default is not None else _field_default(f))
    return merged


def _overlay_field(annotation: Any, value: Any, default: Any) -> Any:
    optional = _optional_dataclass(annotation)
    if optional is not None and isinstance(value, Mapping):
        rest = _overlay(optional, {k: v for k, v in value.items() if k != ENABLED}, default)
        return {ENABLED: value.get(ENABLED, default is not None), **rest}
    nested = _dataclass(annotation)
    if nested is not None:
        return _overlay(nested, value, default)
    item = _dataclass(_tuple_item(annotation))
    if item is not None and isinstance(value, list):
        return [_overlay(item, entry, None) for entry in value]
    return value


def _problems(error: BaseException, data: Any, path: str, where: typing.Callable[[str], str]) -> list[Problem]:
    """The Problems of one cattrs error at key ``path`` (``data`` the values there), in the file's terms."""
    if isinstance(error, (ClassValidationError, IterableValidationError)):
        found: list[Problem] = []
        # A section's unknown keys first, then its fields in their order (as the schema lists them).
        for sub in sorted(error.exceptions, key=lambda e: not isinstance(e, ForbiddenExtraKeysError)):
            note = (getattr(sub, "__notes__", None) or [None])[-1]
            if isinstance(note, AttributeValidationNote):
                key = next(key_of(f) for f in fields_of(error.cl) if f.name == note.name)
                child = data.get(key) if isinstance(data, Mapping) else None
                found += _problems(sub, child, join(path, key), where)
            elif isinstance(note, IterableValidationNote):
                found += _problems(sub, data[note.index], f"{path}[{note.index}]", where)
            else:
                found += _problems(sub, data, path, where)
        return found
    if isinstance(error, ForbiddenExtraKeysError):
        known = [key_of(f) for f in fields_of(error.cl)] + list(getattr(error, "also", ()))
        found = []
        for key in [k for k in data if k in error.extra_fields]:  # in the file's order
            close = closest(str(key), known)
            # Never the value: a secret typed under a section (database.password) stays unseen.
            found.append(Problem(where=where(join(path, key)), field=join(path, key), value="<not shown>",
                                 rule="is not a known key", fix=f"did you mean {join(path, close[0])!r}?" if close
                                 else f"remove it; known keys here: {', '.join(known)}"))
        return found
    if isinstance(error, TaskoraConfigError):  # the props' own rules, named under the section's path
        return [dataclasses.replace(p, where=where(join(path, p.field)), field=join(path, p.field))
                for p in error.problems]
    if isinstance(error, KeyError):
        return [Problem(where=where(path), field=path, value=None, rule="is required here", fix=f"set {path}")]
    if isinstance(error, _Refused):
        return [Problem(where=where(join(path, error.key)), field=join(path, error.key), value=error.value,
                        rule=error.rule, fix=error.fix.format(path=path or "the file"))]
    raise error  # not a values problem: a bug here, not the user's


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


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
