"""The output against the documented model (tests/model/*.yaml, docs/taskora-data-model.md) and the Kubernetes schemas."""
