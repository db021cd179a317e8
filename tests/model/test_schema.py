"""GIVEN the synthesized objects WHEN validated in strict mode against the Kubernetes OpenAPI
schemas THEN every object is valid for 1.28 (the cdk8s-plus-28 / model baseline), for 1.34 (the
minimum the README states) and for the newest version kubernetes-validate ships. Strict mode
rejects unknown fields, so a typo in a field name fails here even though the constructs emit
plain JSON.

The deletion protection's ValidatingAdmissionPolicy and binding (admissionregistration.k8s.io/v1)
exist from Kubernetes 1.30 on: they are validated against 1.30 instead of 1.28, and the 1.28
schema is shown to lack them (so the exception cannot hide anything else)."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.support.synth import synth_taskora
from tests.support.strict_schema import validate_strict

#: 1.28 (cdk8s-plus-28, the model's baseline), 1.34 (the minimum the README states: the oldest
#: release the cluster tests run on) and the newest schema kubernetes-validate ships.
VERSIONS = ["1.28.0", "1.34.0", kubernetes_validate.latest_version()]
#: Kinds newer than a schema version: validated at their own first version instead.
FIRST_VERSION = {("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): "1.30.0",
                 ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): "1.30.0"}


def _version_for(manifest: dict, version: str) -> str:
    first = FIRST_VERSION.get((manifest["apiVersion"], manifest["kind"]))
    older = first is not None and tuple(map(int, version.split("."))) < tuple(map(int, first.split(".")))
    return first if older and first is not None else version


def _variants():
    yield "default", synth_taskora()[1]
    yield "second instance", synth_taskora(app_name="taskora-staging")[1]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant, objects", list(_variants()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_object_is_valid_in_strict_mode(variant, objects, version):
    errors = []
    for manifest in objects:
        try:
            validate_strict(manifest, _version_for(manifest, version))
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message} at {list(error.path)}")
    assert not errors, "\n".join(errors)


def test_strict_validation_catches_a_misspelt_field():
    # GIVEN a valid Deployment with one field misspelt WHEN validated THEN it is refused
    deployment = next(o for o in synth_taskora()[1] if o["kind"] == "Deployment")
    deployment["spec"]["replcas"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_strict(deployment, VERSIONS[0])


@pytest.mark.parametrize("kind", sorted(kind for _, kind in FIRST_VERSION))
def test_the_deletion_protection_kinds_are_unknown_to_1_28_and_valid_from_1_30(kind):
    # GIVEN the deletion protection's objects (make protection) WHEN validated for 1.28 THEN
    # refused (the API does not exist there: the first release with it is 1.30); 1.30 valid
    from taskora_constructs.taskora.namespace import deletion_protection_policy
    manifest = next(o for o in deletion_protection_policy() if o["kind"] == kind)
    with pytest.raises(kubernetes_validate.utils.SchemaNotFoundError):
        validate_strict(manifest, "1.28.0")
    validate_strict(manifest, "1.30.0")
