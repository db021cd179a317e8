"""The orders app's own tests: run them in the team's environment with ``python -m pytest``."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s  # noqa: E402
import pytest  # noqa: E402

import main  # noqa: E402

SECRETS = main.OrdersSecrets(db_password="test-db-password", cohere_api_key="test-cohere",
                             better_auth_secret="test-auth", gemini_api_key="test-gemini")


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    app = cdk8s.Testing.app()
    chart = main.OrdersChart(app, "orders", secrets=SECRETS)
    return cdk8s.Testing.synth(chart)


def by_kind_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def env_of(deployment: dict) -> dict[str, dict]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container["env"]}


def test_everything_lives_in_the_orders_namespace_under_orders_names(objects):
    # GIVEN the orders chart WHEN synthesized THEN every object is the team's, in its namespace
    assert sorted(by_kind_name(objects)) == [
        ("ConfigMap", "orders-tasks-config"), ("Deployment", "orders-api"), ("Deployment", "orders-tasks"),
        ("Namespace", "orders"), ("PodDisruptionBudget", "orders-tasks"),
        ("Secret", "orders-db-credentials"), ("Secret", "orders-tasks-secrets"),
        ("Service", "orders-api"), ("Service", "orders-db"), ("Service", "orders-tasks"),
        ("ServiceAccount", "orders-db"), ("ServiceAccount", "orders-tasks"),
        ("StatefulSet", "orders-db")]
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"orders"}


def test_the_orders_api_reads_the_database_through_its_outputs(objects):
    # GIVEN the team's own Deployment WHEN synthesized THEN it reaches orders-db with its credentials
    env = env_of(by_kind_name(objects)[("Deployment", "orders-api")])
    assert env["DB_HOST"]["value"] == "orders-db"
    assert env["DB_PORT"]["value"] == "5432"
    assert env["DB_NAME"]["value"] == "orders"
    assert env["DB_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "orders-db-credentials", "key": "password"}}


def test_the_taskora_backend_points_at_the_orders_database(objects):
    # GIVEN the reused backend WHEN synthesized THEN its DATABASE_URL is the orders database
    found = by_kind_name(objects)
    secret = found[("Secret", "orders-tasks-secrets")]
    assert secret["stringData"]["DATABASE_URL"] == "postgresql://orders:test-db-password@orders-db:5432/orders"
    env = env_of(found[("Deployment", "orders-tasks")])
    assert env["DATABASE_URL"]["valueFrom"] == {"secretKeyRef": {"name": "orders-tasks-secrets",
                                                                 "key": "DATABASE_URL"}}


def test_a_missing_secret_variable_is_named(capsys):
    # GIVEN an environment without the database password WHEN the app runs THEN it names the variable
    environ = {variable: "x" for variable in main.OrdersSecrets.VARIABLES.values()}
    del environ["ORDERS_DB_PASSWORD"]
    assert main.main(environ) == main.EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "ORDERS_DB_PASSWORD" in err and "ORDERS_COHERE_API_KEY" not in err
