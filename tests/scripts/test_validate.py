"""`make validate` (scripts/validate.py): dist/ checked offline, strict, against the minimum
supported Kubernetes version and the newest one kubernetes-validate ships, custom resources
against the vendored CRDs (issue #14).

GIVEN the default and the production synth THEN they pass. GIVEN one object with an unknown
field, a wrong type, an API that does not exist, or a custom resource with an unknown field
THEN the check exits non-zero naming the file, the object, the schema and the field.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support.paths import ROOT
from tests.support.profiles import objects_of, written_profile

sys.path.insert(0, str(ROOT / "scripts"))

import validate  # noqa: E402

ROUTE = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "web", "namespace": "taskora"},
         "spec": {"parentRefs": [{"name": "gateway"}], "hostnames": ["taskora.local"],
                  "rules": [{"backendRefs": [{"name": "taskora-frontend", "port": 3000}]}]}}


def write(directory: Path, objects: list[dict], name: str = "0000-test.k8s.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return directory


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = validate.main([*args])
    out, err = capsys.readouterr()
    return status, out, err


README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("profile", ["local", "production"])
def test_the_synth_of_each_profile_passes(profile, capsys, monkeypatch):
    monkeypatch.chdir(written_profile(profile).parent)
    status, out, err = run(capsys, "dist")
    assert (status, err) == (0, "")
    count = len(objects_of(profile))
    assert out == (f"Validated {count} objects in dist/ against Kubernetes {validate.MIN_KUBERNETES} and "
                   f"{validate.NEWEST_KUBERNETES} (strict: no unknown fields) and the vendored CRDs "
                   "(cloudnative-pg-v1.29.2, external-secrets-v2.9.0, gateway-api-v1.6.1, plugin-barman-cloud-v0.14.0): no problems\n")
    if profile == "local":  # the README's example
        assert out in README


def test_the_versions_are_the_minimum_and_the_newest_shipped():
    assert validate.MIN_KUBERNETES == "1.34"
    assert validate.NEWEST_KUBERNETES == kubernetes_validate.utils.major_minor(kubernetes_validate.latest_version())


def test_an_unknown_field_is_refused_naming_file_object_schema_and_field(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dist = Path("dist")
    shutil.copytree(written_profile("local"), dist)
    backend = dist / "0003-taskora-backend.k8s.yaml"
    objects = list(yaml.safe_load_all(backend.read_text()))
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    deployment["spec"]["replcas"] = deployment["spec"].pop("replicas")
    backend.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    status, out, err = run(capsys, str(dist))
    assert status == validate.EXIT_INVALID and out == ""
    for version in (validate.MIN_KUBERNETES, validate.NEWEST_KUBERNETES):
        assert (f"{backend}: Deployment/taskora-backend (Kubernetes {version}): spec.replcas: unknown field "
                "(the schema has no such field here)") in err.splitlines()
    assert err.splitlines()[-1] == f"validate: 2 problem(s) in {dist}/"
    assert err in README  # the README's example


def test_a_wrong_type_names_the_field(tmp_path, capsys):
    service = next(o for o in objects_of("local") if o["kind"] == "Service")
    service["spec"]["ports"][0]["port"] = "eighty"
    status, _, err = run(capsys, str(write(tmp_path, [service])), "--kubernetes", "1.34")
    assert status == validate.EXIT_INVALID
    assert "Service/taskora-db (Kubernetes 1.34): spec.ports[0].port: 'eighty' is not of type 'integer'" in err


def test_an_api_the_version_does_not_serve_is_refused(tmp_path, capsys):
    budget = next(o for o in objects_of("local") if o["kind"] == "PodDisruptionBudget")
    budget["apiVersion"] = "policy/v1beta1"  # removed in Kubernetes 1.25
    status, _, err = run(capsys, str(write(tmp_path, [budget])))
    assert status == validate.EXIT_INVALID
    assert ("PodDisruptionBudget/taskora-backend (Kubernetes 1.37): apiVersion: Kubernetes 1.37 has no "
            "PodDisruptionBudget in policy/v1beta1, and no CRD in crds/ defines it") in err


def test_the_objects_need_more_than_kubernetes_1_25(tmp_path, capsys):
    # Why the minimum is not lower: the PDBs' unhealthyPodEvictionPolicy appeared in 1.26 (alpha,
    # off by default: that API server drops it) and is on by default from 1.27.
    status, _, err = run(capsys, str(written_profile("local")), "--kubernetes", "1.25")
    assert status == validate.EXIT_INVALID
    assert "PodDisruptionBudget/taskora-backend (Kubernetes 1.25): spec.unhealthyPodEvictionPolicy: unknown field" in err


def test_a_custom_resource_is_checked_against_the_vendored_crd(tmp_path, capsys):
    assert run(capsys, str(write(tmp_path / "good", [ROUTE])))[0] == 0
    bad = {**ROUTE, "spec": {**ROUTE["spec"], "rules": [{"backendRef": [{"name": "taskora-frontend"}]}]}}
    status, _, err = run(capsys, str(write(tmp_path / "bad", [bad])))
    assert status == validate.EXIT_INVALID
    assert ("HTTPRoute/web (CRD gateway-api-v1.6.1/gateway.networking.k8s.io_httproutes.yaml): "
            "spec.rules[0].backendRef: unknown field") in err


def test_an_empty_directory_says_to_synthesize_first(tmp_path, capsys):
    status, _, err = run(capsys, str(tmp_path))
    assert status == validate.EXIT_NO_MANIFESTS
    assert err == f"validate: no manifests in {tmp_path}/ (run make synth first)\n"


@pytest.mark.e2e
def test_make_validate_checks_the_given_directory(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_"))}
    dist = write(tmp_path / "dist", [ROUTE])
    result = subprocess.run(["make", "--no-print-directory", "validate", f"VALIDATE_DIR={dist}"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Validated 1 object in {dist}/ against Kubernetes 1.34 and ")


def test_a_version_without_schemas_is_refused_with_the_shipped_ones(capsys):
    with pytest.raises(SystemExit) as exited:
        validate.main(["dist", "--kubernetes", "1.12"])
    assert exited.value.code == 2
    assert "no schema for Kubernetes 1.12: kubernetes-validate ships 1.25, 1.26," in capsys.readouterr().err


def test_a_crd_file_is_read_only_for_an_object_of_its_group(tmp_path, monkeypatch):
    # GIVEN a directory with one HTTPRoute and one ExternalSecret
    secret = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
              "metadata": {"name": "app", "namespace": "taskora"},
              "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                       "target": {"name": "app"}, "data": [{"secretKey": "K", "remoteRef": {"key": "k"}}]}}
    read: set[str] = set()
    original = validate._file_validators

    def spy(path, crd_dir):
        read.add(path.name)
        return original(path, crd_dir)

    monkeypatch.setattr(validate, "_file_validators", spy)
    # WHEN it is validated
    count, found = validate.check_directory(write(tmp_path / "dist", [ROUTE, secret]))
    # THEN both pass, and the other groups' files stay unread
    assert (count, found) == (2, [])
    assert sorted(read) == ["external-secrets.io_externalsecrets.yaml", "gateway.networking.k8s.io_httproutes.yaml"]


def test_an_external_secret_with_an_unknown_field_is_refused_against_its_crd(tmp_path):
    secret = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
              "metadata": {"name": "app", "namespace": "taskora"},
              "spec": {"secretStoreRef": {"kind": "VaultStore", "name": "vault"}, "target": {"nmae": "app"}}}
    count, found = validate.check_directory(write(tmp_path / "dist", [secret]))
    fields = sorted(f.field for f in found)
    assert fields == ["spec.secretStoreRef.kind", "spec.target.nmae"], found
    assert all(f.schema == "CRD external-secrets-v2.9.0/external-secrets.io_externalsecrets.yaml" for f in found)
