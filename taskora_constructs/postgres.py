"""PostgreSQL: credentials Secret, headless Service and StatefulSet (model sections 3, 4.3, 6.2),
hardened, with an optional scheduled logical backup."""

from __future__ import annotations

from urllib.parse import quote

from constructs import Construct

from . import policy, rules
from ._manifest import Json, emit, object_metadata
from ._workload import (checksum, container, container_security_context, env_from, env_value, exec_probe,
                        pod_identity, pod_security_context, pod_template, service_account, service_spec,
                        writable_dirs)
from .errors import Problem, raise_if_any
from .names import DEFAULT_NAMES, credentials_name
from .props import PostgresBackup, PostgresProps
from .validation import TaskoraValidation

#: Name of the container and Service port.
POSTGRES_PORT_NAME = "postgres"

#: Name of the StatefulSet's volumeClaimTemplate; claims are ``<template>-<statefulset>-<ordinal>``.
DATA_VOLUME = "data"
#: The claim template of the backups (only with ``props.backup``).
BACKUP_VOLUME = "backup"
#: Where the credentials Secret is mounted (``props.credentials_from_files``), in the
#: database and the backup containers.
CREDENTIALS_VOLUME = "credentials"
CREDENTIALS_PATH = "/etc/postgres-credentials"
#: Secret files readable by owner and group (the pods' fsGroup), nobody else.
CREDENTIALS_MODE = 0o440

#: The backup job: dump to a temporary name, rename when complete, keep the newest $KEEP.
BACKUP_SCRIPT = """set -eu
umask 027
export PGPASSWORD="$(cat "$CREDENTIALS/password")"
user="$(cat "$CREDENTIALS/username")"
rm -f "$BACKUP_DIR"/*.partial
file="$BACKUP_DIR/$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --username="$user" --format=custom --file="$file.partial"
mv "$file.partial" "$file"
ls -1t "$BACKUP_DIR/$PGDATABASE"-*.dump | tail -n +$((KEEP + 1)) | xargs -r rm -f --
echo "backup: wrote $file ($(du -h "$file" | cut -f1)); keeping the newest $KEEP"
"""


