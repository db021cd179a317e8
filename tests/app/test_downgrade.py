"""Production refuses a quiet downgrade (issue 20): a later values layer may not strip production of
TLS, backups, the restricted Pod Security level, NetworkPolicies or deletion protection unless that
layer names what it gives up in ``acceptRisks``.

GIVEN production and a TASKORA_VALUES layer that switches one protection off WHEN loaded THEN it is
refused naming the layer's file, the key it wrote, the value, what is lost and the fix (the risk's
name); AND the same layer with ``acceptRisks: [<name>]`` loads and the protection is off; AND a layer
weakening everything gets every item in one error; AND an unknown name is refused with a suggestion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import DIGESTS_LAYER, INGRESS_NGINX_LAYER, NO_SECRETS_FILE, SECRETS, STATEFULSET_SECRETS
from taskora_app import downgrade
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError, TaskoraProps

#: Each risk: the layer that gives it up, the key the problem names, and how the loaded props show it.
CASES = {
    "no-tls": ("ingress: {gateway: {https: false}}\n", "ingress.gateway.https",
               lambda p: p.ingress.gateway.https is False),
    "no-backups": ("database: {cloudnativePg: {backup: {enabled: false}}}\n", "database.cloudnativePg.backup.enabled",
                   lambda p: p.database.cloudnative_pg.backup is None),
    "weaker-pod-security": ("podSecurity: baseline\n", "podSecurity", lambda p: p.pod_security == "baseline"),
    "no-network-policies": ("networkPolicy: {enabled: false}\n", "networkPolicy.enabled",
                            lambda p: p.network_policy.enabled is False),
    "no-deletion-protection": ("deletionProtection: false\n", "deletionProtection",
                               lambda p: p.deletion_protection is False),
}


def risk_names(problems: list) -> list[str]:
    """The risk names the guard's problems ask the layer to accept, in order."""
    return [name for p in problems for name in downgrade.NAMES if f"[{name}]" in p.fix]


def _environ(tmp_path: Path, *layers: str | Path) -> dict[str, str]:
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER)
    paths = [str(release)]
    for i, layer in enumerate(layers):
        if isinstance(layer, Path):
            paths.append(str(layer))
            continue
        path = tmp_path / f"layer{i}.yaml"
        path.write_text(layer)
        paths.append(str(path))
    # The StatefulSet engine reads the database password; with CloudNativePG it is refused as unused.
    secrets = STATEFULSET_SECRETS if any("engine: statefulset" in str(layer) for layer in layers) else SECRETS
    return {"TASKORA_ENV": "production", **secrets, "TASKORA_VALUES": ":".join(paths)}


def load_production(tmp_path: Path, *layers: str | Path) -> TaskoraProps:
    return load(_environ(tmp_path, *layers), secrets_file=NO_SECRETS_FILE)[1]


def refused(tmp_path: Path, *layers: str | Path) -> list:
    with pytest.raises(TaskoraConfigError) as raised:
        load_production(tmp_path, *layers)
    return list(raised.value.problems)


def test_the_cases_cover_every_risk_and_production_itself_has_every_protection(tmp_path):
    assert set(CASES) == set(downgrade.NAMES)
    props = load_production(tmp_path)
    assert not [risk.name for risk in downgrade.RISKS if risk.weakened(props)]


@pytest.mark.parametrize("risk", list(CASES))
def test_a_layer_that_gives_a_protection_up_unasked_is_refused(tmp_path, risk):
    layer, key, _ = CASES[risk]
    [problem] = refused(tmp_path, layer)
    assert problem.where.startswith(f"{tmp_path / 'layer0.yaml'}:") and problem.field == key  # file:line:column
    assert problem.value is not None and "production refuses that" in problem.rule
    assert f"acceptRisks: [{risk}]" in problem.fix and str(tmp_path / "layer0.yaml") in problem.fix


@pytest.mark.parametrize("risk", list(CASES))
def test_the_same_layer_naming_the_risk_loads_and_the_protection_is_off(tmp_path, risk):
    layer, _, off = CASES[risk]
    props = load_production(tmp_path, layer + f"acceptRisks: [{risk}]\n")
    assert off(props)


def test_every_weakened_item_is_listed_at_once(tmp_path):
    problems = refused(tmp_path, "".join(layer for layer, _, _ in CASES.values()))
    assert risk_names(problems) == list(CASES)
    assert [p.field for p in problems] == [key for _, key, _ in CASES.values()]


def test_accepting_some_risks_leaves_the_others_refused(tmp_path):
    layer = "".join(layer for layer, _, _ in CASES.values()) + "acceptRisks: [no-tls, no-backups]\n"
    assert risk_names(refused(tmp_path, layer)) == ["weaker-pod-security", "no-network-policies",
                                                               "no-deletion-protection"]


