"""Props of the CloudNativePG engine: :class:`CloudNativePgProps` (the shared
:class:`~taskora_constructs.DatabaseProps` and the Cluster's own options), its object-store
backups and its optional PgBouncer Pooler.

Plain dataclasses: importing them costs nothing, and they become values keys
(``database.cloudnativePg.*``) like every other props field.
"""

from __future__ import annotations

import re
from dataclasses import field, replace
from typing import Mapping

from ..core.frozen import frozen_props
from ..core import rules
from ..core.errors import Problem, raise_if_any
from ..network.policy import PRIVATE_IPV4, PRIVATE_IPV6
from .postgres_props import DatabaseProps

#: The engines a values file's ``database.engine`` may name (each is a construct).
STATEFULSET = "statefulset"
CLOUDNATIVE_PG = "cloudnative-pg"
ENGINES = (STATEFULSET, CLOUDNATIVE_PG)

# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
_RETENTION = r"^[1-9][0-9]*[dwm]$"
_DESTINATION = r"^(s3|gs|https?)://[^\s/]+(/[^\s]*)?$"
#: The default of ``apiServerCidrs``: the private ranges, without link-local (169.254.0.0/16 and
#: fe80::/10 hold the cloud metadata endpoint, never an API server).
API_SERVER_PRIVATE_CIDRS = tuple(c for c in PRIVATE_IPV4 + PRIVATE_IPV6 if c not in ("169.254.0.0/16", "fe80::/10"))
#: CloudNativePG's schedules have six fields: seconds first.
_SIX_FIELD_CRON = r"^\S+( \S+){5}$"


@frozen_props
class ObjectStoreBackup:
    """Base backups and continuous WAL archiving of the Cluster to an S3-compatible object
    store through the Barman Cloud plugin (an ``ObjectStore`` and the Cluster's ``plugins``
    entry; the plugin and cert-manager are cluster prerequisites), and the ``ScheduledBackup``
    (``method: plugin``) that takes the base backups.

    With it the database survives the loss of every instance and volume, and of the Cluster
    object itself: a new Cluster recovers from the store to any point in time up to the last
    archived WAL segment (at most ``archive_timeout``, 5 minutes by default, behind).
    Nothing here is invented: the store, its path and its credentials are yours.

    Attributes:
        destination_path: where the backups go, e.g. ``s3://taskora-backups/production`` (required).
        credentials_secret: an existing Secret (created outside the app) holding the store's
            access key id and secret access key (required).
    """

    destination_path: str
    credentials_secret: str
    #: The store's endpoint URL for a non-AWS store (MinIO, Ceph, ...); default None: AWS S3.
    endpoint_url: str | None = None
    #: Key of the access key id in ``credentialsSecret``: ACCESS_KEY_ID.
    access_key_id_key: str = "ACCESS_KEY_ID"
    #: Key of the secret access key in ``credentialsSecret``: ACCESS_SECRET_KEY.
    secret_access_key_key: str = "ACCESS_SECRET_KEY"
    #: How long base backups and WAL are kept (``<n>d``, ``<n>w`` or ``<n>m``): 30d.
    retention_policy: str = "30d"
    #: The ScheduledBackup's schedule, six fields with seconds first: 0 0 3 * * * (03:00 daily).
    schedule: str = "0 0 3 * * *"
    #: Compression of WAL segments and base backups (xz and zstd compress the WAL only:
    #: barman-cloud's base backups do not take them and are then uncompressed): gzip.
    compression: str = "gzip"
    #: Where the instances may connect to reach the store (HTTPS): anywhere public by default;
    #: name the store's addresses to narrow it, or a private range for an in-cluster store.
    egress_cidrs: tuple[str, ...] = ("0.0.0.0/0", "::/0")
    #: Ranges excepted from ``egressCidrs``: the private, link-local and CGNAT ones by default.
    egress_except: tuple[str, ...] = PRIVATE_IPV4 + PRIVATE_IPV6
    #: The store's port: 443.
    egress_port: int = 443

    def problems(self, where: str) -> list[Problem]:
        found: list[Problem] = []
        if not isinstance(self.destination_path, str) or not re.fullmatch(_DESTINATION, self.destination_path):
            found.append(Problem(where=where, field="destinationPath", value=self.destination_path,
                                 rule="must be an object-store URL (s3://bucket/path, gs://..., https://...)",
                                 fix="write it like s3://taskora-backups/production"))
        found += rules.check_dns_subdomain(where, "credentialsSecret", self.credentials_secret)
        if self.endpoint_url is not None and (not isinstance(self.endpoint_url, str)
                                              or not re.fullmatch(r"^https?://\S+$", self.endpoint_url)):
            found.append(Problem(where=where, field="endpointUrl", value=self.endpoint_url,
                                 rule="must be an http(s) URL", fix="write it like https://minio.example.com"))
        for name, key in (("accessKeyIdKey", self.access_key_id_key),
                          ("secretAccessKeyKey", self.secret_access_key_key)):
            found += rules.check_config_key(where, name, key)
        if not isinstance(self.retention_policy, str) or not re.fullmatch(_RETENTION, self.retention_policy):
            found.append(Problem(where=where, field="retentionPolicy", value=self.retention_policy,
                                 rule="must be a positive number and d, w or m", fix="write it like 30d"))
        if not isinstance(self.schedule, str) or not re.fullmatch(_SIX_FIELD_CRON, self.schedule):
            found.append(Problem(where=where, field="schedule", value=self.schedule,
                                 rule="must be a six-field cron schedule (seconds first, CloudNativePG's format)",
                                 fix="write it like '0 0 3 * * *' (03:00 daily)"))
        if self.compression not in ("gzip", "bzip2", "snappy", "lz4", "xz", "zstd"):
            found.append(Problem(where=where, field="compression", value=self.compression,
                                 rule="must be one of gzip, bzip2, snappy, lz4, xz, zstd", fix="use gzip"))
        for name, cidrs in (("egressCidrs", self.egress_cidrs), ("egressExcept", self.egress_except)):
            for cidr in cidrs:
                found += rules.check_cidr(where, name, cidr)
        found += rules.check_port(where, "egressPort", self.egress_port)
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


