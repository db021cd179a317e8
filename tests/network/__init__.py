"""Tests of taskora_constructs/network/: a module per module (test_<module>.py)."""
