"""TaskoraFrontend (taskora_constructs/taskora/frontend.py): its documented checkov exceptions
(FRONTEND_EXCEPTIONS, the props' default ``policy_exceptions``) explain TaskoraFrontendProps' own
default image and user. GIVEN those in use WHEN synthesized THEN each exception is on the
Deployment; GIVEN another image or uid that leaves the same check unmet THEN it is not, and the
finding is the caller's to meet or to excuse in their own words."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import TaskoraConfig, TaskoraFrontend, WebWorkload
from taskora_constructs.core import policy
from taskora_constructs.taskora.frontend import FRONTEND_EXCEPTIONS

#: Which of the props' documented values each exception explains, and another value that
#: leaves the check unmet all the same (a :latest image without digest, IfNotPresent; a low uid).
OTHER_VALUE = {policy.IMAGE_TAG_FIXED: {"image": "registry.example/shop/web:latest"},
               policy.IMAGE_PULL_ALWAYS: {"image": "registry.example/shop/web:latest"},
               policy.IMAGE_DIGEST: {"image": "registry.example/shop/web:latest"},
               policy.HIGH_UID: {"run_as_user": 2000}}


def frontend_deployment(**props) -> dict:
    scope = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    api = WebWorkload(scope, "api", image="registry.example/shop/api:2.3.0", port=8000)
    TaskoraFrontend(scope, "web", config=TaskoraConfig(scope, "config", api_base_url=api.url), backend=api, **props)
    return next(o for o in cdk8s.Testing.synth(scope) if o["kind"] == "Deployment" and o["metadata"]["name"] == "web")


def pod_spec(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


def test_every_documented_exception_says_which_value_it_explains():
    assert set(OTHER_VALUE) == set(FRONTEND_EXCEPTIONS)


@pytest.mark.parametrize("check", sorted(FRONTEND_EXCEPTIONS))
def test_a_documented_exception_is_written_while_its_documented_value_is_in_use(check):
    # GIVEN the model's frontend (taskora/frontend:latest, uid 1001) WHEN synthesized
    deployment = frontend_deployment()
    # THEN the check is unmet and excused on the Deployment with the table's reason
    assert policy.unmet(check, pod_spec(deployment))
    assert deployment["metadata"]["annotations"][policy.annotation_key(check)] == f"{check}={FRONTEND_EXCEPTIONS[check]}"


@pytest.mark.parametrize("check", sorted(FRONTEND_EXCEPTIONS))
def test_a_documented_exception_is_not_written_for_another_value(check):
    # GIVEN another image (or uid) that leaves the same check unmet, the default exceptions kept
    deployment = frontend_deployment(**OTHER_VALUE[check])
    assert policy.unmet(check, pod_spec(deployment))
    # THEN the documented reason does not explain it: not written, checkov reports the finding
    assert policy.annotation_key(check) not in deployment["metadata"].get("annotations", {})
    # AND the caller may excuse it in their own words
    own = frontend_deployment(**OTHER_VALUE[check], policy_exceptions={check: "the shop's own reason"})
    assert own["metadata"]["annotations"][policy.annotation_key(check)] == f"{check}=the shop's own reason"
