"""The values loader parses with libyaml (PyYAML's C extension) and falls back to PyYAML's
pure-Python parser for a file libyaml refuses (taskora_app/yaml_files.py). GIVEN both parsers
under the same bounded composer WHEN they read the repository's values files and a set of
YAML corner cases THEN they build the same nodes (tags, values, marks); and a file libyaml
refuses is named as the pure-Python parser names it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.paths import ROOT
from tests.support.profiles import NO_SECRETS_FILE
from taskora_app import yaml_files
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError

#: Corner cases of YAML 1.1 a values file may hold: scalars of each style, anchors, complex
#: keys, a BOM, directives, non-ASCII text before a value (marks count characters), a long key.
CORNER_CASES = [
    "", "a: b\n", "é: ü\nkey: värde  # ç\nx: [1, 2, {y: z}]\n", "日本: 語\nnext: 1\n", "\ufeffa: 1\n",
    "a: &x {b: 1}\nc: *x\n", "- 017\n- 0x1f\n- 1:30\n- yes\n- 1e3\n- 2024-01-01\n- =\n",
    "a: 'q'\nb: \"d\"\nc: |\n  lit\n  eral\nd: >-\n\n  fold\n\n", "? a\n: b\n", "- ? complex\n  : value\n",
    "a: !!str 1\n", "a: !x 1\n", "!!map {a: 1}\n", "%YAML 1.1\n---\na: 1\n", "a: 1\na: 2\n", "<<: {a: 1}\n",
    "'k' : v\n", "a: [b, c,]\n", "- - - x\n", "a:    # c\n  - 1\n", 'k: "\\u00e9\\x41"\n', "a: 'it''s'\n",
    "a:\n  -\n  - b\n", "a: \nb: 1\n", "a: &x\nb: *x\n", "a: 1\n...\n", "- a\n b\n", "a: " + "x" * 2000 + "\n",
]
#: Files both parsers refuse; the problem must read as the pure-Python parser writes it.
BROKEN = ["a: b: c\n", "[a, b", "a: \"unterminated\n", "a:\n  - b\n  -c\n", "a: @b\n", "---\na: 1\n---\nb: 2\n",
          "a: *unknown\n", "k" * 1100 + ": v\n", "a:\n\tb: 1\n"]


def tree(node) -> tuple:
    """A node's tag, value and marks, recursively (the style: libyaml says '' where PyYAML says None)."""
    marks = (node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return node.tag, node.value, node.style or None, marks
    if isinstance(node, yaml.SequenceNode):
        return node.tag, marks, [tree(child) for child in node.value]
    return node.tag, marks, [(tree(key), tree(value)) for key, value in node.value]


def composed(composer_class, text: str):
    composer = composer_class(text)
    try:
        node = composer.get_single_node()
        return None if node is None else tree(node)
    finally:
        composer.dispose()


def values_files() -> list[Path]:
    return sorted([*(ROOT / "config").glob("*.yaml"), *(ROOT / "examples").rglob("*.yaml")])


def test_the_pinned_pyyaml_has_libyaml():
    # GIVEN the pinned PyYAML wheel THEN the fast parser is the one used (not silently the fallback)
    assert yaml.__with_libyaml__ and yaml_files._CParser is not None


@pytest.mark.parametrize("text", [*CORNER_CASES, *(p.read_text() for p in values_files())],
                         ids=[*(repr(t[:30]) for t in CORNER_CASES), *(str(p.relative_to(ROOT)) for p in values_files())])
def test_both_parsers_build_the_same_nodes(text):
    assert composed(yaml_files._LibyamlComposer, text) == composed(yaml_files._Composer, text)


@pytest.mark.parametrize("text", BROKEN, ids=[repr(t[:30]) for t in BROKEN])
def test_a_file_libyaml_refuses_is_named_as_pyyaml_names_it(tmp_path, text):
    # GIVEN a broken layer WHEN loaded THEN the problem is the pure-Python parser's (message, mark)
    with pytest.raises(yaml.YAMLError) as expected:
        composed(yaml_files._Composer, text)
    with pytest.raises(yaml.YAMLError):
        composed(yaml_files._LibyamlComposer, text)
    path = tmp_path / "layer.yaml"
    path.write_text(text)
    with pytest.raises(TaskoraConfigError) as error:
        load({"TASKORA_ENV": "local", "TASKORA_VALUES": str(path)}, secrets_file=NO_SECRETS_FILE)
    mark = expected.value.problem_mark
    [problem] = [p for p in error.value.problems if p.where.startswith(str(path))]
    assert problem.where == f"{path}:{mark.line + 1}:{mark.column + 1}"
    assert problem.rule == f"must be valid YAML ({expected.value.problem})"
