"""Input an attacker or a tired user writes (issue 20): GIVEN a values layer or secrets.local.yaml
with an unknown key holding a secret, a YAML 1.1 surprise, a bomb, a device or a huge quantity
WHEN loaded THEN every problem is refused at once, naming file, line, column, key and fix, in
seconds and bounded memory, and no secret value is printed."""

from __future__ import annotations

import time

from taskora_constructs.core import rules


def test_a_quantity_of_many_digits_is_matched_in_linear_time():
    # The grammar alone, without the length bound: \d+\.?\d* took 20 s on 20,000 digits.
    start = time.monotonic()
    assert rules._QUANTITY.fullmatch("1" * 200_000 + "x") is None
    assert time.monotonic() - start < 0.5


def test_a_quantity_of_200000_digits_is_refused_at_once_naming_the_bound():
    start = time.monotonic()
    (problem,) = rules.check_quantity("w", "backend.resources.requests.cpu", "9" * 200_000, example="250m")
    assert time.monotonic() - start < 0.1
    assert f"at most {rules.MAX_QUANTITY_LENGTH} characters" in problem.rule


# --- the values layers ------------------------------------------------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support.paths import ROOT  # noqa: E402
from tests.support.profiles import NO_SECRETS_FILE  # noqa: E402
from taskora_app import yaml_files  # noqa: E402
from taskora_app.values import load  # noqa: E402
from taskora_constructs import TaskoraConfigError  # noqa: E402

SENTINEL = "sentinel-secret-77-3f9e1c"


def messages_of(tmp_path: Path, text: str, name: str = "extra.yaml", **environ: str) -> tuple[list[str], Path]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(path), **environ}, secrets_file=NO_SECRETS_FILE)
    return [str(p) for p in raised.value.problems], path


def test_the_reported_case_names_line_column_and_hides_the_secret(tmp_path):
    # GIVEN the layer of the issue: an octal-looking number and an API key under a section key
    messages, path = messages_of(tmp_path, f"backend: {{replicas: 017, COHERE_API_KEY: {SENTINEL}}}\n"
                                           f"database:\n  password: {SENTINEL}\n")
    assert not any(SENTINEL in m for m in messages)
    assert messages == [
        f"{path}:1:21: backend.replicas=017: has a leading zero: YAML 1.1 reads it as octal (15), YAML 1.2 as 17. "
        "Fix: write 17, or 15 if you meant octal (a file mode), or quote it for text",
        f"{path}:1:26: backend.COHERE_API_KEY='<not shown>': is not a known key. Fix: remove it; known keys here: "
        + messages[1].split("known keys here: ")[1],
        f"{path}:3:3: database.password='<not shown>': is not a known key. Fix: did you mean 'database.username'?"
        if "did you mean" in messages[2] else messages[2]]
    assert messages[2].startswith(f"{path}:3:3: database.password='<not shown>': is not a known key")


def test_terminal_control_characters_in_keys_and_values_are_escaped(tmp_path):
    messages, _ = messages_of(tmp_path, 'ingress: {"\\e[2J\\u202e": 1}\n')
    messages += messages_of(tmp_path, 'namespace: "\\e]0;owned\\a"\n')[0]
    text = "\n".join(messages)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "ingress.\\x1b[2J\\u202e='<not shown>': is not a known key" in text
    assert 'namespace="\\x1b]0;owned\\x07"' in text


def test_values_are_printed_as_yaml_writes_them(tmp_path):
    messages, path = messages_of(tmp_path, "backend:\n  replicas: true\nfrontend:\n  replicas: null\n")
    assert any(m.startswith(f"{path}:2:3: backend.replicas=true: must be an integer") for m in messages)
    assert any(m.startswith(f"{path}:4:3: frontend.replicas=null: must be an integer") for m in messages)
    assert not any("=True" in m or "=None" in m for m in messages)


def test_a_problem_names_the_layer_and_line_that_set_the_value(tmp_path):
    # GIVEN config/local.yaml and a first layer set backend.resources, the second layer one request
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("backend:\n  resources:\n    requests: {cpu: 100m}\n")
    second.write_text("# release\nbackend:\n  resources:\n    requests: {cpu: 5000m}\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": f"{first}:{second}"}, secrets_file=NO_SECRETS_FILE)
    (problem,) = raised.value.problems
    assert problem.where == f"{second}:4:16" and problem.field == "backend.resources.requests.cpu", str(problem)


@pytest.mark.parametrize("written, rule", [
    ("017", "leading zero"), ("1:30", "base-60"), ("yes", "YAML 1.1 boolean"), ("off", "YAML 1.1 boolean"),
    ("0x1F", "hexadecimal"), ("0o17", "octal"), ("0b101", "binary"), ("1_000", "_ separators"),
    ("1e3", "exponent"), ("2026-12-03", "date"),
])
def test_yaml_1_1_surprises_are_refused_by_name(tmp_path, written, rule):
    messages, path = messages_of(tmp_path, f"backend:\n  replicas: {written}\n")
    assert len(messages) == 1 and messages[0].startswith(f"{path}:2:13: backend.replicas={written}: "), messages
    assert rule in messages[0]


