"""TaskoraNamespace and the deletion protection (taskora_constructs/taskora/namespace.py): GIVEN a
chart WHEN the Namespace is created THEN it carries the app, Pod Security and deletion protection
labels it was asked for and no metadata.namespace; wrong options name the field, rule and fix;
the cluster-wide policy refuses the deletes that would take the database with them."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import TaskoraConfigError, TaskoraNamespace, TaskoraNamespaceProps
from taskora_constructs.taskora.namespace import (OPERATOR_USERS, POD_SECURITY_VERSION, PROTECTION_LABEL,
                                                  PROTECTION_POLICY, deletion_protection_policy,
                                                  namespace_option_problems, pod_security_labels)

PSA = "pod-security.kubernetes.io"


def synth_namespace(chart_namespace: str | None = None, **kwargs) -> tuple[TaskoraNamespace, dict]:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "c", namespace=chart_namespace)
    namespace = TaskoraNamespace(chart, "shop", **kwargs)
    [manifest] = cdk8s.Testing.synth(chart)
    return namespace, manifest


def test_the_default_namespace_is_protected_and_restricted():
    # GIVEN a chart WHEN a namespace is created with no options
    namespace, manifest = synth_namespace()
    # THEN it is named after the id and labelled with the app, protection and Pod Security
    assert manifest["kind"] == "Namespace" and manifest["metadata"]["name"] == "shop"
    assert namespace.name == namespace.namespace_name == "shop" and namespace.namespace is None
    assert manifest["metadata"]["labels"] == {
        "app.kubernetes.io/name": "taskora",
        "app.kubernetes.io/managed-by": "cdk8s",  # not the model's helm (deviation D1)
        PROTECTION_LABEL: "enabled",
        f"{PSA}/enforce": "restricted", f"{PSA}/enforce-version": "v1.34",
        f"{PSA}/audit": "restricted", f"{PSA}/audit-version": "v1.34",
        f"{PSA}/warn": "restricted", f"{PSA}/warn-version": "v1.34",
    }
    assert namespace.protection_labels == {PROTECTION_LABEL: "enabled"}
    # AND the policy is not among the app's objects: it is applied once per cluster
    assert namespace.deletion_policy is None and namespace.deletion_policy_binding is None


def test_a_chart_namespace_is_not_stamped_on_the_cluster_scoped_namespace():
    _, manifest = synth_namespace(chart_namespace="shop")
    assert "namespace" not in manifest["metadata"]


def test_name_app_name_and_options_are_honoured():
    namespace, manifest = synth_namespace(name="orders", props=TaskoraNamespaceProps(
        app_name="orders-app", deletion_protection=False, pod_security="baseline"))
    labels = manifest["metadata"]["labels"]
    assert manifest["metadata"]["name"] == "orders" and labels["app.kubernetes.io/name"] == "orders-app"
    assert PROTECTION_LABEL not in labels and namespace.protection_labels == {}
    # baseline is enforced, but audit and warn still report what keeps it from restricted
    assert (labels[f"{PSA}/enforce"], labels[f"{PSA}/audit"], labels[f"{PSA}/warn"]) == (
        "baseline", "restricted", "restricted")


def test_no_pod_security_means_no_pod_security_labels():
    _, manifest = synth_namespace(pod_security=None)
    assert not [key for key in manifest["metadata"]["labels"] if key.startswith(PSA)]


def test_wrong_options_are_all_reported_with_field_rule_and_fix():
    chart = cdk8s.Chart(cdk8s.Testing.app(), "c")
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraNamespace(chart, "shop", deletion_protection="yes", pod_security="strict")
    problems = {p.field: p for p in raised.value.problems}
    assert sorted(problems) == ["deletionProtection", "podSecurity"]
    assert {p.where for p in problems.values()} == {"c/shop"}
    assert (problems["deletionProtection"].value, problems["deletionProtection"].rule) == ("yes", "must be a boolean")
    assert problems["podSecurity"].value == "strict"
    assert problems["podSecurity"].rule == "must be one of restricted, baseline, privileged (or None)"
    assert "baseline" in problems["podSecurity"].fix


def test_the_option_rules_accept_every_level_and_none():
    for level in ("restricted", "baseline", "privileged", None):
        assert namespace_option_problems("x", True, level) == []


def test_pod_security_labels_pin_every_mode_to_the_version():
    labels = pod_security_labels("privileged", "v9.9")
    assert labels == {f"{PSA}/enforce": "privileged", f"{PSA}/enforce-version": "v9.9",
                      f"{PSA}/audit": "restricted", f"{PSA}/audit-version": "v9.9",
                      f"{PSA}/warn": "restricted", f"{PSA}/warn-version": "v9.9"}
    assert pod_security_labels("restricted")[f"{PSA}/enforce-version"] == POD_SECURITY_VERSION


def test_the_protection_policy_matches_labelled_namespaces_and_their_data():
    # GIVEN the cluster-wide policy WHEN it is built THEN it is a Deny binding of one policy
    policy, binding = deletion_protection_policy()
    assert (policy["kind"], binding["kind"]) == ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    assert policy["metadata"]["name"] == binding["spec"]["policyName"] == PROTECTION_POLICY
    assert binding["spec"]["validationActions"] == ["Deny"]
    constraints = policy["spec"]["matchConstraints"]
    assert constraints["namespaceSelector"] == {"matchLabels": {PROTECTION_LABEL: "enabled"}}
    # AND it matches the DELETE of the namespace, its claims and its CloudNativePG Clusters
    matched = {(rule["apiGroups"][0], resource) for rule in constraints["resourceRules"]
               for resource in rule["resources"]}
    assert matched == {("", "namespaces"), ("", "persistentvolumeclaims"), ("postgresql.cnpg.io", "clusters")}
    assert {op for rule in constraints["resourceRules"] for op in rule["operations"]} == {"DELETE"}
    assert policy["spec"]["failurePolicy"] == "Fail"


def test_only_the_operator_users_may_delete_claims():
    [validation] = deletion_protection_policy()[0]["spec"]["validations"]
    assert validation["expression"] == ("request.resource.resource == 'persistentvolumeclaims' && "
                                        f"request.userInfo.username in ['{OPERATOR_USERS[0]}']")
    # AND the message tells how to tear down on purpose
    assert f"{PROTECTION_LABEL}-" in validation["messageExpression"]
    custom = deletion_protection_policy(("system:serviceaccount:a:b", "u"))[0]["spec"]["validations"][0]
    assert custom["expression"].endswith("in ['system:serviceaccount:a:b', 'u']")
