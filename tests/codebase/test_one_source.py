"""Each constant has one source (issue 19, "dead code gone; no repeated logic"): GIVEN the
library WHEN the lint needs what a construct or an operator does (the CloudNativePG pods'
labels and ports, cert-manager's solver pods, the model's minimum storage) THEN it imports it
from where the constructs take it, and names nobody uses are gone."""

from __future__ import annotations

import ast

import pytest

from tests.support.paths import ROOT
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
    return {node.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant)}


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


def test_the_policy_module_knows_no_image_name_the_presets_say_theirs():
    # GIVEN the policy module's source THEN no image of the app is written there
    source = (ROOT / "taskora_constructs" / "core" / "policy.py").read_text()
    assert [name for name in ("taskora/frontend", "taskora/backend", "postgres:") if name in source] == []
    # AND each preset computes its documented image from its own props' default
    from taskora_constructs import Backend, BackendProps, Frontend, FrontendProps
    from taskora_constructs.database import postgres
    assert Frontend._DOCUMENTED_IMAGES == (policy.image_repository(FrontendProps.image),) == ("taskora/frontend",)
    assert Backend._DOCUMENTED_IMAGES == ("taskora/backend",)
    assert postgres._DOCUMENTED_IMAGES == ("postgres",)
