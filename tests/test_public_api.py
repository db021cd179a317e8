"""The public API of taskora-constructs: pinned per version, documented, composable.

The public API is the names in ``taskora_constructs.__all__``: for each class its
constructor parameters (or, for a props dataclass, its fields), its public methods,
properties and constants, and the attributes its instances expose; for each function its
parameters. ``PINNED`` records that surface for each released version.

GIVEN the live surface WHEN compared with the pin of pyproject's version THEN nothing was
removed, renamed, retyped or made required. Additions are compatible and pass. A breaking
change fails here until the version in pyproject.toml is bumped (minor while 0.x, major from
1.0) and the new surface is pinned under it: ``.venv/bin/python tests/test_public_api.py``
prints it.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import subprocess
import sys
import textwrap
from pprint import pformat

import cdk8s
import pytest
from packaging.version import Version

import taskora_constructs as lib
from conftest import ROOT, synth_taskora
from test_packaging import VERSION

ELLIPSIS = " = …"

# --- reading the live surface --------------------------------------------------------------


def _param(p: inspect.Parameter) -> str:
    prefix = {p.KEYWORD_ONLY: "*", p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
        return prefix + p.name
    annotation = "" if p.annotation is p.empty else f": {p.annotation}"
    return f"{prefix}{p.name}{annotation}{'' if p.default is p.empty else ELLIPSIS}"


def _params(function) -> list[str]:
    parameters = list(inspect.signature(function).parameters.values())
    if parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    return [_param(p) for p in parameters]


def _library_classes(cls: type) -> list[type]:
    return [c for c in cls.__mro__ if c.__module__.startswith("taskora_constructs")]


def _members(cls: type) -> dict[str, object]:
    """Public methods, properties and constants defined by the library (not by cdk8s/jsii)."""
    found: dict[str, object] = {}
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for owner in reversed(_library_classes(cls)):
        for name, value in vars(owner).items():
            if name.startswith("_") or name in fields:
                continue
            if isinstance(value, (staticmethod, classmethod)):
                found[name] = _params(getattr(cls, name))
            elif inspect.isfunction(value):
                found[name] = _params(value)
            elif isinstance(value, property):
                found[name] = "property"
            elif isinstance(value, (str, int, bool, tuple, frozenset)):
                found[name] = repr(value)
    return dict(sorted(found.items()))


def _instances() -> dict[str, object]:
    """One instance of every construct and non-props class, for its instance attributes."""
    taskora, _ = synth_taskora()
    error = lib.TaskoraConfigError([lib.Problem(where="w", field="f", value=1, rule="r", fix="x")])
    return {"Taskora": taskora, "TaskoraNamespace": taskora.namespace, "PostgresDatabase": taskora.database,
            "AppConfig": taskora.config, "AppSecrets": taskora.secrets, "Backend": taskora.backend,
            "Frontend": taskora.frontend, "TaskoraIngress": taskora.ingress, "TaskoraConfigError": error,
            "TaskoraValidation": lib.TaskoraValidation.of(taskora.backend)}


def surface() -> dict[str, dict]:
    """The live public surface, in the format of ``PINNED``."""
    instances = _instances()
    result: dict[str, dict] = {}
    for name in sorted(lib.__all__):
        obj = getattr(lib, name)
        if inspect.isclass(obj):
            entry: dict = {}
            if dataclasses.is_dataclass(obj):
                entry["fields"] = [f"{f.name}: {f.type}" + (
                    ELLIPSIS if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                    else "") for f in dataclasses.fields(obj)]
            elif "__init__" in vars(obj) or any("__init__" in vars(c) for c in _library_classes(obj)):
                entry["init"] = _params(obj.__init__)
            entry["members"] = _members(obj)
            if name in instances:
                entry["attributes"] = sorted(k for k in vars(instances[name]) if not k.startswith("_"))
            result[name] = entry
        elif callable(obj):
            result[name] = {"function": _params(obj)}
        else:
            result[name] = {"constant": repr(obj)}
    return result


# --- what counts as breaking ---------------------------------------------------------------

_PARAM = re.compile(r"^(?P<stars>\**)(?P<name>\w+)(?:: (?P<annotation>.*?))?(?P<optional> = …)?$")


def _parse(spec: str) -> dict:
    match = _PARAM.match(spec)
    assert match, spec
    return {"kind": match["stars"], "name": match["name"], "annotation": match["annotation"] or "",
            "optional": bool(match["optional"])}


def _union(annotation: str) -> set[str]:
    """The members of a union annotation (``A | B[C | D]`` -> {A, B[C | D]})."""
    parts, depth, current = set(), 0, ""
    for char in annotation:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "|" and depth == 0:
            parts.add(current.strip())
            current = ""
        else:
            current += char
    return parts | {current.strip()}


def _callable_breaks(where: str, old: list[str], new: list[str]) -> list[str]:
    """Ways ``new`` breaks a caller of ``old`` (a keyword-only field list is checked the same way)."""
    before, after = [_parse(p) for p in old], [_parse(p) for p in new]
    by_name = {p["name"]: p for p in after}
    breaks = []
    positional_before = [p["name"] for p in before if p["kind"] == ""]
    positional_after = [p["name"] for p in after if p["kind"] == ""]
    if positional_after[:len(positional_before)] != positional_before:
        breaks.append(f"{where}: positional parameters {positional_before} became {positional_after}")
    for p in before:
        q = by_name.get(p["name"])
        if q is None:
            breaks.append(f"{where}: {p['name']} removed")
            continue
        if q["kind"] != p["kind"] and not (p["kind"] == "*" and q["kind"] == ""):  # keyword-only may widen
            breaks.append(f"{where}: {p['name']} changed kind")
        if p["optional"] and not q["optional"]:
            breaks.append(f"{where}: {p['name']} became required")
        if not _union(q["annotation"]) >= _union(p["annotation"]):
            breaks.append(f"{where}: {p['name']} type {p['annotation']!r} became {q['annotation']!r}")
    old_names = {p["name"] for p in before}
    breaks += [f"{where}: new required {q['name']}" for q in after
               if q["name"] not in old_names and not q["optional"] and q["kind"] in ("", "*")]
    return breaks


def breaking_changes(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    """Every change from surface ``old`` to ``new`` that can break a caller."""
    breaks = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            breaks.append(f"{name}: removed from __all__")
            continue
        for part in ("init", "fields", "function"):
            if part in before:
                if part not in after:
                    breaks.append(f"{name}: no longer has {part}")
                else:
                    breaks += _callable_breaks(f"{name}.{part}", before[part], after[part])
        if "constant" in before and after.get("constant") != before["constant"]:
            breaks.append(f"{name}: value {before['constant']} became {after.get('constant')}")
        for member, spec in before.get("members", {}).items():
            now = after.get("members", {}).get(member)
            if now is None:
                breaks.append(f"{name}.{member}: removed")
            elif isinstance(spec, list) and isinstance(now, list):
                breaks += _callable_breaks(f"{name}.{member}", spec, now)
            elif spec != now:
                breaks.append(f"{name}.{member}: {spec} became {now}")
        breaks += [f"{name}.{attribute}: attribute removed" for attribute in before.get("attributes", [])
                   if attribute not in after.get("attributes", [])]
    return breaks


def is_breaking_bump(old: str, new: str) -> bool:
    before, after = Version(old), Version(new)
    if before.major == 0:
        return after.major > 0 or after.minor > before.minor
    return after.major > before.major


# --- the pins ------------------------------------------------------------------------------

#: The surface of each released version, oldest first (generated by running this module).
PINNED: dict[str, dict[str, dict]] = {}

PINNED["0.1.0"] = (
    {'AppConfig': {'init': ['scope: Construct',
                            'construct_id: str',
                            '*api_base_url: str',
                            '*name: str = …',
                            '*namespace: str = …',
                            '*app_name: str = …',
                            '*settings: AppSettings = …'],
                   'members': {'API_BASE_URL': "'API_BASE_URL'",
                               'APP_ENV': "'APP_ENV'",
                               'CHAT_RATE_LIMIT': "'CHAT_RATE_LIMIT'",
                               'ENABLE_METRICS': "'ENABLE_METRICS'",
                               'LOG_LEVEL': "'LOG_LEVEL'",
                               'MAX_CONVERSATION_HISTORY': "'MAX_CONVERSATION_HISTORY'",
                               'checksum': ['keys: Sequence[str]'],
                               'key_ref': ['key: str']},
                   'attributes': ['config_map_name', 'data', 'namespace', 'settings']},
     'AppSecrets': {'init': ['scope: Construct',
                             'construct_id: str',
                             '*database: PostgresDatabase',
                             '*cohere_api_key: str | None = …',
                             '*better_auth_secret: str | None = …',
                             '*gemini_api_key: str | None = …',
                             '*existing_secret: str | None = …',
                             '*name: str = …',
                             '*namespace: str = …',
                             '*app_name: str = …'],
                    'members': {'BETTER_AUTH_SECRET': "'BETTER_AUTH_SECRET'",
                                'COHERE_API_KEY': "'COHERE_API_KEY'",
                                'DATABASE_URL': "'DATABASE_URL'",
                                'GEMINI_API_KEY': "'GEMINI_API_KEY'",
                                'checksum': ['keys: Sequence[str]'],
                                'key_ref': ['key: str']},
                    'attributes': ['database', 'keys', 'manages_secret', 'namespace', 'secret_name']},
     'AppSettings': {'fields': ['app_env: str = …',
                                'log_level: str = …',
                                'enable_metrics: bool = …',
                                'max_conversation_history: int = …',
                                'chat_rate_limit: int = …'],
                     'members': {}},
     'Backend': {'init': ['scope: Construct',
                          'construct_id: str',
                          '*config: AppConfig',
                          '*secrets: AppSecrets',
                          '*database: PostgresDatabase',
                          '*name: str = …',
                          '*namespace: str = …',
                          '*props: BackendProps = …'],
                 'members': {'url_for': ['name: str', 'props: BackendProps']},
                 'attributes': ['database',
                                'namespace',
                                'pod_labels',
                                'port',
                                'props',
                                'selector_labels',
                                'service_name',
                                'url']},
     'BackendProps': {'fields': ['image: str = …',
                                 'image_pull_policy: str = …',
                                 'resources: Resources = …',
                                 'probes: Probes = …',
                                 'replicas: int = …',
                                 'port: int = …',
                                 'health_path: str = …',
                                 'run_as_user: int = …',
                                 'fs_group: int = …'],
                      'members': {'problems': ['where: str']}},
     'ComputeResources': {'fields': ['cpu: str', 'memory: str'],
                          'members': {'problems': ['where: str', 'field_prefix: str'], 'to_json': []}},
     'DEFAULT_APP_NAME': {'constant': "'taskora'"},
     'Declarations': {'fields': ['external_secrets: tuple[ExternalSecret, ...] = …',
                                 'allowed_namespaces: tuple[str, ...] = …',
                                 'required_secret_keys: tuple[RequiredSecretKeys, ...] = …',
                                 'where: str = …'],
                      'members': {}},
     'ExternalSecret': {'fields': ['name: str', 'namespace: str', 'keys: tuple[str, ...]'], 'members': {}},
     'Frontend': {'init': ['scope: Construct',
                           'construct_id: str',
                           '*config: AppConfig',
                           "*backend: 'WebWorkload'",
                           '*name: str = …',
                           '*namespace: str = …',
                           '*props: FrontendProps = …'],
                  'members': {},
                  'attributes': ['backend',
                                 'namespace',
                                 'pod_labels',
                                 'port',
                                 'props',
                                 'selector_labels',
                                 'service_name',
                                 'url']},
     'FrontendProps': {'fields': ['image: str = …',
                                  'image_pull_policy: str = …',
                                  'resources: Resources = …',
                                  'probes: Probes = …',
                                  'replicas: int = …',
                                  'port: int = …',
                                  'health_path: str = …',
                                  'run_as_user: int = …',
                                  'fs_group: int = …'],
                       'members': {'problems': ['where: str']}},
     'IngressProps': {'fields': ['host: str = …',
                                 'class_name: str = …',
                                 'api_path_prefix: str = …',
                                 'proxy_body_size: str = …',
                                 'proxy_read_timeout_seconds: int = …'],
                      'members': {}},
     'PostgresDatabase': {'init': ['scope: Construct',
                                   'construct_id: str',
                                   '*password: str | None = …',
                                   '*existing_secret: str | None = …',
                                   '*name: str = …',
                                   '*namespace: str = …',
                                   '*props: PostgresProps = …'],
                          'members': {'PASSWORD_KEY': "'password'",
                                      'USERNAME_KEY': "'username'",
                                      'connection_url': ['client_namespace: str'],
                                      'host_for': ['client_namespace: str']},
                          'attributes': ['credentials_secret_name',
                                         'database_name',
                                         'manages_credentials',
                                         'namespace',
                                         'pod_labels',
                                         'port',
                                         'props',
                                         'selector_labels',
                                         'service_name',
                                         'username']},
     'PostgresProps': {'fields': ['image: str = …',
                                  'image_pull_policy: str = …',
                                  'resources: Resources = …',
                                  'probes: Probes = …',
                                  'port: int = …',
                                  'database_name: str = …',
                                  'username: str = …',
                                  'storage: str = …',
                                  'storage_class_name: str | None = …',
                                  'data_path: str = …'],
                       'members': {'MIN_STORAGE': "'1Gi'", 'problems': ['where: str']}},
     'ProbeTiming': {'fields': ['initial_delay_seconds: int',
                                'period_seconds: int',
                                'timeout_seconds: int',
                                'failure_threshold: int = …'],
                     'members': {'problems': ['where: str', 'field_prefix: str'], 'to_json': []}},
     'Probes': {'fields': ['liveness: ProbeTiming', 'readiness: ProbeTiming'],
                'members': {'problems': ['where: str']}},
     'Problem': {'fields': ['where: str', 'field: str', 'value: Any', 'rule: str', 'fix: str'], 'members': {}},
     'Resources': {'fields': ['requests: ComputeResources', 'limits: ComputeResources'],
                   'members': {'problems': ['where: str', 'field_prefix: str = …'], 'to_json': []}},
     'Taskora': {'init': ['app: cdk8s.App', 'props: TaskoraProps'],
                 'members': {},
                 'attributes': ['backend',
                                'charts',
                                'config',
                                'database',
                                'frontend',
                                'ingress',
                                'names',
                                'namespace',
                                'secrets']},
     'TaskoraConfigError': {'init': ['problems: Iterable[Problem]', '*messages: Iterable[str] = …'],
                            'members': {},
                            'attributes': ['messages', 'problems']},
     'TaskoraIngress': {'init': ['scope: Construct',
                                 'construct_id: str',
                                 '*frontend: WebWorkload',
                                 '*backend: WebWorkload',
                                 '*name: str = …',
                                 '*namespace: str = …',
                                 '*app_name: str = …',
                                 '*props: IngressProps = …'],
                        'members': {},
                        'attributes': ['api_ingress_name', 'host', 'ingress_name']},
     'TaskoraNames': {'fields': ['app: str = …', 'namespace_override: str | None = …'],
                      'members': {'backend': 'property',
                                  'config': 'property',
                                  'database': 'property',
                                  'database_credentials': 'property',
                                  'frontend': 'property',
                                  'ingress': 'property',
                                  'namespace': 'property',
                                  'secrets': 'property'}},
     'TaskoraNamespace': {'init': ['scope: Construct',
                                   'construct_id: str',
                                   '*name: str = …',
                                   '*app_name: str = …'],
                          'members': {},
                          'attributes': ['namespace_name']},
     'TaskoraProps': {'fields': ['secrets: TaskoraSecretValues',
                                 'app_name: str = …',
                                 'namespace: str | None = …',
                                 'frontend: FrontendProps = …',
                                 'backend: BackendProps = …',
                                 'database: PostgresProps = …',
                                 'settings: AppSettings = …',
                                 'ingress: IngressProps = …'],
                      'members': {}},
     'TaskoraSecretValues': {'fields': ['cohere_api_key: str | None = …',
                                        'better_auth_secret: str | None = …',
                                        'gemini_api_key: str | None = …',
                                        'database_password: str | None = …',
                                        'existing_secret: str | None = …',
                                        'database_existing_secret: str | None = …'],
                             'members': {'development_placeholders': []}},
     'TaskoraValidation': {'init': ['scope: Construct', 'construct_id: str'],
                           'members': {'ID': "'taskora-validation'",
                                       'allow_namespace': ['namespace: str'],
                                       'api_objects': [],
                                       'declarations': 'property',
                                       'declare_external_secret': ['*name: str',
                                                                   '*namespace: str',
                                                                   '*keys: Iterable[str]'],
                                       'of': ['scope: IConstruct'],
                                       'problems': [],
                                       'require_secret_keys': ['*name: str',
                                                               '*namespace: str',
                                                               '*keys: Iterable[str]',
                                                               '*required_by: str = …']},
                           'attributes': ['last_problems']},
     'WebWorkload': {'init': ['scope: Construct',
                              'construct_id: str',
                              '*name: str',
                              '*namespace: str',
                              '*component: str',
                              '*container_name: str',
                              '*props: WebWorkloadProps',
                              '*env: Sequence[Json]',
                              '*pod_annotations: Mapping[str, str | None] | None = …'],
                     'members': {}},
     'check_manifests': {'function': ['objects: Iterable[Manifest | tuple[str, Manifest]]',
                                      'declarations: Declarations = …']},
     'config_error_from_synth': {'function': ['error: BaseException', 'app: IConstruct']},
     'declare_external_secret': {'function': ['scope: IConstruct',
                                              '*name: str',
                                              '*namespace: str',
                                              '*keys: Iterable[str]']}}
)

# 0.2.0: constructs are Construct(scope, id, props) with props also as keyword arguments; names
# from the id and the namespace from the enclosing Chart; the lint is opt-in; WebWorkload is generic.
PINNED["0.2.0"] = (
    {'Allow': {'fields': ['peer: NetworkPeer', 'ports: tuple[int, ...]'],
               'members': {'rule': ['direction: str']}},
     'AppConfig': {'init': ['scope: Construct',
                            'construct_id: str',
                            '*api_base_url: str',
                            '*name: str | None = …',
                            '*namespace: str | None = …',
                            '*app_name: str = …',
                            '*settings: AppSettings = …'],
                   'members': {'API_BASE_URL': "'API_BASE_URL'",
                               'APP_ENV': "'APP_ENV'",
                               'CHAT_RATE_LIMIT': "'CHAT_RATE_LIMIT'",
                               'ENABLE_METRICS': "'ENABLE_METRICS'",
                               'LOG_LEVEL': "'LOG_LEVEL'",
                               'MAX_CONVERSATION_HISTORY': "'MAX_CONVERSATION_HISTORY'",
                               'checksum': ['keys: Sequence[str]'],
                               'key_ref': ['key: str']},
                   'attributes': ['api_object',
                                  'config_map',
                                  'config_map_name',
                                  'data',
                                  'namespace',
                                  'settings']},
     'AppSecrets': {'init': ['scope: Construct',
                             'construct_id: str',
                             '*database: PostgresDatabase',
                             '*cohere_api_key: str | None = …',
                             '*better_auth_secret: str | None = …',
                             '*gemini_api_key: str | None = …',
                             '*existing_secret: str | None = …',
                             '*name: str | None = …',
                             '*namespace: str | None = …',
                             '*app_name: str = …'],
                    'members': {'BETTER_AUTH_SECRET': "'BETTER_AUTH_SECRET'",
                                'COHERE_API_KEY': "'COHERE_API_KEY'",
                                'DATABASE_URL': "'DATABASE_URL'",
                                'GEMINI_API_KEY': "'GEMINI_API_KEY'",
                                'checksum': ['keys: Sequence[str]'],
                                'key_ref': ['key: str']},
                    'attributes': ['api_object',
                                   'database',
                                   'keys',
                                   'manages_secret',
                                   'namespace',
                                   'secret',
                                   'secret_name']},
     'AppSettings': {'fields': ['app_env: str = …',
                                'log_level: str = …',
                                'enable_metrics: bool = …',
                                'max_conversation_history: int = …',
                                'chat_rate_limit: int = …'],
                     'members': {}},
     'Autoscaling': {'fields': ['max_replicas: int',
                                'min_replicas: int | None = …',
                                'target_cpu_utilization_percent: int = …'],
                     'members': {'floor': ['replicas: int'],
                                 'problems': ['where: str', 'field_prefix: str', 'replicas: int']}},
     'Backend': {'init': ['scope: Construct',
                          'construct_id: str',
                          'props: BackendProps | None = …',
                          '*config: AppConfig',
                          '*secrets: AppSecrets',
                          '*database: PostgresDatabase',
                          '*name: str | None = …',
                          '*namespace: str | None = …',
                          '**props_fields'],
                 'members': {'url_for': ['name: str', 'props: BackendProps | None = …']},
                 'attributes': ['api_object',
                                'autoscaler',
                                'container_name',
                                'container_port',
                                'database',
                                'deployment',
                                'disruption_budget',
                                'namespace',
                                'pod_labels',
                                'port',
                                'port_name',
                                'props',
                                'selector_labels',
                                'service',
                                'service_account',
                                'service_account_name',
                                'service_name',
                                'url']},
     'BackendProps': {'fields': ['env: tuple[EnvVar, ...] = …',
                                 'volumes: tuple[k8s.Volume, ...] = …',
                                 'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                                 'sidecars: tuple[k8s.Container, ...] = …',
                                 'init_containers: tuple[k8s.Container, ...] = …',
                                 'labels: Mapping[str, str] = …',
                                 'annotations: Mapping[str, str] = …',
                                 'pod_labels: Mapping[str, str] = …',
                                 'pod_annotations: Mapping[str, str] = …',
                                 'node_selector: Mapping[str, str] = …',
                                 'tolerations: tuple[k8s.Toleration, ...] = …',
                                 'affinity: k8s.Affinity | None = …',
                                 'image_pull_secrets: tuple[str, ...] = …',
                                 'priority_class_name: str | None = …',
                                 'image: str = …',
                                 'image_pull_policy: str = …',
                                 'resources: Resources = …',
                                 'probes: Probes = …',
                                 'replicas: int = …',
                                 'port: int = …',
                                 'service_port: int | None = …',
                                 'health_path: str = …',
                                 'command: tuple[str, ...] | None = …',
                                 'args: tuple[str, ...] | None = …',
                                 'run_as_user: int = …',
                                 'fs_group: int = …',
                                 'run_as_group: int = …',
                                 'read_only_root_filesystem: bool = …',
                                 'writable_paths: tuple[str, ...] = …',
                                 'writable_size_limit: str = …',
                                 'seccomp_profile: str = …',
                                 'automount_service_account_token: bool = …',
                                 'policy_exceptions: Mapping[str, str] = …',
                                 'disruption_budget: DisruptionBudget | None = …',
                                 'autoscaling: Autoscaling | None = …',
                                 'spread_across_nodes: bool = …'],
                      'members': {'pod_problems': ['where: str'], 'problems': ['where: str']}},
     'ComputeResources': {'fields': ['cpu: str', 'memory: str'],
                          'members': {'problems': ['where: str', 'field_prefix: str'], 'to_json': []}},
     'DEFAULT_APP_NAME': {'constant': "'taskora'"},
     'Declarations': {'fields': ['external_secrets: tuple[ExternalSecret, ...] = …',
                                 'allowed_namespaces: tuple[str, ...] = …',
                                 'required_secret_keys: tuple[RequiredSecretKeys, ...] = …',
                                 'where: str = …',
                                 'external_objects: tuple[tuple[str, str, str], ...] = …'],
                      'members': {}},
     'DisruptionBudget': {'fields': ['max_unavailable: int | None = …', 'min_available: int | None = …'],
                          'members': {'problems': ['where: str', 'field_prefix: str', 'replicas: int']}},
     'EnvVar': {'fields': ['name: str', 'value: str | None = …', 'value_from: k8s.EnvVarSource | None = …'],
                'members': {'config_map_key': ['name: str', 'config_map: str', 'key: str'],
                            'from_key': ['name: str', 'source: KeyReferable', 'key: str'],
                            'of': ['name: str', 'value: str'],
                            'secret_key': ['name: str', 'secret: str', 'key: str'],
                            'to_json': []}},
     'ExternalSecret': {'fields': ['name: str', 'namespace: str', 'keys: tuple[str, ...]'], 'members': {}},
     'Frontend': {'init': ['scope: Construct',
                           'construct_id: str',
                           'props: FrontendProps | None = …',
                           '*config: AppConfig',
                           '*backend: WebWorkload',
                           '*name: str | None = …',
                           '*namespace: str | None = …',
                           '**props_fields'],
                  'members': {},
                  'attributes': ['api_object',
                                 'autoscaler',
                                 'backend',
                                 'container_name',
                                 'container_port',
                                 'deployment',
                                 'disruption_budget',
                                 'namespace',
                                 'pod_labels',
                                 'port',
                                 'port_name',
                                 'props',
                                 'selector_labels',
                                 'service',
                                 'service_account',
                                 'service_account_name',
                                 'service_name',
                                 'url']},
     'FrontendProps': {'fields': ['env: tuple[EnvVar, ...] = …',
                                  'volumes: tuple[k8s.Volume, ...] = …',
                                  'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                                  'sidecars: tuple[k8s.Container, ...] = …',
                                  'init_containers: tuple[k8s.Container, ...] = …',
                                  'labels: Mapping[str, str] = …',
                                  'annotations: Mapping[str, str] = …',
                                  'pod_labels: Mapping[str, str] = …',
                                  'pod_annotations: Mapping[str, str] = …',
                                  'node_selector: Mapping[str, str] = …',
                                  'tolerations: tuple[k8s.Toleration, ...] = …',
                                  'affinity: k8s.Affinity | None = …',
                                  'image_pull_secrets: tuple[str, ...] = …',
                                  'priority_class_name: str | None = …',
                                  'image: str = …',
                                  'image_pull_policy: str = …',
                                  'resources: Resources = …',
                                  'probes: Probes = …',
                                  'replicas: int = …',
                                  'port: int = …',
                                  'service_port: int | None = …',
                                  'health_path: str = …',
                                  'command: tuple[str, ...] | None = …',
                                  'args: tuple[str, ...] | None = …',
                                  'run_as_user: int = …',
                                  'fs_group: int = …',
                                  'run_as_group: int = …',
                                  'read_only_root_filesystem: bool = …',
                                  'writable_paths: tuple[str, ...] = …',
                                  'writable_size_limit: str = …',
                                  'seccomp_profile: str = …',
                                  'automount_service_account_token: bool = …',
                                  'policy_exceptions: Mapping[str, str] = …',
                                  'disruption_budget: DisruptionBudget | None = …',
                                  'autoscaling: Autoscaling | None = …',
                                  'spread_across_nodes: bool = …'],
                       'members': {'pod_problems': ['where: str'], 'problems': ['where: str']}},
     'IngressProps': {'fields': ['host: str = …',
                                 'class_name: str = …',
                                 'api_path_prefix: str = …',
                                 'proxy_body_size: str = …',
                                 'proxy_read_timeout_seconds: int = …'],
                      'members': {}},
     'NamespaceNetworkPolicy': {'init': ['scope: Construct',
                                         'construct_id: str',
                                         '*name: str | None = …',
                                         '*namespace: str | None = …',
                                         '*app_name: str = …',
                                         '*props: NetworkPolicyProps = …'],
                                'members': {}},
     'NetworkPeer': {'fields': ['peers: tuple[Mapping[str, Any], ...]', 'description: str'],
                     'members': {'cidrs': ['blocks: Sequence[Mapping[str, Any]]', 'description: str = …'],
                                 'namespace': ['name: str', 'pod_labels: Mapping[str, str] | None = …'],
                                 'pods': ['selector_labels: Mapping[str, str]',
                                          'description: str = …',
                                          'namespace: str | None = …'],
                                 'workload': ["workload: 'SelectsPods'", 'policy_namespace: str | None = …']}},
     'NetworkPolicyProps': {'fields': ['enabled: bool = …',
                                       'ingress_controller_namespace: str = …',
                                       'dns_namespace: str = …',
                                       'dns_pod_labels: Mapping[str, str] = …',
                                       'dns_cidrs: tuple[str, ...] = …',
                                       'https_egress_cidrs: tuple[str, ...] = …',
                                       'https_egress_except: tuple[str, ...] = …'],
                            'members': {'https_blocks': []}},
     'PodOptions': {'fields': ['env: tuple[EnvVar, ...] = …',
                               'volumes: tuple[k8s.Volume, ...] = …',
                               'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                               'sidecars: tuple[k8s.Container, ...] = …',
                               'init_containers: tuple[k8s.Container, ...] = …',
                               'labels: Mapping[str, str] = …',
                               'annotations: Mapping[str, str] = …',
                               'pod_labels: Mapping[str, str] = …',
                               'pod_annotations: Mapping[str, str] = …',
                               'node_selector: Mapping[str, str] = …',
                               'tolerations: tuple[k8s.Toleration, ...] = …',
                               'affinity: k8s.Affinity | None = …',
                               'image_pull_secrets: tuple[str, ...] = …',
                               'priority_class_name: str | None = …'],
                    'members': {'pod_problems': ['where: str']}},
     'PostgresBackup': {'fields': ['schedule: str = …',
                                   'time_zone: str = …',
                                   'retention: int = …',
                                   'storage: str = …',
                                   'storage_class_name: str | None = …',
                                   'resources: Resources = …',
                                   'run_as_user: int = …',
                                   'active_deadline_seconds: int = …',
                                   'policy_exceptions: Mapping[str, str] = …'],
                        'members': {'MOUNT_PATH': "'/var/lib/postgresql/backup'", 'problems': ['where: str']}},
     'PostgresDatabase': {'init': ['scope: Construct',
                                   'construct_id: str',
                                   'props: PostgresProps | None = …',
                                   '*password: str | None = …',
                                   '*existing_secret: str | None = …',
                                   '*name: str | None = …',
                                   '*namespace: str | None = …',
                                   '**props_fields'],
                          'members': {'PASSWORD_KEY': "'password'",
                                      'USERNAME_KEY': "'username'",
                                      'connection_url': ['client_namespace: str | None'],
                                      'credentials_volume': [],
                                      'host_for': ['client_namespace: str | None'],
                                      'pgdata': 'property'},
                          'attributes': ['api_object',
                                         'backup_cron_job',
                                         'backup_name',
                                         'backup_service_account',
                                         'credentials',
                                         'credentials_secret_name',
                                         'database_name',
                                         'manages_credentials',
                                         'namespace',
                                         'pod_labels',
                                         'port',
                                         'port_name',
                                         'props',
                                         'selector_labels',
                                         'service',
                                         'service_account',
                                         'service_account_name',
                                         'service_name',
                                         'stateful_set',
                                         'username']},
     'PostgresProps': {'fields': ['env: tuple[EnvVar, ...] = …',
                                  'volumes: tuple[k8s.Volume, ...] = …',
                                  'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                                  'sidecars: tuple[k8s.Container, ...] = …',
                                  'init_containers: tuple[k8s.Container, ...] = …',
                                  'labels: Mapping[str, str] = …',
                                  'annotations: Mapping[str, str] = …',
                                  'pod_labels: Mapping[str, str] = …',
                                  'pod_annotations: Mapping[str, str] = …',
                                  'node_selector: Mapping[str, str] = …',
                                  'tolerations: tuple[k8s.Toleration, ...] = …',
                                  'affinity: k8s.Affinity | None = …',
                                  'image_pull_secrets: tuple[str, ...] = …',
                                  'priority_class_name: str | None = …',
                                  'image: str = …',
                                  'image_pull_policy: str = …',
                                  'resources: Resources = …',
                                  'probes: Probes = …',
                                  'port: int = …',
                                  'database_name: str = …',
                                  'username: str = …',
                                  'storage: str = …',
                                  'storage_class_name: str | None = …',
                                  'data_path: str = …',
                                  'writable_paths: tuple[str, ...] = …',
                                  'run_as_user: int = …',
                                  'run_as_group: int = …',
                                  'fs_group: int = …',
                                  'read_only_root_filesystem: bool = …',
                                  'writable_size_limit: str = …',
                                  'seccomp_profile: str = …',
                                  'automount_service_account_token: bool = …',
                                  'termination_grace_period_seconds: int = …',
                                  'credentials_from_files: bool = …',
                                  'backup: PostgresBackup | None = …',
                                  'policy_exceptions: Mapping[str, str] = …'],
                       'members': {'MIN_STORAGE': "'1Gi'",
                                   'pod_problems': ['where: str'],
                                   'problems': ['where: str']}},
     'ProbeTiming': {'fields': ['initial_delay_seconds: int',
                                'period_seconds: int',
                                'timeout_seconds: int',
                                'failure_threshold: int = …'],
                     'members': {'problems': ['where: str', 'field_prefix: str'], 'to_json': []}},
     'Probes': {'fields': ['liveness: ProbeTiming', 'readiness: ProbeTiming', 'startup: ProbeTiming | None = …'],
                'members': {'problems': ['where: str']}},
     'Problem': {'fields': ['where: str', 'field: str', 'value: Any', 'rule: str', 'fix: str'], 'members': {}},
     'Resources': {'fields': ['requests: ComputeResources', 'limits: ComputeResources'],
                   'members': {'problems': ['where: str', 'field_prefix: str = …'], 'to_json': []}},
     'Taskora': {'init': ['scope: Construct',
                          'construct_id: str',
                          'props: TaskoraProps | None = …',
                          '**props_fields'],
                 'members': {'allow_backend_client': ['peer: NetworkPeer'],
                             'allow_database_client': ['peer: NetworkPeer']},
                 'attributes': ['backend',
                                'charts',
                                'config',
                                'database',
                                'frontend',
                                'ingress',
                                'names',
                                'namespace',
                                'network_policies',
                                'secrets']},
     'TaskoraConfigError': {'init': ['problems: Iterable[Problem]', '*messages: Iterable[str] = …'],
                            'members': {},
                            'attributes': ['messages', 'problems']},
     'TaskoraIngress': {'init': ['scope: Construct',
                                 'construct_id: str',
                                 '*frontend: WebWorkload',
                                 '*backend: WebWorkload',
                                 '*name: str | None = …',
                                 '*namespace: str | None = …',
                                 '*app_name: str = …',
                                 '*props: IngressProps = …'],
                        'members': {},
                        'attributes': ['api_ingress',
                                       'api_ingress_name',
                                       'api_object',
                                       'host',
                                       'ingress',
                                       'ingress_name']},
     'TaskoraNames': {'fields': ['app: str = …', 'namespace_override: str | None = …'],
                      'members': {'backend': 'property',
                                  'config': 'property',
                                  'database': 'property',
                                  'database_credentials': 'property',
                                  'frontend': 'property',
                                  'ingress': 'property',
                                  'namespace': 'property',
                                  'secrets': 'property'}},
     'TaskoraNamespace': {'init': ['scope: Construct',
                                   'construct_id: str',
                                   '*name: str = …',
                                   '*app_name: str = …'],
                          'members': {},
                          'attributes': ['api_object', 'namespace', 'namespace_name']},
     'TaskoraProps': {'fields': ['secrets: TaskoraSecretValues',
                                 'app_name: str = …',
                                 'namespace: str | None = …',
                                 'frontend: FrontendProps = …',
                                 'backend: BackendProps = …',
                                 'database: PostgresProps = …',
                                 'settings: AppSettings = …',
                                 'ingress: IngressProps = …',
                                 'network_policy: NetworkPolicyProps = …'],
                      'members': {}},
     'TaskoraSecretValues': {'fields': ['cohere_api_key: str | None = …',
                                        'better_auth_secret: str | None = …',
                                        'gemini_api_key: str | None = …',
                                        'database_password: str | None = …',
                                        'existing_secret: str | None = …',
                                        'database_existing_secret: str | None = …'],
                             'members': {'development_placeholders': []}},
     'TaskoraValidation': {'init': ['scope: Construct', 'construct_id: str'],
                           'members': {'ID': "'taskora-validation'",
                                       'allow_namespace': ['namespace: str'],
                                       'api_objects': [],
                                       'declarations': 'property',
                                       'declare_external': ['*kind: str', '*name: str', '*namespace: str'],
                                       'declare_external_secret': ['*name: str',
                                                                   '*namespace: str',
                                                                   '*keys: Iterable[str]'],
                                       'of': ['scope: IConstruct'],
                                       'once': [],
                                       'problems': [],
                                       'require_secret_keys': ['*name: str',
                                                               '*namespace: str',
                                                               '*keys: Iterable[str]',
                                                               '*required_by: str = …']},
                           'attributes': ['last_problems']},
     'WebWorkload': {'init': ['scope: Construct',
                              'construct_id: str',
                              'props: WebWorkloadProps | None = …',
                              '*name: str | None = …',
                              '*namespace: str | None = …',
                              '*component: str | None = …',
                              '*container_name: str | None = …',
                              '**props_fields'],
                     'members': {}},
     'WebWorkloadProps': {'fields': ['env: tuple[EnvVar, ...] = …',
                                     'volumes: tuple[k8s.Volume, ...] = …',
                                     'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                                     'sidecars: tuple[k8s.Container, ...] = …',
                                     'init_containers: tuple[k8s.Container, ...] = …',
                                     'labels: Mapping[str, str] = …',
                                     'annotations: Mapping[str, str] = …',
                                     'pod_labels: Mapping[str, str] = …',
                                     'pod_annotations: Mapping[str, str] = …',
                                     'node_selector: Mapping[str, str] = …',
                                     'tolerations: tuple[k8s.Toleration, ...] = …',
                                     'affinity: k8s.Affinity | None = …',
                                     'image_pull_secrets: tuple[str, ...] = …',
                                     'priority_class_name: str | None = …',
                                     'image: str',
                                     'image_pull_policy: str = …',
                                     'resources: Resources = …',
                                     'probes: Probes = …',
                                     'replicas: int = …',
                                     'port: int = …',
                                     'service_port: int | None = …',
                                     'health_path: str = …',
                                     'command: tuple[str, ...] | None = …',
                                     'args: tuple[str, ...] | None = …',
                                     'run_as_user: int = …',
                                     'fs_group: int = …',
                                     'run_as_group: int = …',
                                     'read_only_root_filesystem: bool = …',
                                     'writable_paths: tuple[str, ...] = …',
                                     'writable_size_limit: str = …',
                                     'seccomp_profile: str = …',
                                     'automount_service_account_token: bool = …',
                                     'policy_exceptions: Mapping[str, str] = …',
                                     'disruption_budget: DisruptionBudget | None = …',
                                     'autoscaling: Autoscaling | None = …',
                                     'spread_across_nodes: bool = …'],
                          'members': {'pod_problems': ['where: str'], 'problems': ['where: str']}},
     'WorkloadNetworkPolicy': {'init': ['scope: Construct',
                                        'construct_id: str',
                                        '*selector_labels: Mapping[str, str]',
                                        '*name: str | None = …',
                                        '*namespace: str | None = …',
                                        '*ingress: Sequence[Allow] = …',
                                        '*egress: Sequence[Allow] = …'],
                               'members': {'allow_from': ['allow: Allow'], 'allow_to': ['allow: Allow']}},
     'WorkloadProps': {'fields': ['env: tuple[EnvVar, ...] = …',
                                  'volumes: tuple[k8s.Volume, ...] = …',
                                  'volume_mounts: tuple[k8s.VolumeMount, ...] = …',
                                  'sidecars: tuple[k8s.Container, ...] = …',
                                  'init_containers: tuple[k8s.Container, ...] = …',
                                  'labels: Mapping[str, str] = …',
                                  'annotations: Mapping[str, str] = …',
                                  'pod_labels: Mapping[str, str] = …',
                                  'pod_annotations: Mapping[str, str] = …',
                                  'node_selector: Mapping[str, str] = …',
                                  'tolerations: tuple[k8s.Toleration, ...] = …',
                                  'affinity: k8s.Affinity | None = …',
                                  'image_pull_secrets: tuple[str, ...] = …',
                                  'priority_class_name: str | None = …',
                                  'image: str',
                                  'image_pull_policy: str = …',
                                  'resources: Resources',
                                  'probes: Probes'],
                       'members': {'pod_problems': ['where: str'], 'problems': ['where: str']}},
     'check_manifests': {'function': ['objects: Iterable[Manifest | tuple[str, Manifest] | tuple[str, Manifest, '
                                      'bool | frozenset[str]]]',
                                      'declarations: Declarations = …']},
     'config_error_from_synth': {'function': ['error: BaseException', 'app: IConstruct']},
     'declare_external_secret': {'function': ['scope: IConstruct',
                                              '*name: str',
                                              '*namespace: str',
                                              '*keys: Iterable[str]']}}
)


# --- tests ---------------------------------------------------------------------------------

def test_the_version_in_pyproject_is_pinned():
    assert VERSION in PINNED, (f"pin the public API of {VERSION}: add PINNED[{VERSION!r}] = the output of "
                               f"`.venv/bin/python tests/test_public_api.py`")


def test_no_breaking_change_without_a_version_bump():
    # GIVEN the surface pinned for pyproject's version WHEN compared with the live one
    breaks = breaking_changes(PINNED[VERSION], surface())
    # THEN nothing a caller relies on was removed, retyped or made required
    assert breaks == [], (f"breaking changes to the public API of {VERSION}: bump the version in "
                          f"pyproject.toml and pin the new surface (see this module's docstring)")


def test_each_pinned_version_bumps_as_its_changes_require():
    versions = sorted(PINNED, key=Version)
    assert versions == list(PINNED), "keep PINNED in version order"
    for old, new in zip(versions, versions[1:]):
        if breaking_changes(PINNED[old], PINNED[new]):
            assert is_breaking_bump(old, new), f"{old} -> {new} breaks callers: bump the major (or 0.x minor)"


def test_the_compatibility_check_catches_what_breaks_a_caller():
    # GIVEN a pinned surface WHEN a field is removed, retyped or made required THEN each is a break
    old = {"P": {"fields": ["a: str", "b: int = …"], "members": {"K": "'k'"}, "attributes": ["x"]}}
    assert breaking_changes(old, old) == []
    compatible = {"P": {"fields": ["a: str", "b: int | None = …", "c: str = …"], "members": {"K": "'k'", "L": "'l'"},
                        "attributes": ["x", "y"]}, "Q": {"function": []}}
    assert breaking_changes(old, compatible) == []
    broken = {"P": {"fields": ["a: int", "b: int", "d: str"], "members": {"K": "'key'"}, "attributes": []}}
    assert breaking_changes(old, broken) == [
        "P.fields: a type 'str' became 'int'", "P.fields: b became required", "P.fields: new required d",
        "P.K: 'k' became 'key'", "P.x: attribute removed"]
    assert breaking_changes(old, {}) == ["P: removed from __all__"]
    assert _union("Mapping[str, str | None] | None") == {"Mapping[str, str | None]", "None"}
    assert is_breaking_bump("0.1.0", "0.2.0") and not is_breaking_bump("0.1.0", "0.1.1")
    assert is_breaking_bump("1.4.0", "2.0.0") and not is_breaking_bump("1.4.0", "1.5.0")


def test_every_public_name_is_exported_once_and_documented():
    assert len(set(lib.__all__)) == len(lib.__all__)
    undocumented = []
    for name in lib.__all__:
        obj = getattr(lib, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            # a dataclass without a docstring gets its signature as __doc__
            if not doc or doc.startswith(f"{name}("):
                undocumented.append(name)
    assert undocumented == []


# Props fields whose default the docstrings do not state yet (issue #6: "typed props with
# docstrings stating each default"). The list may only shrink: remove an entry once the
# class's docstring (Attributes:) or a `#:` comment on the field names it and its default.
KNOWN_UNDOCUMENTED_DEFAULTS: dict[str, set[str]] = {}


def _field_comments(cls: type) -> dict[str, str]:
    """``#:`` comments directly above field definitions, in the class and its library bases."""
    comments: dict[str, str] = {}
    for owner in _library_classes(cls):
        lines, _ = inspect.getsourcelines(owner)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        for node in tree.body[0].body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                above = lines[node.lineno - 2].strip()
                if above.startswith("#:"):
                    comments.setdefault(node.target.id, above)
    return comments


