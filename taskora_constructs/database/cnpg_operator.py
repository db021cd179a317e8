"""What the CloudNativePG operator does, as the constructs and the lint both rely on it: its
API version, the labels it puts on the pods it runs, their ports, and the keys of the
application Secret it writes. No imports: the lint reads these without loading the constructs.
"""

from __future__ import annotations

from typing import Final

#: The API group and version of the CloudNativePG resources.
API_VERSION: Final = "postgresql.cnpg.io/v1"
#: The labels the operator puts on every pod of a Cluster (``cnpg.io/cluster: <name>``), on
#: its instances (``cnpg.io/podRole: instance``), on the primary (``cnpg.io/instanceRole:
#: primary``, what the ``-rw`` Service selects) and on a Pooler's pods (``cnpg.io/poolerName``).
CLUSTER_LABEL = "cnpg.io/cluster"
POD_ROLE_LABEL = "cnpg.io/podRole"
INSTANCE_ROLE_LABEL = "cnpg.io/instanceRole"
POOLER_LABEL = "cnpg.io/poolerName"
#: PostgreSQL's port on the instances and PgBouncer's on the pooler pods.
POSTGRES_PORT = 5432
#: The instance manager's status port (the operator calls it) and the metrics exporter's.
STATUS_PORT = 8000
METRICS_PORT = 9187
#: The keys of the application Secret ``<cluster>-app`` the operator writes.
APP_SECRET_KEYS = ("username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass")
#: PgBouncer's metrics exporter on the pooler pods.
POOLER_METRICS_PORT = 9127
