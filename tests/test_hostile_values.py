"""Input an attacker or a tired user writes (issue 20): GIVEN a values layer or secrets.local.yaml
with an unknown key holding a secret, a YAML 1.1 surprise, a bomb, a device or a huge quantity
WHEN loaded THEN every problem is refused at once, naming file, line, column, key and fix, in
seconds and bounded memory, and no secret value is printed."""

from __future__ import annotations

import time

from taskora_constructs.core import rules


def test_a_quantity_of_many_digits_is_matched_in_linear_time():
    # The grammar alone, without the length bound: \d+\.?\d* took 20 s on 20,000 digits.
    start = time.monotonic()
    assert rules._QUANTITY.fullmatch("1" * 200_000 + "x") is None
    assert time.monotonic() - start < 0.5


def test_a_quantity_of_200000_digits_is_refused_at_once_naming_the_bound():
    start = time.monotonic()
    (problem,) = rules.check_quantity("w", "backend.resources.requests.cpu", "9" * 200_000, example="250m")
    assert time.monotonic() - start < 0.1
    assert f"at most {rules.MAX_QUANTITY_LENGTH} characters" in problem.rule
