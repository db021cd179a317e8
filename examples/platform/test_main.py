"""The platform app's own tests: run them in the team's environment with ``python -m pytest``."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s  # noqa: E402
import pytest  # noqa: E402

import main  # noqa: E402
from taskora_constructs import TaskoraValidation, plus  # noqa: E402

#: Not a secret: a marker the tests look for in the output.
SENTINEL = "sentinel-db-password-not-a-secret"


@pytest.fixture(scope="module")
def platform() -> main.Platform:
    return main.compose(cdk8s.Testing.app(), main.PlatformSecrets(db_password=SENTINEL))


@pytest.fixture(scope="module")
def charts(platform) -> dict[str, list[dict]]:
    """Every chart's objects by chart id (the app's lint is not switched on)."""
    return {chart.node.id: cdk8s.Testing.synth(chart)
            for chart in (platform.namespaces, platform.data, platform.shop, platform.cache)}


def by_kind_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def test_each_chart_lives_in_its_own_namespace(charts):
    assert [o["metadata"]["name"] for o in charts["namespaces"]] == ["shop", "data", "cache"]
    for chart in ("shop", "data", "cache"):
        assert {o["metadata"].get("namespace") for o in charts[chart]} == {chart}


def test_the_api_reads_the_database_through_its_outputs(charts):
    deployment = by_kind_name(charts["data"])[("Deployment", "inventory-api")]
    pod = deployment["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["DB_HOST"]["value"] == "inventory-db"
    assert env["DB_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "inventory-db-credentials", "key": "password"}}
    # AND the team's additions: a sidecar, a node pool, and the escape-hatch patch
    assert [c["name"] for c in pod["containers"]] == ["inventory-api", "log-shipper"]
    assert pod["nodeSelector"] == {"pool": "platform"}
    assert pod["tolerations"][0]["value"] == "platform"
    assert deployment["spec"]["revisionHistoryLimit"] == 3


def test_the_storefront_reaches_the_api_and_only_it(platform, charts):
    labels, namespace = plus.peer_labels(platform.shop.storefront)
    api_policy = by_kind_name(charts["data"])[("NetworkPolicy", "inventory-api-ingress")]
    assert api_policy["spec"]["ingress"] == [{
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                  "podSelector": {"matchLabels": labels}}],
        "ports": [{"protocol": "TCP", "port": 8080}]}]
    egress = [rule for o in charts["shop"] if o["kind"] == "NetworkPolicy" for rule in o["spec"]["egress"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}},
            "podSelector": {"matchLabels": {"app": "inventory-api"}}} in [peer for r in egress for peer in r["to"]]


def test_the_password_is_only_in_the_secret(charts):
    holders = [(o["kind"], o["metadata"]["name"]) for objects in charts.values() for o in objects
               if SENTINEL in str(o)]
    assert holders == [("Secret", "inventory-db-credentials")]


def test_the_opt_in_lint_accepts_the_whole_app():
    # GIVEN the app with taskora's whole-app lint switched on THEN it finds nothing, cdk8s-plus
    # and cdk8s-redis objects included
    app = cdk8s.Testing.app()
    main.compose(app, main.PlatformSecrets(db_password=SENTINEL))
    lint = TaskoraValidation.of(app)
    app.synth()
    assert lint.last_problems == ()


def test_a_missing_password_variable_is_named(capsys):
    assert main.main({}) == main.EXIT_CONFIG_ERROR
    assert main.PASSWORD_VARIABLE in capsys.readouterr().err
