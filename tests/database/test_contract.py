"""One database contract, two engines (database/contract.py): GIVEN a StatefulSet database or a
CloudNativePG Cluster WHEN a client is wired to it THEN the same attributes give the host,
port, credentials and a URL the client's WebWorkload takes, pointing where its NetworkPolicy
lets it go (the pooler when there is one)."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import (CloudNativePgDatabase, CloudNativePgOptions, EnvVar, NetworkPeer, PgBouncerPooler,
                                CloudNativePgProps, PostgresProps,
                                PostgresDatabase, TaskoraConfigError, WebWorkload)

CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15.8"
PASSWORD = "sentinel-db-5e1c"


def chart() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")


def databases(scope: cdk8s.Chart, pooler: bool = False) -> list:
    options = CloudNativePgOptions(pooler=PgBouncerPooler() if pooler else None)
    return [PostgresDatabase(scope, "orders-db", password=PASSWORD, database_name="orders"),
            CloudNativePgDatabase(scope, "cnpg-db", image=CNPG_IMAGE,
                                  database_name="orders", cloudnative_pg=options)]


def container_env(scope: cdk8s.Chart, name: str) -> list[dict]:
    [deployment] = [o for o in cdk8s.Testing.synth(scope)
                    if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    return deployment["spec"]["template"]["spec"]["containers"][0]["env"]


@pytest.mark.parametrize("pooler", [False, True])
def test_both_engines_offer_the_same_wiring(pooler: bool):
    scope = chart()
    for db in databases(scope, pooler):
        # THEN the same attributes exist on both
        assert db.host == db.service_name and db.host_for("other") == f"{db.service_name}.shop.svc"
        assert isinstance(db.port, int) and db.credentials_secret_name
        endpoint = db.client_endpoint
        assert (endpoint.service_name, endpoint.port, endpoint.namespace) == (db.service_name, db.port, "shop")
        # AND url_env is EnvVars a WebWorkload takes as they are
        env = db.url_env("DATABASE_URL")
        assert all(isinstance(var, EnvVar) for var in env)
        WebWorkload(scope, f"{db.name}-client", image="registry.example/api:1.0.0", env=tuple(env))
        written = {var["name"]: var for var in container_env(scope, f"{db.name}-client")}
        assert "DATABASE_URL" in written
        assert PASSWORD not in str(written)


def test_the_statefulset_url_is_composed_from_its_credentials_secret():
    scope = chart()
    db = databases(scope)[0]
    assert [var.to_json() for var in db.url_env("DATABASE_URL")] == [
        {"name": "DATABASE_URL_USERNAME", "valueFrom": {"secretKeyRef": {"name": "orders-db-credentials",
                                                                        "key": "username"}}},
        {"name": "DATABASE_URL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db-credentials",
                                                                        "key": "password"}}},
        {"name": "DATABASE_URL",
         "value": "postgresql://$(DATABASE_URL_USERNAME):$(DATABASE_URL_PASSWORD)@orders-db:5432/orders"}]
    assert db.client_endpoint.selector_labels == {"app": "orders-db"}


def test_a_password_that_needs_escaping_is_refused_for_url_env_without_showing_it():
    db = PostgresDatabase(chart(), "db", password="p@ss:word-5e1c")
    with pytest.raises(TaskoraConfigError) as raised:
        db.url_env()
    assert "password='<redacted>': must be URL-safe" in str(raised.value)
    assert "p@ss" not in str(raised.value)


def test_with_a_pooler_every_client_path_leads_to_the_pooler():
    scope = chart()
    db = databases(scope, pooler=True)[1]
    # THEN url_env names the pooler's Service, and the endpoint is the pooler's pods
    url = db.url_env()[-1].value
    assert url is not None and "@cnpg-db-pooler-rw:5432/orders" in url
    assert db.client_endpoint.selector_labels == db.pooler_labels
    # AND the operator's uri (which names the primary's -rw Service) is refused by name
    with pytest.raises(TaskoraConfigError, match="secretKeyRef.key='uri': points at cnpg-db-rw, not at the pooler"):
        EnvVar.from_key("DATABASE_URL", db, CloudNativePgDatabase.URI_KEY)
    # AND a NetworkPolicy peer from the endpoint selects the pooler's pods
    peer = NetworkPeer.workload(db.client_endpoint, "shop")
    assert peer.peers[0]["podSelector"]["matchLabels"] == db.pooler_labels


def test_without_a_pooler_the_cluster_url_is_the_operators_uri():
    db = databases(chart())[1]
    assert [var.to_json() for var in db.url_env()] == [
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "cnpg-db-app", "key": "uri"}}}]
    assert db.client_endpoint.selector_labels == db.primary_labels


def test_the_construct_is_the_engine_whatever_props_engine_says():
    # GIVEN props built for the StatefulSet (engine's default) WHEN given to the Cluster construct
    scope = chart()
    db = CloudNativePgDatabase(scope, "db", PostgresProps(database_name="x", image=CNPG_IMAGE))
    # THEN it is a Cluster of that database, not a refusal of the engine field
    [cluster] = [o for o in cdk8s.Testing.synth(scope) if o["kind"] == "Cluster"]
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "x" and isinstance(db.props, CloudNativePgProps)
    # AND the engine's own rules apply, named at the construct
    with pytest.raises(TaskoraConfigError, match="shop/db2: image='postgres:15-alpine': must be a CloudNativePG"):
        CloudNativePgDatabase(scope, "db2", PostgresProps(database_name="x"))
