"""The whole Taskora deployment as separate charts, in apply order."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import TYPE_CHECKING, Any

import cdk8s
from constructs import Construct

from ..core.frozen import frozen_props
from ..core import tree
from ..core.chart import LibraryChart
from .backend import TaskoraBackend
from .config import TaskoraConfig, TaskoraSettings
from ..core import rules
from ..core.resource import TaskoraResource
from ..core.errors import Problem, TaskoraConfigError, raise_if_any
from .frontend import TaskoraFrontend
from .ingress import TaskoraIngress, TaskoraIngressProps
from .names import DEFAULT_APP_NAME, TaskoraNames
from .namespace import TaskoraNamespace, namespace_option_problems
from ..network.connections import PodGroup
from ..network.policy import NamespaceNetworkPolicy, NetworkPeer, NetworkPolicyProps, WorkloadNetworkPolicy
from ..database.cloudnative_pg_props import CloudNativePgProps
from ..database.postgres import PostgresDatabase
from .backend import TaskoraBackendProps
from .frontend import TaskoraFrontendProps
from ..database.postgres import PostgresProps
from ..core.rules import check_non_empty
from .secrets import TaskoraSecrets, TaskoraSecretsProps
from ..database.storage import RetainedStorageClass
from ..core.external_secrets import ExternalSecretsProps, external_secret

if TYPE_CHECKING:  # imported where a Cluster is made: a default synth never loads it (issue #22)
    from ..database.cloudnative_pg import CloudNativePgDatabase

#: The StorageClass the app's database claims use by default, created with reclaimPolicy Retain.
RETAINED_STORAGE_CLASS = "taskora-retain"


@frozen_props
class TaskoraSecretValues:
    """The secret values of one instance. Never commit real ones: see README, Secrets.

    Each value is required unless the Secret that holds it is managed outside the app:
    ``existing_secret`` (the application Secret: ``DATABASE_URL``, ``COHERE_API_KEY``,
    ``BETTER_AUTH_SECRET``, ``GEMINI_API_KEY``) or ``database_existing_secret`` (the database
    credentials: ``username``, ``password``). No Secret object is synthesized for either. With
    ``database_credentials_from_operator`` (CloudNativePG) the operator writes the database
    credentials and ``DATABASE_URL`` comes from its Secret. With ``external`` no value is given
    at all: the External Secrets Operator writes both Secrets (same names and keys) from your
    store, from the ``ExternalSecret`` objects synthesized in their place.
    """

    #: COHERE_API_KEY; default None: required unless ``existing_secret``.
    cohere_api_key: str | None = None
    #: BETTER_AUTH_SECRET; default None: required unless ``existing_secret``.
    better_auth_secret: str | None = None
    #: GEMINI_API_KEY; default None: required unless ``existing_secret``.
    gemini_api_key: str | None = None
    #: The database password; default None: required unless ``database_existing_secret``.
    database_password: str | None = None
    existing_secret: str | None = None
    database_existing_secret: str | None = None
    #: True when an operator generates the database credentials (``database.engine:
    #: cloudnative-pg``): then there is no ``database_password``. Default false.
    database_credentials_from_operator: bool = False
    #: The store the External Secrets Operator reads every value from; default None: the values
    #: above. Exclusive with them and with the existing Secrets.
    external: ExternalSecretsProps | None = None

    def __post_init__(self) -> None:
        where = "TaskoraSecretValues"
        if self.external is not None:
            raise_if_any([Problem(where=where, field=key, value="<redacted>",
                                  rule="must not be given with external: the store holds it", fix="drop it")
                          for key in ("cohere_api_key", "better_auth_secret", "gemini_api_key", "database_password",
                                      "existing_secret", "database_existing_secret")
                          if getattr(self, key) is not None])
            return
        required = [] if self.existing_secret else ["cohere_api_key", "better_auth_secret", "gemini_api_key"]
        if not self.database_existing_secret and not self.database_credentials_from_operator:
            required.append("database_password")
        # The Secrets' names are checked here, not only when the constructs build: a values file
        # names its line for them (taskora_app.values), and that must be the same rule.
        raise_if_any([problem for key in required
                      for problem in check_non_empty(where, key, getattr(self, key))]
                     + [problem for key in ("existing_secret", "database_existing_secret")
                        if getattr(self, key) is not None
                        for problem in rules.check_dns_subdomain(where, key, getattr(self, key))])

    @classmethod
    def development_placeholders(cls) -> "TaskoraSecretValues":
        """The model's documented placeholders (section 6): for a local cluster only."""
        return cls(cohere_api_key="your-cohere-api-key", better_auth_secret="your-jwt-secret-key",
                   gemini_api_key="your-gemini-api-key", database_password="your-secure-password")


