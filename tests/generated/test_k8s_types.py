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
from typing import get_args, get_type_hints

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import PROFILES, objects_of
from tests.support.synth import after_the_default_synth
from tests.support.typed_dicts import mismatches
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


@pytest.mark.parametrize("profile", PROFILES)
def test_every_emitted_object_matches_its_typeddict(profile):
    kinds = {cls.__name__: cls for cls in get_args(k8s_types.Manifest)}
    objects = objects_of(profile)
    assert objects
    for manifest in objects:
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["apiVersion"].startswith(("postgresql.cnpg.io/", "barmancloud.cnpg.io/")):
            continue  # CloudNativePG's and its Barman Cloud plugin's TypedDicts: tests/database/test_cloudnative_pg.py
        if manifest["apiVersion"].startswith("external-secrets.io/"):
            continue  # External Secrets' TypedDicts: tests/core/test_external_secrets.py
        assert manifest["kind"] in kinds, f"{where}: add its kind to KINDS in scripts/k8s_typeddicts.py"
        assert mismatches(manifest, kinds[manifest["kind"]], where) == []


def test_the_default_synth_never_builds_the_typeddicts():
    # GIVEN the app as `make synth` runs it (TASKORA_ENV=local) WHEN it has synthesized
    executed = after_the_default_synth("type(sys.modules['taskora_constructs._generated.k8s_types']) is types.ModuleType")
    # THEN k8s_types was bound but never executed (a lazy module becomes a plain module when it
    # runs): its ~200 TypedDicts only name types in annotations, ~7 ms of every start-up (issue #22)
    assert executed == "False"
    # AND the first read of a name runs it, as a plain import would
    assert k8s_types.Container.__required_keys__ == {"name"} and type(k8s_types) is types.ModuleType
