#!/usr/bin/env python3
"""The platform team's cdk8s app: ``cdk8s synth`` runs it to write ``dist/``.

A second team's app that mixes three construct libraries, each chart in a namespace of its own:

* ``shop``: the storefront, a cdk8s-plus-28 Deployment and Service;
* ``data``: the inventory API (taskora-constructs' generic ``WebWorkload``: the team's own
  image, a log-shipping sidecar, a dedicated node pool) on a ``PostgresDatabase``, behind the
  library's NetworkPolicies, written from edges by its ``connections`` API (as cdk8s-plus's
  ``PodConnections``): the API to the database, and the cdk8s-plus storefront to the API;
  the storefront's DNS egress is cdk8s-plus's own connections API;
* ``cache``: a Redis from cdk8s-redis, an unrelated construct library.

A ``namespaces`` chart, applied first, creates the three namespaces. The database password
comes from the environment (``PLATFORM_DB_PASSWORD``), never from a file in the repository.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

# jsii prints a Node 20 end-of-life banner unless told not to, before cdk8s starts Node.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s  # noqa: E402
import cdk8s_plus_28 as kplus  # noqa: E402
from cdk8s_redis import Redis  # noqa: E402
from constructs import Construct  # noqa: E402

from taskora_constructs import (EnvVar, NamespaceNetworkPolicy, PostgresDatabase,  # noqa: E402
                                TaskoraConfigError, WebWorkload, WebWorkloadProps)

SHOP, DATA, CACHE = "shop", "data", "cache"
PASSWORD_VARIABLE = "PLATFORM_DB_PASSWORD"
EXIT_CONFIG_ERROR = 2
#: The storefront's port (container) and the port its Service listens on.
STOREFRONT_PORT, STOREFRONT_SERVICE_PORT = 8080, 80


@dataclass(frozen=True, kw_only=True)
class PlatformSecrets:
    """The app's secret values, one environment variable each."""

    db_password: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "PlatformSecrets":
        if not environ.get(PASSWORD_VARIABLE):
            raise LookupError(f"set {PASSWORD_VARIABLE} (secret values are never committed)")
        return cls(db_password=environ[PASSWORD_VARIABLE])


