"""Values files and secret sources: GIVEN a values layer or environment WHEN loaded THEN the
props are as asked, or every problem is named with its key path and file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.conformance import diff_objects
from tests.support.paths import ROOT
from tests.support.synth import synth_app
import dataclasses

from taskora_app import props_values
from taskora_app.values import load, values_json_schema
from taskora_constructs import PostgresProps, TaskoraBackendProps, TaskoraFrontendProps, TaskoraSettings
from taskora_constructs import Taskora, TaskoraConfigError

import cdk8s

NO_SECRETS_FILE = Path("/nonexistent/secrets.local.yaml")
SENTINELS = {"TASKORA_COHERE_API_KEY": "sentinel-cohere-7f3a-00000000",
             "TASKORA_BETTER_AUTH_SECRET": "sentinel-auth-7f3a-000000000000000000000",
             "TASKORA_GEMINI_API_KEY": "sentinel-gemini-7f3a-00000000", "TASKORA_DB_PASSWORD": "sentinel-db-7f3a-000000000"}


def load_env(**environ):
    return load(environ, secrets_file=NO_SECRETS_FILE)


def synth(props) -> list[dict]:
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", props)
    return synth_app(app)


def problems_of(**environ) -> list[str]:
    with pytest.raises(TaskoraConfigError) as raised:
        load_env(**environ)
    return [str(p) for p in raised.value.problems]


def write(tmp_path, text: str) -> str:
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    return str(path)


#: What a release pipeline adds for production (requireImageDigests): the pushed images' digests.
DIGESTS = "".join(f"{part}:\n  imageDigest: sha256:{str(n) * 64}\n"
                  for n, part in enumerate(("frontend", "backend", "database"), start=1))


def test_local_values_synthesize_exactly_the_default_app(default_objects):
    env, props = load_env()
    assert env == "local"
    assert diff_objects(default_objects, synth(props)) == []


def test_a_values_layer_overrides_key_by_key(tmp_path, default_objects):
    extra = write(tmp_path, "backend:\n  replicas: 5\n")
    _, props = load_env(TASKORA_VALUES=extra)
    diffs = [(d.object, d.path, d.model, d.synthesized) for d in diff_objects(default_objects, synth(props))]
    assert diffs == [("Deployment/taskora-backend", "spec.replicas", 3, 5)]


def test_a_misspelt_key_is_refused_with_a_suggestion_and_its_file(tmp_path):
    extra = write(tmp_path, "backend:\n  replcas: 5\n")
    (message,) = problems_of(TASKORA_VALUES=extra)
    assert message.startswith(f"{extra}:2:3: backend.replcas='<not shown>': is not a known key")
    assert "did you mean 'backend.replicas'?" in message


def test_a_wrong_type_names_the_key_path_and_the_file(tmp_path):
    extra = write(tmp_path, "frontend:\n  replicas: two\n")
    (message,) = problems_of(TASKORA_VALUES=extra)
    assert message.startswith(f"{extra}:2:3: frontend.replicas='two':")
    assert "integer" in message


def test_rules_of_the_constructs_apply_to_values_under_their_key_paths(tmp_path):
    extra = write(tmp_path, "backend:\n  resources:\n    requests: {cpu: 2000m}\n"
                            "database:\n  storage: 512Mi\ningress:\n  host: Not_A_Host\n")
    messages = problems_of(TASKORA_VALUES=extra)
    assert any(m.startswith(f"{extra}:3:16: backend.resources.requests.cpu='2000m': must be <= "
                            "resources.limits.cpu (1000m)") for m in messages)
    assert any(m.startswith(f"{extra}:5:3: database.storage='512Mi': must be >= 1Gi") for m in messages)
    assert any(m.startswith(f"{extra}:7:3: ingress.host='Not_A_Host': must be a DNS-1123 subdomain") for m in messages)
    assert len(messages) == 3


def test_a_key_from_the_base_file_is_attributed_to_it(tmp_path):
    # GIVEN an override of one key WHEN another key (from config/local.yaml) is wrong
    extra = write(tmp_path, "backend:\n  image: 'Bad Image'\n")
    (message,) = problems_of(TASKORA_VALUES=extra)
    assert message.startswith(f"{extra}:2:3: backend.image='Bad Image'")


def test_an_unknown_environment_lists_the_known_ones():
    (message,) = problems_of(TASKORA_ENV="staging")
    assert "TASKORA_ENV='staging'" in message and "local, production" in message


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    extra = write(tmp_path, "backend:\n  replicas: [1,\n")
    (message,) = problems_of(TASKORA_VALUES=extra)
    assert message.startswith(f"{extra}:3:1: (file)=") and "must be valid YAML" in message and "line" in message


def test_production_without_secrets_names_each_missing_one(tmp_path):
    messages = problems_of(TASKORA_ENV="production", TASKORA_VALUES=write(tmp_path, DIGESTS))
    # (no TASKORA_DB_PASSWORD: production's CloudNativePG operator generates the database's)
    assert [m.split(": ")[1].split("=")[0] for m in messages] == [
        "TASKORA_COHERE_API_KEY", "TASKORA_BETTER_AUTH_SECRET", "TASKORA_GEMINI_API_KEY"]


def test_production_with_secrets_synthesizes_pinned_images_and_no_placeholders(tmp_path):
    app_secrets = {k: v for k, v in SENTINELS.items() if k != "TASKORA_DB_PASSWORD"}
    _, props = load_env(TASKORA_ENV="production", TASKORA_VALUES=write(tmp_path, DIGESTS), **app_secrets)
    objects = synth(props)
    images = {c["image"] for o in objects if o["kind"] in ("Deployment", "StatefulSet")
              for c in o["spec"]["template"]["spec"]["containers"]}
    assert not any(image.endswith(":latest") for image in images)
    text = json.dumps(objects)
    assert "your-" not in text
    # the database password is the CloudNativePG operator's: a given one is refused as unused
    (message,) = problems_of(TASKORA_ENV="production", TASKORA_VALUES=write(tmp_path, DIGESTS), **SENTINELS)
    assert message == ("environment 'production': TASKORA_DB_PASSWORD='<not shown>': is set but not used: "
                       "database.engine is cloudnative-pg: the operator generates the database's password. "
                       "Fix: unset TASKORA_DB_PASSWORD")


def test_existing_secrets_need_no_values_in_production(tmp_path):
    extra = write(tmp_path, DIGESTS.replace("database:\n", "database:\n  existingSecret: taskora-pg\n"
                                            "  engine: statefulset\n  image: postgres:15.8-alpine\n  backup: {enabled: false}\n")
                  + "secrets:\n  existingSecret: taskora-app\nacceptRisks: [no-backups]\n")
    _, props = load_env(TASKORA_ENV="production", TASKORA_VALUES=extra)
    assert [o for o in synth(props) if o["kind"] == "Secret"] == []


def test_database_existing_secret_alone_is_refused(tmp_path):
    extra = write(tmp_path, "database:\n  existingSecret: taskora-pg\n")
    (message,) = problems_of(TASKORA_VALUES=extra)
    assert message.startswith(f"{extra}:2:3: database.existingSecret='taskora-pg': needs secrets.existingSecret too")


def test_secret_values_never_appear_in_problems(tmp_path):
    extra = write(tmp_path, "backend:\n  replicas: 0\n")
    messages = problems_of(TASKORA_ENV="production", TASKORA_VALUES=extra, **SENTINELS)
    assert messages and not any("sentinel" in m for m in messages)


def test_values_and_secret_problems_are_reported_together(tmp_path):
    extra = write(tmp_path, DIGESTS.replace("backend:\n", "backend:\n  replicas: 0\n"))
    messages = problems_of(TASKORA_ENV="production", TASKORA_VALUES=extra)
    assert len(messages) == 4  # three secrets (not the database's: the operator's) and the replicas


def test_the_published_schema_is_current_and_its_defaults_are_the_models():
    # GIVEN the schema scripts/values_schema.py writes (in this process: the script itself runs
    # with --check in tests/app/test_values_schema.py) THEN the published file holds exactly it
    sys.path.insert(0, str(ROOT / "scripts"))
    import values_schema
    assert values_schema.TARGET.read_text() == json.dumps(values_schema.strict_schema(), indent=2, sort_keys=True) + "\n"
    sections = values_json_schema()["properties"]

    def default(section: str, key: str):
        return sections[section]["properties"][key]["default"]

    # the defaults are the props' own (one definition), per preset
    assert default("frontend", "replicas") == TaskoraFrontendProps().replicas == 2
    assert default("backend", "replicas") == TaskoraBackendProps().replicas == 3
    assert default("frontend", "image") == "taskora/frontend:latest"
    assert default("database", "storage") == "10Gi"
    # the instance's default class retains its volumes (deviation D9): TaskoraProps' default
    assert default("database", "storageClassName") == "taskora-retain"
    assert default("ingress", "host") == "taskora.local"
    assert default("config", "CHAT_RATE_LIMIT") == 30


def test_every_props_field_is_a_documented_values_key():
    # GIVEN the props of a section WHEN the schema is derived THEN each field is a key with its doc
    sections = values_json_schema()["properties"]
    for section, cls in (("frontend", TaskoraFrontendProps), ("database", PostgresProps), ("config", TaskoraSettings)):
        keys = sections[section]["properties"]
        for f in dataclasses.fields(cls):
            key = f.metadata.get("values_key") or props_values.camel(f.name)
            assert key in keys and keys[key].get("description"), (section, key)


def test_top_level_props_are_values_keys_too(tmp_path):
    # GIVEN TaskoraProps' own fields (not a section) WHEN set in a values file THEN they reach the props
    _, props = load_env(TASKORA_VALUES=write(tmp_path, "deletionProtection: false\npodSecurity: baseline\n"))
    assert (props.deletion_protection, props.pod_security) == (False, "baseline")
    assert "deletionProtection" in values_json_schema()["properties"]


def test_a_field_added_to_the_props_is_a_values_key_at_once(tmp_path):
    # GIVEN a props field the values loader never names explicitly (the pod's extra env)
    extra = write(tmp_path, "backend:\n  env: [{name: FEATURE_X, value: 'on'}]\n  servicePort: 80\n")
    # WHEN loaded THEN the props carry it, checked by the props' own rules
    _, props = load_env(TASKORA_VALUES=extra)
    assert [(e.name, e.value) for e in props.backend.env] == [("FEATURE_X", "on")]
    assert props.backend.service_port == 80
    bad = write(tmp_path, "backend:\n  env: [{name: '1BAD', value: x}]\n")
    (message,) = problems_of(TASKORA_VALUES=bad)
    assert message.startswith(f"{bad}:2:10: backend.env[0].name='1BAD': must be an environment variable name")


def test_local_yaml_restates_the_construct_defaults():
    from taskora_constructs import TaskoraProps, TaskoraSecretValues
    _, props = load_env()
    defaults = TaskoraProps(secrets=TaskoraSecretValues.development_placeholders())
    for part in ("frontend", "backend", "database", "ingress", "settings", "app_name"):
        assert getattr(props, part) == getattr(defaults, part), part


def test_a_refused_key_does_not_hide_the_problems_behind_other_keys(tmp_path):
    extra = write(tmp_path, "backend:\n  replcas: 5\ndatabase:\n  storage: 512Mi\n")
    messages = problems_of(TASKORA_VALUES=extra)
    assert messages == [
        f"{extra}:2:3: backend.replcas='<not shown>': is not a known key. Fix: did you mean 'backend.replicas'?",
        f"{extra}:4:3: database.storage='512Mi': must be >= 1Gi. Fix: request at least 1Gi"]


def test_a_top_level_rule_names_the_file_and_the_key(tmp_path):
    extra = write(tmp_path, "podSecurity: bogus\ndeletionProtection: 'yes'\n")
    assert [m.split(": ")[1].split("=")[0] for m in problems_of(TASKORA_VALUES=extra)] == [
        "deletionProtection", "podSecurity"]


def test_several_values_layers_apply_in_order_and_each_names_its_file(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("backend:\n  replicas: 5\nfrontend:\n  replicas: 0\n")
    second.write_text("backend:\n  replicas: 6\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load_env(TASKORA_VALUES=f"{first}:{second}")
    assert [str(p) for p in raised.value.problems] == [
        f"{first}:4:3: frontend.replicas=0: must be >= 1. Fix: set at least 1 replica"]
    first.write_text("backend:\n  replicas: 5\n")
    assert load_env(TASKORA_VALUES=f"{first}:{second}")[1].backend.replicas == 6


def test_routing_and_gateway_may_be_written_at_the_top_level(tmp_path):
    # GIVEN the spelling (routing: gateway, gateway.parentRefs) WHEN loaded THEN it is
    # ingress.routing / ingress.gateway, and a problem names the key and the file as written
    extra = write(tmp_path, "routing: gateway\ngateway:\n  parentRefs: [{name: public, namespace: gateway-system}]\n")
    ingress = load_env(TASKORA_VALUES=extra)[1].ingress
    assert ingress.routing == "gateway" and ingress.gateway.parent_refs[0].name == "public"
    bad = write(tmp_path, "routing: gatway\n")
    (message,) = problems_of(TASKORA_VALUES=bad)
    assert message.startswith(f"{bad}:1:1: routing='gatway': must be one of ingress, gateway")


@pytest.mark.parametrize(("misspelt", "meant"), [("TASKORA_DB_PASS", "TASKORA_DB_PASSWORD"),
                                                 ("TASKORA_COHERE_KEY", "TASKORA_COHERE_API_KEY")])
def test_a_misspelt_secret_variable_is_named_with_the_one_meant_not_silently_ignored(misspelt, meant):
    # GIVEN local (where an unset secret would quietly keep its placeholder) and a misspelt name
    # WHEN the values load
    (message,) = problems_of(**{misspelt: SENTINELS[meant]})
    # THEN the misspelt variable is named, with the variable meant, and its value is not shown
    assert message.startswith(f"environment 'local': {misspelt}='<not shown>'") and f"did you mean {meant!r}" in message
    assert SENTINELS[meant] not in message


def test_the_projects_other_taskora_variables_are_not_called_misspellings():
    # GIVEN the variables the build and the cluster tests read (not secrets)
    environ = {"TASKORA_CLUSTER_KUBECONFIG": "/k", "TASKORA_CLUSTER_KUBECTL": "/b", "TASKORA_CLUSTER_CACHE": "/c"}
    # WHEN the values load THEN nothing is refused
    load_env(**environ)
