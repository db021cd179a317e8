"""Values files: typed, typo-safe configuration of one Taskora deployment.

``config/<TASKORA_ENV>.yaml`` (default ``local``) is the base layer; ``TASKORA_VALUES=<path>``
adds one more; the later layer wins key by key. The merged values are parsed by pydantic
(unknown keys refused with a "did you mean"), then turned into the constructs' typed props,
whose own rules (``taskora_constructs.rules``) run once, in one place. Every problem names
the key path as written in the file and the file it came from; all are reported at once.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from taskora_constructs import (AppSettings, Autoscaling, BackendProps, ComputeResources, DisruptionBudget,
                                FrontendProps, IngressProps, NetworkPolicyProps, PostgresBackup, PostgresProps,
                                Problem, Resources, TaskoraConfigError, TaskoraProps, TaskoraSecretValues)
from taskora_constructs.names import DEFAULT_APP_NAME

from .secrets import SECRETS_FILE, load_secret_values

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
DEFAULT_ENV = "local"

_FRONTEND, _BACKEND, _DATABASE = FrontendProps(), BackendProps(), PostgresProps()
_SETTINGS, _INGRESS, _NETWORK = AppSettings(), IngressProps(), NetworkPolicyProps()
_BUDGET, _BACKUP = DisruptionBudget(), PostgresBackup()
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class _Values(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


class QuantitiesValues(_Values):
    cpu: str | None = Field(None, description="CPU, e.g. 250m")
    memory: str | None = Field(None, description="memory, e.g. 256Mi")


class ResourcesValues(_Values):
    requests: QuantitiesValues = QuantitiesValues()
    limits: QuantitiesValues = QuantitiesValues()


def _resources_description(resources: Resources) -> str:
    r = resources.to_json()
    return (f"default requests {r['requests']['cpu']}/{r['requests']['memory']}, "
            f"limits {r['limits']['cpu']}/{r['limits']['memory']}")


PullPolicy = Literal["Always", "IfNotPresent", "Never"]

_DIGEST_DESCRIPTION = ("image digest (sha256:<64 hex>), appended to image as image@digest; required where "
                       "requireImageDigests is true")
_EXCEPTIONS_DESCRIPTION = ("policy-scan findings allowed to stay unmet: checkov check id -> one-line reason "
                           "(no '='); written as a skip annotation only while the check is really unmet. "
                           "null removes an exception of a lower layer")


class DisruptionBudgetValues(_Values):
    enabled: bool = Field(True, description="emit a PodDisruptionBudget")
    max_unavailable: int | None = Field(_BUDGET.max_unavailable, ge=1,
                                        description="pods a node drain may take down at once")
    min_available: int | None = Field(_BUDGET.min_available, ge=1,
                                      description="instead of maxUnavailable (set it to null): pods kept up")


class AutoscalingValues(_Values):
    enabled: bool = Field(False, description="a HorizontalPodAutoscaler on CPU; replicas is then its floor")
    min_replicas: int | None = Field(None, ge=1, description="default: replicas; at least replicas")
    max_replicas: int | None = Field(None, ge=1, description="required when enabled")
    target_cpu_utilization_percentage: int = Field(70, ge=1, alias="targetCPUUtilizationPercentage",
                                                   description="average CPU use, in percent of the requests")


class _WebValues(_Values):
    image_digest: str | None = Field(None, description=_DIGEST_DESCRIPTION)
    run_as_user: int = Field(_FRONTEND.run_as_user, ge=1, description="pod runAsUser (the image's user)")
    run_as_group: int = Field(_FRONTEND.run_as_group, ge=1, description="pod runAsGroup")
    fs_group: int = Field(_FRONTEND.fs_group, ge=1, description="pod fsGroup: group of the writable emptyDirs")
    disruption_budget: DisruptionBudgetValues = Field(DisruptionBudgetValues(), description="PodDisruptionBudget")
    autoscaling: AutoscalingValues = Field(AutoscalingValues(), description="HorizontalPodAutoscaler")
    spread_across_nodes: bool = Field(True, description="soft topology spread over nodes")


class FrontendValues(_WebValues):
    replicas: int = Field(_FRONTEND.replicas, ge=1)
    image: str = _FRONTEND.image
    image_pull_policy: PullPolicy = _FRONTEND.image_pull_policy  # type: ignore[assignment]
    resources: ResourcesValues = Field(ResourcesValues(), description=_resources_description(_FRONTEND.resources))
    writable_paths: list[str] = Field(list(_FRONTEND.writable_paths),
                                      description="the only paths the process writes (emptyDirs)")
    policy_exceptions: dict[str, str | None] = Field(dict(_FRONTEND.policy_exceptions),
                                                     description=_EXCEPTIONS_DESCRIPTION)


class BackendValues(_WebValues):
    replicas: int = Field(_BACKEND.replicas, ge=1)
    image: str = _BACKEND.image
    image_pull_policy: PullPolicy = _BACKEND.image_pull_policy  # type: ignore[assignment]
    resources: ResourcesValues = Field(ResourcesValues(), description=_resources_description(_BACKEND.resources))
    writable_paths: list[str] = Field(list(_BACKEND.writable_paths),
                                      description="the only paths the process writes (emptyDirs)")
    policy_exceptions: dict[str, str | None] = Field(dict(_BACKEND.policy_exceptions),
                                                     description=_EXCEPTIONS_DESCRIPTION)


class BackupValues(_Values):
    enabled: bool = Field(False, description="a CronJob running pg_dump into a claim of its own")
    schedule: str = Field(_BACKUP.schedule, description="cron schedule, in timeZone")
    time_zone: str = Field(_BACKUP.time_zone, description="IANA time zone of schedule")
    retention: int = Field(_BACKUP.retention, ge=1, description="newest dumps kept")
    storage: str = Field(_BACKUP.storage, description="size of the backup claim, at least 1Gi")
    storage_class_name: str | None = Field(_BACKUP.storage_class_name,
                                           description="null: the database's storageClassName")
    run_as_user: int = Field(_BACKUP.run_as_user, ge=1, description="the job's uid (its group is the database's)")
    policy_exceptions: dict[str, str | None] = Field(dict(_BACKUP.policy_exceptions),
                                                     description=_EXCEPTIONS_DESCRIPTION)


class DatabaseValues(_Values):
    image: str = _DATABASE.image
    image_digest: str | None = Field(None, description=_DIGEST_DESCRIPTION)
    image_pull_policy: PullPolicy = _DATABASE.image_pull_policy  # type: ignore[assignment]
    resources: ResourcesValues = Field(ResourcesValues(), description=_resources_description(_DATABASE.resources))
    storage: str = Field(_DATABASE.storage, description="volume size, at least 1Gi")
    storage_class_name: str | None = Field(_DATABASE.storage_class_name,
                                           description="null: the cluster's default StorageClass")
    name: str = Field(_DATABASE.database_name, description="POSTGRES_DB")
    username: str = _DATABASE.username
    existing_secret: str | None = Field(None, description="Secret managed outside the app with keys "
                                                          "username and password")
    run_as_user: int = Field(_DATABASE.run_as_user, ge=1,
                             description="70: the alpine image's postgres user; the image runs as any uid")
    run_as_group: int = Field(_DATABASE.run_as_group, ge=1, description="70: the alpine image's postgres group")
    fs_group: int = Field(_DATABASE.fs_group, ge=1, description="group of the volumes, so initdb can write")
    termination_grace_period_seconds: int = Field(_DATABASE.termination_grace_period_seconds, ge=30,
                                                  description="time for a clean (fast) shutdown")
    credentials_from_files: bool = Field(_DATABASE.credentials_from_files,
                                         description="POSTGRES_USER_FILE/POSTGRES_PASSWORD_FILE, not env")
    backup: BackupValues = Field(BackupValues(), description="scheduled logical backup (pg_dump)")
    policy_exceptions: dict[str, str | None] = Field(dict(_DATABASE.policy_exceptions),
                                                     description=_EXCEPTIONS_DESCRIPTION)


class IngressValues(_Values):
    host: str = _INGRESS.host
    class_name: str = _INGRESS.class_name


class ConfigValues(_Values):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=None)
    APP_ENV: str = _SETTINGS.app_env
    LOG_LEVEL: Literal["debug", "info", "warning", "error", "critical"] = _SETTINGS.log_level  # type: ignore[assignment]
    ENABLE_METRICS: bool = _SETTINGS.enable_metrics
    MAX_CONVERSATION_HISTORY: int = Field(_SETTINGS.max_conversation_history, ge=1)
    CHAT_RATE_LIMIT: int = Field(_SETTINGS.chat_rate_limit, ge=1)


class NetworkPolicyValues(_Values):
    enabled: bool = Field(_NETWORK.enabled, description="default deny, then only the documented paths")
    ingress_controller_namespace: str = Field(_NETWORK.ingress_controller_namespace,
                                              description="may reach the frontend and the backend")
    dns_namespace: str = Field(_NETWORK.dns_namespace, description="namespace of the cluster DNS pods")
    dns_pod_labels: dict[str, str] = Field(dict(_NETWORK.dns_pod_labels), description="the cluster DNS pods")
    dns_cidrs: list[str] = Field(list(_NETWORK.dns_cidrs), description="further DNS servers (NodeLocal DNSCache)")
    https_egress_cidrs: list[str] = Field(list(_NETWORK.https_egress_cidrs),
                                          description="where the backend may use HTTPS (its LLM APIs)")
    https_egress_except: list[str] = Field(list(_NETWORK.https_egress_except),
                                           description="excluded from httpsEgressCidrs")


class SecretsValues(_Values):
    existing_secret: str | None = Field(None, description="Secret managed outside the app with keys "
                                                          "DATABASE_URL, COHERE_API_KEY, BETTER_AUTH_SECRET, GEMINI_API_KEY")


class TaskoraValues(_Values):
    """The values file. Every default is the documented model's."""

    app_name: str = Field(DEFAULT_APP_NAME, description="prefix of every object name")
    namespace: str | None = Field(None, description="default: appName")
    frontend: FrontendValues = FrontendValues()
    backend: BackendValues = BackendValues()
    database: DatabaseValues = DatabaseValues()
    ingress: IngressValues = IngressValues()
    config: ConfigValues = ConfigValues()
    secrets: SecretsValues = SecretsValues()
    network_policy: NetworkPolicyValues = Field(NetworkPolicyValues(), description="NetworkPolicies")
    require_image_digests: bool = Field(False, description="refuse an image without a digest (production)")


