"""The vendored Gateway API v1 HTTPRoute CRD's schema, strict (unknown fields refused where the CRD
is structural, as make validate checks it): the HttpRoute and the gateway routing tests share it."""

from __future__ import annotations

import copy
import functools
import sys

import jsonschema
import yaml

from tests.support.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import validate  # noqa: E402  (scripts/validate.py)

CRD = ROOT / "crds" / "gateway-api-v1.6.1" / "gateway.networking.k8s.io_httproutes.yaml"


@functools.cache
def route_validator() -> jsonschema.Validator:
    crd = yaml.load(CRD.read_text(), Loader=yaml.CSafeLoader)  # libyaml: the CRD is 400 KB
    [v1] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    assert v1["served"] and v1["storage"]
    schema = validate._strict(copy.deepcopy(v1["schema"]["openAPIV3Schema"]))
    return jsonschema.Draft202012Validator(schema)



def schema_errors(route: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in route_validator().iter_errors(route)]
