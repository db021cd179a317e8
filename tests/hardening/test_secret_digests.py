"""GIVEN secret values (sentinels) WHEN synthesized THEN no object but a Secret holds anything
derived from them: a reader of pods, Deployments or StatefulSets cannot test a guessed
password against a digest (issue 20, "Secrets at rest in objects"; docs/hardening.md)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tests.support.synth import synth_taskora
from taskora_constructs import PostgresProps, TaskoraSecretValues

PASSWORD = "Sentinel-Pw-7d1f0c2a9e4b"
SECRETS = TaskoraSecretValues(cohere_api_key="Sentinel-Cohere-5b8e2f11", better_auth_secret="Sentinel-Auth-" + "a" * 24,
                              gemini_api_key="Sentinel-Gemini-3c9d7a40", database_password=PASSWORD)
OTHER = TaskoraSecretValues(cohere_api_key="Other-Cohere-0000000000", better_auth_secret="Other-Auth-" + "b" * 24,
                            gemini_api_key="Other-Gemini-00000000000", database_password="Other-Pw-000000000000")


def encodings(secret: str) -> set[str]:
    """``secret`` and its hashes, each as hex and base64: what a leak could look like."""
    raw = secret.encode()
    digests = [raw] + [hashlib.new(name, raw).digest() for name in ("md5", "sha1", "sha256", "sha512")]
    found = set()
    for digest in digests:
        found |= {digest.hex(), base64.b64encode(digest).decode().rstrip("="),
                  base64.urlsafe_b64encode(digest).decode().rstrip("=")}
    return found | {secret}


def not_secrets(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] != "Secret"]


@pytest.mark.parametrize("database", [None, PostgresProps(storage_class_name="standard", backup=None)],
                         ids=["default", "plain-statefulset"])
def test_no_object_but_a_secret_depends_on_the_secret_values(database):
    # GIVEN two instances that differ only in their secret values
    extra = {"database": database} if database is not None else {}
    _, first = synth_taskora(secrets=SECRETS, **extra)
    _, second = synth_taskora(secrets=OTHER, **extra)
    # THEN every object that is not a Secret is the same: nothing in a pod spec derives from them
    assert json.dumps(not_secrets(first), sort_keys=True) == json.dumps(not_secrets(second), sort_keys=True)


def test_no_encoding_of_a_secret_or_its_hashes_outside_the_secrets():
    _, objects = synth_taskora(secrets=SECRETS)
    text = json.dumps(not_secrets(objects))
    for value in (PASSWORD, SECRETS.cohere_api_key, SECRETS.better_auth_secret, SECRETS.gemini_api_key):
        leaked = [form for form in encodings(value) if form in text]
        assert leaked == [], f"a form of a secret is readable outside the Secrets: {leaked}"
    # AND the Secrets do hold them (the sentinels reach the objects at all)
    assert PASSWORD in json.dumps([o for o in objects if o["kind"] == "Secret"])


def test_a_bumped_revision_rolls_the_pods_that_read_secrets():
    # GIVEN a rotated secret: the pods roll when the user bumps the revision (the synth cannot
    # see a change it may not record)
    def annotations(**props):
        _, objects = synth_taskora(**props)
        return {o["metadata"]["name"]: o["spec"]["template"]["metadata"].get("annotations", {})
                for o in objects if o["kind"] in ("Deployment", "StatefulSet")}

    before = annotations()
    after = annotations(secrets_revision=1)
    assert after["taskora-backend"] != before["taskora-backend"]
    assert after["taskora-frontend"] == before["taskora-frontend"]
    assert after["taskora-db"] == before["taskora-db"]
    assert after["taskora-backend"]["revision/secrets"] == "1"
