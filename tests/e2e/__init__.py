"""End to end: the real cdk8s CLI, make synth and make helm run as a user runs them (marker e2e)."""
