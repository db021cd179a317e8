"""GIVEN a values layer the API server or admission would refuse WHEN synthesized THEN the synth
refuses it, naming the rule; its compliant neighbour passes (tests/support/refused_cases.py)."""

from __future__ import annotations

import cdk8s
import pytest

from tests.support.refused_cases import ACCEPTED, REFUSED
from taskora_app.values import load
from taskora_constructs import Taskora, TaskoraConfigError
from taskora_constructs.core import api_rules, pod_security


def build(tmp_path, layer: str) -> None:
    path = tmp_path / "layer.yaml"
    path.write_text(layer)
    _, props = load({"TASKORA_VALUES": str(path)}, secrets_file=tmp_path / "none.yaml")
    Taskora(cdk8s.Testing.app(), "taskora", props)


@pytest.mark.parametrize("layer, rule_id", REFUSED, ids=[rule for _, rule in REFUSED])
def test_what_the_cluster_would_refuse_is_refused_at_synth(tmp_path, layer, rule_id):
    with pytest.raises(TaskoraConfigError) as raised:
        build(tmp_path, layer)
    assert f"[{rule_id}: " in str(raised.value)


@pytest.mark.parametrize("layer", ACCEPTED)
def test_the_compliant_neighbour_is_accepted(tmp_path, layer):
    build(tmp_path, layer)


def test_every_rule_is_a_named_unit_with_a_doc_and_a_case():
    rules = {**api_rules.RULES, **pod_security.RULES}
    assert all(rule.id == rule_id and rule.doc and rule.enforced_by for rule_id, rule in rules.items())
    covered = {rule for _, rule in REFUSED}
    assert covered <= set(rules)
