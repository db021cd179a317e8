#!/usr/bin/env python3
"""The orders team's cdk8s app: ``cdk8s synth`` runs it to write ``dist/orders.k8s.yaml``.

Another team's app that reuses two pieces of Taskora through the ``taskora-constructs``
library, in its own namespace and with its own names:

* a PostgreSQL database (``orders-db``) for the team's own service, ``orders-api``, which
  reads the host, port, database name and credentials from the construct's output
  attributes - never from typed strings;
* a Taskora backend (``orders-tasks``) beside it, whose ``DATABASE_URL`` points at the
  same database.

Everything goes into one chart that also holds the team's own objects (its Namespace,
Deployment and Service). Secret values come from the environment, never from a file in
the repository: ``ORDERS_DB_PASSWORD``, ``ORDERS_COHERE_API_KEY``,
``ORDERS_BETTER_AUTH_SECRET``, ``ORDERS_GEMINI_API_KEY``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Mapping

# jsii prints a Node 20 end-of-life banner unless told not to, before cdk8s starts Node.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s  # noqa: E402
from constructs import Construct  # noqa: E402

from taskora_constructs import (PostgresDatabase, PostgresProps, TaskoraBackend, TaskoraBackendProps,  # noqa: E402
                                TaskoraConfig, TaskoraConfigError, TaskoraSecrets, TaskoraValidation,
                                config_error_from_synth)

NAMESPACE = "orders"
EXIT_CONFIG_ERROR = 2


@dataclass(frozen=True, kw_only=True)
class OrdersSecrets:
    """The secret values of the orders app, one environment variable each."""

    db_password: str
    cohere_api_key: str
    better_auth_secret: str
    gemini_api_key: str

    VARIABLES = {"db_password": "ORDERS_DB_PASSWORD", "cohere_api_key": "ORDERS_COHERE_API_KEY",
                 "better_auth_secret": "ORDERS_BETTER_AUTH_SECRET", "gemini_api_key": "ORDERS_GEMINI_API_KEY"}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "OrdersSecrets":
        missing = [variable for variable in cls.VARIABLES.values() if not environ.get(variable)]
        if missing:
            raise LookupError(f"set {', '.join(missing)} (secret values are never committed)")
        return cls(**{field: environ[variable] for field, variable in cls.VARIABLES.items()})


def _api_object(scope: Construct, construct_id: str, manifest: dict[str, Any]) -> cdk8s.ApiObject:
    """One of the team's own objects, written as plain JSON."""
    obj = cdk8s.ApiObject(scope, construct_id, api_version=manifest["apiVersion"], kind=manifest["kind"],
                          metadata=cdk8s.ApiObjectMetadata(**manifest["metadata"]))
    for key, value in manifest.items():
        if key not in ("apiVersion", "kind", "metadata"):
            obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return obj


class OrdersApi(Construct):
    """The team's own service: a Deployment and Service that use the database's outputs."""

    PORT = 8080

    def __init__(self, scope: Construct, construct_id: str, *, database: PostgresDatabase) -> None:
        super().__init__(scope, construct_id)
        self.service_name = "orders-api"
        labels = {"app": self.service_name}
        credentials = database.credentials_secret_name

        def secret(key: str) -> dict:
            return {"secretKeyRef": {"name": credentials, "key": key}}

        probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
        _api_object(self, "deployment", {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": self.service_name, "namespace": database.namespace, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                    "name": "api",
                    "image": "orders/api:2.3.0",
                    "ports": [{"name": "http", "containerPort": self.PORT}],
                    "env": [
                        {"name": "DB_HOST", "value": database.host_for(database.namespace)},
                        {"name": "DB_PORT", "value": str(database.port)},
                        {"name": "DB_NAME", "value": database.database_name},
                        {"name": "DB_USER", "valueFrom": secret(PostgresDatabase.USERNAME_KEY)},
                        {"name": "DB_PASSWORD", "valueFrom": secret(PostgresDatabase.PASSWORD_KEY)},
                    ],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"cpu": "500m", "memory": "256Mi"}},
                    "livenessProbe": probe,
                    "readinessProbe": probe,
                }]}},
            },
        })
        _api_object(self, "service", {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": self.service_name, "namespace": database.namespace, "labels": labels},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        })


class OrdersChart(cdk8s.Chart):
    """The orders namespace: the team's own objects plus the reused Taskora constructs.

    Attributes:
        database: the PostgreSQL database (``orders-db``).
        api: the team's own service (``orders-api``).
        tasks: the Taskora backend (``orders-tasks``) and its ConfigMap and Secret.
    """

    def __init__(self, scope: Construct, construct_id: str, *, secrets: OrdersSecrets) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        _api_object(self, "namespace", {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": NAMESPACE, "labels": {"team": "orders"}}})

        self.database = PostgresDatabase(
            self, "db", name="orders-db", namespace=NAMESPACE, password=secrets.db_password,
            props=PostgresProps(database_name="orders", username="orders", storage="20Gi",
                                storage_class_name=None))  # None: the cluster's default class
        self.api = OrdersApi(self, "api", database=self.database)

        backend_props = TaskoraBackendProps(replicas=2, image="taskora/backend:latest")
        self.tasks_config = TaskoraConfig(
            self, "tasks-config", name="orders-tasks-config", namespace=NAMESPACE, app_name="orders-tasks",
            api_base_url=TaskoraBackend.url_for("orders-tasks", backend_props))
        self.tasks_secrets = TaskoraSecrets(
            self, "tasks-secrets", name="orders-tasks-secrets", namespace=NAMESPACE, app_name="orders-tasks",
            database=self.database, cohere_api_key=secrets.cohere_api_key,
            better_auth_secret=secrets.better_auth_secret, gemini_api_key=secrets.gemini_api_key)
        self.tasks = TaskoraBackend(self, "tasks", name="orders-tasks", namespace=NAMESPACE, props=backend_props,
                                    config=self.tasks_config, secrets=self.tasks_secrets, database=self.database)


def build(secrets: OrdersSecrets, outdir: str | None = None) -> cdk8s.App:
    """The orders app; ``outdir`` defaults to the CLI's ``CDK8S_OUTDIR`` (or ``dist``)."""
    app = cdk8s.App(**({"outdir": outdir} if outdir else {}))
    OrdersChart(app, "orders", secrets=secrets)
    # The team owns every object of this app: switch the library's whole-app reference lint on
    # (opt-in since taskora-constructs 0.2.0), so a dangling reference fails the synth.
    TaskoraValidation.of(app)
    return app


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        app = build(OrdersSecrets.from_environment(environ))
        try:
            app.synth()
        except RuntimeError as error:  # the opt-in lint (or another validation) refused the app
            config_error = config_error_from_synth(error, app)
            if config_error is None:
                raise
            raise config_error from None
    except (LookupError, TaskoraConfigError) as error:
        print(f"orders: synth failed: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
