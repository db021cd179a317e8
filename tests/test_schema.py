"""GIVEN the synthesized objects WHEN validated in strict mode against the Kubernetes OpenAPI
schemas THEN every object is valid for 1.28 (the cdk8s-plus-28 / model baseline) and for the
newest version kubernetes-validate ships. Strict mode rejects unknown fields, so a typo in a
field name fails here even though the constructs emit plain JSON."""

from __future__ import annotations

import kubernetes_validate
import pytest

from conftest import synth_taskora

VERSIONS = ["1.28.0", kubernetes_validate.latest_version()]


def _variants():
    yield "default", synth_taskora()[1]
    yield "second instance", synth_taskora(app_name="taskora-staging")[1]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant, objects", list(_variants()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_object_is_valid_in_strict_mode(variant, objects, version):
    errors = []
    for manifest in objects:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message} at {list(error.path)}")
    assert not errors, "\n".join(errors)


def test_strict_validation_catches_a_misspelt_field():
    # GIVEN a valid Deployment with one field misspelt WHEN validated THEN it is refused
    deployment = next(o for o in synth_taskora()[1] if o["kind"] == "Deployment")
    deployment["spec"]["replcas"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)
