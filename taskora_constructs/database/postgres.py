"""PostgreSQL: credentials Secret, headless Service and StatefulSet (model sections 3, 4.3, 6.2),
hardened, with an optional scheduled logical backup."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import cdk8s
from constructs import Construct

from ..core import tree
from ..core import policy, rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.resource import MAIN_ID, TaskoraResource
from ..network.connections import HasConnections
from .contract import DatabaseContract
from ..core.podspec import (CREDENTIALS_REVISION, container, container_security_context, env_from, env_value, exec_probe,
                        pod_identity, pod_template, service_account, service_spec, writable_dirs)
from .backup import (BACKUP_VOLUME, CREDENTIALS_PATH, CREDENTIALS_VOLUME, PostgresBackup,
                     add_backup)
from ..core.errors import Problem, raise_if_any
from ..lint import require_secret_keys
from ..lint.app import declare_external_secret
from ..taskora.names import credentials_name
from ..core import api_rules, pod_security
from ..core.pod import apply_to_pod, merged, owned_key_problems
from .storage import emit_storage_class

#: Name of the container and Service port.
POSTGRES_PORT_NAME = "postgres"

#: Name of the StatefulSet's volumeClaimTemplate; claims are ``<template>-<statefulset>-<ordinal>``.
DATA_VOLUME = "data"
#: Secret files readable by owner and group (the pods' fsGroup), nobody else.
CREDENTIALS_MODE = 0o440


from .postgres_props import PostgresProps  # the props live beside, in their own file


class PostgresDatabase(TaskoraResource, DatabaseContract, HasConnections):
    """A single-instance PostgreSQL StatefulSet with its headless Service and credentials Secret.

    The Service, the StatefulSet, its pods and their ServiceAccount share ``name``; the
    credentials Secret is ``<name>-credentials`` with the keys :attr:`USERNAME_KEY` and
    :attr:`PASSWORD_KEY`. Storage comes only from the StatefulSet's volumeClaimTemplate (no
    standalone PVC: deviation D4), and the claims are retained when the StatefulSet is
    deleted or scaled down, so no ``kubectl delete`` of the manifests removes the data.

    The server runs as the image's ``postgres`` user (``props.run_as_user``) with no
    capabilities and a read-only root filesystem, reads its credentials from files, gets a
    startup probe and a fast shutdown within ``props.termination_grace_period_seconds``.
    With ``props.backup`` a CronJob ``<name>-backup`` dumps the database on a schedule
    (see :class:`~taskora_constructs.PostgresBackup`).

    Fit for any service's database: ``PostgresDatabase(chart, "orders-db", password=...,
    database_name="orders")``. Props may be a :class:`PostgresProps` or its fields as keyword
    arguments; a caller's sidecars, volumes, labels and scheduling go through its
    :class:`~taskora_constructs.PodOptions` fields.

    Args:
        props: image, resources, storage, database and user names; defaults are the model's.
        name: name of the StatefulSet, the headless Service and the ServiceAccount; default:
            the construct id as a DNS label.
        namespace: default: the enclosing Chart's namespace (none if it has none).
        password: the database password written to the credentials Secret.
        existing_secret: instead of ``password``, the name of a Secret managed outside the
            app (External Secrets, Sealed Secrets, ``kubectl create secret``) holding the
            keys ``username`` and ``password``; no credentials Secret is synthesized.

    Attributes:
        stateful_set / service / service_account / credentials / backup_cron_job /
            backup_service_account: the ``cdk8s.ApiObject`` of each object (``None`` when not
            created), the escape hatch; ``api_object`` is the StatefulSet.
        service_name, namespace, port, port_name, selector_labels, pod_labels,
            credentials_secret_name, database_name, username: for wiring.
    """

    USERNAME_KEY = "username"
    PASSWORD_KEY = "password"

    def __init__(self, scope: Construct, construct_id: str, props: PostgresProps | None = None, *,
                 password: str | None = None, existing_secret: str | None = None, name: str | None = None,
                 namespace: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name, namespace=namespace)
        props = self._props(PostgresProps, props, props_fields)
        name, namespace = self.name, self.namespace
        where = tree.path_of(self)
        problems: list[Problem] = []
        if existing_secret is not None:
            problems += rules.check_dns_subdomain(where, "existingSecret", existing_secret)
            if password is not None:
                problems.append(Problem(where=where, field="password", value="<redacted>",
                                        rule="must not be given together with existingSecret",
                                        fix="drop the password: the existing Secret holds it"))
        else:
            problems += rules.check_non_empty(where, "password", password)
        if props.backup is not None:  # the backup CronJob's name derives from this one
            problems += api_rules.check_cronjob_name(where, "metadata.name", f"{name}-backup")
        self._check(problems)
        self.props = props
        self.service_name = name
        self.port = props.port
        #: Name of the container and Service port, for callers that refer to it by name.
        self.port_name = POSTGRES_PORT_NAME
        self.database_name = props.database_name
        self.username = props.username
        self._password = password
        #: True when the credentials Secret is synthesized here, False for an existing one.
        self.manages_credentials = existing_secret is None
        self.credentials_secret_name = existing_secret or credentials_name(name)
        self.selector_labels = {"app": name}
        self.pod_labels = merged({"app": name, "component": "database"}, props.pod_labels)
        labels = merged(self.selector_labels, props.labels)
        kinds = ["ServiceAccount", "Service", "StatefulSet"]
        owned = [(kind, name) for kind in kinds]
        if self.manages_credentials:
            owned.append(("Secret", self.credentials_secret_name))
        if props.backup is not None:
            owned += [("ServiceAccount", f"{name}-backup"), ("CronJob", f"{name}-backup")]
        self._claim(owned)
        #: The StorageClass this construct created for its claims (``None``: it uses an existing
        #: class, or another database of the App created the same one).
        self.storage_class: cdk8s.ApiObject | None = None
        if props.retained_storage_class is not None and props.storage_class_name is not None:
            # Before the StatefulSet: apply creates it first, so the claims find their class.
            self.storage_class = emit_storage_class(self, "storage-class", props.storage_class_name,
                                                    props.retained_storage_class, labels)
        credential_keys = (self.USERNAME_KEY, self.PASSWORD_KEY)
        if not self.manages_credentials and namespace is not None:
            # Managed outside the app: the opt-in lint lets references name it.
            declare_external_secret(self, name=self.credentials_secret_name, namespace=namespace,
                                    keys=credential_keys)
        require_secret_keys(self, name=self.credentials_secret_name, namespace=namespace, keys=credential_keys)

        credentials = {self.USERNAME_KEY: props.username, self.PASSWORD_KEY: password or ""}
        #: The credentials Secret (``None`` with ``existing_secret``).
        self.credentials: cdk8s.ApiObject | None = None
        if self.manages_credentials:
            secret: k8s.Secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": object_metadata(name=self.credentials_secret_name, namespace=namespace,
                                            labels=labels, annotations=props.annotations),
                "type": "Opaque",
                "stringData": credentials,
            }
            self.credentials = emit(self, "credentials", secret)
        self.service_account_name = name
        self.service_account: cdk8s.ApiObject = emit(self, "service-account", service_account(
            name=name, namespace=namespace, labels=labels, automount=props.automount_service_account_token,
            annotations=props.annotations))
        service: k8s.Service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=labels, annotations=props.annotations),
            # Headless: the StatefulSet's pods get stable DNS names through it.
            "spec": service_spec(selector=self.selector_labels, port_name=self.port_name,
                                 port=props.port, headless=True),
        }
        self.service: cdk8s.ApiObject = emit(self, "service", service)
        volumes, scratch_mounts = writable_dirs(props.writable_paths, props.writable_size_limit)
        if props.credentials_from_files:
            volumes.append(self.credentials_volume())
        main = self._container(scratch_mounts)
        pod_spec: k8s.PodSpec = {
            **pod_identity(name, props),
            "terminationGracePeriodSeconds": props.termination_grace_period_seconds,
            "containers": [main],
            "volumes": volumes,
        }
        claim_templates = [self._claim_template(DATA_VOLUME, props.storage, props.storage_class_name)]
        if props.backup is not None:
            claim_templates.append(self._claim_template(
                BACKUP_VOLUME, props.backup.storage, props.backup.storage_class_name or props.storage_class_name))
        problems = apply_to_pod(where, props, pod_spec, main, claim_templates=(DATA_VOLUME, BACKUP_VOLUME),
                                level=pod_security.level_for(self, namespace))
        built = frozenset({"postgres"})
        # Rolls the pod when the user bumps the counter after changing the credentials: nothing
        # derived from them goes into the pod spec (docs/hardening.md).
        annotations = {CREDENTIALS_REVISION: str(props.credentials_revision)}
        own_labels = {"app": name, "component": "database"}
        skips = policy.skip_annotations(props.policy_exceptions, pod_spec, built, props._documented_exceptions())
        problems += owned_key_problems(where, props, pod_labels=own_labels, labels=own_labels,
                                       pod_annotations=annotations, annotations=skips)
        raise_if_any(problems)
        stateful_set: k8s.StatefulSet = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": object_metadata(
                name=name, namespace=namespace, labels=merged(self.pod_labels, props.labels),
                annotations={**props.annotations, **skips}),
            "spec": {
                "serviceName": name,
                "replicas": 1,
                "selector": {"matchLabels": self.selector_labels},
                "template": pod_template(labels=self.pod_labels, annotations={**props.pod_annotations, **annotations},
                                         spec=pod_spec),
                "volumeClaimTemplates": claim_templates,
                # Deleting the StatefulSet (kubectl delete -f dist/) or scaling it down keeps
                # the claims, and so the data; delete a claim by hand to drop it.
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
        }
        self.stateful_set: cdk8s.ApiObject = emit(self, MAIN_ID, stateful_set, library_containers=built)
        self._expose(self.stateful_set)
        #: The backup CronJob's name, or ``None`` without ``props.backup``.
        self.backup_name: str | None = None
        #: The backup's ServiceAccount and CronJob (``None`` without ``props.backup``).
        self.backup_service_account: cdk8s.ApiObject | None = None
        self.backup_cron_job: cdk8s.ApiObject | None = None
        if props.backup is not None:
            self.backup_name = f"{name}-backup"
            self.backup_service_account, self.backup_cron_job = add_backup(self, props.backup)

    def credentials_volume(self) -> k8s.Volume:
        """A pod volume of the credentials Secret (files ``username`` and ``password``, mode 0440)."""
        return {"name": CREDENTIALS_VOLUME,
                "secret": {"secretName": self.credentials_secret_name, "defaultMode": CREDENTIALS_MODE}}

    def _container(self, scratch_mounts: list[k8s.VolumeMount]) -> k8s.Container:
        props = self.props
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
            port_name=self.port_name,
            env=[
                env_value("POSTGRES_DB", props.database_name),
                *(self._credential_env() if not props.credentials_from_files else [
                    # The image's entrypoint reads POSTGRES_<X> from the file POSTGRES_<X>_FILE
                    # names (deviation D7): no credential in the process environment.
                    env_value("POSTGRES_USER_FILE", f"{CREDENTIALS_PATH}/{self.USERNAME_KEY}"),
                    env_value("POSTGRES_PASSWORD_FILE", f"{CREDENTIALS_PATH}/{self.PASSWORD_KEY}"),
                ]),
                # A subdirectory, because a fresh volume's root holds lost+found and initdb
                # refuses a non-empty directory.
                env_value("PGDATA", self.pgdata),
            ],
            resources=props.resources,
            volume_mounts=self._mounts(scratch_mounts),
            liveness_probe=exec_probe(probe_command, props.probes.liveness),
            readiness_probe=exec_probe(probe_command, props.probes.readiness),
            startup_probe=(exec_probe(probe_command, props.probes.startup)
                           if props.probes.startup is not None else None),
            # Kubernetes stops a container with SIGTERM, which PostgreSQL takes as a "smart"
            # shutdown: it waits for every client (the backend's pooled connections) to leave,
            # until the grace period ends in SIGKILL and crash recovery. Ask for a fast
            # shutdown instead: roll back open transactions, checkpoint, exit.
            lifecycle={"preStop": {"exec": {"command": [
                "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w",
                "-t", str(max(props.termination_grace_period_seconds - 10, 10))]}}},
            security_context=container_security_context(read_only_root_filesystem=props.read_only_root_filesystem),
        )

    def _mounts(self, scratch_mounts: list[k8s.VolumeMount]) -> list[k8s.VolumeMount]:
        """The data volume, the credentials (as files), the scratch paths, the backups (read-only)."""
        props = self.props
        mounts: list[k8s.VolumeMount] = [{"name": DATA_VOLUME, "mountPath": props.data_path}]
        if props.credentials_from_files:
            mounts.append({"name": CREDENTIALS_VOLUME, "mountPath": CREDENTIALS_PATH, "readOnly": True})
        mounts += scratch_mounts
        if props.backup is not None:
            mounts.append({"name": BACKUP_VOLUME, "mountPath": PostgresBackup.MOUNT_PATH, "readOnly": True})
        return mounts

    def _credential_env(self) -> list[k8s.EnvVar]:
        secret = self.credentials_secret_name
        return [env_from("POSTGRES_USER", {"secretKeyRef": {"name": secret, "key": self.USERNAME_KEY}}),
                env_from("POSTGRES_PASSWORD", {"secretKeyRef": {"name": secret, "key": self.PASSWORD_KEY}})]

    @property
    def pgdata(self) -> str:
        """The data directory: a subdirectory of the volume's mount."""
        return f"{self.props.data_path}/pgdata"

    @staticmethod
    def _claim_template(template: str, storage: str, storage_class_name: str | None) -> k8s.PersistentVolumeClaim:
        spec: k8s.PersistentVolumeClaimSpec = {"accessModes": ["ReadWriteOnce"]}
        if storage_class_name is not None:
            spec["storageClassName"] = storage_class_name
        spec["resources"] = {"requests": {"storage": storage}}
        return {"metadata": {"name": template}, "spec": spec}

    def key_ref(self, key: str) -> k8s.EnvVarSource:
        """A ``valueFrom`` for ``username`` or ``password`` of the credentials Secret, e.g.
        ``EnvVar.from_key("PGPASSWORD", db, PostgresDatabase.PASSWORD_KEY)``; raises for another key."""
        keys = (self.USERNAME_KEY, self.PASSWORD_KEY)
        if key not in keys:
            raise_if_any([Problem(where=tree.path_of(self), field="secretKeyRef.key", value=key,
                                  rule=f"must be a key of Secret {self.credentials_secret_name!r} ({', '.join(keys)})",
                                  fix="reference PostgresDatabase.USERNAME_KEY or PASSWORD_KEY")])
        return {"secretKeyRef": {"name": self.credentials_secret_name, "key": key}}

    def _client_pod_labels(self) -> dict[str, str]:
        return self.selector_labels

    def _check_url_client(self, client_namespace: str | None) -> list[Problem]:
        return self._url_safe_problems(tree.path_of(self), self.username, self._password)

    def connection_url(self, client_namespace: str | None) -> str:
        """``postgresql://user:password@host:port/db`` with user and password URL-encoded.

        Derived from the same props and password as the credentials Secret, so the two
        cannot disagree (the model's ``DATABASE_URL`` did: deviation D3). Unavailable when the
        credentials live in an existing Secret: this app never sees that password.
        """
        if self._password is None:
            raise_if_any([Problem(where=tree.path_of(self), field="existingSecret",
                                  value=self.credentials_secret_name,
                                  rule="a database whose credentials are an existing Secret has no "
                                       "password here to build DATABASE_URL from",
                                  fix="use an existing Secret for the application secrets too "
                                      "(secrets.existingSecret), holding DATABASE_URL")])
        user = quote(self.username, safe="")
        password = quote(self._password or "", safe="")
        return (f"postgresql://{user}:{password}@{self.host_for(client_namespace)}:{self.port}/"
                f"{quote(self.database_name, safe='')}")

