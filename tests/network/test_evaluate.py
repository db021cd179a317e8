"""The one NetworkPolicy evaluator (taskora_constructs/network/evaluate.py), shared by the lint,
the traffic picture (scripts/_netgraph.py) and the tests: GIVEN policies as plain manifests WHEN
a connection is asked about THEN it is read as Kubernetes reads it."""

from __future__ import annotations

import sys

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import by_id, objects_of
from taskora_constructs import check_manifests
from taskora_constructs.network.evaluate import Endpoint, may_reach, selects

sys.path.insert(0, str(ROOT / "scripts"))
from _netgraph import Graph, Pods  # noqa: E402


def policy(namespace: str, pod_selector: dict, *, ingress: list | None = None, egress: list | None = None) -> dict:
    spec: dict = {"podSelector": pod_selector,
                  "policyTypes": (["Ingress"] if ingress is not None else []) + (["Egress"] if egress is not None else [])}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": namespace}, "spec": spec}


API = Endpoint("shop", {"app": "api", "tier": "web"}, named_ports={"http": 8080})
WEB = Endpoint("shop", {"app": "web", "tier": "web"})
DEBUG = Endpoint("shop", {"app": "debug"})


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    (None, {"app": "x"}, False),
    ({}, {"app": "x"}, True),
    ({"matchLabels": {"app": "x"}}, {"app": "x", "tier": "y"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}, {"tier": "web"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["api"]}]}, {"tier": "web"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, {}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"app": "x"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"app": "x"}, True),
])
def test_a_label_selector_selects_by_labels_and_expressions(selector, labels, expected):
    assert selects(selector, labels) is expected


def test_ingress_admits_the_selected_peers_on_the_named_port_only():
    # GIVEN the API admitting pods of tier web except debug ones, on its port named http
    policies = [policy("shop", {"matchLabels": {"app": "api"}}, ingress=[{
        "from": [{"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}}],
        "ports": [{"port": "http"}]}])]
    # THEN web reaches 8080, debug does not, nor any other port
    assert may_reach(policies, WEB, API, 8080)
    assert not may_reach(policies, DEBUG, API, 8080)
    assert not may_reach(policies, WEB, API, 9090)
    # AND the web pods, which no policy isolates, accept anything
    assert may_reach(policies, API, WEB, 1)


def test_namespaces_are_selected_by_their_labels_and_ip_blocks_by_address():
    reports = Endpoint("reports", {"app": "job"}, namespace_labels={"team": "data"})
    policies = [policy("shop", {}, ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "data"}}}]}]),
                policy("shop", {"matchLabels": {"app": "api"}}, egress=[{
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                    "ports": [{"port": 8000, "endPort": 8100, "protocol": "TCP"}]}])]
    assert may_reach(policies, reports, API, 5432)
    assert not may_reach(policies, Endpoint("other", {"app": "job"}), API, 5432)
    outside, inside = Endpoint(None, ip="142.250.74.10"), Endpoint(None, ip="10.1.2.3")
    assert may_reach(policies, API, outside, 8050) and not may_reach(policies, API, outside, 8101)
    assert not may_reach(policies, API, inside, 8050)
    assert not may_reach(policies, API, outside, 8050, "UDP")


def test_the_traffic_picture_and_the_lint_read_a_selector_expression_as_the_evaluator_does():
    # GIVEN a policy whose peer selects by an expression
    deployment = {"kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
                  "spec": {"template": {"metadata": {"labels": {"app": "api", "tier": "web"}}}}}
    web = {"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"template": {"metadata": {"labels": {"app": "web", "tier": "edge"}}}}}
    only_web_tier = policy("shop", {"matchLabels": {"app": "api"}}, ingress=[{"from": [{"podSelector": {
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}}]}])
    # THEN the picture draws no path from web (tier edge) into the API, as the evaluator says
    graph = Graph([deployment, web, only_web_tier])
    drawn = {(p.source.name, p.destination.name) for p in graph.sorted_paths()
             if isinstance(p.source, Pods) and isinstance(p.destination, Pods)}
    assert ("web", "api") not in drawn
    assert not may_reach([only_web_tier], Endpoint("shop", {"app": "web", "tier": "edge"}),
                         Endpoint("shop", {"app": "api", "tier": "web"}), 80)
    # AND the lint refuses a policy that an expression leaves selecting no pod (it read matchLabels only)
    objects = objects_of("local")
    by_id(objects)["NetworkPolicy/taskora-backend"]["spec"]["podSelector"]["matchExpressions"] = [
        {"key": "app", "operator": "NotIn", "values": ["taskora-backend"]}]
    assert [str(p).split(": must")[0] for p in check_manifests(objects)] == [
        "NetworkPolicy/taskora-backend: spec.podSelector.matchLabels={'app': 'taskora-backend'}"]
