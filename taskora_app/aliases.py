"""Top-level spellings of section keys (``routing: gateway`` is ``ingress.routing``).

Kept apart from :mod:`taskora_app.values` because it is one self-contained concern: the keys
move into their section before the props are built, keep the file they came from, and every
problem about them is named as the file wrote them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from taskora_constructs import Problem

#: Top-level spellings of keys that live in a section's props: the issue's (and the README's)
#: ``routing: gateway`` and ``gateway.parentRefs`` are ``ingress.routing`` and ``ingress.gateway``.
ALIASES = {"routing": "ingress", "gateway": "ingress"}



def aliased_origin(origin: Mapping[str, str], aliased: set[str]) -> dict[str, str]:
    moved = dict(origin)
    for key in aliased:
        for path, source in origin.items():
            if path == key or path.startswith(key + "."):
                moved[f"{ALIASES[key]}.{path}"] = source
    return moved


def unalias(data: dict, origin: Mapping[str, str]) -> set[str]:
    """Move top-level aliases into their section (in place), over what the section says (the
    base layer restates the defaults there); the aliases used."""
    used = set()
    for key, section in ALIASES.items():
        if key not in data:
            continue
        part = data.get(section) if isinstance(data.get(section), Mapping) else {}
        value = data.pop(key)
        if isinstance(value, Mapping) and isinstance(part.get(key), Mapping):
            value = {**part[key], **value}
        data[section] = {**part, key: value}
        used.add(key)
    return used


def as_written(problem: Problem, aliased: set[str]) -> Problem:
    """``problem`` named by the key as the file wrote it (``routing``, not ``ingress.routing``)."""
    for key in aliased:
        prefix = f"{ALIASES[key]}.{key}"
        if problem.field == prefix or problem.field.startswith(prefix + "."):
            return replace(problem, field=problem.field[len(ALIASES[key]) + 1:])
    return problem
