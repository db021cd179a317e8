"""Tests of taskora_constructs/taskora/: a module per module (test_<module>.py)."""
