"""TaskoraBackend (taskora_constructs/taskora/backend.py): its documented checkov exceptions
(BACKEND_EXCEPTIONS, the props' default ``policy_exceptions``) explain TaskoraBackendProps' own
default image and user, and the construct's environment contract. GIVEN those in use WHEN
synthesized THEN each exception is on the Deployment; GIVEN another image or uid that leaves the
same check unmet THEN the image and uid exceptions are not, the finding is the caller's."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresDatabase, TaskoraBackend, TaskoraBackendProps, TaskoraConfig, TaskoraSecrets
from taskora_constructs.core import policy
from taskora_constructs.taskora.backend import BACKEND_EXCEPTIONS

OTHER_IMAGE = {"image": "registry.example/shop/api:latest"}  # :latest, no digest, IfNotPresent: unmet alike
#: Another value of what each documented exception explains, leaving the check unmet all the same.
OTHER_VALUE = {policy.IMAGE_TAG_FIXED: OTHER_IMAGE, policy.IMAGE_PULL_ALWAYS: OTHER_IMAGE,
               policy.IMAGE_DIGEST: OTHER_IMAGE, policy.HIGH_UID: {"run_as_user": 2000}}
#: The env contract is the construct's: it reads DATABASE_URL and the API keys from env, whatever the image.
CONSTRUCTS_OWN = {policy.SECRETS_AS_FILES}


def backend_deployment(**props) -> dict:
    scope = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    db = PostgresDatabase(scope, "db", password="pw")
    secrets = TaskoraSecrets(scope, "secrets", database=db, cohere_api_key="c", better_auth_secret="b",
                             gemini_api_key="g")
    config = TaskoraConfig(scope, "config", api_base_url=TaskoraBackend.url_for("api", TaskoraBackendProps()))
    TaskoraBackend(scope, "api", config=config, secrets=secrets, database=db, **props)
    return next(o for o in cdk8s.Testing.synth(scope) if o["kind"] == "Deployment")


def annotation(deployment: dict, check: str) -> str | None:
    return deployment["metadata"].get("annotations", {}).get(policy.annotation_key(check))


def test_every_documented_exception_says_which_value_it_explains():
    assert set(OTHER_VALUE) | CONSTRUCTS_OWN == set(BACKEND_EXCEPTIONS)


@pytest.mark.parametrize("check", sorted(BACKEND_EXCEPTIONS))
def test_a_documented_exception_is_written_while_its_documented_value_is_in_use(check):
    # GIVEN the model's backend (taskora/backend:latest, uid 1001, secrets in env) WHEN synthesized
    deployment = backend_deployment()
    # THEN the check is unmet and excused on the Deployment with the table's reason
    assert policy.unmet(check, deployment["spec"]["template"]["spec"])
    assert annotation(deployment, check) == f"{check}={BACKEND_EXCEPTIONS[check]}"


@pytest.mark.parametrize("check", sorted(OTHER_VALUE))
def test_a_documented_exception_is_not_written_for_another_value(check):
    # GIVEN another image (or uid) that leaves the same check unmet, the default exceptions kept
    deployment = backend_deployment(**OTHER_VALUE[check])
    assert policy.unmet(check, deployment["spec"]["template"]["spec"])
    # THEN the documented reason does not explain it: not written, checkov reports the finding
    assert annotation(deployment, check) is None


def test_the_env_contract_exception_holds_whatever_the_image():
    # GIVEN another image WHEN synthesized THEN the construct still puts the secrets in env, and
    # its own reason stays written; the image's exceptions are gone
    deployment = backend_deployment(**OTHER_IMAGE)
    assert annotation(deployment, policy.SECRETS_AS_FILES) == (
        f"{policy.SECRETS_AS_FILES}={BACKEND_EXCEPTIONS[policy.SECRETS_AS_FILES]}")
    assert annotation(deployment, policy.IMAGE_TAG_FIXED) is None
