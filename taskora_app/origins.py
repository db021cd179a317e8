"""Where each key path of the merged values was last set (``file:line:column``).

Kept apart from :mod:`taskora_app.values` because it is one self-contained concern: the layers
are merged key by key, and every problem found later must name the layer (and line) that set
the value it is about, not an earlier layer the key was overridden in.
"""

from __future__ import annotations

import re
from typing import Any, Mapping


def merge_layer(base: dict, layer: Mapping, origin: dict, source: str, marks: Mapping[str, tuple[int, int]],
                prefix: str = "") -> None:
    """Deep-merge ``layer`` into ``base``, recording where (``file:line:column``) every key path
    was last set: a problem then names the layer that set the value, not an earlier one."""
    for key, value in layer.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            origin[path] = located_in(source, marks, path)
            merge_layer(base[key], value, origin, source, marks, path)
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value
            for known in [k for k in origin if k == path or k.startswith((path + ".", path + "["))]:
                del origin[known]
            _record(origin, value, source, marks, path)


def located_in(source: str, marks: Mapping[str, tuple[int, int]], path: str) -> str:
    """Where key ``path`` of layer ``source`` is: ``file:line:column``, or the file when its line is unknown."""
    line, column = marks.get(path, (0, 0))
    return f"{source}:{line}:{column}" if line else source


def file_of(located: str) -> str:
    """The file of an origin :func:`located_in` wrote (``file:line:column``, or the file alone);
    a file name may itself hold a colon."""
    return re.sub(r":\d+:\d+$", "", located)


def _record(origin: dict, value: Any, source: str, marks: Mapping[str, tuple[int, int]], path: str) -> None:
    origin[path] = located_in(source, marks, path)
    children = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        _record(origin, child, source, marks, f"{path}[{key}]" if isinstance(value, list) else f"{path}.{key}")


def source_of(origin: Mapping[str, str], path: str) -> str:
    """Where ``path`` (or, if it was not written, the nearest key above it) was last set."""
    while path:
        if path in origin:
            return origin[path]
        path = re.sub(r"\[\d+\]$", "", path) if path.endswith("]") else path.rpartition(".")[0]
    return "values"
