"""Interop with cdk8s-plus-28 (taskora_constructs.plus), and with an unrelated construct library.

GIVEN a team's cdk8s-plus Deployment in its own chart (namespace ``shop``) beside the
library's PostgresDatabase (namespace ``data``) and a cdk8s-redis chart WHEN they are wired
with ``plus.pod_selector`` / ``plus.peer_labels`` and synthesized THEN cdk8s-plus writes
NetworkPolicies that select the Postgres pods by ``app: <name>`` in ``data``, Taskora's own
policies can admit the cdk8s-plus pods, everything synthesizes together, and importing the
library alone never loads cdk8s_plus_28.

Nothing of the library inspects the cdk8s-plus or cdk8s-redis objects: the whole-app lint is
opt-in, and these apps do not switch it on (before 0.2.0 it refused them:
``metadata.namespace='shop': must be the app's namespace ('data')``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import cdk8s
import cdk8s_plus_28 as kplus
import pytest
from cdk8s_redis import Redis

from tests.support.paths import ROOT
from taskora_constructs import Allow, NetworkPeer, PostgresDatabase, TaskoraValidation, WorkloadNetworkPolicy, plus

ADDR = "cdk8s.io/metadata.addr"
#: cdk8s-plus's address label of the Deployment at shop/web (a hash of the construct path).
WEB_ADDR = "shop-web-c80b2a96"
NAME_LABEL = "kubernetes.io/metadata.name"
DB_PODS_IN_DATA = {"namespaceSelector": {"matchLabels": {NAME_LABEL: "data"}},
                   "podSelector": {"matchLabels": {"app": "orders-db"}}}
WEB_PODS_IN_SHOP = {"namespaceSelector": {"matchLabels": {NAME_LABEL: "shop"}},
                    "podSelector": {"matchLabels": {ADDR: WEB_ADDR}}}
POSTGRES_PORT = [{"port": 5432, "protocol": "TCP"}]


def shop_app(*, redis: bool = False) -> tuple[cdk8s.App, kplus.Deployment, PostgresDatabase]:
    """The team's app: a cdk8s-plus Deployment in ``shop``, Taskora's Postgres in ``data``."""
    app = cdk8s.Testing.app()
    data = cdk8s.Chart(app, "data", namespace="data")
    db = PostgresDatabase(data, "db", name="orders-db", namespace="data", password="sentinel-not-a-secret")
    shop = cdk8s.Chart(app, "shop", namespace="shop")
    web = kplus.Deployment(shop, "web", containers=[kplus.ContainerProps(image="nginx:1.27", port_number=8080)])
    if redis:
        Redis(cdk8s.Chart(app, "cache", namespace="cache"), "redis")
    return app, web, db


def synth_app(app: cdk8s.App) -> list[dict]:
    """Every chart of ``app``, as a second team's app synthesizes it: no lint switched on."""
    assert app.node.try_find_child(TaskoraValidation.ID) is None
    return [o for chart in app.charts for o in cdk8s.Testing.synth(chart)]


