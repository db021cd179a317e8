"""Tests of taskora_constructs/database/: a module per module (test_<module>.py)."""
