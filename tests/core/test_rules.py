"""The shared field rules (taskora_constructs/core/rules.py): GIVEN a value WHEN a rule checks it
THEN an accepted value gives no problem, and a refused one exactly one problem carrying the
where, field and value it was given, the rule in words and the fix; secret values are redacted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taskora_constructs.core import rules

SECRET = "sentinel-secret-4d2a"


def refused(check, value, *args, **kwargs) -> rules.Problem:
    [problem] = check("shop/db", "some.field", value, *args, **kwargs)
    assert (problem.where, problem.field) == ("shop/db", "some.field")
    assert problem.rule and problem.fix
    return problem


@pytest.mark.parametrize("text, value", [
    ("500m", Decimal("0.5")), ("512Mi", 512 * 2**20), ("1Gi", 2**30), ("10G", 10**10), ("1e3", 1000),
    ("2", 2), ("1.5Ki", 1536), ("100u", Decimal("0.0001")),
])
def test_parse_quantity_reads_binary_decimal_and_exponent_suffixes(text: str, value):
    assert rules.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "ten", "10 Gi", "10GB", "1" * 63 + "Gi", 10])
def test_parse_quantity_refuses_what_is_no_quantity(text):
    assert rules.parse_quantity(text) is None


def test_check_quantity_refuses_zero_and_exponents_for_props_only():
    assert rules.check_quantity("w", "f", "256Mi", example="256Mi") == []
    assert "must be a Kubernetes quantity" in refused(rules.check_quantity, "lots", example="256Mi").rule
    for value in ("0", "1e3"):
        problem = refused(rules.check_quantity, value, example="256Mi")
        assert problem.rule == "must be above zero, written without an exponent"
        assert problem.fix == "write it like '256Mi'"
        # the lint checks others' objects against the API server's grammar only
        assert rules.check_quantity("w", "f", value, example="1", props=False) == []


def test_check_min_quantity_compares_across_suffixes():
    assert rules.check_min_quantity("w", "f", "1024Mi", "1Gi") == []
    problem = refused(rules.check_min_quantity, "1023Mi", "1Gi")
    assert (problem.value, problem.rule, problem.fix) == ("1023Mi", "must be >= 1Gi", "request at least 1Gi")


@pytest.mark.parametrize("value, rule", [
    ("2", "must be an integer"), (True, "must be an integer"), (0, "must be >= 1"),
    (2**31, "must be <= 2147483647 (an int32)"),
])
def test_check_replicas(value, rule):
    assert rules.check_replicas("w", "f", 3) == []
    assert refused(rules.check_replicas, value).rule == rule


@pytest.mark.parametrize("value", [0, 65536, True, "8000", -1])
def test_check_port_refuses_what_is_no_port(value):
    assert rules.check_port("w", "f", 65535) == [] and rules.check_port("w", "f", 1) == []
    assert refused(rules.check_port, value).rule == "must be a port number between 1 and 65535"


def test_check_positive_int_honours_its_minimum():
    assert rules.check_positive_int("w", "f", 0, minimum=0) == []
    problem = refused(rules.check_positive_int, 29, minimum=30)
    assert problem.rule == "must be an integer from 30 to 2147483647 (an int32)"
    assert problem.fix == "use a whole number of at least 30"
    assert refused(rules.check_positive_int, False).value is False


@pytest.mark.parametrize("value", ["Taskora", "-taskora", "a" * 64, "task.ora", "", None])
def test_check_dns_label_refuses(value):
    assert rules.check_dns_label("w", "f", "taskora-staging") == []
    assert refused(rules.check_dns_label, value).rule.startswith("must be a DNS-1123 label")


@pytest.mark.parametrize("value", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_check_app_namespace_refuses_the_system_namespaces(value):
    assert rules.check_app_namespace("w", "f", "taskora") == []
    problem = refused(rules.check_app_namespace, value)
    assert "must not be a system namespace" in problem.rule and "taskora" in problem.fix


def test_check_app_namespace_reports_a_bad_label_once():
    assert refused(rules.check_app_namespace, "Kube_System").rule.startswith("must be a DNS-1123 label")


def test_check_dns_subdomain():
    assert rules.check_dns_subdomain("w", "f", "taskora.local") == []
    for value in ("Taskora.local", "a..b", "a" * 254, "-a.b"):
        assert refused(rules.check_dns_subdomain, value).value == value


@pytest.mark.parametrize("value", ["postgres:15-alpine", "registry.example:5000/team/api:1.0.0",
                                   "ghcr.io/cloudnative-pg/postgresql:16.4", "api@sha256:" + "a" * 64])
def test_check_image_accepts_references(value: str):
    assert rules.check_image("w", "f", value) == []


@pytest.mark.parametrize("value", ["sha256:" + "a" * 64, "Upper/Case", "api:", "", 3])
def test_check_image_refuses(value):
    assert refused(rules.check_image, value).fix == "write it like 'taskora/backend:1.4.2'"


def test_check_pull_policy():
    for policy in rules.PULL_POLICIES:
        assert rules.check_pull_policy("w", "f", policy) == []
    assert refused(rules.check_pull_policy, "ifnotpresent").rule == "must be one of Always, IfNotPresent, Never"


def test_check_postgres_name():
    assert rules.check_postgres_name("w", "f", "_orders_2", "identifier") == []
    for value in ("2orders", "orders-db", "a" * 64, None):
        assert refused(rules.check_postgres_name, value, "role name").rule.startswith("must be a PostgreSQL role name")


def test_check_non_empty_never_shows_a_secret():
    assert rules.check_non_empty("w", "f", SECRET) == []
    # missing or empty values are shown as they are; anything else (a non-string) is redacted
    assert refused(rules.check_non_empty, None).value is None
    assert refused(rules.check_non_empty, "").value == ""
    problem = refused(rules.check_non_empty, [SECRET])
    assert problem.value == "<redacted>" and SECRET not in str(problem)


@pytest.mark.parametrize("key, ok", [
    ("app", True), ("app.kubernetes.io/name", True), ("a/b/c", False), ("/name", False),
    ("Example.com/name", False), ("x" * 64, False), ("-app", False), (7, False),
])
def test_check_label_key(key, ok: bool):
    assert (rules.check_label_key("w", "f", key) == []) is ok


def test_check_labels_names_each_key_and_refuses_a_non_map():
    assert rules.check_labels("w", "labels", None) == []
    found = rules.check_labels("w", "labels", {"app": "ok", "bad key": "-x"})
    assert [(p.field, p.value) for p in found] == [("labels.bad key", "bad key"), ("labels.bad key", "-x")]
    assert refused(rules.check_labels, ["app"]).rule == "must be a map of label keys to values"
    assert rules.check_label_value("w", "f", "") == []


@pytest.mark.parametrize("value", ["http-metrics-long", "a--b", "8080", "HTTP", ""])
def test_check_port_name_refuses(value):
    assert rules.check_port_name("w", "f", "http") == []
    assert refused(rules.check_port_name, value).fix == "use a name like 'http'"


def test_check_host_allows_a_leading_wildcard_only():
    assert rules.check_host("w", "f", "*.example.com") == []
    assert rules.check_host("w", "f", "tasks.example.com") == []
    for value in ("a.*.example.com", "Tasks.example.com", "*"):
        assert refused(rules.check_host, value).value == value
    assert rules.check_host("w", "f", "10.0.0.1") != []  # the API refuses an IP as a host


def test_check_config_key():
    assert rules.check_config_key("w", "f", "DATABASE_URL") == []
    assert rules.check_config_key("w", "f", ".env-file_1") == []
    assert refused(rules.check_config_key, "DATABASE URL").fix == "use a key like 'DATABASE_URL'"


def test_check_writable_paths():
    assert rules.check_writable_paths("w", "f", ("/tmp", "/var/run/postgresql")) == []
    assert refused(rules.check_writable_paths, "/tmp").rule == "must be a list of absolute paths"
    problems = rules.check_writable_paths("w", "f", ["tmp", "/", "/a/../etc"])
    assert [p.value for p in problems] == ["tmp", "/", "/a/../etc"]
    assert refused(rules.check_writable_paths, ["/tmp", "/tmp"]).rule == "must not repeat a path"


def test_check_policy_exceptions():
    assert rules.check_policy_exceptions("w", "f", {"CKV_K8S_40": "runs as uid 70", "CKV2_K8S_6": "ok"}) == []
    found = rules.check_policy_exceptions("w", "exceptions", {"K8S_40": "why", "CKV_K8S_1": "a=b"})
    assert [(p.field, p.value) for p in found] == [("exceptions.K8S_40", "K8S_40"), ("exceptions.CKV_K8S_1", "a=b")]
    assert "checkov splits its skip annotation" in found[1].rule
    assert refused(rules.check_policy_exceptions, ["CKV_K8S_40"]).rule == "must map check ids to reasons"


@pytest.mark.parametrize("value, ok", [
    ("0 3 * * *", True), ("*/15 * * * Mon-Fri", True), ("@daily", True), ("0 3 * *", False),
    ("0  3 * * *", False), ("@often", False), ("0 3 * * ?", False),
])
def test_check_cron_schedule(value: str, ok: bool):
    assert (rules.check_cron_schedule("w", "f", value) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("10.0.0.0/8", True), ("::/0", True), ("10.0.0.1/8", False), ("10.0.0.1", False), (10, False),
])
def test_check_cidr(value, ok: bool):
    assert (rules.check_cidr("w", "f", value) == []) is ok