class NamespacesChart(cdk8s.Chart):
    """The three namespaces (cluster-scoped: this chart has no namespace of its own)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        for name in (SHOP, DATA, CACHE):
            kplus.Namespace(self, name, metadata=cdk8s.ApiObjectMetadata(name=name, labels={"team": "platform"}))


class DataChart(cdk8s.Chart):
    """Namespace ``data``: the inventory API on its PostgreSQL database, default deny.

    Attributes:
        database: the ``PostgresDatabase`` (``inventory-db``).
        api: the ``WebWorkload`` (``inventory-api``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, secrets: PlatformSecrets) -> None:
        # Every library construct below takes its namespace from this chart, its name from its id.
        super().__init__(scope, construct_id, namespace=DATA, disable_resource_name_hashes=True)
        self.database = PostgresDatabase(self, "inventory-db", password=secrets.db_password,
                                         database_name="inventory", username="inventory", storage="5Gi",
                                         storage_class_name=None)  # None: the cluster's default class
        db = self.database
        self.api = WebWorkload(self, "inventory-api", WebWorkloadProps(
            image="registry.example/platform/inventory-api:3.0.1",
            port=8080,
            health_path="/ready",
            replicas=2,
            env=(
                EnvVar.of("DB_HOST", db.host_for(DATA)),
                EnvVar.of("DB_PORT", str(db.port)),
                EnvVar.of("DB_NAME", db.database_name),
                EnvVar.secret_key("DB_USER", db.credentials_secret_name, PostgresDatabase.USERNAME_KEY),
                EnvVar.secret_key("DB_PASSWORD", db.credentials_secret_name, PostgresDatabase.PASSWORD_KEY),
            ),
            # A sidecar is the caller's own container: the library adds it as given.
            sidecars=({
                "name": "log-shipper",
                "image": "registry.example/platform/log-shipper:1.2.0",
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                              "limits": {"cpu": "100m", "memory": "64Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
            },),
            node_selector={"pool": "platform"},
            tolerations=({"key": "dedicated", "operator": "Equal", "value": "platform", "effect": "NoSchedule"},),
            pod_labels={"team": "platform"},
        ))
        # The escape hatch: the Deployment's cdk8s.ApiObject takes a JSON patch, applied at synth.
        self.api.deployment.add_json_patch(cdk8s.JsonPatch.add("/spec/revisionHistoryLimit", 3))

        # Nothing in `data` accepts connections, nor opens any but DNS, unless allowed below.
        NamespaceNetworkPolicy(self, "default-deny", app_name="platform")
        # One edge, both sides: inventory-db-ingress admits the API's pods on the database's
        # port, inventory-api-egress lets them open it.
        db.connections.allow_from(self.api)

    def admit(self, client: kplus.Deployment) -> None:
        """Let a cdk8s-plus workload (in any namespace) reach the inventory API's port: the
        API's inventory-api-ingress admits its pods, and ``<client>-egress`` (in the client's
        chart) lets them out."""
        self.api.connections.allow_from(client)


class ShopChart(cdk8s.Chart):
    """Namespace ``shop``: the storefront, a cdk8s-plus Deployment and its Service.

    Attributes:
        storefront: the ``kplus.Deployment``; ``service``: its ``kplus.Service``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, api: WebWorkload) -> None:
        super().__init__(scope, construct_id, namespace=SHOP, disable_resource_name_hashes=True)
        self.storefront = kplus.Deployment(self, "storefront", replicas=2, containers=[kplus.ContainerProps(
            name="web",
            image="registry.example/shop/web:1.4.2",
            port_number=STOREFRONT_PORT,
            env_variables={"INVENTORY_API_URL": kplus.EnvValue.from_value(
                f"http://{api.service_name}.{api.namespace}.svc:{api.port}")},
        )])
        self.service = self.storefront.expose_via_service(
            name="storefront", ports=[kplus.ServicePort(port=STOREFRONT_SERVICE_PORT, target_port=STOREFRONT_PORT)])
        # The storefront's DNS egress, through cdk8s-plus's connections API (its egress to the
        # API is written by the library's, DataChart.admit). Isolation POD: only this side's policy.
        dns = kplus.Pods.select(self, "cluster-dns", labels={"k8s-app": "kube-dns"},
                                namespaces=kplus.Namespaces.select(self, "kube-system", names=["kube-system"]))
        self.storefront.connections.allow_to(
            dns, ports=[kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)],
            isolation=kplus.PodConnectionsIsolation.POD)


class CacheChart(cdk8s.Chart):
    """Namespace ``cache``: Redis from cdk8s-redis, as that library makes it."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, namespace=CACHE, disable_resource_name_hashes=True)
        self.redis = Redis(self, "redis", replicas=1)


@dataclass
class Platform:
    """The app's charts, in apply order."""

    namespaces: NamespacesChart
    data: DataChart
    shop: ShopChart
    cache: CacheChart


def compose(app: cdk8s.App, secrets: PlatformSecrets) -> Platform:
    """Add the platform's charts to ``app``: the namespaces first, then one chart per namespace."""
    namespaces = NamespacesChart(app, "namespaces")
    data = DataChart(app, "data", secrets=secrets)
    shop = ShopChart(app, "shop", api=data.api)
    data.admit(shop.storefront)  # the library's policy lets the cdk8s-plus storefront in
    cache = CacheChart(app, "cache")
    for chart in (data, shop, cache):
        chart.add_dependency(namespaces)
    return Platform(namespaces=namespaces, data=data, shop=shop, cache=cache)


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        app = cdk8s.App()  # outdir: the CLI's CDK8S_OUTDIR, else dist/
        compose(app, PlatformSecrets.from_environment(environ))
        app.synth()
    except (LookupError, TaskoraConfigError) as error:  # a missing variable; a construct refusing its props
        print(f"platform: synth failed: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
