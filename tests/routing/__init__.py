"""Tests of taskora_constructs/routing/: a module per module (test_<module>.py)."""
