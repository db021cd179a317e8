"""GIVEN the Taskora Namespace and its deletion protection WHEN synthesized THEN they are the reviewed
snapshot (__snapshots__/test_namespace_snapshot.ambr): the Pod Security labels, the protection label,
and the cluster-wide policy (``deletion_protection_policy``, applied once per cluster by
``make protection``) that refuses the deletes taking the data with them."""

from __future__ import annotations

import cdk8s

from taskora_constructs import TaskoraNamespace
from taskora_constructs.taskora.namespace import PROTECTION_LABEL, deletion_protection_policy
from tests.support.synth import rendered_yaml


def test_the_protected_restricted_namespace_and_its_policy_match_the_snapshot(snapshot):
    # GIVEN a chart WHEN the default Namespace (protected, restricted) is created
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop")
    TaskoraNamespace(chart, "shop")
    [namespace] = cdk8s.Testing.synth(chart)
    policy = deletion_protection_policy()
    # THEN the Namespace carries the label the cluster-wide policy and its binding match on
    assert namespace["metadata"]["labels"][PROTECTION_LABEL] == "enabled"
    assert [o["kind"] for o in policy] == ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert rendered_yaml([namespace, *policy]) == snapshot
