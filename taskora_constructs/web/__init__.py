"""A hardened, stateless HTTP workload for any image (``WebWorkload``)."""
