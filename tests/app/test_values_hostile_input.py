"""Hostile or broken input (issue 11): GIVEN a values layer, a secrets file or an environment an
attacker or a careless operator wrote WHEN loaded THEN it is refused with the file, the key and
the fix - every problem at once, no secret quoted - before anything is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, STATEFULSET_SECRETS
from taskora_app.values import load
from taskora_app.yaml_files import MAX_ALIASES, MAX_BYTES
from taskora_constructs import TaskoraConfigError

SENTINEL = "sentinel-hostile-9d41c7b2e0f3a5d8c6b4a2e0f1d3c5b7"


def problems(tmp_path: Path, text: str | bytes, **environ: str) -> list[str]:
    path = tmp_path / "extra.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(path), **environ}, secrets_file=NO_SECRETS_FILE)
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize("key, text", [
    ("ingress.host", 'ingress:\n  host: "taskora.local\\n"\n'),
    ("namespace", 'namespace: "tasks\\n"\n'),
    ("backend.image", 'backend:\n  image: "taskora/backend:1.0\\n"\n'),
    ("frontend.resources.requests.cpu", 'frontend:\n  resources: {requests: {cpu: "100m\\n"}}\n'),
    ("database.storage", 'database:\n  storage: "10Gi\\n"\n'),
    ("database.backup.schedule", 'database:\n  backup: {enabled: true, schedule: "0 3 * * *\\n"}\n'),
])
def test_a_trailing_newline_is_refused(tmp_path, key, text):
    messages = problems(tmp_path, text)
    assert len(messages) == 1 and f": {key}=" in messages[0], messages


def test_a_duplicate_key_is_refused_with_its_line(tmp_path):
    (message,) = problems(tmp_path, "backend:\n  replicas: 2\n  replicas: 5\n")
    assert message.endswith("extra.yaml:3:3: backend.replicas='<not shown>': appears twice in one mapping "
                            "(the last would win silently). Fix: keep one of them")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    # GIVEN a "billion laughs" file: nine levels of ten aliases each
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (message,) = problems(tmp_path, "\n".join(lines) + "\n")
    assert f"more than {MAX_ALIASES} aliases" in message


def test_a_huge_file_is_refused_unread(tmp_path):
    (message,) = problems(tmp_path, "# padding\n" * (MAX_BYTES // 10 + 1))
    assert f"must be at most {MAX_BYTES // 1024} KiB" in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    (message,) = problems(tmp_path, b"backend:\n  image: \xff\xfe\n")
    assert "must be UTF-8 text" in message


@pytest.mark.parametrize("text, key, rule", [
    ("backend:\n  replicas: 2147483648\n", "backend.replicas", "an int32"),
    ("backend:\n  replicas: true\n", "backend.replicas", "must be an integer"),
    ("backend:\n  resources: {requests: {cpu: '0'}}\n", "backend.resources.requests.cpu", "above zero"),
    ("backend:\n  resources: {limits: {memory: '-1Gi'}}\n", "backend.resources.limits.memory", "above zero"),
    ("backend:\n  resources: {requests: {memory: 1e3}}\n", "backend.resources.requests.memory", "exponent"),
    ("backend:\n  resources: {requests: {memory: '1e3'}}\n", "backend.resources.requests.memory", "exponent"),
    ("frontend:\n  image: 'sha256:" + "a" * 64 + "'\n", "frontend.image", "image reference"),
    ("frontend:\n  image: 'registry.example/sha256:1.0'\n", "frontend.image", "image reference"),
    ("database:\n  terminationGracePeriodSeconds: 99999999999\n", "database.terminationGracePeriodSeconds", "int32"),
])
def test_out_of_range_numbers_and_malformed_references_are_refused(tmp_path, text, key, rule):
    messages = problems(tmp_path, text)
    assert any(f": {key}=" in m and rule in m for m in messages), messages


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_a_system_namespace_is_refused(tmp_path, namespace):
    (message,) = problems(tmp_path, f"namespace: {namespace}\n")
    assert f"namespace='{namespace}': must not be a system namespace" in message


def test_the_ingress_controllers_own_namespace_is_refused(tmp_path):
    with pytest.raises(TaskoraConfigError, match="must not be the instance's own namespace"):
        import cdk8s
        from taskora_constructs import Taskora
        path = tmp_path / "extra.yaml"
        path.write_text("namespace: ingress-nginx\n")
        Taskora(cdk8s.Testing.app(), "taskora",
                load({"TASKORA_VALUES": str(path)}, secrets_file=NO_SECRETS_FILE)[1])


@pytest.mark.parametrize("env", ["../config/local", "/etc/passwd", "local/../production", "Local"])
def test_taskora_env_is_a_name_not_a_path(env):
    with pytest.raises(TaskoraConfigError, match="TASKORA_ENV="):
        load({"TASKORA_ENV": env}, secrets_file=NO_SECRETS_FILE)


# --- secrets ----------------------------------------------------------------------------------

def test_a_yaml_error_in_the_secrets_file_never_quotes_the_secret(tmp_path):
    secrets_file = tmp_path / "secrets.local.yaml"
    secrets_file.write_text(f"TASKORA_DB_PASSWORD: {SENTINEL}\n  TASKORA_GEMINI_API_KEY: : {SENTINEL}\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load({}, secrets_file=secrets_file)
    assert "must be valid YAML" in str(raised.value) and SENTINEL not in str(raised.value)


def test_a_secret_put_into_a_values_file_is_not_echoed(tmp_path):
    messages = problems(tmp_path, f"secrets:\n  databasePassword: {SENTINEL}\nsecret: {SENTINEL}\n")
    assert len(messages) == 2 and not any(SENTINEL in m for m in messages)


@pytest.mark.parametrize("variable, value, rule", [
    ("TASKORA_DB_PASSWORD", "your-secure-password", "documented development placeholder"),
    ("TASKORA_BETTER_AUTH_SECRET", "   ", "blank"),
    ("TASKORA_BETTER_AUTH_SECRET", "short-but-not-blank", "at least 32 characters"),
    ("TASKORA_DB_PASSWORD", SENTINEL + "\n", "white space"),
    ("TASKORA_COHERE_API_KEY", SENTINEL[:30] + "\udcff", "valid UTF-8"),
])
def test_production_refuses_weak_secrets_without_showing_them(tmp_path, variable, value, rule):
    environ = {**STATEFULSET_SECRETS, variable: value, "TASKORA_ENV": "production"}
    # The StatefulSet engine, whose password is ours (CloudNativePG's is the operator's).
    statefulset = "database:\n  engine: statefulset\n  image: postgres:15.8-alpine\n  backup: {enabled: false}\n"
    layer = DIGESTS_LAYER.replace("database:\n", statefulset) + "acceptRisks: [no-backups]\n"  # the guard's
    (message,) = problems(tmp_path, layer, **environ)
    assert message.startswith(f"environment 'production': {variable}='<not shown>': ") and rule in message
    assert SENTINEL[:30] not in message and "your-secure" not in message