def network_policies(objects: list[dict]) -> dict[str, dict]:
    """The NetworkPolicies by namespace and direction, e.g. ``data/Ingress``."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    keyed = {f"{p['metadata']['namespace']}/{','.join(p['spec']['policyTypes'])}": p for p in policies}
    assert len(keyed) == len(policies), "one policy per namespace and direction expected"
    return keyed


def test_a_plus_deployment_may_connect_to_taskora_postgres_across_namespaces():
    # GIVEN the shop app, with cdk8s-redis beside it
    app, web, db = shop_app(redis=True)
    # WHEN the cdk8s-plus Deployment is allowed to open connections to the Postgres pods
    web.connections.allow_to(plus.pod_selector(db), ports=[kplus.NetworkPolicyPort.tcp(db.port)])
    objects = synth_app(app)
    # THEN shop's pods may open connections to the Postgres pods in data, on its port only
    policies = network_policies(objects)
    assert sorted(policies) == ["data/Ingress", "shop/Egress"]
    assert policies["shop/Egress"]["spec"] == {
        "podSelector": {"matchLabels": {ADDR: WEB_ADDR}}, "policyTypes": ["Egress"],
        "egress": [{"to": [DB_PODS_IN_DATA], "ports": POSTGRES_PORT}]}
    # AND the Postgres pods, selected by their selector labels in data, accept them
    assert policies["data/Ingress"]["spec"] == {
        "podSelector": {"matchLabels": {"app": "orders-db"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [WEB_PODS_IN_SHOP], "ports": POSTGRES_PORT}]}
    # AND they select the pods the StatefulSet makes
    [statefulset] = [o for o in objects if o["kind"] == "StatefulSet"]
    assert statefulset["spec"]["selector"] == {"matchLabels": {"app": "orders-db"}}
    # AND the unrelated library's objects were synthesized with them
    assert {(o["kind"], o["metadata"]["namespace"]) for o in objects if "redis" in o["metadata"]["name"]} == {
        ("Deployment", "cache"), ("Service", "cache")}


def test_the_adapter_adds_no_object_and_is_made_once_per_workload():
    # GIVEN the shop app WHEN the same database is adapted twice
    app, web, db = shop_app()
    selector = plus.pod_selector(db)
    # THEN it is one construct, a child of the database
    assert plus.pod_selector(db) is selector
    assert selector.node.path == "data/db/CdkPlusPodSelector"
    # AND the database's chart synthesizes exactly what it did without it
    data = app.charts[0]
    reference = cdk8s.Testing.app()
    PostgresDatabase(cdk8s.Chart(reference, "data", namespace="data"), "db", name="orders-db", namespace="data",
                     password="sentinel-not-a-secret")
    assert cdk8s.Testing.synth(data) == cdk8s.Testing.synth(reference.charts[0])


def test_the_adapter_is_a_peer_like_cdk8s_plus_own_pods_selector():
    # GIVEN the adapter and cdk8s-plus's own selector of the same pods (labels, namespace by name)
    app, web, db = shop_app()
    shop = app.charts[1]
    own = kplus.Pods.select(shop, "db-pods", labels={"app": "orders-db"},
                            namespaces=kplus.Namespaces.select(shop, "data-ns", names=["data"]))
    # WHEN both are peers of one cdk8s-plus NetworkPolicy (add_ingress_rule, add_egress_rule)
    policy = kplus.NetworkPolicy(shop, "policy", selector=web)
    policy.add_ingress_rule(plus.pod_selector(db), [kplus.NetworkPolicyPort.tcp(8080)])
    policy.add_ingress_rule(own, [kplus.NetworkPolicyPort.tcp(8080)])
    policy.add_egress_rule(plus.pod_selector(db))
    [written] = network_policies(synth_app(app)).values()
    # THEN the adapter's peers are exactly cdk8s-plus's own
    first, second = written["spec"]["ingress"]
    assert first == second == {"from": [DB_PODS_IN_DATA], "ports": [{"port": 8080, "protocol": "TCP"}]}
    assert written["spec"]["egress"] == [{"to": [DB_PODS_IN_DATA], "ports": []}]  # no ports: all ports
    assert written["metadata"]["namespace"] == "shop"


def test_a_plus_deployment_may_accept_connections_from_taskora_pods():
    # GIVEN the shop app WHEN the cdk8s-plus Deployment accepts connections from the database's pods
    app, web, db = shop_app()
    web.connections.allow_from(plus.pod_selector(db))
    policies = network_policies(synth_app(app))
    # THEN shop's pods accept them on the Deployment's container port, and data's may open them
    assert policies["shop/Ingress"]["spec"]["ingress"] == [
        {"from": [DB_PODS_IN_DATA], "ports": [{"port": 8080, "protocol": "TCP"}]}]
    assert policies["data/Egress"]["spec"] == {
        "podSelector": {"matchLabels": {"app": "orders-db"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [WEB_PODS_IN_SHOP], "ports": [{"port": 8080, "protocol": "TCP"}]}]}


def test_peer_labels_admit_a_plus_deployment_in_taskoras_own_policy():
    # GIVEN the shop app WHEN the cdk8s-plus Deployment's selector is read
    app, web, db = shop_app()
    labels, namespace = plus.peer_labels(web)
    # THEN it is cdk8s-plus's address label, in the chart's namespace
    assert (labels, namespace) == ({ADDR: WEB_ADDR}, "shop")
    assert labels == web.match_labels
    # AND the library's own policy can admit those pods to the database
    WorkloadNetworkPolicy(app.charts[0], "db-ingress", name="orders-db", namespace="data",
                          selector_labels=db.selector_labels,
                          ingress=[Allow(NetworkPeer.namespace(namespace, labels), (db.port,))])
    policy = network_policies(synth_app(app))["data/Ingress,Egress"]
    assert policy["spec"]["ingress"] == [{"from": [WEB_PODS_IN_SHOP], "ports": POSTGRES_PORT}]


def test_peer_labels_of_plus_workloads_selected_otherwise():
    app = cdk8s.Testing.app()
    shop = cdk8s.Chart(app, "shop", namespace="shop")
    nginx = [kplus.ContainerProps(image="nginx:1.27")]
    # GIVEN select=False and the team's own labels THEN those labels
    custom = kplus.Deployment(shop, "custom", select=False, containers=nginx,
                              pod_metadata=cdk8s.ApiObjectMetadata(labels={"app": "custom"}))
    custom.select(kplus.LabelSelector.of(labels={"app": "custom"}))
    assert plus.peer_labels(custom) == ({"app": "custom"}, "shop")
    # GIVEN a bare Pod THEN its address label
    pod = kplus.Pod(shop, "pod", containers=nginx)
    assert plus.peer_labels(pod) == ({ADDR: pod.metadata.get_label(ADDR)}, "shop")
    # GIVEN a chart without a namespace THEN no namespace
    elsewhere = kplus.Deployment(cdk8s.Chart(app, "elsewhere"), "web", containers=nginx)
    assert plus.peer_labels(elsewhere) == (elsewhere.match_labels, None)


def test_peer_labels_refuse_a_workload_with_nothing_to_select_by():
    app = cdk8s.Testing.app()
    shop = cdk8s.Chart(app, "shop", namespace="shop")
    nginx = [kplus.ContainerProps(image="nginx:1.27")]
    # GIVEN select=False and no select(...) THEN a ValueError naming the workload and the fix
    bare = kplus.Deployment(shop, "bare", select=False, containers=nginx)
    with pytest.raises(ValueError, match=r"cdk8s-plus workload shop/bare has no labels to select its pods by "
                                         r"\(select=False\): drop select=False, or .*workload\.select"):
        plus.peer_labels(bare)
    # GIVEN a selection by expressions THEN refused too (labels alone would admit more pods)
    tiered = kplus.Deployment(shop, "tiered", containers=nginx)
    tiered.select(kplus.LabelSelector.of(expressions=[kplus.LabelExpression.in_("tier", ["web"])]))
    with pytest.raises(ValueError, match=r"shop/tiered selects its pods by expressions"):
        plus.peer_labels(tiered)


class _Selected:
    """Not a construct: only what pod_selector reads."""

    def __init__(self, selector_labels: dict[str, str], namespace: str | None) -> None:
        self.selector_labels = selector_labels
        self.namespace = namespace


def test_pod_selector_of_an_object_that_is_not_a_construct():
    app = cdk8s.Testing.app()
    shop = cdk8s.Chart(app, "shop", namespace="shop")
    web = kplus.Deployment(shop, "web", containers=[kplus.ContainerProps(image="nginx:1.27", port_number=8080)])
    queue = _Selected({"app": "queue"}, None)
    # GIVEN no scope THEN refused: cdk8s-plus needs a construct
    with pytest.raises(TypeError, match=r"_Selected is not a construct: pass scope="):
        plus.pod_selector(queue)
    # GIVEN no labels THEN refused: it would select every pod
    with pytest.raises(ValueError, match=r"_Selected has no selector_labels"):
        plus.pod_selector(_Selected({}, "shop"), scope=shop)
    # GIVEN a scope and no namespace WHEN used THEN the pods are the ones of the workload's namespace
    selector = plus.pod_selector(queue, scope=shop)
    assert plus.pod_selector(queue, scope=shop) is selector
    web.connections.allow_to(selector, ports=[kplus.NetworkPolicyPort.tcp(5672)])
    objects = cdk8s.Testing.synth(shop)
    policies = network_policies(objects)
    assert policies["shop/Egress"]["spec"]["egress"] == [
        {"to": [{"podSelector": {"matchLabels": {"app": "queue"}}}], "ports": [{"port": 5672, "protocol": "TCP"}]}]
    assert policies["shop/Ingress"]["spec"]["podSelector"] == {"matchLabels": {"app": "queue"}}


@pytest.mark.e2e
def test_importing_the_library_does_not_import_cdk8s_plus():
    # GIVEN a fresh interpreter WHEN it imports the library THEN cdk8s_plus_28 is not loaded
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "-c", "import taskora_constructs, sys; "
                             "assert 'cdk8s_plus_28' not in sys.modules, 'cdk8s_plus_28 was imported'"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # AND it is loaded by the interop module only
    result = subprocess.run([sys.executable, "-c", "import taskora_constructs.plus, sys; "
                             "assert 'cdk8s_plus_28' in sys.modules"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