@frozen_props
class PgBouncerPooler:
    """A CloudNativePG ``Pooler``: PgBouncer in front of the primary (type ``rw``), as its own
    Deployment and Service ``<cluster>-pooler-rw``; clients connect to it instead of ``<cluster>-rw``."""

    #: PgBouncer pods: 2.
    instances: int = 2
    #: PgBouncer's pool mode: session (safe for every client; transaction packs more clients
    #: per server connection but breaks session state such as prepared statements).
    pool_mode: str = "session"
    #: Further PgBouncer parameters (e.g. max_client_conn, default_pool_size); default none.
    parameters: Mapping[str, str] = field(default_factory=dict)

    def problems(self, where: str) -> list[Problem]:
        found = rules.check_replicas(where, "instances", self.instances)
        if self.pool_mode not in ("session", "transaction"):
            found.append(Problem(where=where, field="poolMode", value=self.pool_mode,
                                 rule="must be session or transaction", fix="use session"))
        if not isinstance(self.parameters, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.parameters.items()):
            found.append(Problem(where=where, field="parameters", value=self.parameters,
                                 rule="must map parameter names to text values", fix="quote each value"))
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


def _api_server_problems(where: str, cidrs: object, ports: object) -> list[Problem]:
    """An empty list is refused: a NetworkPolicy rule with no ``to`` peers (or no ``ports``)
    allows every address (every port), the opposite of what an empty list reads as."""
    found: list[Problem] = []
    for key, value, example, check in (("apiServerCidrs", cidrs, "[10.0.0.0/8]", rules.check_cidr),
                                       ("apiServerPorts", ports, "[443, 6443]", rules.check_port)):
        if not isinstance(value, tuple) or not value:
            found.append(Problem(where=where, field=key, value=list(value) if isinstance(value, tuple) else value,
                                 rule="must be a non-empty list: an empty one would allow every "
                                      + ("address" if key == "apiServerCidrs" else "port"),
                                 fix=f"write it like {example}"))
            continue
        for i, item in enumerate(value):
            found += check(where, f"{key}[{i}]", item)
    return found


