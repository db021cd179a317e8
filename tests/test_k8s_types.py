"""taskora_constructs/_generated/k8s_types.py is generated, current, and describes what the library emits.

GIVEN scripts/k8s_typeddicts.py and the pinned kubernetes-validate WHEN make generate runs with --check
THEN the committed module is exactly what it generates; AND every object of both profiles
matches the TypedDict of its kind (keys, required keys, value types), so the generated kinds
are the ones the library emits.
"""

from __future__ import annotations

import subprocess
import sys
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from conftest import ROOT
from profiles import PROFILES, objects_of
from taskora_constructs._generated import k8s_types


def test_the_generated_modules_are_current():
    # make generate --check: k8s_types.py and cnpg_types.py
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_generated_module_keeps_the_schemas_required_fields_at_run_time():
    assert k8s_types.Container.__required_keys__ == {"name"}
    assert k8s_types.DeploymentSpec.__required_keys__ == {"selector", "template"}
    assert k8s_types.IPBlock.__required_keys__ == {"cidr"}
    assert "from" in get_type_hints(k8s_types.NetworkPolicyIngressRule)


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


@pytest.mark.parametrize("profile", PROFILES)
def test_every_emitted_object_matches_its_typeddict(profile):
    kinds = {cls.__name__: cls for cls in get_args(k8s_types.Manifest)}
    objects = objects_of(profile)
    assert objects
    for manifest in objects:
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["apiVersion"].startswith(("postgresql.cnpg.io/", "barmancloud.cnpg.io/")):
            continue  # CloudNativePG's and its Barman Cloud plugin's TypedDicts: tests/test_cloudnative_pg.py
        if manifest["apiVersion"].startswith("external-secrets.io/"):
            continue  # External Secrets' TypedDicts: tests/test_external_secrets.py
        assert manifest["kind"] in kinds, f"{where}: add its kind to KINDS in scripts/k8s_typeddicts.py"
        assert mismatches(manifest, kinds[manifest["kind"]], where) == []
