"""connections.allow_from (network/connections.py), as cdk8s-plus's PodConnections: GIVEN two
workloads under a default-deny policy WHEN one edge is stated THEN exactly that traffic is
admitted, on the target's port, on both sides, with cdk8s-plus workloads on either side."""

from __future__ import annotations

import cdk8s
import cdk8s_plus_28 as kplus
import pytest

from taskora_constructs import (Allow, CloudNativePgDatabase, CloudNativePgOptions, CloudNativePgProps,
                                NamespaceNetworkPolicy, NetworkPeer, NetworkPolicyProps, PgBouncerPooler,
                                PostgresDatabase, Taskora, TaskoraConfigError, TaskoraProps, TaskoraSecretValues,
                                WebWorkload, WorkloadNetworkPolicy, plus)
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
    # AND without ports, the cdk8s-plus workload's container ports are taken, as cdk8s-plus's allowTo does
    derived = WebWorkload(chart, "worker", image="registry.example/worker:1.0.0")
    derived.connections.allow_to(cache)
    [policy] = [p for p in policies_of(app) if p["metadata"]["name"] == "worker-egress"]
    assert policy["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 6379}]


def test_a_library_workload_reaches_the_pods_behind_a_cdk8s_plus_service_on_its_target_port():
    # GIVEN a cdk8s-plus Deployment exposed on port 80, its pods listening on 8080
    app, chart = shop()
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    cache = kplus.Deployment(chart, "cache", containers=[kplus.ContainerProps(image="nginx:1.27", port_number=8080)])
    service = cache.expose_via_service(ports=[kplus.ServicePort(port=80, target_port=8080)])
    # WHEN the API is let reach the Service, and the Service's pods are let into the API
    api.connections.allow_to(service)
    api.connections.allow_from(service)
    policies = policies_of(app)
    cache_pods = ("shop", dict(cache.match_labels))
    # THEN the API's pods reach the Service's pods on the pods' port (NetworkPolicies see the
    # pod's port, never the Service's), and the Service's pods reach the API's container port
    egress = [p for p in policies if p["metadata"]["name"] == "api-egress"]
    assert may_reach(egress, ("shop", api.pod_labels), cache_pods, 8080)
    assert not may_reach(egress, ("shop", api.pod_labels), cache_pods, 80)
    ingress = [p for p in policies if p["metadata"]["name"] == "api-ingress"]
    assert may_reach(ingress, cache_pods, ("shop", api.pod_labels), 8000)


def test_a_cdk8s_plus_peer_with_nothing_to_select_or_no_known_port_is_one_config_error():
    app, chart = shop()
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0")
    # GIVEN a Service that selects no pods, a workload whose container declares no port, and a ConfigMap
    lonely = kplus.Service(chart, "lonely", ports=[kplus.ServicePort(port=80)])
    quiet = kplus.Deployment(chart, "quiet", containers=[kplus.ContainerProps(image="busybox:1.36")])
    settings = kplus.ConfigMap(chart, "settings")
    # THEN each is refused as a configuration error naming the edge's construct and what to pass
    with pytest.raises(TaskoraConfigError, match="shop/api: peer='Service': cdk8s-plus service shop/lonely selects no pods"):
        api.connections.allow_to(lonely)
    with pytest.raises(TaskoraConfigError, match="shop/api: ports=.*: must be given for a peer whose ports are unknown"):
        api.connections.allow_to(quiet)
    with pytest.raises(TaskoraConfigError, match="shop/api: peer='ConfigMap': must be a workload"):
        api.connections.allow_from(settings)


def test_a_peer_that_is_not_a_workload_is_admitted_on_the_target_side_only():
    app, chart = shop()
    db = PostgresDatabase(chart, "db", password="sentinel-db-5e1c")
    db.connections.allow_from(NetworkPeer.namespace("reports"))
    [policy] = [p for p in policies_of(app) if p["metadata"]["name"] == "db-ingress"]
    assert policy["spec"]["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "reports"}}}], "ports": [{"protocol": "TCP", "port": 5432}]}]
    with pytest.raises(TaskoraConfigError, match="shop/db: peer='str': must be a workload"):
        db.connections.allow_from("reports")


# The composite states its paths as edges (issue 19): each workload collects them into its one policy.

PLACEHOLDERS = TaskoraSecretValues.development_placeholders()
OPERATOR_SECRETS = TaskoraSecretValues(cohere_api_key="test-cohere", better_auth_secret="test-auth-" + "0" * 22,
                                       gemini_api_key="test-gemini", database_credentials_from_operator=True)


def test_an_edge_on_a_taskora_backend_lands_in_its_one_policy_on_both_sides():
    # GIVEN a Taskora instance and another team's workload in its own namespace
    app = cdk8s.Testing.app()
    instance = Taskora(app, "taskora", secrets=PLACEHOLDERS)
    reports = WebWorkload(cdk8s.Chart(app, "analytics", namespace="analytics"), "reports",
                          image="registry.example/reports:1.0.0")
    # WHEN the backend states an edge from it and one to it
    instance.backend.connections.allow_from(reports)
    instance.backend.connections.allow_to(reports)
    policies = policies_of(app)
    names = [p["metadata"]["name"] for p in policies]
    # THEN both land in the backend's one policy (no -ingress/-egress policy beside it), after its own rules
    assert "taskora-backend-ingress" not in names and "taskora-backend-egress" not in names
    [backend] = [p for p in policies if p["metadata"]["name"] == "taskora-backend"]
    assert len(backend["spec"]["ingress"]) == 3 and len(backend["spec"]["egress"]) == 3
    assert backend["spec"]["ingress"][-1]["from"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "analytics"}}
    # AND the traffic flows both ways under the instance's default deny, the reports side included
    backend_pods = ("taskora", instance.backend.pod_labels)
    reports_pods = ("analytics", reports.pod_labels)
    assert may_reach(policies, reports_pods, backend_pods, instance.backend.container_port)
    assert may_reach(policies, backend_pods, reports_pods, reports.container_port)
    assert not may_reach(policies, reports_pods, ("taskora", instance.database.selector_labels), 5432)


def test_a_database_client_lands_on_the_pooler_policy_and_reaches_only_the_pooler():
    # GIVEN a Taskora instance on CloudNativePG with a pooler
    app = cdk8s.Testing.app()
    instance = Taskora(app, "taskora", TaskoraProps(secrets=OPERATOR_SECRETS, database=CloudNativePgProps(
        image=CNPG_IMAGE, cloudnative_pg=CloudNativePgOptions(pooler=PgBouncerPooler()))))
    reports = WebWorkload(cdk8s.Chart(app, "analytics", namespace="analytics"), "reports",
                          image="registry.example/reports:1.0.0")
    # WHEN the database states an edge from a client
    instance.database.connections.allow_from(reports)
    policies = policies_of(app)
    # THEN it is a rule of the pooler's one policy: the client reaches the pooler, not the instances
    assert "taskora-db-ingress" not in {p["metadata"]["name"] for p in policies}
    [pooler] = [p for p in policies if p["metadata"]["name"] == "taskora-db-pooler-rw"]
    assert len(pooler["spec"]["ingress"]) == 2  # the backend's, then the client's
    reports_pods = ("analytics", reports.pod_labels)
    assert may_reach(policies, reports_pods, ("taskora", instance.database.pooler_labels), 5432)
    assert not may_reach(policies, reports_pods, ("taskora", instance.database.primary_labels), 5432)


def test_the_cloudnative_pg_policies_admit_a_client_workload_on_the_pooler_with_its_egress():
    # GIVEN a CloudNativePG database with a pooler and a workload of the library as its client
    app, chart = shop()
    db = CloudNativePgDatabase(chart, "db", image=CNPG_IMAGE,
                               cloudnative_pg=CloudNativePgOptions(pooler=PgBouncerPooler()))
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0")
    # WHEN its policies are written from their edges, the client one of them
    written = db.add_network_policies(clients=api)
    policies = policies_of(app)
    api_pods, pooler_pods = ("shop", api.pod_labels), ("shop", db.pooler_labels)
    # THEN the one edge admits the API on the pooler and lets it out there (its egress policy)
    assert set(written) == {"database", "pooler"}
    assert [p.node.path for p in written.values()] == ["shop/db/network-policy", "shop/db/pooler-network-policy"]
    assert may_reach(policies, api_pods, pooler_pods, 5432)
    assert not may_reach(policies, api_pods, ("shop", db.primary_labels), 5432)
    # AND the pooler reaches the primary, which the Cluster's policy admits from the pooler first
    assert may_reach(policies, pooler_pods, ("shop", db.primary_labels), 5432)
    [cluster] = [p for p in policies if p["metadata"]["name"] == "db"]
    assert cluster["spec"]["ingress"][0]["from"] == [{"podSelector": {"matchLabels": db.pooler_labels}}]


def test_a_policy_filled_edge_by_edge_writes_what_one_built_whole_writes():
    # GIVEN two policies on the same pods: one built with its rules, one empty
    app, chart = shop()
    api = WebWorkload(chart, "api", image="registry.example/api:1.0.0")
    edge, data = NetworkPeer.namespace("edge"), NetworkPeer.namespace("data")
    whole = WorkloadNetworkPolicy(chart, "whole", name="whole", selector_labels=api.selector_labels,
                                  ingress=[Allow(edge, (80,))], egress=[Allow(data, (5432,))])
    later = WorkloadNetworkPolicy(chart, "later", name="later", selector_labels=api.selector_labels)
    # WHEN the later one gets the same rules, egress first
    later.allow_to(Allow(data, (5432,)))
    later.allow_from(Allow(edge, (80,)))
    # THEN both specs are the same, keys in the same order (ingress before egress)
    by_name = {p["metadata"]["name"]: p["spec"] for p in policies_of(app)}
    assert list(by_name["later"].items()) == list(by_name["whole"].items())
    assert (later.ingress, later.egress) == (whole.ingress, whole.egress)


def test_a_taskora_client_without_its_network_policies_is_refused():
    # GIVEN an instance whose NetworkPolicies are off WHEN a client is let in THEN it is refused, named
    instance = Taskora(cdk8s.Testing.app(), "taskora", secrets=PLACEHOLDERS,
                       network_policy=NetworkPolicyProps(enabled=False))
    for allow in (instance.allow_database_client, instance.allow_backend_client):
        with pytest.raises(TaskoraConfigError, match="taskora: networkPolicy.enabled=false: a client can be let in only"):
            allow(NetworkPeer.namespace("reports"))
    assert not [o for o in instance.api_objects if o.kind == "NetworkPolicy"]


def test_a_cdk8s_plus_job_and_cronjob_reach_a_database_by_their_pods_address_label():
    # GIVEN a database and a cdk8s-plus Job and CronJob (Kubernetes gives a Job its selector)
    app, chart = shop()
    db = PostgresDatabase(chart, "db", password="sentinel-db-7a2f")
    image = [kplus.ContainerProps(image="registry.example/migrate:1.0.0")]
    migrate = kplus.Job(chart, "migrate", containers=image)
    nightly = kplus.CronJob(chart, "nightly", schedule=cdk8s.Cron.daily(), containers=image)
    # WHEN each is let into the database
    db.connections.allow_from(migrate)
    db.connections.allow_from(nightly)
    policies = policies_of(app)
    # THEN the pods each templates (by cdk8s-plus's address label, as its own policies select
    # them) reach the database on 5432, and pods of neither do not
    templates = [o["spec"]["template"] if o["kind"] == "Job" else o["spec"]["jobTemplate"]["spec"]["template"]
                 for o in cdk8s.Testing.synth(chart) if o["kind"] in ("Job", "CronJob")]
    assert len(templates) == 2
    for template in templates:
        assert may_reach(policies, ("shop", template["metadata"]["labels"]), ("shop", db.selector_labels), 5432)
    assert not may_reach(policies, ("shop", {"app": "other"}), ("shop", db.selector_labels), 5432)
