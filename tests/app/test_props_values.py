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



def _tree(error: BaseException) -> tuple:
    """An error as cattrs reports it: its type, message, notes and the errors it groups, recursively."""
    notes = tuple((str(n), getattr(n, "name", None), getattr(n, "type", None)) for n in getattr(error, "__notes__", []))
    extra = tuple(sorted(getattr(error, "extra_fields", ())))
    return (type(error), str(error), notes, extra, tuple(_tree(e) for e in getattr(error, "exceptions", ())))


@pytest.mark.parametrize("cls_name, data", [
    ("EnvVar", {"name": "A", "value": "x"}),
    ("EnvVar", {"nmae": "A", "value": "x"}),
    ("TaskoraFrontendProps", {"replicas": 2, "image": "taskora/frontend:1"}),
    ("TaskoraFrontendProps", {"replicas": -1}),
    ("TaskoraFrontendProps", {"replicas": -1, "resources": "big", "imagePullPolicy": "Sometimes", "typo": 1}),
])
def test_the_props_hook_structures_as_the_cattrs_generated_one(cls_name, data):
    # GIVEN a props class and a values mapping (valid, or with unknown, missing and refused keys)
    import dataclasses

    from cattrs.gen import make_dict_structure_fn, override

    import taskora_constructs
    from taskora_app import props_values
    cls = getattr(taskora_constructs, cls_name)
    generated = make_dict_structure_fn(cls, props_values.CONVERTER, **{
        f.name: override(rename=props_values.key_of(f)) for f in props_values.fields_of(cls)})
    outcomes = []
    # WHEN the loader's hook (interpreted, no code generated) and cattrs' generated one structure it
    for hook in (props_values.CONVERTER.get_structure_hook(cls), generated):
        try:
            outcomes.append(("value", hook(dict(data), cls)))
        except Exception as error:  # noqa: BLE001 - the error itself is what is compared
            outcomes.append(("error", _tree(error)))
    # THEN both give the same props, or the same errors with the same notes (what _problems reads)
    assert outcomes[0] == outcomes[1]
    assert dataclasses.is_dataclass(outcomes[0][1]) or outcomes[0][0] == "error"


def _props_classes() -> list[type]:
    """Every props dataclass a values file can reach: the public ones and the types of their fields."""
    import dataclasses
    import typing

    import taskora_constructs
    found: list[type] = []
    pending = [getattr(taskora_constructs, name) for name in taskora_constructs.__all__]
    while pending:
        cls = pending.pop()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls not in found:
            found.append(cls)
            for hint in typing.get_type_hints(cls).values():
                pending += [hint, *typing.get_args(hint)]
    return found


def test_one_fields_type_is_what_get_type_hints_gives_for_it():
    # GIVEN every props class (its fields' annotations are strings: from __future__ import annotations)
    import typing

    from taskora_app import props_values
    classes = _props_classes()
    assert len(classes) > 30
    for cls in classes:
        # WHEN the loader resolves one field's annotation alone (props_values.hint)
        # THEN it is the type typing.get_type_hints resolves for the whole class
        expected = typing.get_type_hints(cls)
        assert {name: props_values.hint(cls, name) for name in expected} == expected, cls
