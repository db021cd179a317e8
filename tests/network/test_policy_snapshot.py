"""GIVEN a namespace's default-deny policy and one workload's allow-list WHEN synthesized THEN the
NetworkPolicies are the reviewed snapshot (__snapshots__/test_policy_snapshot.ambr): who may reach
whom, on which port, read in review as Kubernetes reads it."""

from __future__ import annotations

import cdk8s

from taskora_constructs import Allow, NamespaceNetworkPolicy, NetworkPeer, WorkloadNetworkPolicy
from tests.support.synth import rendered_yaml


def test_a_default_deny_and_an_allow_list_match_the_snapshot(snapshot):
    # GIVEN a chart WHEN the namespace denies by default and an API admits its web pods and
    # another team's reports, and reaches a database
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    NamespaceNetworkPolicy(chart, "deny")
    policy = WorkloadNetworkPolicy(chart, "api", selector_labels={"app": "api"})
    policy.allow_from(Allow(NetworkPeer.pods({"app": "web"}), (8000,)))
    policy.allow_from(Allow(NetworkPeer.pods({"app": "reports"}, namespace="analytics"), (8000,)))
    policy.allow_to(Allow(NetworkPeer.pods({"app": "db"}), (5432,)))
    objects = cdk8s.Testing.synth(chart)
    # THEN two policies: the namespace's, and the API's with both directions
    assert [o["metadata"]["name"] for o in objects] == ["deny", "api"]
    assert objects[1]["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert rendered_yaml(objects) == snapshot
