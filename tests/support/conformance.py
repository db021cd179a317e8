"""Field-by-field comparison of synthesized objects with the documented model.

A *difference* is one documented field whose synthesized value is not the model's:

* ``changed``  - the field exists in both with different values;
* ``missing``  - a documented field is absent from the output;
* ``appended`` - the output's list starts with the documented list and has more items;
* ``removed``  - a documented object is not synthesized at all;
* ``added``    - an object is synthesized that the model does not have.

Fields the output adds to a documented map (e.g. extra annotations or labels) are not
differences: additions are allowed, changes to documented fields are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MISSING = "<missing>"


@dataclass(frozen=True)
class Difference:
    object: str  # "Kind/name"
    path: str  # e.g. spec.template.spec.containers[0].env, metadata.labels["app"]
    change: str  # changed | missing | appended | removed | added
    model: Any = None
    synthesized: Any = None

    def __str__(self) -> str:
        where = f"{self.object} {self.path}".strip()
        return f"{where}: {self.change}: model={self.model!r} synthesized={self.synthesized!r}"


def object_id(manifest: dict) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def _child(path: str, key: str) -> str:
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def diff_value(obj: str, path: str, model: Any, actual: Any) -> list[Difference]:
    if isinstance(model, dict) and isinstance(actual, dict):
        found: list[Difference] = []
        for key, model_value in model.items():
            child = _child(path, key)
            if key not in actual:
                found.append(Difference(obj, child, "missing", model_value, MISSING))
            else:
                found += diff_value(obj, child, model_value, actual[key])
        return found
    if isinstance(model, list) and isinstance(actual, list):
        if len(model) == len(actual):
            found = []
            for index, (model_item, actual_item) in enumerate(zip(model, actual)):
                found += diff_value(obj, f"{path}[{index}]", model_item, actual_item)
            return found
        if len(actual) > len(model) and actual[: len(model)] == model:
            return [Difference(obj, path, "appended", None, actual[len(model):])]
        return [Difference(obj, path, "changed", model, actual)]
    # Scalars compare with their YAML types: "60" and 60 differ, as they do to the API server.
    if type(model) is not type(actual) or model != actual:
        return [Difference(obj, path, "changed", model, actual)]
    return []


def diff_objects(model_objects: list[dict], synthesized: list[dict]) -> list[Difference]:
    """Every difference between the model's objects and the synthesized ones."""
    actual = {object_id(o): o for o in synthesized}
    documented = {object_id(o): o for o in model_objects}
    found: list[Difference] = []
    for oid, model_object in documented.items():
        if oid not in actual:
            found.append(Difference(oid, "", "removed"))
        else:
            found += diff_value(oid, "", model_object, actual[oid])
    found += [Difference(oid, "", "added") for oid in actual if oid not in documented]
    return found
