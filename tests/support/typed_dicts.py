"""Whether a manifest fits a generated TypedDict (taskora_constructs/_generated/): the generated
kinds' test and the tests of the custom resources (HTTPRoute, CloudNativePG, ExternalSecret) use it."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict


def mismatches(value: object, annotation: Any, path: str) -> list[str]:
    """Where ``value`` does not fit ``annotation`` (a type from k8s_types), as paths."""
    origin = get_origin(annotation)
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        hints = get_type_hints(annotation)
        found = [f"{path}.{key}: not a field of {annotation.__name__}" for key in value if key not in hints]
        found += [f"{path}.{key}: required by {annotation.__name__}"
                  for key in annotation.__required_keys__ if key not in value]
        for key, item in value.items():
            if key in hints:
                found += mismatches(item, hints[key], f"{path}.{key}")
        return found
    if origin in (typing.Union, types.UnionType):
        options = [mismatches(value, option, path) for option in get_args(annotation)]
        return [] if any(not o for o in options) else [f"{path}: {value!r} is not {annotation}"]
    if origin is Literal:
        return [] if value in get_args(annotation) else [f"{path}: {value!r} is not {annotation}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        [item_type] = get_args(annotation)
        return [m for i, item in enumerate(value) for m in mismatches(item, item_type, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        _, item_type = get_args(annotation)
        return [m for key, item in value.items() for m in mismatches(item, item_type, f"{path}.{key}")]
    if annotation is Any:
        return []
    if annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, annotation)
    return [] if ok else [f"{path}: {value!r} is not {annotation.__name__}"]
