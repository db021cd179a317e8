"""End to end: the real cdk8s CLI, make synth and make helm, run as a user runs them (the slow tests
marked e2e, which make check deselects; the marker, not the folder, decides)."""
