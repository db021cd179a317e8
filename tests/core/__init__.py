"""Tests of taskora_constructs/core/: a module per module (test_<module>.py)."""
