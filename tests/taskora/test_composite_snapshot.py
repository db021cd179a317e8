"""GIVEN the default app WHEN synthesized THEN the whole output equals the reviewed snapshot,
so every YAML change shows up in review (update with: make test ARGS='-n 0 --snapshot-update')."""

from __future__ import annotations

import yaml


def test_full_default_output_matches_snapshot(default_objects, snapshot):
    rendered = yaml.safe_dump_all(default_objects, sort_keys=False, default_flow_style=False)
    assert rendered == snapshot
