"""External Secrets (issue 21 item 5): ``secrets.external`` puts ``ExternalSecret`` objects
(external-secrets.io/v1, validated against the vendored v2.9.0 CRD) in place of the app Secret
and the database credentials; the workloads read the Secrets the operator writes, by the same
names and keys; no secret value is read or written by the app.

GIVEN production with ``secrets.external`` and no TASKORA_* variable WHEN synthesized THEN no
Secret object exists, an ExternalSecret writes each Secret a pod reads, each valid against its
CRD and typed by eso_types. GIVEN the StatefulSet engine THEN the credentials Secret and
``DATABASE_URL`` come from the store too. GIVEN contradicting or malformed values THEN exit 2
naming the key.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import get_args
from urllib.parse import quote, quote_plus

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import (DIGESTS_LAYER, EXTERNAL_LAYER, EXTERNAL_PROFILE, NO_SECRETS_FILE, SECRETS, STATEFULSET_LAYER,
                      by_id, objects_of, written_profile)
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError

sys.path.insert(0, str(ROOT / "scripts"))

import validate  # noqa: E402


def pod_env(objects: dict[str, dict], workload: str) -> dict[str, dict]:
    [container] = [c for c in objects[workload]["spec"]["template"]["spec"]["containers"]
                   if c["name"] != "wait-for-database"][:1]
    return {e["name"]: e for e in container.get("env", [])}


def secret_refs(objects: list[dict]) -> set[tuple[str, str]]:
    """Every (Secret name, key) a pod of ``objects`` reads through secretKeyRef."""
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "secretKeyRef" in node:
                refs.add((node["secretKeyRef"]["name"], node["secretKeyRef"]["key"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(objects)
    return refs


def written_keys(external_secret: dict) -> set[str]:
    return set(external_secret["spec"]["target"]["template"]["data"])


def test_production_with_a_store_has_external_secrets_in_place_of_secrets():
    objects = objects_of(EXTERNAL_PROFILE)
    found = by_id(objects)
    # THEN no Secret is synthesized at all, and nothing else holds a secret value
    assert [o for o in objects if o["kind"] == "Secret"] == []
    externals = {name.split("/")[1]: o for name, o in found.items() if o["kind"] == "ExternalSecret"}
    assert set(externals) == {"taskora-secrets", "taskora-db-app"}
    for name, external in externals.items():
        assert external["spec"]["target"]["name"] == name
        assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "platform-secrets"}
        assert external["spec"]["refreshInterval"] == "15m"
    # the app Secret: the three API keys, each from the app's remote secret (property: its own name)
    app = externals["taskora-secrets"]["spec"]
    assert [(d["secretKey"], d["remoteRef"]) for d in app["data"]] == [
        (key, {"key": "taskora/production/app", "property": key})
        for key in ("COHERE_API_KEY", "BETTER_AUTH_SECRET", "GEMINI_API_KEY")]
    # the database: CloudNativePG's <cluster>-app, its keys, bootstrapped from it
    db = externals["taskora-db-app"]["spec"]
    assert db["data"] == [{"secretKey": "password",
                           "remoteRef": {"key": "taskora/production/database", "property": "db-password"}}]
    assert db["target"]["template"]["type"] == "kubernetes.io/basic-auth"
    assert db["target"]["template"]["data"]["username"] == "taskora"
    assert found["Cluster/taskora-db"]["spec"]["bootstrap"]["initdb"]["secret"] == {"name": "taskora-db-app"}
    # THEN every Secret key a pod reads is one an ExternalSecret writes, under the same name
    refs = secret_refs(objects)
    assert ("taskora-db-app", "uri") in refs and ("taskora-secrets", "COHERE_API_KEY") in refs
    written = {(name, key) for name, external in externals.items() for key in written_keys(external)}
    app_refs = {ref for ref in refs if ref[0] in externals}
    assert app_refs <= written, app_refs - written


def test_the_external_secrets_are_valid_against_the_vendored_crd_and_the_generated_types():
    from tests.support.typed_dicts import mismatches

    from taskora_constructs._generated import eso_types
    outdir = written_profile(EXTERNAL_PROFILE)
    count, found = validate.check_directory(outdir)
    assert found == [] and count > 0
    externals = [o for o in objects_of(EXTERNAL_PROFILE) if o["kind"] == "ExternalSecret"]
    [kind] = get_args(eso_types.Manifest) or [eso_types.Manifest]
    for external in externals:
        assert validate.crd_validator(validate.CRD_DIR, external["apiVersion"], "ExternalSecret")[0] == \
            "external-secrets-v2.9.0/external-secrets.io_externalsecrets.yaml"
        assert mismatches(external, kind, "ExternalSecret") == []


def test_no_taskora_variable_is_needed_and_a_given_one_is_refused_as_unused(tmp_path):
    layer = tmp_path / "external.yaml"
    layer.write_text(EXTERNAL_LAYER)
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER)
    # WHEN production loads with the store and no TASKORA_* at all THEN it loads
    _, props = load({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{release}:{layer}"},
                    secrets_file=NO_SECRETS_FILE)
    assert props.secrets.external is not None and props.secrets.cohere_api_key is None
    text = "".join(path.read_text() for path in written_profile(EXTERNAL_PROFILE).glob("*.yaml"))
    assert not any(value in text for value in SECRETS.values())
    # GIVEN the variables set anyway THEN each is refused as unused (whoever set it thinks it is
    # deployed), its value not shown
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{release}:{layer}", **SECRETS},
             secrets_file=NO_SECRETS_FILE)
    assert [(p.field, p.value) for p in raised.value.problems] == [(name, "<not shown>") for name in SECRETS]
    assert all("is set but not used: secrets.external is set" in p.rule for p in raised.value.problems)
    assert not any(value in str(raised.value) for value in SECRETS.values())


def test_with_the_statefulset_engine_the_credentials_and_database_url_come_from_the_store(tmp_path):
    import cdk8s

    from tests.support.synth import synth_app
    from taskora_constructs import Taskora
    layer = tmp_path / "statefulset.yaml"
    layer.write_text(STATEFULSET_LAYER + "  imageDigest: sha256:" + "3" * 64 + "\n" + EXTERNAL_LAYER)
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER.replace("database:\n  imageDigest: sha256:" + "3" * 64 + "\n", ""))
    _, props = load({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{release}:{layer}"},
                    secrets_file=NO_SECRETS_FILE)
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", props)
    objects = synth_app(app)
    found = by_id(objects)
    assert [o for o in objects if o["kind"] == "Secret"] == []
    credentials = found["ExternalSecret/taskora-db-credentials"]["spec"]
    assert credentials["target"]["template"]["data"] == {"username": "taskora", "password": "{{ .password }}"}
    app_secret = found["ExternalSecret/taskora-secrets"]["spec"]
    url = app_secret["target"]["template"]["data"]["DATABASE_URL"]
    assert url == ('postgresql://taskora:{{ .DATABASE_PASSWORD | urlquery | replace "+" "%20" }}'
                   "@taskora-db:5432/taskora")
    assert {"secretKey": "DATABASE_PASSWORD",
            "remoteRef": {"key": "taskora/production/database", "property": "db-password"}} in app_secret["data"]
    volumes = found["StatefulSet/taskora-db"]["spec"]["template"]["spec"]["volumes"]
    assert {"secretName": "taskora-db-credentials", "defaultMode": 0o400} in [v.get("secret") for v in volumes] or \
        any(v.get("secret", {}).get("secretName") == "taskora-db-credentials" for v in volumes)
    refs = secret_refs(objects)
    written = {(name.split("/")[1], key) for name, o in found.items() if o["kind"] == "ExternalSecret"
               for key in written_keys(o)}
    assert refs <= written, refs - written


@pytest.mark.parametrize("password", ["p@ss:w/rd?#[]", "with space+plus", "%41~_.-", "ünïcødé&="])
def test_the_templates_url_escaping_is_the_one_database_url_uses(password):
    # Go's urlquery is url.QueryEscape (Python's quote_plus: the same unreserved set, space as
    # '+'); the template then turns the '+' left (only spaces: a '+' is '%2B') into '%20'.
    assert quote_plus(password).replace("+", "%20") == quote(password, safe="")


@pytest.mark.parametrize("layer, field, rule", [
    ("secrets: {existingSecret: mine, external: {storeRef: {name: s}, app: {remoteKey: a}, database: {remoteKey: d}}}",
     "secrets.existingSecret", "must not be given with secrets.external"),
    ("secrets: {external: {storeRef: {name: s, kind: Vault}, app: {remoteKey: a}, database: {remoteKey: d}}}",
     "secrets.external.storeRef.kind", "must be one of ClusterSecretStore, SecretStore"),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a, properties: {COHERE_KEY: c}},"
     " database: {remoteKey: d}}}", "secrets.external.app.properties.COHERE_KEY", "must be a key of this Secret"),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: 'has space'}, database: {remoteKey: d}}}",
     "secrets.external.app.remoteKey", "must be the store's key"),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a}, database: {remoteKey: d}, refreshInterval: daily}}",
     "secrets.external.refreshInterval", "must be a Go duration"),
    ("secrets: {external: {storeRef: {name: s}, app: {remoteKey: a}}}",
     "secrets.external.database", "is required here"),
])
def test_a_malformed_or_contradicting_store_is_refused_naming_the_key(tmp_path, layer, field, rule):
    path = tmp_path / "layer.yaml"
    path.write_text(layer + "\n")
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER)
    with pytest.raises(TaskoraConfigError) as error:
        load({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{release}:{path}"}, secrets_file=NO_SECRETS_FILE)
    problems = {(p.field, p.rule.split(":")[0].split(" (")[0]) for p in error.value.problems}
    assert any(f == field and r.startswith(rule) for f, r in problems), problems
    assert all(Path(p.where.split(":")[0]).name in ("layer.yaml", "production.yaml") or p.where.startswith("environment")
               for p in error.value.problems if p.field.startswith("secrets"))