@frozen_props
class CloudNativePgOptions:
    """The options of a CloudNativePG ``Cluster`` (``CloudNativePgProps.cloudnative_pg``).

    The image, pull policy, resources, storage size and class, database name and user come
    from the enclosing :class:`~taskora_constructs.CloudNativePgProps`; the PostgreSQL version is
    the image's (a CloudNativePG operand image, e.g. ``ghcr.io/cloudnative-pg/postgresql:15.8``).
    """

    #: PostgreSQL instances: one primary and streaming replicas with automated failover: 3.
    instances: int = 3
    #: Spread the instances across nodes (``kubernetes.io/hostname``): required (an instance
    #: stays Pending rather than share a node) or preferred. Default required.
    pod_anti_affinity_type: str = "required"
    #: PostgreSQL configuration parameters (``postgresql.conf``); default none: the operator's.
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: Let the operator create a Prometheus Operator PodMonitor for the instances (needs the
    #: PodMonitor CRD; deprecated by CloudNativePG in favour of your own PodMonitor): false.
    enable_pod_monitor: bool = False
    #: The namespace of Prometheus, allowed to scrape the instances' metrics (port 9187) when
    #: ``enablePodMonitor`` is true: monitoring.
    monitoring_namespace: str = "monitoring"
    #: Backups and WAL archiving to an object store; default None: none (see ObjectStoreBackup).
    backup: ObjectStoreBackup | None = None
    #: A PgBouncer Pooler the backend connects through; default None: straight to ``-rw``.
    pooler: PgBouncerPooler | None = None
    #: The operator's namespace, allowed to reach the instances (ports 8000 and 5432): cnpg-system.
    operator_namespace: str = "cnpg-system"
    #: The operator pods' labels in that namespace (its manifest and Helm chart use these).
    operator_pod_labels: Mapping[str, str] = field(
        default_factory=lambda: {"app.kubernetes.io/name": "cloudnative-pg"})
    #: Where the instances and pooler pods reach the Kubernetes API (their instance manager
    #: watches it), on ``apiServerPorts``: the private ranges by default (RFC 1918, CGNAT
    #: 100.64.0.0/10, IPv6 ULA; not link-local, home of the cloud metadata endpoint), which hold the
    #: ``kubernetes`` Service's ClusterIP and a control plane on the nodes' or the VPC's network.
    #: An API server on a public address must be named here; narrowest: the addresses of
    #: ``kubectl get endpointslices -l kubernetes.io/service-name=kubernetes`` as /32 (/128).
    api_server_cidrs: tuple[str, ...] = API_SERVER_PRIVATE_CIDRS
    #: The API server's ports (the ``kubernetes`` Service's and the endpoints'): 443 and 6443.
    api_server_ports: tuple[int, ...] = (443, 6443)

    def problems(self, where: str) -> list[Problem]:
        found = rules.check_replicas(where, "instances", self.instances)
        if self.pod_anti_affinity_type not in ("required", "preferred"):
            found.append(Problem(where=where, field="podAntiAffinityType", value=self.pod_anti_affinity_type,
                                 rule="must be required or preferred", fix="use required"))
        if not isinstance(self.parameters, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.parameters.items()):
            found.append(Problem(where=where, field="parameters", value=self.parameters,
                                 rule="must map parameter names to text values", fix="quote each value"))
        if not isinstance(self.enable_pod_monitor, bool):
            found.append(Problem(where=where, field="enablePodMonitor", value=self.enable_pod_monitor,
                                 rule="must be a boolean", fix="write true or false"))
        found += rules.check_dns_label(where, "monitoringNamespace", self.monitoring_namespace)
        found += rules.check_dns_label(where, "operatorNamespace", self.operator_namespace)
        found += rules.check_labels(where, "operatorPodLabels", dict(self.operator_pod_labels))
        found += _api_server_problems(where, self.api_server_cidrs, self.api_server_ports)
        if self.backup is not None:
            found += [replace(p, field=f"backup.{p.field}") for p in self.backup.problems(where)]
        if self.pooler is not None:
            found += [replace(p, field=f"pooler.{p.field}") for p in self.pooler.problems(where)]
        return found

    def __post_init__(self) -> None:
        raise_if_any(self.problems(type(self).__name__))


@frozen_props
class CloudNativePgProps(DatabaseProps):
    """The props of :class:`~taskora_constructs.CloudNativePgDatabase`: the shared
    :class:`~taskora_constructs.DatabaseProps` (image, resources, storage, database and user)
    and the Cluster's own options. The StatefulSet's hardening fields do not apply (the operator
    runs the pods); its ``backup`` is refused (backups go to an object store)."""

    #: A CloudNativePG operand image (the PostgreSQL version is the image's):
    #: ghcr.io/cloudnative-pg/postgresql:15.8.
    image: str = "ghcr.io/cloudnative-pg/postgresql:15.8"
    #: The CloudNativePG Cluster's options (engine cloudnative-pg only); the image, resources,
    #: storage, name and username above apply to it too, the StatefulSet's hardening fields
    #: and ``backup`` do not (the operator runs its pods; backups go to an object store).
    cloudnative_pg: CloudNativePgOptions = field(default_factory=CloudNativePgOptions)

    def problems(self, where: str) -> list[Problem]:
        found = super().problems(where)
        repository = self.image.split("@")[0].rsplit(":", 1)[0] if isinstance(self.image, str) else ""
        if repository.rsplit("/", 1)[-1] == "postgres":
            found.append(Problem(where=where, field="image", value=self.image,
                                 rule="must be a CloudNativePG operand image with engine cloudnative-pg (the "
                                      "Docker library postgres image lacks its instance manager's tools)",
                                 fix="use ghcr.io/cloudnative-pg/postgresql:<version>, e.g. :15.8"))
        if self.backup is not None:
            found.append(Problem(where=where, field="backup", value="enabled",
                                 rule="is the StatefulSet's pg_dump CronJob: with engine cloudnative-pg backups "
                                      "go to an object store",
                                 fix="disable backup and set cloudnativePg.backup instead"))
        return found