def test_the_acceptance_counts_only_in_the_layer_that_weakens(tmp_path):
    # an earlier layer's acceptRisks does not cover what a later one does (nor the other way round)
    problems = refused(tmp_path, "acceptRisks: [no-network-policies]\n", "networkPolicy: {enabled: false}\n")
    assert [(p.field, Path(p.where).name.split(":")[0]) for p in problems] == [("networkPolicy.enabled", "layer1.yaml")]


def test_tls_is_given_up_by_switching_to_ingress_without_tls_too(tmp_path):
    # production's TLS is its Gateway listener's; ingress routing alone leaves the base's tls off
    [problem] = refused(tmp_path, "routing: ingress\n")  # the top-level alias, named as written
    assert problem.field == "routing" and problem.value == "ingress" and "[no-tls]" in problem.fix
    # the documented switch back turns the Ingress TLS on: nothing given up
    assert load_production(tmp_path, INGRESS_NGINX_LAYER).ingress.tls is not None
    # HTTPS without the redirect serves plain HTTP beside it
    [problem] = refused(tmp_path, INGRESS_NGINX_LAYER, "ingress: {tls: {redirectHttp: false}}\n")
    assert problem.field == "ingress.tls.redirectHttp" and "[no-tls]" in problem.fix


def test_the_statefulset_engine_without_its_backup_gives_backups_up(tmp_path):
    layer = "database:\n  engine: statefulset\n  image: postgres:15.8-alpine\n"
    [problem] = refused(tmp_path, layer + "  backup: {enabled: false}\n")
    assert problem.field == "database.backup.enabled" and "[no-backups]" in problem.fix
    props = load_production(tmp_path, layer + "  backup: {enabled: true, schedule: '0 3 * * *'}\n")
    assert props.database.backup is not None


def test_pod_security_null_drops_the_labels_and_is_a_downgrade(tmp_path):
    [problem] = refused(tmp_path, "podSecurity: null\n")
    assert problem.field == "podSecurity" and problem.value is None
    assert load_production(tmp_path, "podSecurity: null\nacceptRisks: [weaker-pod-security]\n").pod_security is None


def test_restating_a_protection_is_no_downgrade(tmp_path):
    props = load_production(tmp_path, "deletionProtection: true\npodSecurity: restricted\n"
                                      "networkPolicy: {enabled: true}\nacceptRisks: []\n")
    assert props.deletion_protection and props.pod_security == "restricted"


@pytest.mark.parametrize("value, field, fix, line_column", [
    ("[no-tsl]", "acceptRisks[0]", "did you mean 'no-tls'?", "1:15"),
    ("[no-backups, backups]", "acceptRisks[1]", "did you mean 'no-backups'?", "1:27"),
    ("[everything]", "acceptRisks[0]", "use one of: no-tls, no-backups", "1:15"),
    ("\n  - no-tls\n  - no-tsl", "acceptRisks[1]", "did you mean 'no-tls'?", "3:5"),
    ("no-tls", "acceptRisks", "write it like [no-tls]", "1:1"),
])
def test_an_unknown_risk_name_is_refused_with_a_suggestion_at_its_line(tmp_path, value, field, fix, line_column):
    problems = refused(tmp_path, f"acceptRisks: {value}\n")
    [problem] = [p for p in problems if p.field.startswith("acceptRisks")]
    assert problem.field == field and fix in problem.fix
    assert problem.where.endswith(f"layer0.yaml:{line_column}")


def test_a_misspelt_name_does_not_accept_and_both_problems_come_at_once(tmp_path):
    problems = refused(tmp_path, "deletionProtection: false\nacceptRisks: [no-deletion-protectoin]\n")
    assert sorted(p.field for p in problems) == ["acceptRisks[0]", "deletionProtection"]


def test_local_is_not_guarded_but_its_names_are_checked(tmp_path):
    layer = tmp_path / "local.yaml"
    layer.write_text("networkPolicy: {enabled: false}\ndeletionProtection: false\n")
    props = load({"TASKORA_VALUES": str(layer)}, secrets_file=NO_SECRETS_FILE)[1]
    assert not props.network_policy.enabled and not props.deletion_protection
    layer.write_text("acceptRisks: [no-tsl]\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(layer)}, secrets_file=NO_SECRETS_FILE)
    assert [p.field for p in raised.value.problems] == ["acceptRisks[0]"]


@pytest.mark.e2e
def test_main_exits_2_names_every_item_and_keeps_the_previous_output(tmp_path):
    environ = _environ(tmp_path, "".join(layer for layer, _, _ in CASES.values()))
    out = tmp_path / "dist"
    out.mkdir()
    (out / "0001-taskora-previous.k8s.yaml").write_text("kind: ConfigMap\n")
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, **environ, "CDK8S_OUTDIR": str(out)})
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert "Traceback" not in text and "5 configuration problems" in text
    for risk, (_, key, _) in CASES.items():
        assert f"acceptRisks: [{risk}]" in text and f"{key}=" in text
    assert [p.name for p in out.iterdir()] == ["0001-taskora-previous.k8s.yaml"]
    assert not any(value in text for value in SECRETS.values())
