"""connections.allow_from (network/connections.py), as cdk8s-plus's PodConnections: GIVEN two
workloads under a default-deny policy WHEN one edge is stated THEN exactly that traffic is
admitted, on the target's port, on both sides, with cdk8s-plus workloads on either side."""

from __future__ import annotations

import cdk8s
import cdk8s_plus_28 as kplus
import pytest

from taskora_constructs import (CloudNativePgDatabase, CloudNativePgOptions, NamespaceNetworkPolicy, NetworkPeer,
                                PgBouncerPooler, PostgresDatabase, TaskoraConfigError, WebWorkload, plus)
from taskora_constructs.network import evaluate

CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15.8"


def may_reach(policies: list[dict], source: tuple[str, dict], target: tuple[str, dict], port: int) -> bool:
    """Whether pods ``source`` (namespace, labels) may open ``port`` on pods ``target``: the
    library's evaluator (network/evaluate.py), both sides' policies as Kubernetes reads them."""
    return evaluate.may_reach(policies, evaluate.Endpoint(*source), evaluate.Endpoint(*target), port)


def policies_of(app: cdk8s.App) -> list[dict]:
    return [o for chart in app.charts for o in cdk8s.Testing.synth(chart) if o["kind"] == "NetworkPolicy"]


def shop() -> tuple[cdk8s.App, cdk8s.Chart]:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "shop", namespace="shop")
    NamespaceNetworkPolicy(chart, "deny")
    return app, chart


def test_an_edge_between_two_workloads_admits_exactly_it():
    app, chart = shop()
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    web = WebWorkload(chart, "web", image="registry.example/web:1.0.0", port=3000)
    other = WebWorkload(chart, "other", image="registry.example/other:1.0.0")
    # WHEN the web frontend is let into the API
    api.connections.allow_from(web)
    policies = policies_of(app)
    pods = {w.name: ("shop", w.pod_labels) for w in (api, web, other)}
    # THEN web reaches the API's container port, nobody else does, and not the other way round
    assert may_reach(policies, pods["web"], pods["api"], 8000)
    assert not may_reach(policies, pods["other"], pods["api"], 8000)
    assert not may_reach(policies, pods["web"], pods["api"], 9999)
    assert not may_reach(policies, pods["api"], pods["web"], 3000)
    # AND each policy restricts its own direction only, named after its construct
    by_name = {p["metadata"]["name"]: p["spec"]["policyTypes"] for p in policies}
    assert by_name["api-ingress"] == ["Ingress"] and by_name["web-egress"] == ["Egress"]


def test_a_cdk8s_plus_deployment_reaches_a_database_and_the_pooler_when_there_is_one():
    app, chart = shop()
    shop_web = kplus.Deployment(chart, "Shop Web", containers=[kplus.ContainerProps(image="nginx:1.27",
                                                                                     port_number=8080)])
    db = CloudNativePgDatabase(chart, "db", image=CNPG_IMAGE,
                               cloudnative_pg=CloudNativePgOptions(pooler=PgBouncerPooler()))
    db.connections.allow_from(shop_web)
    labels, _ = plus.peer_labels(shop_web)
    policies = policies_of(app)
    # THEN the cdk8s-plus pods reach the pooler on 5432, not the primary directly
    assert may_reach(policies, ("shop", labels), ("shop", db.pooler_labels), 5432)
    assert not may_reach(policies, ("shop", labels), ("shop", db.primary_labels), 5432)
    assert "shop-web-egress" in {p["metadata"]["name"] for p in policies}


def test_a_library_workload_reaches_a_cdk8s_plus_service_in_another_namespace():
    app, chart = shop()
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0")
    data = cdk8s.Chart(app, "data", namespace="data")
    cache = kplus.Deployment(data, "cache", containers=[kplus.ContainerProps(image="redis:7", port_number=6379)])
    api.connections.allow_to(cache, ports=(6379,))
    # the cdk8s-plus side admits it with cdk8s-plus's own API
    cache.connections.allow_from(plus.pod_selector(api), ports=[kplus.NetworkPolicyPort.tcp(6379)])
    labels, _ = plus.peer_labels(cache)
    egress = [p for p in policies_of(app) if p["metadata"]["name"] == "api-egress"]
    assert may_reach(egress, ("shop", api.pod_labels), ("data", labels), 6379)
    with pytest.raises(TaskoraConfigError, match="ports=null: must be given"):
        api.connections.allow_to(cache)


def test_a_peer_that_is_not_a_workload_is_admitted_on_the_target_side_only():
    app, chart = shop()
    db = PostgresDatabase(chart, "db", password="sentinel-db-5e1c")
    db.connections.allow_from(NetworkPeer.namespace("reports"))
    [policy] = [p for p in policies_of(app) if p["metadata"]["name"] == "db-ingress"]
    assert policy["spec"]["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "reports"}}}], "ports": [{"protocol": "TCP", "port": 5432}]}]
    with pytest.raises(TaskoraConfigError, match="shop/db: peer='str': must be a workload"):
        db.connections.allow_from("reports")