@pytest.mark.parametrize("written, value", [("17", 17), ("'017'", "017"), ("true", True), ("'yes'", "yes"),
                                            ("~", None), ("1.5", 1.5), ("-3", -3), ("0", 0)])
def test_yaml_1_2_core_scalars_are_read(tmp_path, written, value):
    path = tmp_path / "x.yaml"
    path.write_text(f"a: {written}\n")
    problems: list = []
    assert yaml_files.read_yaml(path, problems, fix_path="x") == {"a": value} and problems == []


def test_a_merge_key_is_refused_by_name(tmp_path):
    messages, path = messages_of(tmp_path, "base: &b {replicas: 4}\nbackend:\n  <<: *b\n")
    assert any(m.startswith(f"{path}:3:3: backend.<<='<not shown>': is a YAML 1.1 merge key") for m in messages)


def test_an_explicit_tag_is_refused_by_name(tmp_path):
    messages, path = messages_of(tmp_path, "backend:\n  replicas: !!int '017'\n")
    assert messages[0].startswith(f"{path}:2:13: backend.replicas='<not shown>': has the explicit tag !!int")


def test_an_alias_bomb_within_the_alias_cap_is_refused_in_a_second(tmp_path):
    # 1.4 KB: each of 8 levels holds 8 aliases of the one before: 8**8 = 16 million leaves
    lines = ["a0: &a0 [" + ", ".join(["x" * 100] * 8) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8) + "]" for i in range(1, 8)]
    start = time.monotonic()
    messages, _ = messages_of(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - start < 2
    assert len(messages) == 1 and f"more than {yaml_files.MAX_NODES} nodes once aliases are expanded" in messages[0]


@pytest.mark.parametrize("text", ["a: " + "[" * 500 + "]" * 500 + "\n",
                                  "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300 + "v: 1\n",
                                  "a: &a [*a]\n"])
def test_deep_nesting_is_refused_naming_the_bound(tmp_path, text):
    messages, path = messages_of(tmp_path, text)
    assert len(messages) == 1 and f"nested more than {yaml_files.MAX_DEPTH} levels deep" in messages[0], messages
    assert messages[0].startswith(f"{path}:")


def test_a_device_is_refused_unread(tmp_path):
    start = time.monotonic()
    messages, _ = messages_of(tmp_path, "", name="unused.yaml", TASKORA_VALUES="/dev/zero")
    assert messages == ["/dev/zero: (file)='/dev/zero': must be a regular file, not a device. "
                        "Fix: check the path given in TASKORA_VALUES / TASKORA_ENV"]
    assert time.monotonic() - start < 2


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "values.yaml"
    os.mkfifo(fifo)
    code = ("from tests.support.profiles import NO_SECRETS_FILE\n"
            "from taskora_app.values import load\nfrom taskora_constructs import TaskoraConfigError\n"
            f"try: load({{'TASKORA_VALUES': {str(fifo)!r}}}, secrets_file=NO_SECRETS_FILE)\n"
            "except TaskoraConfigError as e: print(e)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "must be a regular file, not a FIFO" in result.stdout, result.stderr


def test_a_huge_number_is_refused_without_converting_it(tmp_path):
    messages, path = messages_of(tmp_path, "backend:\n  replicas: " + "9" * 5000 + "\n")
    assert messages[0].startswith(f"{path}:2:13: backend.replicas=") and "more than 32 characters" in messages[0]
    assert len(messages[0]) < 400


# --- secrets.local.yaml and the TASKORA_* variables -------------------------------------------

def secret_messages(tmp_path: Path, text: str | None, values: str = "", **environ: str) -> tuple[list[str], Path]:
    secrets_file = tmp_path / "secrets.local.yaml"
    if text is not None:
        secrets_file.write_text(text)
    if values:
        (tmp_path / "layer.yaml").write_text(values)
        environ["TASKORA_VALUES"] = str(tmp_path / "layer.yaml")
    with pytest.raises(TaskoraConfigError) as raised:
        load(environ, secrets_file=secrets_file)
    messages = [str(p) for p in raised.value.problems]
    assert not any(SENTINEL in m for m in messages) and SENTINEL not in str(raised.value)
    return messages, secrets_file


def test_a_misspelt_name_in_the_secrets_file_is_refused_with_a_suggestion(tmp_path):
    messages, path = secret_messages(tmp_path, f"TASKORA_BETTER_AUTH_SECRET: {SENTINEL}\n"
                                               f"TASKORA_DB_PASSWROD: {SENTINEL}\n")
    assert messages == [f"{path}:2:1: TASKORA_DB_PASSWROD='<not shown>': is not a secret variable. "
                        "Fix: did you mean 'TASKORA_DB_PASSWORD'?"]


def test_a_secret_in_the_file_that_the_configuration_does_not_use_is_reported(tmp_path):
    messages, path = secret_messages(tmp_path, f"# mine\nTASKORA_DB_PASSWORD: {SENTINEL}\n",
                                     "database:\n  existingSecret: pg\nsecrets:\n  existingSecret: app\n")
    assert messages == [f"{path}:2:1: TASKORA_DB_PASSWORD='<not shown>': is set but not used: database.existingSecret "
                        "is set: the password comes from the Secret 'pg'. Fix: remove TASKORA_DB_PASSWORD from "
                        "secrets.local.yaml"]


def test_a_variable_that_the_configuration_does_not_use_is_reported(tmp_path):
    messages, _ = secret_messages(tmp_path, None, "secrets:\n  existingSecret: app\n",
                                  TASKORA_GEMINI_API_KEY=SENTINEL)
    assert messages == ["environment 'local': TASKORA_GEMINI_API_KEY='<not shown>': is set but not used: "
                        "secrets.existingSecret is set: the app's values come from the Secret 'app'. "
                        "Fix: unset TASKORA_GEMINI_API_KEY"]


@pytest.mark.parametrize("env", ["local", "production"])
@pytest.mark.parametrize("inner, rule", [("\n", "must be one line"), ("\r", "must be one line"),
                                         ("\x1b[0m", "control characters"), ("\t", "control characters")])
def test_a_password_with_a_line_break_or_control_character_is_refused_unshown(tmp_path, env, inner, rule):
    statefulset = "database:\n  engine: statefulset\n  image: postgres:15.8-alpine\n  backup: {enabled: false}\n"
    environ = {"TASKORA_ENV": env, "TASKORA_DB_PASSWORD": SENTINEL + inner + SENTINEL}
    if env == "production":
        from tests.support.profiles import DIGESTS_LAYER, SECRETS
        environ |= SECRETS
        statefulset = DIGESTS_LAYER.replace("database:\n", statefulset) + "acceptRisks: [no-backups]\n"
    messages, _ = secret_messages(tmp_path, None, statefulset, **environ)
    assert [m.split(": ")[:3] for m in messages] == [[f"environment {env!r}", "TASKORA_DB_PASSWORD='<not shown>'",
                                                      messages[0].split(": ")[2]]]
    assert rule in messages[0]


def test_a_secret_with_a_line_break_in_the_file_is_refused_at_its_line(tmp_path):
    messages, path = secret_messages(tmp_path, f'TASKORA_COHERE_API_KEY: "{SENTINEL}\\n{SENTINEL}"\n')
    assert messages[0].startswith(f"{path}:1:1: TASKORA_COHERE_API_KEY='<not shown>': must be one line")


@pytest.mark.parametrize("text, rule", [
    ("TASKORA_DB_PASSWORD: " + "[" * 400 + "]" * 400 + "\n", "nested more than"),
    ("TASKORA_DB_PASSWORD: 12345\n", "must be text"),
    (f"TASKORA_DB_PASSWORD: {SENTINEL}\nTASKORA_DB_PASSWORD: {SENTINEL}\n", "appears twice"),
    (f"TASKORA_DB_PASSWORD: 0123{SENTINEL[:0]}\n", "leading zero"),
])
def test_a_broken_secrets_file_is_refused_without_showing_a_value(tmp_path, text, rule):
    messages, path = secret_messages(tmp_path, text)
    assert len(messages) == 1 and rule in messages[0] and messages[0].startswith(f"{path}:"), messages
    assert "0123" not in messages[0]


def test_a_fifo_as_the_secrets_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "secrets.local.yaml")
    messages, _ = secret_messages(tmp_path, None)
    assert messages == [f"{tmp_path}/secrets.local.yaml: (file)='{tmp_path}/secrets.local.yaml': must be a regular "
                        "file, not a FIFO. Fix: check secrets.local.yaml"]


@pytest.mark.parametrize("text, field, at", [
    ("backend:\n  autoscaling: {enabled: true}\n", "backend.autoscaling.maxReplicas", "2:3"),
    ("ingress:\n  tls: {enabled: true, hosts: [taskora.local]}\n", "ingress.tls.secretName", "2:3"),
])
def test_a_key_missing_from_a_section_the_user_switched_on_names_the_users_layer(tmp_path, text, field, at):
    # config/local.yaml has the section too (switched off): the user's layer switched it on
    messages, path = messages_of(tmp_path, text)
    assert [m.split("=")[0] for m in messages] == [f"{path}:{at}: {field}"]


def test_a_raw_control_character_in_a_file_is_refused_at_its_line_and_column_by_code(tmp_path):
    messages, path = messages_of(tmp_path, "backend:\n  image: ab\x1bc\n")
    assert messages == [f"{path}:2:12: (file)='U+001B': must not contain control characters. "
                        "Fix: remove the character"]
    secrets, secrets_path = secret_messages(tmp_path, f"TASKORA_DB_PASSWORD: {SENTINEL}\x1b\n")
    assert secrets == [f"{secrets_path}:1:47: (file)='<not shown>': must not contain control characters. "
                       "Fix: remove the character"]


def test_a_key_of_100000_characters_is_named_by_its_start(tmp_path):
    messages, path = messages_of(tmp_path, "backend:\n  ? " + "k" * 100_000 + "\n  : 1\n")  # an explicit key: no 1024 cap
    assert len(messages) == 1 and messages[0].startswith(f"{path}:2:5: backend.kkk") and len(messages[0]) < 1200
