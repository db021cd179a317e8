"""What several test modules share (synthesis, profiles, schemas, the packaging and example set-ups):
non-test modules, so that no test module imports another (tests/codebase/test_layout.py)."""
