"""The tests against a real kube-apiserver (marker ``cluster``, ``make cluster-test``)."""
