"""``kubernetes_validate.validate(manifest, version, strict=True)``, each schema compiled once.

kubernetes-validate reads and parses its 1.1 MB ``_definitions.json`` and builds a new
validator on every call; the tests validate hundreds of objects against a handful of
(version, kind) schemas. Here the validator of each is built once per test process, from the
same files, the same Draft 2020-12 validator and the same registry (``make validate``'s
:func:`validate.kubernetes_validator`), and a problem is raised as the same exceptions.
"""

from __future__ import annotations

import sys

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError, all_versions, major_minor

from tests.support.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import validate  # noqa: E402  (scripts/validate.py, as tests/scripts/test_validate.py imports it)


def validate_strict(manifest: dict, desired_version: str) -> str:
    """Validate ``manifest`` in strict mode for Kubernetes ``desired_version`` (``1.28.0``) as
    kubernetes-validate does: against the newest schema not newer than it. Returns the schema's
    version (``1.28``); raises ``kubernetes_validate.ValidationError`` or ``SchemaNotFoundError``."""
    shipped = [v for v in all_versions() if major_minor(v) <= major_minor(desired_version)]
    if not shipped or major_minor(desired_version) > kubernetes_validate.latest_version():
        raise kubernetes_validate.utils.VersionNotSupportedError(version=major_minor(desired_version))
    version = major_minor(shipped[-1])
    validator = validate.kubernetes_validator(version, manifest["apiVersion"], manifest["kind"])
    if validator is None:
        raise SchemaNotFoundError(version=major_minor(desired_version), kind=manifest["kind"],
                                  api_version=manifest["apiVersion"])
    try:
        validator.validate(manifest)
    except jsonschema.ValidationError as error:
        raise kubernetes_validate.ValidationError(error, version=version) from None
    return version