def undocumented_defaults() -> dict[str, set[str]]:
    gaps: dict[str, set[str]] = {}
    for name in lib.__all__:
        cls = getattr(lib, name)
        if not (inspect.isclass(cls) and dataclasses.is_dataclass(cls)):
            continue
        docs = "\n".join(inspect.getdoc(c) or "" for c in _library_classes(cls))
        comments = _field_comments(cls)
        for f in dataclasses.fields(cls):
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                continue
            camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), f.name)
            text = comments.get(f.name) or (docs if re.search(rf"\b({f.name}|{camel})\b", docs) else "")
            default = f.default
            if isinstance(default, bool):
                stated = str(default).lower() in text.lower()
            elif isinstance(default, (str, int)):
                stated = str(default) in text
            else:
                stated = bool(text)
            if not stated:
                gaps.setdefault(name, set()).add(f.name)
    return gaps


def test_props_docstrings_state_each_default():
    # GIVEN every exported props dataclass THEN each field with a default is documented with
    # its default, except the known gaps listed above (which may only shrink)
    gaps = undocumented_defaults()
    new = {name: sorted(fields - KNOWN_UNDOCUMENTED_DEFAULTS.get(name, set()))
           for name, fields in gaps.items() if fields - KNOWN_UNDOCUMENTED_DEFAULTS.get(name, set())}
    assert new == {}, "document these defaults in the class docstring (Attributes:)"


