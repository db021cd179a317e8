"""The workload props (taskora_constructs/core/props.py) and the props built on them: GIVEN one
wrong field WHEN the props are built THEN they raise at once, naming the field, the value, the
rule and the fix (every problem at once; no secret echoed)."""

from __future__ import annotations

import cdk8s

from taskora_constructs import (ComputeResources, PostgresProps, Resources, Taskora, TaskoraBackendProps,
                                TaskoraFrontendProps, TaskoraIngressProps, TaskoraProps, TaskoraSecretValues)
from tests.support.lint_helpers import PLACEHOLDERS, assert_message, props_error, the_problem


def test_replicas_below_one_are_refused():
    error = props_error(lambda: TaskoraBackendProps(replicas=0))
    assert_message(the_problem(error, "TaskoraBackendProps", "replicas"), value=0, rule="must be >= 1",
                   fix="set at least 1 replica")



def test_replicas_must_be_an_integer():
    error = props_error(lambda: TaskoraFrontendProps(replicas=2.5))  # type: ignore[arg-type]
    assert_message(the_problem(error, "TaskoraFrontendProps", "replicas"), value=2.5, rule="must be an integer",
                   fix="write a whole number")



def test_malformed_quantity_is_refused():
    resources = Resources(requests=ComputeResources(cpu="lots", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="512Mi"))
    error = props_error(lambda: TaskoraBackendProps(resources=resources))
    assert_message(the_problem(error, "TaskoraBackendProps", "resources.requests.cpu"), value="lots",
                   rule="must be a Kubernetes quantity", fix="write it like '250m'")



def test_request_above_limit_is_refused():
    resources = Resources(requests=ComputeResources(cpu="2", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="512Mi"))
    error = props_error(lambda: TaskoraBackendProps(resources=resources))
    assert_message(the_problem(error, "TaskoraBackendProps", "resources.requests.cpu"), value="2",
                   rule="must be <= resources.limits.cpu (500m)", fix="raise the limit to at least 2")



def test_storage_below_one_gibibyte_is_refused():
    error = props_error(lambda: PostgresProps(storage="512Mi"))
    assert_message(the_problem(error, "PostgresProps", "storage"), value="512Mi", rule="must be >= 1Gi",
                   fix="request at least 1Gi")



def test_ingress_host_must_be_a_dns_name():
    error = props_error(lambda: TaskoraIngressProps(host="Taskora_Local"))
    assert_message(the_problem(error, "TaskoraIngressProps", "host"), value="Taskora_Local",
                   rule="must be a DNS-1123 subdomain", fix="use a name like 'taskora.local'")



def test_image_reference_must_parse():
    error = props_error(lambda: TaskoraFrontendProps(image="Taskora/Frontend:"))
    assert_message(the_problem(error, "TaskoraFrontendProps", "image"), value="Taskora/Frontend:",
                   rule="must be an image reference", fix="'taskora/backend:1.4.2'")



def test_app_name_must_make_valid_object_names():
    error = props_error(lambda: Taskora(cdk8s.Testing.app(), "taskora",
                                        TaskoraProps(secrets=PLACEHOLDERS, app_name="Taskora_App")))
    assert_message(the_problem(error, "taskora", "app"), value="Taskora_App",
                   rule="must be a DNS-1123 label", fix="'taskora-staging'")



def test_empty_secret_value_is_refused_and_no_secret_is_echoed():
    error = props_error(lambda: TaskoraSecretValues(cohere_api_key="", better_auth_secret="s3cr3t-auth",
                                                    gemini_api_key="g3m1n1", database_password="pw-123"))
    assert_message(the_problem(error, "TaskoraSecretValues", "cohere_api_key"), value="",
                   rule="must be a non-empty string", fix="provide a value")
    assert not {"s3cr3t-auth", "g3m1n1", "pw-123"} & set(str(error).replace("'", " ").split())



def test_props_problems_are_all_reported_at_once():
    # GIVEN three things wrong in one props object WHEN built THEN all three are reported
    resources = Resources(requests=ComputeResources(cpu="2", memory="128Mi"),
                          limits=ComputeResources(cpu="500m", memory="lots"))
    error = props_error(lambda: TaskoraBackendProps(replicas=0, image="BAD IMAGE", resources=resources))
    assert {p.field for p in error.problems} == {"replicas", "image", "resources.limits.memory"}
    assert str(error).startswith("3 configuration problems:\n")
