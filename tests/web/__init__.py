"""Tests of taskora_constructs/web/: a module per module (test_<module>.py)."""
