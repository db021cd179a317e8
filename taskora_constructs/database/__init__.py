"""PostgreSQL for any service, on two engines: a StatefulSet (``postgres``, with its ``pg_dump``
``backup`` and the ``storage`` class that keeps its volumes) and a CloudNativePG Cluster
(``cloudnative_pg``)."""
