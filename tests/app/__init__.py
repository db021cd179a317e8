"""Tests of the app: taskora_app/ (test_<module>.py) and main.py (test_main_*.py)."""
