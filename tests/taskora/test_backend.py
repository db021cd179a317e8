"""TaskoraBackend and TaskoraBackendProps (taskora_constructs/taskora/backend.py): GIVEN a chart with the
application ConfigMap, Secret and database WHEN the backend is created THEN it is the model's
FastAPI workload (section 2.2) with a startup probe, reading every key the model defines by
reference (deviation D6: the unconsumed ones too), and rolling when its config entries or the
secrets' revisions change; ``TaskoraBackend.url_for`` is the URL it will serve at."""

from __future__ import annotations

import cdk8s

from taskora_constructs import PostgresDatabase, TaskoraBackend, TaskoraBackendProps, TaskoraConfig, TaskoraSecrets

SECRET_KEYS = ("DATABASE_URL", "COHERE_API_KEY", "BETTER_AUTH_SECRET", "GEMINI_API_KEY")
CONFIG_KEYS = ("APP_ENV", "LOG_LEVEL", "ENABLE_METRICS", "MAX_CONVERSATION_HISTORY", "CHAT_RATE_LIMIT")


def build(**props) -> tuple[TaskoraBackend, TaskoraConfig, dict]:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    database = PostgresDatabase(chart, "db", password="sentinel-db-4b2e")
    secrets = TaskoraSecrets(chart, "app-secrets", database=database, cohere_api_key="sentinel-cohere-4b2e",
                             better_auth_secret="sentinel-auth-4b2e", gemini_api_key="sentinel-gemini-4b2e")
    config = TaskoraConfig(chart, "config", api_base_url=TaskoraBackend.url_for("api"))
    backend = TaskoraBackend(chart, "api", config=config, secrets=secrets, database=database, **props)
    [deployment] = [o for o in cdk8s.Testing.synth(chart)
                    if o["kind"] == "Deployment" and o["metadata"]["name"] == "api"]
    return backend, config, deployment


def test_the_default_backend_is_the_models_with_a_startup_probe():
    # GIVEN the defaults WHEN the backend is created
    backend, _, deployment = build()
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    # THEN the model's replicas, image, port and probe path
    assert deployment["spec"]["replicas"] == 3
    assert container["image"] == "taskora/backend:latest"
    assert container["ports"] == [{"containerPort": 8000, "name": "http", "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8000}
    # AND a startup probe allows the slow first start 2 minutes (24 x 5 s) before liveness
    startup = container["startupProbe"]
    assert (startup["periodSeconds"], startup["failureThreshold"]) == (5, 24)
    assert backend.url == "http://api:8000" == TaskoraBackend.url_for("api")


def test_every_key_is_read_by_reference_from_the_secret_or_the_config_map():
    # GIVEN the defaults WHEN the backend is created
    _, _, deployment = build()
    env = {e["name"]: e["valueFrom"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    # THEN the secret keys come from the app Secret, the settings from the ConfigMap, none inline
    assert set(env) == {*SECRET_KEYS, *CONFIG_KEYS}
    assert all(env[key] == {"secretKeyRef": {"name": "app-secrets", "key": key}} for key in SECRET_KEYS)
    assert all(env[key] == {"configMapKeyRef": {"name": "config", "key": key}} for key in CONFIG_KEYS)


def test_the_pods_roll_by_their_config_entries_and_the_secrets_revisions():
    # GIVEN the defaults WHEN the backend is created
    _, config, deployment = build()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    # THEN the checksum covers exactly the ConfigMap entries it reads, not API_BASE_URL
    assert annotations["checksum/config"] == config.checksum(list(CONFIG_KEYS))
    assert annotations["checksum/config"] != config.checksum([*CONFIG_KEYS, TaskoraConfig.API_BASE_URL])
    # AND secrets roll by the revision counters the user bumps (no digest of a secret value)
    assert annotations["revision/secrets"] == annotations["revision/credentials"] == "0"


def test_url_for_follows_the_service_port():
    # GIVEN props with a Service port of its own THEN url_for and the built backend agree on it
    props = TaskoraBackendProps(service_port=80)
    backend, _, _ = build(props=props)
    assert TaskoraBackend.url_for("api", props) == "http://api:80" == backend.url
