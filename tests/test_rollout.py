"""GIVEN a change of ConfigMap or Secret data WHEN synthesized THEN exactly the pods that
read the changed entries get a new checksum annotation, and so roll."""

from __future__ import annotations

from conformance import object_id
from conftest import synth_taskora
from taskora_constructs import AppSettings, BackendProps, TaskoraSecretValues


def checksums(**props) -> dict[str, dict[str, str]]:
    _, objects = synth_taskora(**props)
    return {object_id(o): o["spec"]["template"]["metadata"].get("annotations", {})
            for o in objects if o["kind"] in ("Deployment", "StatefulSet")}


def test_every_pod_template_carries_a_checksum_of_what_it_reads():
    assert {k: sorted(v) for k, v in checksums().items()} == {
        "Deployment/taskora-backend": ["checksum/config", "checksum/secrets"],
        "Deployment/taskora-frontend": ["checksum/config"],
        "StatefulSet/taskora-db": ["checksum/credentials"],
    }


def test_a_backend_setting_rolls_the_backend_only():
    before, after = checksums(), checksums(settings=AppSettings(log_level="debug"))
    assert after["Deployment/taskora-backend"]["checksum/config"] != before["Deployment/taskora-backend"]["checksum/config"]
    assert after["Deployment/taskora-frontend"] == before["Deployment/taskora-frontend"]
    assert after["StatefulSet/taskora-db"] == before["StatefulSet/taskora-db"]


def test_the_backend_url_rolls_the_frontend_too():
    before, after = checksums(), checksums(backend=BackendProps(port=9000))
    assert after["Deployment/taskora-frontend"] != before["Deployment/taskora-frontend"]


def test_an_api_key_rolls_the_backend_secrets_checksum_only():
    secrets = TaskoraSecretValues(cohere_api_key="another-key", better_auth_secret="your-jwt-secret-key",
                                  gemini_api_key="your-gemini-api-key", database_password="your-secure-password")
    before, after = checksums(), checksums(secrets=secrets)
    assert after["Deployment/taskora-backend"]["checksum/secrets"] != before["Deployment/taskora-backend"]["checksum/secrets"]
    assert after["Deployment/taskora-backend"]["checksum/config"] == before["Deployment/taskora-backend"]["checksum/config"]
    assert after["StatefulSet/taskora-db"] == before["StatefulSet/taskora-db"]


def test_the_database_password_rolls_the_database_and_the_backend():
    secrets = TaskoraSecretValues(cohere_api_key="your-cohere-api-key", better_auth_secret="your-jwt-secret-key",
                                  gemini_api_key="your-gemini-api-key", database_password="rotated")
    before, after = checksums(), checksums(secrets=secrets)
    assert after["StatefulSet/taskora-db"] != before["StatefulSet/taskora-db"]
    assert after["Deployment/taskora-backend"]["checksum/secrets"] != before["Deployment/taskora-backend"]["checksum/secrets"]
    assert after["Deployment/taskora-frontend"] == before["Deployment/taskora-frontend"]