# --- composing into a caller's chart and namespace ------------------------------------------

@pytest.fixture(scope="module")
def composed():
    """Every construct, under the caller's names, in a chart that already holds its own objects."""
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "team", disable_resource_name_hashes=True)
    cdk8s.ApiObject(chart, "ns", api_version="v1", kind="Namespace", metadata=cdk8s.ApiObjectMetadata(name="team-x"))
    theirs = cdk8s.ApiObject(chart, "theirs", api_version="v1", kind="ConfigMap",
                             metadata=cdk8s.ApiObjectMetadata(name="x-existing", namespace="team-x"))
    theirs.add_json_patch(cdk8s.JsonPatch.add("/data", {"owner": "team x"}))
    ns = "team-x"
    db = lib.PostgresDatabase(chart, "db", name="x-db", namespace=ns, password="pw",
                              props=lib.PostgresProps(database_name="xdata", username="xuser"))
    backend_props = lib.BackendProps(image="x/api:1.0")
    config = lib.AppConfig(chart, "config", name="x-config", namespace=ns, app_name="x",
                           api_base_url=lib.Backend.url_for("x-api", backend_props))
    secrets = lib.AppSecrets(chart, "secrets", name="x-secrets", namespace=ns, app_name="x", database=db,
                             cohere_api_key="c", better_auth_secret="b", gemini_api_key="g")
    backend = lib.Backend(chart, "api", name="x-api", namespace=ns, props=backend_props, config=config,
                          secrets=secrets, database=db)
    frontend = lib.Frontend(chart, "web", name="x-web", namespace=ns, props=lib.FrontendProps(image="x/web:1.0"),
                            config=config, backend=backend)
    ingress = lib.TaskoraIngress(chart, "ingress", name="x-ingress", namespace=ns, app_name="x",
                                 props=lib.IngressProps(host="x.example.com"), frontend=frontend, backend=backend)
    objects = cdk8s.Testing.synth(chart)
    found = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    return found, db, config, secrets, backend, frontend, ingress


