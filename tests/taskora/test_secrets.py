"""TaskoraSecrets (taskora_constructs/taskora/secrets.py): GIVEN a chart and a database WHEN the
application Secret is created THEN it holds DATABASE_URL derived from the database and the API
keys, its consumers reference it by key and roll by revision counters; wrong input names the
field, rule and fix and never shows a value (sentinels)."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import (CloudNativePgDatabase, PostgresDatabase, TaskoraConfigError, TaskoraSecrets,
                                TaskoraSecretsProps)

COHERE, AUTH, GEMINI = "sentinel-cohere-7c1d", "sentinel-auth-7c1d", "sentinel-gemini-7c1d"
DB_PASSWORD = "sentinel-db-7c1d"
SENTINELS = (COHERE, AUTH, GEMINI, DB_PASSWORD)
VALUES = {"cohere_api_key": COHERE, "better_auth_secret": AUTH, "gemini_api_key": GEMINI}


def shop() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")


def with_database(chart: cdk8s.Chart, **db) -> PostgresDatabase:
    return PostgresDatabase(chart, "db", password=DB_PASSWORD, **db)


def refused(**kwargs) -> TaskoraConfigError:
    chart = shop()
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraSecrets(chart, "app-secrets", database=with_database(chart), **kwargs)
    for sentinel in SENTINELS:
        assert sentinel not in str(raised.value)
    return raised.value


def test_the_secret_holds_the_database_url_and_the_api_keys():
    # GIVEN a chart with a database WHEN the secrets are created with the three values
    chart = shop()
    secrets = TaskoraSecrets(chart, "app-secrets", database=with_database(chart, database_name="orders"),
                             app_name="shop", **VALUES)
    [secret] = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "Secret" and o["metadata"]["name"] == "app-secrets"]
    # THEN DATABASE_URL is derived from the database, never typed (deviation D3)
    assert secret["stringData"] == {"DATABASE_URL": f"postgresql://taskora:{DB_PASSWORD}@db:5432/orders",
                                    "COHERE_API_KEY": COHERE, "BETTER_AUTH_SECRET": AUTH, "GEMINI_API_KEY": GEMINI}
    assert secret["metadata"]["labels"] == {"app": "shop"} and secret["metadata"]["namespace"] == "shop"
    assert secrets.secret_name == "app-secrets" and secrets.manages_secret and secrets.holds_database_url
    assert secrets.keys == ("DATABASE_URL", "COHERE_API_KEY", "BETTER_AUTH_SECRET", "GEMINI_API_KEY")


def test_consumers_reference_keys_and_roll_by_counters_not_digests():
    chart = shop()
    secrets = TaskoraSecrets(chart, "app-secrets", database=with_database(chart, credentials_revision=3),
                             revision=2, **VALUES)
    assert secrets.env("GEMINI_API_KEY") == [
        {"name": "GEMINI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "app-secrets", "key": "GEMINI_API_KEY"}}}]
    # THEN the pods carry both counters: DATABASE_URL embeds the database password
    assert secrets.revision_annotations() == {"revision/secrets": "2", "revision/credentials": "3"}
    assert secrets.checksum(secrets.keys) is None


def test_an_unknown_key_is_refused_with_the_keys_it_has():
    chart = shop()
    secrets = TaskoraSecrets(chart, "app-secrets", database=with_database(chart), **VALUES)
    with pytest.raises(TaskoraConfigError) as raised:
        secrets.key_ref("OPENAI_API_KEY")
    [problem] = raised.value.problems
    assert (problem.where, problem.field, problem.value) == ("shop/app-secrets", "secretKeyRef.key", "OPENAI_API_KEY")
    assert "DATABASE_URL, COHERE_API_KEY, BETTER_AUTH_SECRET, GEMINI_API_KEY" in problem.rule
    assert not any(sentinel in str(raised.value) for sentinel in SENTINELS)


def test_an_existing_secret_is_referenced_and_only_the_app_revision_rolls():
    chart = shop()
    secrets = TaskoraSecrets(chart, "app-secrets", TaskoraSecretsProps(existing_secret="vault-app", revision=1),
                             database=with_database(chart))
    assert [o for o in cdk8s.Testing.synth(chart) if o["metadata"]["name"] in ("app-secrets", "vault-app")] == []
    assert secrets.secret is None and not secrets.manages_secret
    assert secrets.key_ref("DATABASE_URL") == {"secretKeyRef": {"name": "vault-app", "key": "DATABASE_URL"}}
    assert secrets.revision_annotations() == {"revision/secrets": "1"}


def test_missing_values_are_all_reported():
    problems = refused().problems
    assert [p.field for p in problems] == ["cohereApiKey", "betterAuthSecret", "geminiApiKey"]
    assert {p.where for p in problems} == {"shop/app-secrets"}
    assert {p.rule for p in problems} == {"must be a non-empty string"}


def test_values_with_an_existing_secret_are_refused_redacted():
    problems = refused(existing_secret="vault-app", **VALUES).problems
    assert [p.field for p in problems] == ["cohereApiKey", "betterAuthSecret", "geminiApiKey"]
    assert {p.value for p in problems} == {"<redacted>"}
    assert {p.rule for p in problems} == {"must not be given together with existingSecret"}


def test_an_invalid_existing_secret_name_and_a_negative_revision_are_reported_together():
    problems = {p.field: p for p in refused(existing_secret="Vault_App", revision=-1).problems}
    assert sorted(problems) == ["existingSecret", "revision"]
    assert problems["existingSecret"].value == "Vault_App"
    assert problems["revision"].value == -1


def test_the_values_stay_out_of_the_props_repr():
    shown = repr(TaskoraSecretsProps(**VALUES))
    assert not any(sentinel in shown for sentinel in SENTINELS)


def test_with_cloudnative_pg_the_url_comes_from_the_operators_secret():
    chart = shop()
    database = CloudNativePgDatabase(chart, "db", image="ghcr.io/cloudnative-pg/postgresql:15.8")
    secrets = TaskoraSecrets(chart, "app-secrets", database=database, **VALUES)
    [secret] = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "Secret" and o["metadata"]["name"] == "app-secrets"]
    assert "DATABASE_URL" not in secret["stringData"] and not secrets.holds_database_url
    assert secrets.env("DATABASE_URL") == [
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db-app", "key": "uri"}}}]
    assert secrets.revision_annotations() == {"revision/secrets": "0"}