def values_json_schema() -> dict:
    schema = TaskoraValues.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Taskora values file (config/*.yaml)"
    return schema


# --- loading -----------------------------------------------------------------------------

def _merge(base: dict, layer: Mapping, origin: dict, source: str, prefix: str = "") -> None:
    """Deep-merge ``layer`` into ``base``, recording the source file of every leaf key path."""
    for key, value in layer.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, source, path)
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value
            for known in [k for k in origin if k == path or k.startswith(path + ".")]:
                del origin[known]
            _record(origin, value, source, path)


def _record(origin: dict, value: Any, source: str, path: str) -> None:
    origin[path] = source
    if isinstance(value, Mapping):
        for key, child in value.items():
            _record(origin, child, source, f"{path}.{key}")


def _source_of(origin: Mapping[str, str], path: str) -> str:
    while path:
        if path in origin:
            return origin[path]
        path = path.rpartition(".")[0]
    return "values"


def _read_layer(path: Path, problems: list[Problem]) -> Mapping | None:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        problems.append(Problem(where=str(path), field="(file)", value=str(path),
                                rule=f"must be a readable file ({error.strerror})",
                                fix="check the path given in TASKORA_VALUES / TASKORA_ENV"))
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(where=str(path), field="(file)", value=str(path),
                                rule=f"must be valid YAML ({getattr(error, 'problem', error)}{at})",
                                fix="fix the YAML syntax"))
        return None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(Problem(where=str(path), field="(top level)", value=type(data).__name__,
                                rule="must be a mapping of keys to values", fix="start the file with keys such as 'backend:'"))
        return None
    return data


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc[:-1]:
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [f.alias or name for name, f in model.model_fields.items()]


def _problems_from_validation(error: ValidationError, origin: Mapping[str, str]) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        path = ".".join(loc)
        where = _source_of(origin, path)
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(TaskoraValues, loc)
            close = difflib.get_close_matches(loc[-1], allowed, n=1)
            fix = f"did you mean {'.'.join(loc[:-1] + (close[0],))!r}?" if close else \
                f"remove it; known keys here: {', '.join(allowed)}"
            problems.append(Problem(where=where, field=path, value=item["input"],
                                    rule="is not a known key", fix=fix))
        else:
            problems.append(Problem(where=where, field=path, value=item.get("input"),
                                    rule=item["msg"].lower(), fix=f"see docs/values.schema.json for {path}"))
    return problems


def _resources(values: ResourcesValues, default: Resources) -> Resources:
    return Resources(
        requests=ComputeResources(cpu=values.requests.cpu or default.requests.cpu,
                                  memory=values.requests.memory or default.requests.memory),
        limits=ComputeResources(cpu=values.limits.cpu or default.limits.cpu,
                                memory=values.limits.memory or default.limits.memory))


def _props(values: TaskoraValues, origin: Mapping[str, str], secrets: TaskoraSecretValues) -> TaskoraProps:
    """Typed props from parsed values; the props' own rules report under the values' key paths."""
    problems: list[Problem] = []

    def build(component: str, factory):
        try:
            return factory()
        except TaskoraConfigError as error:
            for problem in error.problems:
                path = f"{component}.{problem.field}" if component else problem.field
                problems.append(replace(problem, where=_source_of(origin, path), field=path))
            return None

    v = values
    digests: dict[str, str | None] = {}
    for component in ("frontend", "backend", "database"):
        part = getattr(v, component)
        found = _digest_problems(component, part.image, part.image_digest, v.require_image_digests, origin)
        problems += found
        digests[component] = None if found else part.image_digest
    frontend = build("frontend", lambda: FrontendProps(
        **_web_props(v.frontend, digests["frontend"], origin, "frontend", problems),
        resources=_resources(v.frontend.resources, _FRONTEND.resources)))
    backend = build("backend", lambda: BackendProps(
        **_web_props(v.backend, digests["backend"], origin, "backend", problems),
        resources=_resources(v.backend.resources, _BACKEND.resources)))
    backup = v.database.backup
    database = build("database", lambda: PostgresProps(
        image=_image(v.database.image, digests["database"]), image_pull_policy=v.database.image_pull_policy,
        resources=_resources(v.database.resources, _DATABASE.resources), storage=v.database.storage,
        storage_class_name=v.database.storage_class_name, database_name=v.database.name,
        username=v.database.username, run_as_user=v.database.run_as_user, run_as_group=v.database.run_as_group,
        fs_group=v.database.fs_group, termination_grace_period_seconds=v.database.termination_grace_period_seconds,
        credentials_from_files=v.database.credentials_from_files,
        policy_exceptions=_exceptions(v.database.policy_exceptions),
        backup=build("database.backup", lambda: PostgresBackup(
            schedule=backup.schedule, time_zone=backup.time_zone, retention=backup.retention,
            storage=backup.storage, storage_class_name=backup.storage_class_name, run_as_user=backup.run_as_user,
            policy_exceptions=_exceptions(backup.policy_exceptions))) if backup.enabled else None))
    ingress = build("ingress", lambda: IngressProps(host=v.ingress.host, class_name=v.ingress.class_name))
    network = v.network_policy
    network_policy = build("networkPolicy", lambda: NetworkPolicyProps(
        enabled=network.enabled, ingress_controller_namespace=network.ingress_controller_namespace,
        dns_namespace=network.dns_namespace, dns_pod_labels=dict(network.dns_pod_labels),
        dns_cidrs=tuple(network.dns_cidrs), https_egress_cidrs=tuple(network.https_egress_cidrs),
        https_egress_except=tuple(network.https_egress_except)))
    settings = build("config", lambda: AppSettings(
        app_env=v.config.APP_ENV, log_level=v.config.LOG_LEVEL, enable_metrics=v.config.ENABLE_METRICS,
        max_conversation_history=v.config.MAX_CONVERSATION_HISTORY, chat_rate_limit=v.config.CHAT_RATE_LIMIT))
    if v.database.existing_secret and not v.secrets.existing_secret:
        problems.append(Problem(where=_source_of(origin, "database.existingSecret"), field="database.existingSecret",
                                value=v.database.existing_secret,
                                rule="needs secrets.existingSecret too: DATABASE_URL embeds the database password, "
                                     "which an existing Secret keeps from this app",
                                fix="set secrets.existingSecret to a Secret holding DATABASE_URL and the API keys"))
    if problems:
        raise TaskoraConfigError(problems)
    names_problems: list[Problem] = []
    try:
        from taskora_constructs import TaskoraNames
        TaskoraNames(app=v.app_name, namespace_override=v.namespace)
    except TaskoraConfigError as error:
        names_problems = [replace(p, where=_source_of(origin, "appName" if p.field == "app" else p.field),
                                  field="appName" if p.field == "app" else p.field) for p in error.problems]
    if names_problems:
        raise TaskoraConfigError(names_problems)
    return TaskoraProps(app_name=v.app_name, namespace=v.namespace, frontend=frontend, backend=backend,
                        database=database, ingress=ingress, settings=settings, secrets=secrets,
                        network_policy=network_policy)


def _image(image: str, digest: str | None) -> str:
    return f"{image}@{digest}" if digest else image


def _exceptions(values: Mapping[str, str | None]) -> dict[str, str]:
    """A layer removes an exception of a lower one with ``null``."""
    return {check: reason for check, reason in values.items() if reason is not None}


def _digest_problems(component: str, image: str, digest: str | None, required: bool,
                     origin: Mapping[str, str]) -> list[Problem]:
    path = f"{component}.imageDigest"
    if digest is not None:
        if not _DIGEST.match(digest):
            return [Problem(where=_source_of(origin, path), field=path, value=digest,
                            rule="must be a sha256 digest: 'sha256:' and 64 lower-case hex digits",
                            fix="copy the digest your registry reported for the pushed image")]
        if "@" in image:
            return [Problem(where=_source_of(origin, path), field=path, value=digest,
                            rule=f"must not be given when {component}.image already has one ({image})",
                            fix=f"drop {component}.imageDigest or the digest in {component}.image")]
        return []
    if required and "@" not in image:
        return [Problem(where=_source_of(origin, "requireImageDigests"), field=path, value=None,
                        rule="is required here (requireImageDigests): a tag can be moved to other content, "
                             "a digest cannot",
                        fix=f"set {component}.imageDigest to the digest of {image} (sha256:...), e.g. in a "
                            "TASKORA_VALUES layer your release pipeline writes")]
    return []


def _web_props(values: "_WebValues", digest: str | None, origin: Mapping[str, str], component: str,
               problems: list[Problem]) -> dict[str, Any]:
    """The FrontendProps/BackendProps fields both share, from their values."""
    budget = values.disruption_budget
    scaling = values.autoscaling
    autoscaling = None
    if scaling.enabled:
        if scaling.max_replicas is None:
            path = f"{component}.autoscaling.maxReplicas"
            problems.append(Problem(where=_source_of(origin, f"{component}.autoscaling"), field=path, value=None,
                                    rule="is required when autoscaling is enabled",
                                    fix=f"set {path}, e.g. twice {component}.replicas"))
        else:
            autoscaling = Autoscaling(min_replicas=scaling.min_replicas or values.replicas,
                                      max_replicas=scaling.max_replicas,
                                      target_cpu_utilization_percent=scaling.target_cpu_utilization_percentage)
    return dict(
        replicas=values.replicas, image=_image(values.image, digest),
        image_pull_policy=values.image_pull_policy, run_as_user=values.run_as_user,
        run_as_group=values.run_as_group, fs_group=values.fs_group,
        disruption_budget=DisruptionBudget(max_unavailable=budget.max_unavailable,
                                           min_available=budget.min_available) if budget.enabled else None,
        autoscaling=autoscaling, spread_across_nodes=values.spread_across_nodes,
        writable_paths=tuple(values.writable_paths), policy_exceptions=_exceptions(values.policy_exceptions))


def _without(data: dict, locs: list[tuple[str, ...]]) -> TaskoraValues | None:
    pruned = copy.deepcopy(data)
    for loc in locs:
        parent = pruned
        for key in loc[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(loc[-1], None)
    try:
        return TaskoraValues.model_validate(pruned)
    except ValidationError:
        return None


def _get(data: Mapping, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data if isinstance(data, str) and data else None


def available_envs() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load(environ: Mapping[str, str] | None = None, *, secrets_file: Path = SECRETS_FILE) -> tuple[str, TaskoraProps]:
    """The environment name and the typed props from ``TASKORA_ENV``/``TASKORA_VALUES`` and
    the secret sources (see :mod:`taskora_app.secrets`). Raises one ``TaskoraConfigError``
    carrying every problem of the values files and of the secrets."""
    environ = os.environ if environ is None else environ
    env = environ.get("TASKORA_ENV") or DEFAULT_ENV
    problems: list[Problem] = []
    layers = [CONFIG_DIR / f"{env}.yaml"]
    if not layers[0].is_file():
        raise TaskoraConfigError([Problem(where="environment", field="TASKORA_ENV", value=env,
                                          rule=f"must name a file in config/ ({', '.join(available_envs())})",
                                          fix=f"use one of: {', '.join(available_envs())}")])
    if environ.get("TASKORA_VALUES"):
        layers.append(Path(environ["TASKORA_VALUES"]))
    merged: dict = {}
    origin: dict[str, str] = {}
    for layer in layers:
        data = _read_layer(layer, problems)
        if data is not None:
            _merge(merged, data, origin, str(layer.relative_to(ROOT) if layer.is_relative_to(ROOT) else layer))
    if problems:
        raise TaskoraConfigError(problems)
    try:
        values = TaskoraValues.model_validate(merged)
    except ValidationError as error:
        problems += _problems_from_validation(error, origin)
        # Parse again without the refused keys, so the rules behind them report too.
        values = _without(merged, [tuple(str(p) for p in item["loc"]) for item in error.errors()])
    existing = merged if isinstance(merged, dict) else {}
    try:
        secrets = load_secret_values(
            env, environ, secrets_file=secrets_file,
            app_existing_secret=_get(existing, "secrets", "existingSecret"),
            database_existing_secret=_get(existing, "database", "existingSecret"))
    except TaskoraConfigError as error:
        problems += error.problems
        secrets = TaskoraSecretValues.development_placeholders()  # only to find the values' problems too
    if values is not None:
        try:
            props = _props(values, origin, secrets)
        except TaskoraConfigError as error:
            problems += error.problems
    if problems:
        raise TaskoraConfigError(problems)
    return env, props