def test_constructs_compose_into_the_callers_chart_namespace_and_names(composed):
    found, *_ = composed
    # THEN the caller's own objects are kept as they were
    assert found[("ConfigMap", "x-existing")]["data"] == {"owner": "team x"}
    # AND every object lands in the caller's namespace under the caller's names
    assert {o["metadata"].get("namespace") for (kind, _), o in found.items() if kind != "Namespace"} == {"team-x"}
    assert all(name.startswith("x-") or name == "team-x" for _, name in found)
    # AND nothing says "taskora" once the caller has chosen every name (and image)
    assert "taskora" not in repr(list(found.values())).lower()


def test_the_output_attributes_are_what_the_objects_say(composed):
    found, db, config, secrets, backend, frontend, ingress = composed
    # PostgresDatabase: the Service, its port and selector, the credentials Secret and its keys
    service = found[("Service", db.service_name)]
    assert service["spec"]["ports"][0]["port"] == db.port and service["spec"]["selector"] == db.selector_labels
    statefulset = found[("StatefulSet", db.service_name)]
    assert statefulset["spec"]["selector"]["matchLabels"] == db.selector_labels
    assert statefulset["spec"]["template"]["metadata"]["labels"] == db.pod_labels
    credentials = found[("Secret", db.credentials_secret_name)]
    assert set(credentials["stringData"]) == {db.USERNAME_KEY, db.PASSWORD_KEY}
    assert credentials["stringData"][db.USERNAME_KEY] == db.username == "xuser"
    assert db.connection_url(db.namespace) == "postgresql://xuser:pw@x-db:5432/xdata"
    assert db.host_for("elsewhere") == "x-db.team-x.svc"
    # Backend / Frontend: Service name, port, URL and selector
    for workload in (backend, frontend):
        service = found[("Service", workload.service_name)]
        assert service["spec"]["ports"][0]["port"] == workload.port
        assert service["spec"]["selector"] == workload.selector_labels
        assert workload.url == f"http://{workload.service_name}:{workload.port}"
        deployment = found[("Deployment", workload.service_name)]
        assert deployment["spec"]["template"]["metadata"]["labels"] == workload.pod_labels
    # AppConfig / AppSecrets: names and keys
    assert set(found[("ConfigMap", config.config_map_name)]["data"]) == set(config.data)
    assert set(found[("Secret", secrets.secret_name)]["stringData"]) == set(secrets.keys)
    assert config.key_ref(lib.AppConfig.APP_ENV) == {"configMapKeyRef": {"name": "x-config", "key": "APP_ENV"}}
    assert secrets.key_ref(lib.AppSecrets.DATABASE_URL) == {"secretKeyRef": {"name": "x-secrets",
                                                                             "key": "DATABASE_URL"}}
    # TaskoraIngress: both Ingress names and the host
    for name in (ingress.ingress_name, ingress.api_ingress_name):
        assert found[("Ingress", name)]["spec"]["rules"][0]["host"] == ingress.host == "x.example.com"


@pytest.mark.e2e
def test_make_docs_writes_a_reference_of_every_public_name(tmp_path):
    # GIVEN the library WHEN `make docs` runs (pdoc, from the docstrings)
    out = tmp_path / "api"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_", "PDOC_"))}
    result = subprocess.run(["make", "--no-print-directory", "docs", f"DOCS_DIR={out}"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"Wrote the API reference of taskora-constructs {VERSION} to {out}/index.html"]
    # THEN the page documents every name of __all__, and the docstrings' sections are rendered
    page = (out / "taskora_constructs.html").read_text()
    assert [name for name in lib.__all__ if f'id="{name}"' not in page] == []
    assert '<h6 id="attributes">Attributes:</h6>' in page and "(default <code>taskora.local</code>)" in page


if __name__ == "__main__":  # print the live surface, to pin it under a new version
    sys.stdout.write(pformat(surface(), width=110, sort_dicts=False) + "\n")
