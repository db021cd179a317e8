"""Tests of taskora_constructs/lint/: a module per module (test_<module>.py)."""
