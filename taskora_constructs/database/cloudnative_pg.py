"""PostgreSQL run by the CloudNativePG operator: a ``Cluster``, its ``ScheduledBackup`` and an
optional PgBouncer ``Pooler`` (props: ``CloudNativePgProps``).

The custom resources are typed by ``cnpg_types`` (TypedDicts generated from the vendored
CRDs), which only the type checker imports: building these objects costs no import.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Final

import cdk8s
from constructs import Construct

from ..core import tree
from ..core import api_rules, rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.resource import MAIN_ID, TaskoraResource
from ..network.connections import HasConnections, PodGroup
from .contract import DatabaseContract
from .cloudnative_pg_props import CloudNativePgOptions, CloudNativePgProps
from .postgres_props import DatabaseProps
from ..core.errors import Problem, TaskoraConfigError, raise_if_any
from ..lint.app import declare_external_secret
from ..network.policy import NetworkPeer, NetworkPolicyProps, WorkloadNetworkPolicy
from ..core.pod import merged
from ..core.external_secrets import ExternalSecretsProps, external_secret, url_escaped

if TYPE_CHECKING:  # the generated TypedDicts: for mypy only, never imported at run time
    from .._generated import barman_types as barman
    from .._generated import cnpg_types as cnpg

# What the operator does (its API, pod labels, ports), one source for this module and the lint.
from .cnpg_operator import (API_VERSION, APP_SECRET_KEYS, CLUSTER_LABEL, INSTANCE_ROLE_LABEL,  # noqa: E402,F401
                            METRICS_PORT, POD_ROLE_LABEL, POOLER_LABEL, POSTGRES_PORT, STATUS_PORT)
#: Declarative hibernation: ``on`` removes the instances' pods and keeps their claims.
HIBERNATION_ANNOTATION = "cnpg.io/hibernation"
#: The Barman Cloud plugin (plugin-barman-cloud, CRD vendored in crds/plugin-barman-cloud-v0.14.0/):
#: its ObjectStore's API version and the name the Cluster and ScheduledBackup give it.
BARMAN_API_VERSION: Final = "barmancloud.cnpg.io/v1"
BARMAN_PLUGIN: Final = "barman-cloud.cloudnative-pg.io"
#: The compressions of base backups (WAL also takes xz and zstd).
DATA_COMPRESSIONS = ("gzip", "bzip2", "snappy", "lz4")


class CloudNativePgDatabase(TaskoraResource, DatabaseContract, HasConnections):
    """A CloudNativePG ``Cluster`` ``<name>``: replicated PostgreSQL with automated failover.

    The operator (a cluster prerequisite, not created here) runs ``props.cloudnative_pg.instances``
    instances spread across nodes, each on a volume of ``props.storage`` (class
    ``props.storage_class_name``), with the image ``props.image`` (its PostgreSQL version) and
    ``props.resources``; it initializes the database ``props.database_name`` owned by
    ``props.username`` and writes that user's credentials to the Secret ``<name>-app``, whose
    key ``uri`` is a complete ``DATABASE_URL`` for ``<name>-rw``, the Service of the primary.
    No password is chosen here: the operator generates it.

    With ``cloudnative_pg.backup`` the Cluster archives WAL and base backups to your object
    store through the Barman Cloud plugin (an ``ObjectStore`` ``<name>-store`` and the Cluster's
    ``plugins`` entry; the in-tree ``barmanObjectStore`` is deprecated since CloudNativePG 1.26
    and removed in 1.32) and a ``ScheduledBackup`` ``<name>`` (``method: plugin``) takes a base
    backup on its schedule; without it there is no backup at all. The plugin (in the
    operator's namespace, with cert-manager for its TLS) is a cluster prerequisite. With ``cloudnative_pg.pooler`` a ``Pooler``
    ``<name>-pooler-rw`` (PgBouncer, Service of the same name) fronts the primary and
    :meth:`url_env` points clients at it.

    Deleting the Cluster (``kubectl delete -f dist/``) deletes its PersistentVolumeClaims
    (the operator owns them): what survives is the object store's backups and WAL (with
    ``backup``), and the volumes whose StorageClass reclaims with ``Retain``. To stop it and
    keep the claims, hibernate it (``cnpg.io/hibernation=on``, what scripts/teardown.sh
    does); the Cluster is written with ``cnpg.io/hibernation: "off"``, so applying it again
    wakes it. See docs/decisions.md, "Database engines".

    Fit for any service's database: ``CloudNativePgDatabase(chart, "orders-db",
    database_name="orders", image="ghcr.io/cloudnative-pg/postgresql:16.4")``.

    Args:
        props: :class:`CloudNativePgProps` (a :class:`DatabaseProps` such as ``PostgresProps`` is taken as one),
            or its fields as keyword arguments.
        name: the Cluster's name; default: the construct id as a DNS label.
        namespace: default: the enclosing Chart's namespace.
        external: the owner's password from the External Secrets Operator instead of the
            operator's generated one: an ``ExternalSecret`` writes ``<name>-app`` (type
            ``kubernetes.io/basic-auth``; keys ``username``, ``password``, ``host``, ``port``,
            ``dbname`` and ``uri``, the URL of :attr:`service_name`) from ``external.database``,
            and the Cluster bootstraps its owner from it (``bootstrap.initdb.secret``).

    Attributes:
        cluster / object_store / scheduled_backup / pooler: the ``cdk8s.ApiObject`` of each
            (``None`` when not created); ``api_object`` is the Cluster.
        cluster_name, namespace, port, database_name, username, app_secret_name,
            service_name (what clients connect to: ``<name>-rw`` or the pooler's Service),
            selector_labels (every instance), client_pod_labels (the pods clients reach),
            pooler_name: for wiring.
    """

    #: The key of ``<name>-app`` that holds the full connection URI.
    URI_KEY = "uri"
    USERNAME_KEY = "username"
    PASSWORD_KEY = "password"

    def __init__(self, scope: Construct, construct_id: str, props: CloudNativePgProps | DatabaseProps | None = None, *,
                 name: str | None = None, namespace: str | None = None,
                 external: ExternalSecretsProps | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        if isinstance(props, DatabaseProps) and not isinstance(props, CloudNativePgProps):
            # The construct is the engine: props of the shared base (a PostgresProps) are taken
            # as this engine's, and its rules apply to them, named at the construct.
            shared = {f.name: getattr(props, f.name) for f in dataclasses.fields(DatabaseProps) if f.init}
            try:
                props = CloudNativePgProps(**shared)
            except TaskoraConfigError as error:
                raise TaskoraConfigError([dataclasses.replace(p, where=tree.path_of(self)) for p in error.problems]) from None
        props = self._props(CloudNativePgProps, props, props_fields)
        name, namespace = self.name, self.namespace
        where = tree.path_of(self)
        # Services <name>-rw/-ro/-r and the pooler's name stay DNS labels.
        problems = rules.check_dns_label(where, "name", f"{name}-pooler-rw")
        problems += api_rules.check_cnpg_cluster_name(where, "metadata.name", name)
        self._check(problems)
        options: CloudNativePgOptions = props.cloudnative_pg
        self.props = props
        self.options = options
        self.cluster_name = name
        self.port = POSTGRES_PORT
        self.database_name = props.database_name
        self.username = props.username
        self.app_secret_name = f"{name}-app"
        #: The same Secret, by the name both database constructs give it (database/contract.py).
        self.credentials_secret_name = self.app_secret_name
        #: Every instance of the Cluster (primary and replicas).
        self.selector_labels = {CLUSTER_LABEL: name, POD_ROLE_LABEL: "instance"}
        #: The primary, which the ``-rw`` Service selects.
        self.primary_labels = {CLUSTER_LABEL: name, INSTANCE_ROLE_LABEL: "primary"}
        self.pooler_name: str | None = f"{name}-pooler-rw" if options.pooler is not None else None
        self.pooler_labels: dict[str, str] | None = (
            {POOLER_LABEL: self.pooler_name} if self.pooler_name is not None else None)
        #: The Service clients connect to, and the labels of the pods behind it.
        self.service_name = self.pooler_name or f"{name}-rw"
        self.client_pod_labels = self.pooler_labels or self.primary_labels
        labels = merged({"app": name}, props.labels)
        self.external = external
        #: The Barman Cloud ObjectStore's name (``None`` without backups).
        self.object_store_name: str | None = f"{name}-store" if options.backup is not None else None
        owned = [("Cluster", name), ("Secret", self.app_secret_name)]
        if external is not None:
            owned.append(("ExternalSecret", self.app_secret_name))
        if options.backup is not None:
            owned += [("ScheduledBackup", name), ("ObjectStore", f"{name}-store")]
        if self.pooler_name is not None:
            owned.append(("Pooler", self.pooler_name))
        self._claim(owned)
        if namespace is not None:
            # The operator (or with ``external`` the External Secrets Operator) writes <name>-app:
            # the opt-in lint lets references name it.
            declare_external_secret(self, name=self.app_secret_name, namespace=namespace, keys=APP_SECRET_KEYS)
            if options.backup is not None:
                declare_external_secret(self, name=options.backup.credentials_secret, namespace=namespace,
                                        keys=(options.backup.access_key_id_key, options.backup.secret_access_key_key))

        #: The ``ExternalSecret`` of ``<name>-app`` with ``external`` (else ``None``); before the
        #: Cluster, which bootstraps from its Secret.
        self.external_secret: cdk8s.ApiObject | None = None
        if external is not None:
            self.external_secret = self._external_secret(external, labels)
        #: The ObjectStore (before the Cluster, whose plugin entry names it).
        self.object_store: cdk8s.ApiObject | None = None
        if options.backup is not None:
            self.object_store = emit(self, "object-store", self._object_store(labels))
        self.cluster: cdk8s.ApiObject = emit(self, MAIN_ID, self._cluster(labels))
        self._expose(self.cluster)
        self.scheduled_backup: cdk8s.ApiObject | None = None
        if options.backup is not None:
            backup: cnpg.ScheduledBackup = {
                "apiVersion": API_VERSION,
                "kind": "ScheduledBackup",
                "metadata": object_metadata(name=name, namespace=namespace, labels=labels),
                "spec": {
                    "schedule": options.backup.schedule,
                    "cluster": {"name": name},
                    "method": "plugin",
                    "pluginConfiguration": {"name": BARMAN_PLUGIN},
                    # The Backup objects belong to nobody: deleting the Cluster or this
                    # ScheduledBackup leaves them (and the store's files) in place.
                    "backupOwnerReference": "none",
                    "immediate": True,
                },
            }
            self.scheduled_backup = emit(self, "scheduled-backup", backup)
        self.pooler: cdk8s.ApiObject | None = None
        if options.pooler is not None and self.pooler_name is not None:
            pgbouncer: cnpg.PoolerSpecPgbouncer = {"poolMode": options.pooler.pool_mode}  # type: ignore[typeddict-item]
            if options.pooler.parameters:
                pgbouncer["parameters"] = dict(options.pooler.parameters)
            pooler: cnpg.Pooler = {
                "apiVersion": API_VERSION,
                "kind": "Pooler",
                "metadata": object_metadata(name=self.pooler_name, namespace=namespace, labels=labels),
                "spec": {"cluster": {"name": name}, "instances": options.pooler.instances, "type": "rw",
                         "pgbouncer": pgbouncer},
            }
            self.pooler = emit(self, "pooler", pooler)

    def _external_secret(self, external: ExternalSecretsProps, labels: dict[str, str]) -> cdk8s.ApiObject:
        from urllib.parse import quote

        host, port, dbname = self.host_for(self.namespace), str(self.port), self.database_name
        template = {self.USERNAME_KEY: self.username, self.PASSWORD_KEY: "{{ .password }}", "host": host,
                    "port": port, "dbname": dbname,
                    self.URI_KEY: f"postgresql://{quote(self.username, safe='')}:{url_escaped('password')}@{host}:"
                                  f"{port}/{quote(dbname, safe='')}"}
        return external_secret(self, "external-secret", name=self.app_secret_name, namespace=self.namespace,
                               labels=labels, props=external,
                               data={"password": (external.database, external.database.property_of("password"))},
                               template=template, secret_type="kubernetes.io/basic-auth")

    def _object_store(self, labels: dict[str, str]) -> "barman.ObjectStore":
        """The Barman Cloud ObjectStore: where the plugin's sidecar in each instance archives
        WAL and base backups, and how long it keeps them."""
        store = self.options.backup
        assert store is not None and self.object_store_name is not None
        configuration: barman.ObjectStoreSpecConfiguration = {
            "destinationPath": store.destination_path,
            "s3Credentials": {
                "accessKeyId": {"name": store.credentials_secret, "key": store.access_key_id_key},
                "secretAccessKey": {"name": store.credentials_secret, "key": store.secret_access_key_key},
            },
            "wal": {"compression": store.compression},  # type: ignore[typeddict-item]
        }
        if store.compression in DATA_COMPRESSIONS:  # barman-cloud-backup takes no xz or zstd
            configuration["data"] = {"compression": store.compression}  # type: ignore[typeddict-item]
        if store.endpoint_url is not None:
            configuration["endpointURL"] = store.endpoint_url
        return {
            "apiVersion": BARMAN_API_VERSION,
            "kind": "ObjectStore",
            "metadata": object_metadata(name=self.object_store_name, namespace=self.namespace, labels=labels),
            "spec": {"configuration": configuration, "retentionPolicy": store.retention_policy},
        }

    def _cluster(self, labels: dict[str, str]) -> "cnpg.Cluster":
        props, options = self.props, self.options
        storage: cnpg.ClusterSpecStorage = {"size": props.storage}
        if props.storage_class_name is not None:
            storage["storageClass"] = props.storage_class_name
        spec: cnpg.ClusterSpec = {
            "instances": options.instances,
            "imageName": props.image,
            "imagePullPolicy": props.image_pull_policy,
            "bootstrap": {"initdb": {"database": props.database_name, "owner": props.username,
                                     **({"secret": {"name": self.app_secret_name}} if self.external else {})}},
            "storage": storage,
            "resources": {"requests": {"cpu": props.resources.requests.cpu, "memory": props.resources.requests.memory},
                          "limits": {"cpu": props.resources.limits.cpu, "memory": props.resources.limits.memory}},
            "affinity": {"enablePodAntiAffinity": True, "topologyKey": "kubernetes.io/hostname",
                         "podAntiAffinityType": options.pod_anti_affinity_type},
            "enableSuperuserAccess": False,
        }
        if options.parameters:
            spec["postgresql"] = {"parameters": dict(options.parameters)}
        if options.enable_pod_monitor:
            spec["monitoring"] = {"enablePodMonitor": True}
        if self.object_store_name is not None:  # WAL archiving and base backups through the plugin
            spec["plugins"] = [{"name": BARMAN_PLUGIN, "isWALArchiver": True,
                                "parameters": {"barmanObjectName": self.object_store_name}}]
        return {
            "apiVersion": API_VERSION,
            "kind": "Cluster",
            # scripts/teardown.sh hibernates the Cluster instead of deleting it (deletion would
            # delete its claims): applying the manifests again wakes it on the same data.
            "metadata": object_metadata(name=self.cluster_name, namespace=self.namespace, labels=labels,
                                        annotations={**self.props.annotations, HIBERNATION_ANNOTATION: "off"}),
            "spec": spec,
        }

    def key_ref(self, key: str) -> k8s.EnvVarSource:
        """A ``valueFrom`` for a key of the operator's ``<name>-app`` Secret (``uri``,
        ``username``, ``password``, ...); raises for another key, and for ``uri`` with a pooler
        (it names ``<name>-rw``, which the pooler's NetworkPolicy keeps clients from)."""
        problems = []
        if key not in APP_SECRET_KEYS:
            problems.append(Problem(
                where=tree.path_of(self), field="secretKeyRef.key", value=key,
                rule=f"must be a key of Secret {self.app_secret_name!r} ({', '.join(APP_SECRET_KEYS)})",
                fix="reference CloudNativePgDatabase.URI_KEY, USERNAME_KEY or PASSWORD_KEY"))
        elif key == self.URI_KEY and self.pooler_name is not None and self.external is None:
            problems.append(Problem(
                where=tree.path_of(self), field="secretKeyRef.key", value=key,
                rule=f"points at {self.cluster_name}-rw, not at the pooler {self.pooler_name} clients must use",
                fix="use db.url_env('DATABASE_URL'), which composes the pooler's URL"))
        raise_if_any(problems)
        return self._secret_ref(key)

    def add_network_policies(self, *, clients: Any,
                             scope: Construct | None = None) -> dict[str, WorkloadNetworkPolicy]:
        """Write this database's NetworkPolicies for a default-deny namespace, from its edges:
        ``clients`` (a workload of the library or of cdk8s-plus, whose egress is written too, or
        a :class:`NetworkPeer`) reach the pooler when there is one, else the primary; the
        instances reach each other, the operator reaches them, they reach the API server (and
        the object store with backups). ``scope``: where the policies go (default this
        construct). Returns them by role (``database``, and ``pooler`` with one); later
        ``connections.allow_from(peer)`` edges land in them. Details:
        :func:`cloudnative_pg_policies`."""
        return cloudnative_pg_policies(scope if scope is not None else self, self, clients=clients)

    def _secret_ref(self, key: str) -> k8s.EnvVarSource:
        return {"secretKeyRef": {"name": self.app_secret_name, "key": key}}

    def _client_pod_labels(self) -> dict[str, str]:
        return self.client_pod_labels

    def _check_url_client(self, client_namespace: str | None) -> list[Problem]:
        if client_namespace != self.namespace and self.namespace is not None:
            return [Problem(where=tree.path_of(self), field="namespace", value=client_namespace,
                            rule=f"a client must run in the Cluster's namespace ({self.namespace}): the "
                                 f"operator's Secret {self.app_secret_name} is readable only there",
                            fix="deploy the client beside the Cluster, or copy the Secret outside the app")]
        return []

    def _url_parts(self, variable: str,
                   client_namespace: str | None) -> list[tuple[str, str | None, k8s.EnvVarSource | None]]:
        """Without a pooler the operator's ``uri`` key (for ``<name>-rw``); with one, its user and
        password composed into the pooler's URL (the operator's generated passwords are
        alphanumeric: no escaping needed). With ``external`` the store's uri names the pooler."""
        if self.pooler_name is None or self.external is not None:
            return [(variable, None, self._secret_ref(self.URI_KEY))]
        return super()._url_parts(variable, client_namespace)


def cloudnative_pg_policies(scope: Construct, database: CloudNativePgDatabase, *,
                            clients: Any) -> dict[str, WorkloadNetworkPolicy]:
    """NetworkPolicies of a CloudNativePG database under a default-deny policy, in ``scope``,
    from its edges (``network/connections.py``): ``clients`` (a workload, whose own collected
    policy gets the egress, or a :class:`NetworkPeer`) connect to the database.

    ``database`` (``<cluster>``, every pod of the Cluster: instances and the operator's
    initdb/join jobs): accepts ``clients`` on 5432 (without a pooler), the pooler on 5432,
    each other on 5432 and 8000 (replication, cloning), the operator's pods
    (``operatorNamespace``/``operatorPodLabels``) on 8000 and 5432, and Prometheus
    (``monitoringNamespace``) on 9187 when ``enablePodMonitor``; opens each other, the API
    server (``apiServerCidrs`` on ``apiServerPorts``: the instance manager watches it) and,
    with backups, the object store (``backup.egressCidrs`` on ``backup.egressPort``).
    ``pooler`` (``<cluster>-pooler-rw``): accepts ``clients`` on 5432; opens the instances on
    5432 and the API server. Nothing else. Later edges into ``database.connections`` (more
    clients) land in the policy of the pods clients reach: the pooler's, else the Cluster's.
    """
    options, port = database.options, database.port
    everything = {CLUSTER_LABEL: database.cluster_name}
    cluster_policy = database.connections.collect(scope, "network-policy", name=database.cluster_name,
                                                  selector_labels=everything)
    cluster = PodGroup(cluster_policy, name=database.cluster_name, selector_labels=everything)
    primary = PodGroup(cluster_policy, name=f"{database.cluster_name}-rw", selector_labels=database.primary_labels,
                       port=port)
    policies = {"database": cluster_policy}
    pooler: PodGroup | None = None
    if database.pooler_name is not None and database.pooler_labels is not None:
        pooler = PodGroup.with_policy(scope, "pooler-network-policy", name=database.pooler_name,
                                      namespace=database.namespace, selector_labels=database.pooler_labels, port=port)
        policies["pooler"] = pooler.policy
        database.connections.collect_into(pooler.policy, ("Ingress",))  # clients reach the pooler
    api_server = NetworkPeer.cidrs([{"ipBlock": {"cidr": cidr}} for cidr in options.api_server_cidrs],
                                   "Kubernetes API")
    # The rules' order is each policy's: its first client (the pooler, else the clients) first.
    primary.connections.allow_from(pooler or clients)
    cluster.connections.allow_from(cluster, ports=(port, STATUS_PORT))
    cluster.connections.allow_from(NetworkPeer.namespace(options.operator_namespace, dict(options.operator_pod_labels)),
                                   ports=(STATUS_PORT, port))
    if options.enable_pod_monitor:
        cluster.connections.allow_from(NetworkPeer.namespace(options.monitoring_namespace), ports=(METRICS_PORT,))
    cluster.connections.allow_to(api_server, ports=tuple(options.api_server_ports))
    if options.backup is not None:
        store = NetworkPolicyProps(https_egress_cidrs=options.backup.egress_cidrs,
                                   https_egress_except=options.backup.egress_except)
        cluster.connections.allow_to(NetworkPeer.cidrs(store.https_blocks(), "object store"),
                                     ports=(options.backup.egress_port,))
    if pooler is not None:
        database.connections.allow_from(clients)
        pooler.connections.allow_to(api_server, ports=tuple(options.api_server_ports))
    return policies
