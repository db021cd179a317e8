"""The order in which xdist's workers get the test files (conftest.py's scheduler)."""

from __future__ import annotations


def slowest_first(units: dict[str, dict[str, bool]], recorded: dict[str, float]) -> list[tuple[str, dict[str, bool]]]:
    """The work units (file -> its tests) by what their tests took last time, slowest first; a
    test with no record counts the mean of the recorded ones. Ties keep their order."""
    mean = sum(recorded.values()) / len(recorded) if recorded else 0.05
    weight = {scope: sum(recorded.get(test, mean) for test in tests) for scope, tests in units.items()}
    return sorted(units.items(), key=lambda unit: -weight[unit[0]])
