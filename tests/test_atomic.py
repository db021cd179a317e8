"""GIVEN an output directory WHEN it is rebuilt through staged_directory THEN it is replaced
whole on success and left exactly as it was on failure, with no staging left behind."""

from __future__ import annotations

import pytest

from taskora_app.atomic import staged_directory


def test_success_replaces_the_output_whole(tmp_path):
    output = tmp_path / "dist"
    output.mkdir()
    (output / "stale.yaml").write_text("old")
    with staged_directory(output) as staging:
        (staging / "new.yaml").write_text("new")
    assert sorted(p.name for p in output.iterdir()) == ["new.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_failure_leaves_the_previous_output_and_no_staging(tmp_path):
    output = tmp_path / "dist"
    output.mkdir()
    (output / "kept.yaml").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_directory(output) as staging:
            (staging / "half.yaml").write_text("half")
            raise RuntimeError("synth failed half-way")
    assert [(p.name, p.read_text()) for p in output.iterdir()] == [("kept.yaml", "old")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]