@frozen_props
class TaskoraProps:
    """Everything that varies between Taskora instances; every default is the model's.

    Attributes:
        app_name: prefix of every object name (default ``taskora``).
        namespace: the namespace (default: the enclosing Chart's, else ``app_name``).
        frontend / backend / database / ingress: per-component props. The database's default
            is the model's except for its StorageClass: ``taskora-retain``, created here with
            reclaimPolicy Retain (minikube's provisioner), so its volumes outlive their claims.
            A ``PostgresProps`` you pass replaces that default whole (the model's ``standard``
            class, nothing created): to keep it, start from the default,
            ``dataclasses.replace(TaskoraProps(secrets=...).database, storage="20Gi")``.
        settings: the ConfigMap's settings.
        network_policy: the NetworkPolicies (default deny, then the documented paths).
        secrets: the secret values (required; see :meth:`TaskoraSecretValues.development_placeholders`).
        deletion_protection: refuse deleting the Namespace and its claims while it carries
            the protection label (the cluster-wide ValidatingAdmissionPolicy of `make protection`); default true.
        pod_security: the Pod Security Standards level the Namespace enforces (audit and warn
            are always ``restricted``); default ``restricted``, which every pod of the app meets.
        secrets_revision: the application Secret's revision (``TaskoraSecrets(revision=...)``): bump
            it after changing a secret value so the backend rolls; default 0. The database's is
            ``database.credentials_revision``.
    """

    secrets: TaskoraSecretValues
    app_name: str = DEFAULT_APP_NAME
    namespace: str | None = None
    frontend: TaskoraFrontendProps = field(default_factory=TaskoraFrontendProps)
    backend: TaskoraBackendProps = field(default_factory=TaskoraBackendProps)
    database: PostgresProps | CloudNativePgProps = field(default_factory=lambda: PostgresProps(
        storage_class_name=RETAINED_STORAGE_CLASS, retained_storage_class=RetainedStorageClass()))
    settings: TaskoraSettings = field(default_factory=TaskoraSettings, metadata={"values_key": "config"})
    ingress: TaskoraIngressProps = field(default_factory=TaskoraIngressProps)
    network_policy: NetworkPolicyProps = field(default_factory=NetworkPolicyProps)
    deletion_protection: bool = True
    pod_security: str | None = "restricted"
    secrets_revision: int = 0

    def __post_init__(self) -> None:
        raise_if_any(namespace_option_problems("TaskoraProps", self.deletion_protection, self.pod_security)
                     + rules.check_positive_int("TaskoraProps", "secretsRevision", self.secrets_revision, minimum=0))


