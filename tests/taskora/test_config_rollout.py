"""GIVEN a change of ConfigMap data, or a bumped secrets revision, WHEN synthesized THEN exactly
the pods that read the changed entries get a new annotation, and so roll. Secret data never
gets a digest (tests/hardening/test_secret_digests.py): its pods roll by the revision the user bumps."""

from __future__ import annotations

from tests.support.conformance import object_id
from tests.support.synth import synth_taskora
from taskora_constructs import PostgresProps, TaskoraBackendProps, TaskoraSecretValues, TaskoraSettings


def checksums(**props) -> dict[str, dict[str, str]]:
    _, objects = synth_taskora(**props)
    return {object_id(o): o["spec"]["template"]["metadata"].get("annotations", {})
            for o in objects if o["kind"] in ("Deployment", "StatefulSet")}


def test_every_pod_template_carries_a_checksum_of_what_it_reads():
    assert {k: sorted(v) for k, v in checksums().items()} == {
        "Deployment/taskora-backend": ["checksum/config", "revision/credentials",
                                       "revision/secrets"],
        "Deployment/taskora-frontend": ["checksum/config"],
        "StatefulSet/taskora-db": ["revision/credentials"],
    }


def test_a_backend_setting_rolls_the_backend_only():
    before, after = checksums(), checksums(settings=TaskoraSettings(log_level="debug"))
    assert after["Deployment/taskora-backend"]["checksum/config"] != before["Deployment/taskora-backend"]["checksum/config"]
    assert after["Deployment/taskora-frontend"] == before["Deployment/taskora-frontend"]
    assert after["StatefulSet/taskora-db"] == before["StatefulSet/taskora-db"]


def test_the_backend_url_rolls_the_frontend_too():
    before, after = checksums(), checksums(backend=TaskoraBackendProps(port=9000))
    assert after["Deployment/taskora-frontend"] != before["Deployment/taskora-frontend"]


def test_an_api_key_alone_rolls_nothing_the_secrets_revision_rolls_the_backend_only():
    secrets = TaskoraSecretValues(cohere_api_key="another-key", better_auth_secret="your-jwt-secret-key",
                                  gemini_api_key="your-gemini-api-key", database_password="your-secure-password")
    before = checksums()
    assert checksums(secrets=secrets) == before
    after = checksums(secrets=secrets, secrets_revision=2)
    assert after["Deployment/taskora-backend"]["revision/secrets"] == "2"
    assert after["Deployment/taskora-backend"]["checksum/config"] == before["Deployment/taskora-backend"]["checksum/config"]
    assert after["StatefulSet/taskora-db"] == before["StatefulSet/taskora-db"]


def test_the_credentials_revision_rolls_the_database_and_the_backend():
    database = PostgresProps(storage_class_name="standard", credentials_revision=3)
    before, after = checksums(database=PostgresProps(storage_class_name="standard")), checksums(database=database)
    assert after["StatefulSet/taskora-db"] == {"revision/credentials": "3"} != before["StatefulSet/taskora-db"]
    assert after["Deployment/taskora-backend"]["revision/credentials"] == "3"
    assert after["Deployment/taskora-frontend"] == before["Deployment/taskora-frontend"]
