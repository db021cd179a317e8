"""NetworkPolicies: a default-deny policy for a namespace and an allow-list per workload (``policy``)."""