class Taskora(TaskoraResource):
    """One Taskora instance: ``Taskora(app, "taskora", props)`` (or the props' fields as
    keyword arguments).

    Directly under the App it writes six charts with apply-order dependencies, named after
    the id (files ``NNNN-<id>-<part>.k8s.yaml`` in ``dist/``, in this order): ``namespace``
    (Namespace, its deletion protection policy and binding, default-deny NetworkPolicy);
    ``database`` (the claims' StorageClass, credentials Secret,
    ServiceAccount, headless Service, StatefulSet, NetworkPolicy; with a backup its
    ServiceAccount, CronJob and NetworkPolicy; with ``CloudNativePgProps`` as ``database`` (values: ``database.engine: cloudnative-pg``) a
    CloudNativePG Cluster, ScheduledBackup, Pooler and their NetworkPolicies instead); ``config`` (ConfigMap, app Secret);
    ``backend`` and ``frontend`` (ServiceAccount, Deployment, Service, PodDisruptionBudget,
    HorizontalPodAutoscaler when autoscaled, NetworkPolicy); ``ingress``. The order lets
    ``kubectl apply -f dist/`` create everything in one pass. The charts are the App's
    children beside this construct: cdk8s names a chart's file after its construct path and
    adds a hash to a nested one. Inside a Chart of yours, it writes into that chart instead.

    Object names derive from ``props.app_name`` (default ``taskora``), not from the id: two
    instances differ by id and namespace and keep the same object names, each in its own
    namespace (default: the enclosing Chart's, else ``app_name``).

    NetworkPolicies (``props.network_policy``): nothing accepts connections and nothing
    connects anywhere but DNS, except: the ingress controller's namespace (with
    ``routing: gateway``, the Gateway's proxies' namespaces) to the frontend and the backend;
    the frontend to the backend (server-side calls); the backend to Postgres and
    to public HTTPS (its LLM APIs); the backup job to Postgres, and with an off-site copy to
    the object store's port on the public HTTPS ranges; with a cert-manager issuer on the
    Ingress, the ingress controller to cert-manager's HTTP-01 solver pods on 8089 (their
    documented label ``acme.cert-manager.io/http01-solver: "true"``). More clients of the database
    or the backend: :meth:`allow_database_client`, :meth:`allow_backend_client`.

    Attributes:
        names: every object name of this instance.
        name / namespace: ``app_name`` and the namespace every namespaced object carries.
        charts: the charts (or, inside your chart, the constructs) by part name.
        namespace_construct, database, config, secrets, backend, frontend, ingress: the constructs.
        network_policies: the NetworkPolicy constructs by part name.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraProps | None = None,
                 **props_fields: Any) -> None:
        super().__init__(scope, construct_id)
        props = self._props(TaskoraProps, props, props_fields)
        at_root = isinstance(scope, cdk8s.App) or scope.node.scope is None  # an App is a root: no jsii call
        namespace = props.namespace if props.namespace is not None else self.namespace
        try:
            names = TaskoraNames(app=props.app_name, namespace_override=namespace)
        except TaskoraConfigError as error:  # app_name is this construct's field: named at its path
            raise TaskoraConfigError([dataclasses.replace(p, where=self.node.path) for p in error.problems]) from None
        self.names = names
        ns = names.namespace
        # Object names come from app_name, not from the id (two instances differ by id and
        # namespace): name and namespace say what the objects carry.
        self.name, self.namespace = names.app, ns
        self._check()
        controller = props.network_policy.ingress_controller_namespace
        if props.network_policy.enabled and controller == ns:
            raise_if_any([Problem(
                where=tree.path_of(self), field="networkPolicy.ingressControllerNamespace", value=controller,
                rule="must not be the instance's own namespace: its default-deny policy would cut the "
                     "ingress controller off",
                fix="install Taskora in a namespace of its own, apart from the ingress controller's")])

        def chart(part: str) -> Construct:
            if not at_root:  # inside the caller's chart: its objects go there, in this order
                inner = Construct(self, part)
                tree.note(inner, self, part)
                return inner
            return LibraryChart(scope, f"{construct_id}-{part}", disable_resource_name_hashes=True)

        namespace_chart = chart("namespace")
        database_chart = chart("database")
        config_chart = chart("config")
        backend_chart = chart("backend")
        frontend_chart = chart("frontend")
        ingress_chart = chart("ingress")
        if at_root:
            # The files' order, one chain: each chart after the one before it (the database after
            # the namespace, the backend after its config and database, the frontend and the
            # ingress after the backend). A chain of five dependencies says all of that; cdk8s
            # multiplies every chart dependency into one per pair of their objects and walks them
            # all again for every chart it writes (issue 22: a third of the synth's time).
            LibraryChart.chain([c for c in (namespace_chart, config_chart, database_chart, backend_chart,
                                            frontend_chart, ingress_chart) if isinstance(c, cdk8s.Chart)])
        self.charts = {"namespace": namespace_chart, "database": database_chart, "config": config_chart,
                       "backend": backend_chart, "frontend": frontend_chart, "ingress": ingress_chart}

        self.namespace_construct = TaskoraNamespace(namespace_chart, "namespace", name=ns, app_name=names.app,
                                          deletion_protection=props.deletion_protection,
                                          pod_security=props.pod_security)
        # The instance's first object in apply order stands for it (cdk8s.ApiObject.of).
        self._expose(self.namespace_construct.namespace_object)
        secrets = props.secrets
        self.database = self._database(database_chart, props, names.database, ns)
        self.config = TaskoraConfig(config_chart, "config", name=names.config, namespace=ns, app_name=names.app,
                                    settings=props.settings,
                                    api_base_url=TaskoraBackend.url_for(names.backend, props.backend))
        values = {} if secrets.existing_secret or secrets.external else {
            "cohere_api_key": secrets.cohere_api_key, "better_auth_secret": secrets.better_auth_secret,
            "gemini_api_key": secrets.gemini_api_key}
        self.secrets = TaskoraSecrets(config_chart, "secrets", TaskoraSecretsProps(
            existing_secret=secrets.existing_secret, revision=props.secrets_revision, external=secrets.external,
            **values), name=names.secrets, namespace=ns, app_name=names.app, database=self.database)
        self.backend = TaskoraBackend(backend_chart, "backend", props.backend, name=names.backend, namespace=ns,
                                      config=self.config, secrets=self.secrets, database=self.database)
        self.frontend = TaskoraFrontend(frontend_chart, "frontend", props.frontend, name=names.frontend, namespace=ns,
                                        config=self.config, backend=self.backend)
        self.ingress = TaskoraIngress(ingress_chart, "ingress", name=names.ingress, namespace=ns,
                                      app_name=names.app, props=props.ingress,
                                      frontend=self.frontend, backend=self.backend)
        self.network_policies: dict[str, NamespaceNetworkPolicy | WorkloadNetworkPolicy] = {}
        if props.network_policy.enabled:
            self._network_policies(props.network_policy)

    @property
    def api_objects(self) -> tuple[cdk8s.ApiObject, ...]:
        """Every ``cdk8s.ApiObject`` of the instance, chart by chart in apply order (the charts
        are the App's children beside this construct when it sits directly under the App)."""
        return tuple(c for chart in self.charts.values() for c in chart.node.find_all()
                     if isinstance(c, cdk8s.ApiObject))

    def _database(self, chart: Construct, props: TaskoraProps, name: str,
                  ns: str) -> PostgresDatabase | CloudNativePgDatabase:
        """The database of ``props.database``'s kind: the StatefulSet (``PostgresProps``), or a
        CloudNativePG Cluster (``CloudNativePgProps``)."""
        secrets = props.secrets
        if not isinstance(props.database, CloudNativePgProps):
            if secrets.external is not None:  # the operator writes the credentials Secret the StatefulSet reads
                from .names import credentials_name
                credentials = credentials_name(name)
                external_secret(chart, "credentials-external-secret", name=credentials, namespace=ns,
                                labels={"app": name}, props=secrets.external,
                                data={"password": (secrets.external.database,
                                                   secrets.external.database.property_of("password"))},
                                template={"username": props.database.username, "password": "{{ .password }}"})
                return PostgresDatabase(chart, "postgres", props.database, name=name, namespace=ns,
                                        existing_secret=credentials)
            return PostgresDatabase(chart, "postgres", props.database, name=name, namespace=ns,
                                    password=secrets.database_password,
                                    existing_secret=secrets.database_existing_secret)
        given = {"databasePassword": secrets.database_password, "database.existingSecret": secrets.database_existing_secret}
        raise_if_any([Problem(where=tree.path_of(self), field=key, value="<redacted>",
                              rule="must not be given with database.engine cloudnative-pg: the operator generates "
                                   "the credentials (Secret <cluster>-app)", fix="drop it")
                      for key, value in given.items() if value is not None])
        from ..database.cloudnative_pg import CloudNativePgDatabase
        return CloudNativePgDatabase(chart, "postgres", props.database, name=name, namespace=ns,
                                     external=secrets.external)

    def allow_database_client(self, peer: NetworkPeer) -> None:
        """Let ``peer`` (e.g. ``NetworkPeer.pods(labels, namespace=...)``) reach Postgres: an edge
        ``database.connections.allow_from(peer)``, an ingress rule on the database's NetworkPolicy.
        The client's own namespace must let it out (its egress policies are its owner's). With a
        CloudNativePG pooler, onto the pooler."""
        self._require_policies()
        self.database.connections.allow_from(peer)

    def allow_backend_client(self, peer: NetworkPeer) -> None:
        """Let ``peer`` reach the backend's port: an edge ``backend.connections.allow_from(peer)``,
        an ingress rule on its NetworkPolicy."""
        self._require_policies()
        self.backend.connections.allow_from(peer)

    def _require_policies(self) -> None:
        # Without the instance's policies an edge would write a policy of its own, which would
        # start restricting a workload nothing else restricts.
        if not self.network_policies:
            raise_if_any([Problem(where=tree.path_of(self), field="networkPolicy.enabled", value=False,
                                  rule="a client can be let in only through the instance's NetworkPolicies",
                                  fix="enable the NetworkPolicies, or leave the traffic unrestricted")])

    def _network_policies(self, props: NetworkPolicyProps) -> None:
        """Default deny, then exactly the documented paths as edges: each workload collects its
        edges into one policy in its chart (as the data model documents them)."""
        ns, names = self.names.namespace, self.names
        backend, frontend = self.backend, self.frontend
        edge = self._edge_peer(props)
        default = NamespaceNetworkPolicy(self.charts["namespace"], "default-deny", name=f"{names.app}-default-deny",
                                         namespace=ns, app_name=names.app, props=props)
        backend_policy = backend.connections.collect(self.charts["backend"], "network-policy",
                                                     name=backend.service_name)
        frontend_policy = frontend.connections.collect(self.charts["frontend"], "network-policy",
                                                       name=frontend.service_name)
        # The edges, in the order each policy lists its rules.
        backend.connections.allow_from(edge)
        frontend.connections.allow_from(edge)
        # Server-side rendering calls the backend in the cluster (NEXT_PUBLIC_API_URL).
        frontend.connections.allow_to(backend)
        database_policies = self._database_policies(props)  # the backend's edge to the database first
        backend.connections.allow_to(NetworkPeer.cidrs(props.https_blocks(), "public HTTPS"), ports=(443,))
        self.network_policies.update({"default": default, **database_policies, "backend": backend_policy,
                                      "frontend": frontend_policy})
        solver_labels = self.ingress.acme_solver_labels
        if solver_labels is not None:  # cert-manager's HTTP-01 solver: the ingress controller fetches the challenge
            solver = PodGroup.with_policy(self.charts["ingress"], "acme-solver-network-policy",
                                          name=f"{names.app}-acme-http01-solver", namespace=ns,
                                          selector_labels=solver_labels, port=TaskoraIngress.ACME_SOLVER_PORT)
            solver.connections.allow_from(edge)
            self.network_policies["acme-solver"] = solver.policy

    def _database_policies(self, props: NetworkPolicyProps) -> dict[str, WorkloadNetworkPolicy]:
        """The database's NetworkPolicies (and its backup's), from their edges: the backend's first."""
        chart, database = self.charts["database"], self.database
        if not isinstance(database, PostgresDatabase):  # the CloudNativePgDatabase _database made
            from ..database.cloudnative_pg import cloudnative_pg_policies
            return cloudnative_pg_policies(chart, database, clients=self.backend)
        policies: dict[str, WorkloadNetworkPolicy] = {}
        backup: PodGroup | None = None
        if database.backup_name is not None:  # its policy comes first in the chart
            backup = PodGroup.with_policy(chart, "backup-network-policy", name=database.backup_name,
                                          namespace=self.names.namespace, selector_labels={"app": database.backup_name})
            policies["backup"] = backup.policy
        policies["database"] = database.connections.collect(chart, "network-policy", name=database.service_name)
        database.connections.allow_from(self.backend)
        if backup is not None:
            database.connections.allow_from(backup)
            off_site = database.props.backup.off_site if database.props.backup is not None else None
            if off_site is not None:  # the object store: the endpoint's port on the public HTTPS ranges
                backup.connections.allow_to(NetworkPeer.cidrs(props.https_blocks(), "object store"),
                                            ports=(off_site.port,))
        return policies

    def _edge_peer(self, props: NetworkPolicyProps) -> NetworkPeer:
        """Who brings outside traffic to the frontend and the backend: the ingress controller's
        namespace, or with gateway routing the namespaces of the Gateway's proxies."""
        gateways = self.ingress.gateway_namespaces
        if not gateways:
            return NetworkPeer.namespace(props.ingress_controller_namespace)
        if self.names.namespace in gateways:
            raise_if_any([Problem(
                where=tree.path_of(self), field="ingress.gateway.parentRefs", value=list(gateways),
                rule="must not put the Gateway's proxies in the instance's own namespace: its NetworkPolicies "
                     "would have to admit every pod of it",
                fix="name the Gateway's namespace in each parentRef (or gateway.proxyNamespaces)")])
        peers = tuple(peer for namespace in gateways for peer in NetworkPeer.namespace(namespace).peers)
        return NetworkPeer(peers, f"gateway namespace{'s' if len(gateways) > 1 else ''} {', '.join(gateways)}")
