"""Secrets managed outside the app: no Secret object is synthesized and the workloads
reference the named one."""

from __future__ import annotations

import cdk8s
import pytest

from tests.support.synth import synth_app
from taskora_constructs import (PostgresDatabase, TaskoraBackend, TaskoraBackendProps, TaskoraConfig,
                                TaskoraConfigError, TaskoraSecrets)


def build(*, db_existing: str | None = None, app_existing: str | None = None):
    app = cdk8s.Testing.app()
    # The constructs take the chart's namespace.
    chart = cdk8s.Chart(app, "c", namespace="taskora", disable_resource_name_hashes=True)
    db = PostgresDatabase(chart, "db", existing_secret=db_existing,
                          password=None if db_existing else "pw")
    config = TaskoraConfig(chart, "config",
                           api_base_url=TaskoraBackend.url_for("taskora-backend", TaskoraBackendProps()))
    secrets = TaskoraSecrets(chart, "secrets", database=db, existing_secret=app_existing,
                             **({} if app_existing else {"cohere_api_key": "c", "better_auth_secret": "b",
                                                        "gemini_api_key": "g"}))
    TaskoraBackend(chart, "backend", config=config, secrets=secrets, database=db)
    return synth_app(app)


def test_existing_secrets_are_referenced_not_synthesized():
    objects = build(db_existing="pg-creds", app_existing="taskora-app-secrets")
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == []
    statefulset = next(o for o in objects if o["kind"] == "StatefulSet")
    # Postgres reads the credentials as files from the existing Secret (deviation D7)
    volumes = statefulset["spec"]["template"]["spec"]["volumes"]
    assert {v["secret"]["secretName"] for v in volumes if "secret" in v} == {"pg-creds"}
    backend = next(o for o in objects if o["kind"] == "Deployment")
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in backend["spec"]["template"]["spec"]["containers"][0]["env"]
            if "secretKeyRef" in e["valueFrom"]}
    assert refs == {"taskora-app-secrets"}
    # no digest of data this app never sees: the revision counters the user bumps roll them
    assert "checksum/secrets" not in backend["spec"]["template"]["metadata"]["annotations"]
    assert backend["spec"]["template"]["metadata"]["annotations"]["revision/secrets"] == "0"
    assert statefulset["spec"]["template"]["metadata"]["annotations"] == {"revision/credentials": "0"}


def test_existing_database_secret_with_synthesized_app_secret_is_refused():
    # DATABASE_URL embeds the database password, which an existing Secret keeps from us.
    with pytest.raises(TaskoraConfigError, match=r"existingSecret='pg-creds'.*secrets\.existingSecret"):
        build(db_existing="pg-creds")


def test_password_and_existing_secret_together_are_refused_without_echoing_the_password():
    app = cdk8s.Testing.app()
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresDatabase(cdk8s.Chart(app, "c"), "db", existing_secret="pg-creds", password="hunter2")
    assert "must not be given together with existingSecret" in str(raised.value)
    assert "hunter2" not in str(raised.value)
