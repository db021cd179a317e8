"""What every construct of the library shares: emitting objects (``manifest``), where they go and
who owns a name (``scope``), the rules and their errors, the props common to all workloads and
what a caller adds to their pods, the pod-spec pieces they build from, and the checkov
exceptions (``policy``)."""
