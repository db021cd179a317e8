"""The values loader structures the props through one cattrs converter (props_values.CONVERTER).

GIVEN a values entry with several problems WHEN loaded THEN every one is named at once (cattrs'
detailed validation), each at its file:line:column and key path.
"""

from __future__ import annotations

import pytest

from tests.support.profiles import NO_SECRETS_FILE
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError


def problems_of(tmp_path, text: str) -> tuple[list[tuple[str, str, str]], str]:
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(path)}, secrets_file=NO_SECRETS_FILE)
    return [(p.where, p.field, p.rule) for p in raised.value.problems], str(path)


def test_a_misspelt_key_and_the_required_key_it_hides_are_both_named(tmp_path):
    # GIVEN an env entry whose required name is misspelt, and a second entry with no name at all
    found, path = problems_of(tmp_path, "backend:\n  env:\n    - {nmae: A, value: x}\n    - {value: z}\n")
    # THEN the misspelt key and the missing name of the first entry are both named (before, the
    # unknown key hid the missing one until it was fixed), and the second entry's missing name
    assert found == [(f"{path}:3:8", "backend.env[0].nmae", "is not a known key"),
                     (f"{path}:3:7", "backend.env[0].name", "is required here"),
                     (f"{path}:4:7", "backend.env[1].name", "is required here")]

