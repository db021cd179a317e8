"""PostgreSQL: credentials Secret, headless Service and StatefulSet (model sections 3, 4.3, 6.2)."""

from __future__ import annotations

from urllib.parse import quote

from constructs import Construct

from . import rules
from ._manifest import emit, object_metadata
from ._workload import checksum, container, env_from, env_value, exec_probe, pod_template, service_spec
from .errors import Problem, raise_if_any
from .names import DEFAULT_NAMES, credentials_name
from .props import PostgresProps
from .validation import TaskoraValidation

#: Name of the StatefulSet's volumeClaimTemplate; claims are ``<template>-<statefulset>-<ordinal>``.
DATA_VOLUME = "data"


class PostgresDatabase(Construct):
    """A single-instance PostgreSQL StatefulSet with its headless Service and credentials Secret.

    The Service, the StatefulSet and its pods share ``name``; the credentials Secret is
    ``<name>-credentials`` with the keys :attr:`USERNAME_KEY` and :attr:`PASSWORD_KEY`.
    Storage comes only from the StatefulSet's volumeClaimTemplate (no standalone PVC:
    deviation D4).

    Args:
        name: name of the StatefulSet and the headless Service (default ``taskora-db``).
        namespace: namespace of all three objects (default ``taskora``).
        props: image, resources, storage, database and user names; defaults are the model's.
        password: the database password written to the credentials Secret.
        existing_secret: instead of ``password``, the name of a Secret managed outside the
            app (External Secrets, Sealed Secrets, ``kubectl create secret``) holding the
            keys ``username`` and ``password``; no credentials Secret is synthesized.
    """

    USERNAME_KEY = "username"
    PASSWORD_KEY = "password"

    def __init__(self, scope: Construct, construct_id: str, *, password: str | None = None,
                 existing_secret: str | None = None,
                 name: str = DEFAULT_NAMES.database, namespace: str = DEFAULT_NAMES.namespace,
                 props: PostgresProps = PostgresProps()) -> None:
        super().__init__(scope, construct_id)
        where = self.node.path
        problems = (rules.check_dns_label(where, "name", name)
                    + rules.check_dns_label(where, "namespace", namespace))
        if existing_secret is not None:
            problems += rules.check_dns_subdomain(where, "existingSecret", existing_secret)
            if password is not None:
                problems.append(Problem(where=where, field="password", value="<redacted>",
                                        rule="must not be given together with existingSecret",
                                        fix="drop the password: the existing Secret holds it"))
        else:
            problems += rules.check_non_empty(where, "password", password)
        raise_if_any(problems)
        self.props = props
        self.service_name = name
        self.namespace = namespace
        self.port = props.port
        self.database_name = props.database_name
        self.username = props.username
        self._password = password
        #: True when the credentials Secret is synthesized here, False for an existing one.
        self.manages_credentials = existing_secret is None
        self.credentials_secret_name = existing_secret or credentials_name(name)
        self.selector_labels = {"app": name}
        self.pod_labels = {"app": name, "component": "database"}
        validation = TaskoraValidation.of(self)
        credential_keys = (self.USERNAME_KEY, self.PASSWORD_KEY)
        if not self.manages_credentials:  # managed outside the app: references to it are still checked
            validation.declare_external_secret(name=self.credentials_secret_name, namespace=namespace,
                                               keys=credential_keys)
        validation.require_secret_keys(name=self.credentials_secret_name, namespace=namespace,
                                       keys=credential_keys, required_by=where)

        credentials = {self.USERNAME_KEY: props.username, self.PASSWORD_KEY: password}
        if self.manages_credentials:
            emit(self, "credentials", {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": object_metadata(name=self.credentials_secret_name, namespace=namespace,
                                            labels=self.selector_labels),
                "type": "Opaque",
                "stringData": credentials,
            })
        emit(self, "service", {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
            # Headless: the StatefulSet's pods get stable DNS names through it.
            "spec": service_spec(selector=self.selector_labels, port_name="postgres",
                                 port=props.port, headless=True),
        })
        emit(self, "statefulset", {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.pod_labels),
            "spec": {
                "serviceName": name,
                "replicas": 1,
                "selector": {"matchLabels": self.selector_labels},
                "template": pod_template(
                    labels=self.pod_labels,
                    # Rolls the pod when the credentials change (absent for an existing Secret,
                    # whose data this app never sees).
                    annotations={"checksum/credentials": checksum(credentials)} if self.manages_credentials else None,
                    spec={"containers": [self._container()]}),
                "volumeClaimTemplates": [self._claim_template()],
            },
        })

    def _container(self) -> dict:
        props = self.props
        secret = self.credentials_secret_name
        # Readiness and liveness ask the real server over TCP as the application's user:
        # the model's `pg_isready -U postgres` names a role that does not exist here (the
        # server logs a failed login every probe), and without `-h 127.0.0.1` the probe
        # also passes against the entrypoint's socket-only bootstrap server (deviation D5).
        probe_command = ["pg_isready", "-U", props.username, "-d", props.database_name,
                         "-h", "127.0.0.1", "-p", str(props.port)]
        return container(
            name="postgres",
            image=props.image,
            image_pull_policy=props.image_pull_policy,
            port=props.port,
            port_name="postgres",
            env=[
                env_value("POSTGRES_DB", props.database_name),
                env_from("POSTGRES_USER", {"secretKeyRef": {"name": secret, "key": self.USERNAME_KEY}}),
                env_from("POSTGRES_PASSWORD", {"secretKeyRef": {"name": secret, "key": self.PASSWORD_KEY}}),
                # A subdirectory, because a fresh volume's root holds lost+found and initdb
                # refuses a non-empty directory.
                env_value("PGDATA", f"{props.data_path}/pgdata"),
            ],
            resources=props.resources,
            volume_mounts=[{"name": DATA_VOLUME, "mountPath": props.data_path}],
            liveness_probe=exec_probe(probe_command, props.probes.liveness),
            readiness_probe=exec_probe(probe_command, props.probes.readiness),
        )

    def _claim_template(self) -> dict:
        spec: dict = {"accessModes": ["ReadWriteOnce"]}
        if self.props.storage_class_name is not None:
            spec["storageClassName"] = self.props.storage_class_name
        spec["resources"] = {"requests": {"storage": self.props.storage}}
        return {"metadata": {"name": DATA_VOLUME}, "spec": spec}

    def host_for(self, client_namespace: str) -> str:
        """The DNS name a client in ``client_namespace`` uses to reach the database."""
        if client_namespace == self.namespace:
            return self.service_name
        return f"{self.service_name}.{self.namespace}.svc"

    def connection_url(self, client_namespace: str) -> str:
        """``postgresql://user:password@host:port/db`` with user and password URL-encoded.

        Derived from the same props and password as the credentials Secret, so the two
        cannot disagree (the model's ``DATABASE_URL`` did: deviation D3). Unavailable when the
        credentials live in an existing Secret: this app never sees that password.
        """
        if self._password is None:
            raise_if_any([Problem(where=self.node.path, field="existingSecret",
                                  value=self.credentials_secret_name,
                                  rule="a database whose credentials are an existing Secret has no "
                                       "password here to build DATABASE_URL from",
                                  fix="use an existing Secret for the application secrets too "
                                      "(secrets.existingSecret), holding DATABASE_URL")])
        user = quote(self.username, safe="")
        password = quote(self._password, safe="")
        return (f"postgresql://{user}:{password}@{self.host_for(client_namespace)}:{self.port}/"
                f"{quote(self.database_name, safe='')}")
