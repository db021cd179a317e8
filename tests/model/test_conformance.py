"""GIVEN the documented model WHEN the default app is synthesized THEN they agree field by
field, except exactly the deviations listed in tests/model/deviations.yaml."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.support.conformance import Difference, diff_objects, object_id
from tests.support.paths import ROOT

MODEL_DIR = ROOT / "tests" / "model"
MODEL = list(yaml.load_all((MODEL_DIR / "taskora-data-model.yaml").read_text(), Loader=yaml.CSafeLoader))
DEVIATIONS = yaml.safe_load((MODEL_DIR / "deviations.yaml").read_text())["deviations"]


def listed_differences() -> list[Difference]:
    return [Difference(c["object"], c["path"], c["change"], c.get("model"), c.get("synthesized"))
            for deviation in DEVIATIONS for c in deviation["changes"]]


def test_the_transcribed_model_has_its_12_documented_resources():
    kinds = sorted(o["kind"] for o in MODEL)
    assert kinds == sorted(["Namespace", "Deployment", "Deployment", "StatefulSet", "Service", "Service",
                            "Service", "ConfigMap", "Secret", "Secret", "Ingress", "PersistentVolumeClaim"])


def test_default_output_differs_from_the_model_only_by_the_listed_deviations(default_objects):
    found = diff_objects(MODEL, default_objects)
    listed = listed_differences()
    unlisted = [str(d) for d in found if d not in listed]
    stale = [str(d) for d in listed if d not in found]
    assert not unlisted, "differences from the model not in deviations.yaml:\n" + "\n".join(unlisted)
    assert not stale, "deviations.yaml lists differences that no longer occur:\n" + "\n".join(stale)


def test_every_documented_object_not_removed_on_purpose_is_synthesized(default_objects):
    removed = {d.object for d in listed_differences() if d.change == "removed"}
    synthesized = {object_id(o) for o in default_objects}
    assert {object_id(o) for o in MODEL} - removed <= synthesized


@pytest.mark.parametrize("mutation, expected", [
    (lambda objs: objs[1]["spec"].__setitem__("replicas", 4),
     "Deployment/taskora-frontend spec.replicas: changed: model=2 synthesized=4"),
    (lambda objs: objs[0]["metadata"]["labels"].pop("app.kubernetes.io/name"),
     "Namespace/taskora metadata.labels[\"app.kubernetes.io/name\"]: missing"),
    (lambda objs: objs[7]["data"].__setitem__("CHAT_RATE_LIMIT", 30),
     "ConfigMap/taskora-config data.CHAT_RATE_LIMIT: changed: model='30' synthesized=30"),
])
def test_a_difference_names_the_resource_and_the_field_path(mutation, expected):
    # GIVEN the model itself with one field altered WHEN compared THEN exactly that field is reported
    altered = yaml.load_all((MODEL_DIR / "taskora-data-model.yaml").read_text(), Loader=yaml.CSafeLoader)
    altered = list(altered)
    mutation(altered)
    found = [str(d) for d in diff_objects(MODEL, altered)]
    assert len(found) == 1 and found[0].startswith(expected)


def test_additions_to_documented_maps_are_not_differences():
    altered = list(yaml.load_all((MODEL_DIR / "taskora-data-model.yaml").read_text(), Loader=yaml.CSafeLoader))
    altered[0]["metadata"]["labels"]["team"] = "platform"
    assert diff_objects(MODEL, altered) == []


def test_docs_deviations_md_is_rendered_from_the_data_file():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_deviations.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