class PostgresDatabase(Construct):
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
        #: Name of the container and Service port, for callers that refer to it by name.
        self.port_name = POSTGRES_PORT_NAME
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
        self.service_account_name = name
        emit(self, "service-account", service_account(
            name=name, namespace=namespace, labels=self.selector_labels,
            automount=props.automount_service_account_token))
        emit(self, "service", {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.selector_labels),
            # Headless: the StatefulSet's pods get stable DNS names through it.
            "spec": service_spec(selector=self.selector_labels, port_name=self.port_name,
                                 port=props.port, headless=True),
        })
        volumes, scratch_mounts = writable_dirs(props.writable_paths, props.writable_size_limit)
        if props.credentials_from_files:
            volumes.append(self._credentials_volume())
        pod_spec: Json = {
            **pod_identity(name, props),
            "terminationGracePeriodSeconds": props.termination_grace_period_seconds,
            "containers": [self._container(scratch_mounts)],
            "volumes": volumes,
        }
        claim_templates = [self._claim_template(DATA_VOLUME, props.storage, props.storage_class_name)]
        if props.backup is not None:
            claim_templates.append(self._claim_template(
                BACKUP_VOLUME, props.backup.storage, props.backup.storage_class_name or props.storage_class_name))
        emit(self, "statefulset", {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": object_metadata(name=name, namespace=namespace, labels=self.pod_labels,
                                        annotations=policy.skip_annotations(props.policy_exceptions, pod_spec)),
            "spec": {
                "serviceName": name,
                "replicas": 1,
                "selector": {"matchLabels": self.selector_labels},
                "template": pod_template(
                    labels=self.pod_labels,
                    # Rolls the pod when the credentials change (absent for an existing Secret,
                    # whose data this app never sees).
                    annotations={"checksum/credentials": checksum(credentials)} if self.manages_credentials else None,
                    spec=pod_spec),
                "volumeClaimTemplates": claim_templates,
                # Deleting the StatefulSet (kubectl delete -f dist/) or scaling it down keeps
                # the claims, and so the data; delete a claim by hand to drop it.
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
        })
        #: The backup CronJob's name, or ``None`` without ``props.backup``.
        self.backup_name: str | None = None
        if props.backup is not None:
            self._backup(props.backup)

    def _credentials_volume(self) -> Json:
        return {"name": CREDENTIALS_VOLUME,
                "secret": {"secretName": self.credentials_secret_name, "defaultMode": CREDENTIALS_MODE}}

    def _container(self, scratch_mounts: list[Json]) -> dict:
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
            volume_mounts=[
                {"name": DATA_VOLUME, "mountPath": props.data_path},
                *([{"name": CREDENTIALS_VOLUME, "mountPath": CREDENTIALS_PATH, "readOnly": True}]
                  if props.credentials_from_files else []),
                *scratch_mounts,
                *([{"name": BACKUP_VOLUME, "mountPath": PostgresBackup.MOUNT_PATH, "readOnly": True}]
                  if props.backup is not None else []),
            ],
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

    def _credential_env(self) -> list[Json]:
        secret = self.credentials_secret_name
        return [env_from("POSTGRES_USER", {"secretKeyRef": {"name": secret, "key": self.USERNAME_KEY}}),
                env_from("POSTGRES_PASSWORD", {"secretKeyRef": {"name": secret, "key": self.PASSWORD_KEY}})]

    @property
    def pgdata(self) -> str:
        """The data directory: a subdirectory of the volume's mount."""
        return f"{self.props.data_path}/pgdata"

    @staticmethod
    def _claim_template(template: str, storage: str, storage_class_name: str | None) -> dict:
        spec: dict = {"accessModes": ["ReadWriteOnce"]}
        if storage_class_name is not None:
            spec["storageClassName"] = storage_class_name
        spec["resources"] = {"requests": {"storage": storage}}
        return {"metadata": {"name": template}, "spec": spec}

    def _backup(self, backup: PostgresBackup) -> None:
        """The backup CronJob and its ServiceAccount."""
        props, namespace = self.props, self.namespace
        name = f"{self.service_name}-backup"
        self.backup_name = name
        labels = {"app": name}
        pod_labels = {"app": name, "component": "backup"}
        emit(self, "backup-service-account", service_account(
            name=name, namespace=namespace, labels=labels, automount=props.automount_service_account_token))
        volumes, scratch_mounts = writable_dirs(("/tmp",), props.writable_size_limit)
        backup_dir = "/backup"
        volumes += [
            # The claim the StatefulSet's "backup" template creates for its only pod.
            {"name": BACKUP_VOLUME, "persistentVolumeClaim": {
                "claimName": f"{BACKUP_VOLUME}-{self.service_name}-0"}},
            self._credentials_volume(),
        ]
        pod_spec: Json = {
            "serviceAccountName": name,
            "automountServiceAccountToken": props.automount_service_account_token,
            "securityContext": pod_security_context(
                run_as_user=backup.run_as_user, run_as_group=props.run_as_group, fs_group=props.fs_group,
                seccomp_profile=props.seccomp_profile),
            "restartPolicy": "Never",
            # The claim is ReadWriteOnce and attached to the database's node: run there.
            "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": self.selector_labels},
                "topologyKey": "kubernetes.io/hostname",
            }]}},
            "containers": [{
                "name": "backup",
                # The server's own image: pg_dump of the same major version.
                "image": props.image,
                "imagePullPolicy": props.image_pull_policy,
                "command": ["/bin/sh", "-c", BACKUP_SCRIPT],
                "env": [
                    env_value("PGHOST", self.service_name),
                    env_value("PGPORT", str(props.port)),
                    env_value("PGDATABASE", props.database_name),
                    env_value("CREDENTIALS", CREDENTIALS_PATH),
                    env_value("BACKUP_DIR", backup_dir),
                    env_value("KEEP", str(backup.retention)),
                ],
                "resources": backup.resources.to_json(),
                "volumeMounts": [
                    {"name": BACKUP_VOLUME, "mountPath": backup_dir},
                    {"name": CREDENTIALS_VOLUME, "mountPath": CREDENTIALS_PATH, "readOnly": True},
                    *scratch_mounts,
                ],
                "securityContext": container_security_context(read_only_root_filesystem=True),
            }],
            "volumes": volumes,
        }
        emit(self, "backup", {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": object_metadata(name=name, namespace=namespace, labels=labels,
                                        annotations=policy.skip_annotations(backup.policy_exceptions, pod_spec)),
            "spec": {
                "schedule": backup.schedule,
                "timeZone": backup.time_zone,
                "concurrencyPolicy": "Forbid",
                # A run missed by more than this (cluster down at 03:00) is skipped, not made up.
                "startingDeadlineSeconds": 3600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {"spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": backup.active_deadline_seconds,
                    "template": pod_template(labels=pod_labels, spec=pod_spec),
                }},
            },
        })

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
