"""Each constant has one source (issue 19, "dead code gone; no repeated logic"): GIVEN the
library WHEN the lint needs what a construct or an operator does (the CloudNativePG pods'
labels and ports, cert-manager's solver pods, the model's minimum storage) THEN it imports it
from where the constructs take it, and names nobody uses are gone."""

from __future__ import annotations

import ast

import pytest

from tests.support.paths import ROOT
from tests.support.python_sources import nodes
from taskora_app import props_values
from taskora_constructs.core import policy, rules
from taskora_constructs.database import cloudnative_pg, cnpg_operator
from taskora_constructs.lint import index, model
from taskora_constructs.network import policy as network_policy
from taskora_constructs.taskora.ingress import TaskoraIngress

#: What the lint used to repeat as literals: the operator's, cert-manager's and the model's values.
COPIED = {"postgresql.cnpg.io/", "cnpg.io/cluster", "cnpg.io/podRole", "cnpg.io/instanceRole", "cnpg.io/poolerName",
          "jdbc-uri", "acme.cert-manager.io/http01-solver", 8089, 9187, 9127, 5432}


def literals(path) -> set:
    return {node.value for node in nodes(path) if isinstance(node, ast.Constant)}


@pytest.mark.parametrize("module", sorted((ROOT / "taskora_constructs" / "lint").glob("*.py")), ids=lambda p: p.name)
def test_the_lint_writes_no_constant_of_the_constructs_or_operators(module):
    assert literals(module) & COPIED == set()


def test_the_lint_reads_the_same_values_the_constructs_write():
    assert model.MIN_STORAGE is rules.MIN_STORAGE
    assert cloudnative_pg.APP_SECRET_KEYS is cnpg_operator.APP_SECRET_KEYS
    cluster_labels, cluster_containers = index._CNPG_PODS["Cluster"]
    assert cluster_labels("db") == {cloudnative_pg.CLUSTER_LABEL: "db", cloudnative_pg.POD_ROLE_LABEL: "instance",
                                    cloudnative_pg.INSTANCE_ROLE_LABEL: "primary"}
    assert cluster_containers[0]["ports"][0]["containerPort"] == cloudnative_pg.POSTGRES_PORT
    assert index._ACME_SOLVER_CONTAINERS[0]["ports"][0]["containerPort"] == TaskoraIngress.ACME_SOLVER_PORT


@pytest.mark.parametrize(("owner", "name"), [(policy, "CHECK_ID"), (policy, "MAX_REASON"),
                                             (network_policy, "HTTPS_PORT"), (props_values, "_ATTRIBUTE")])
def test_names_nobody_uses_are_gone(owner, name):
    assert not hasattr(owner, name)


def test_the_policy_module_names_no_preset_image_user_or_reason():
    from taskora_constructs import PostgresProps, TaskoraBackendProps, TaskoraFrontendProps
    from taskora_constructs.database.postgres_props import POSTGRES_EXCEPTIONS
    from taskora_constructs.taskora.backend import BACKEND_EXCEPTIONS
    from taskora_constructs.taskora.frontend import FRONTEND_EXCEPTIONS

    # GIVEN the presets' documented images (with their repositories), users and reasons
    presets = (TaskoraFrontendProps, TaskoraBackendProps, PostgresProps)
    images = {p.image for p in presets} | {policy.image_repository(p.image) for p in presets}
    uids = {p.run_as_user for p in presets}
    tables = {TaskoraFrontendProps: FRONTEND_EXCEPTIONS, TaskoraBackendProps: BACKEND_EXCEPTIONS,
              PostgresProps: POSTGRES_EXCEPTIONS}
    reasons = {reason for table in tables.values() for reason in table.values()}
    # WHEN core/policy.py's source is read THEN none of them is written there
    constants = literals(ROOT / "taskora_constructs" / "core" / "policy.py")
    strings = {c for c in constants if isinstance(c, str)}
    assert {image for image in images for text in strings if image in text} == set()
    assert {c for c in constants if type(c) is int} & uids == set()
    assert {uid for uid in uids for text in strings if f"uid {uid}" in text} == set()
    assert strings & reasons == set()
    # AND no preset's table is the module's: each lives beside its preset, its props' default
    assert [name for name in vars(policy) if name.endswith("EXCEPTIONS") or name == "DOCUMENTED"] == []
    for props, table in tables.items():
        assert props().policy_exceptions == table
