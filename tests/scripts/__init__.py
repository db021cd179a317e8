"""Tests of scripts/: the diagram, make validate and the shell scripts."""
