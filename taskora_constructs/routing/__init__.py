"""Routing HTTP into the cluster: a Gateway API HTTPRoute for any Services (``httproute``)."""
