"""Values files: typed, typo-safe configuration of one Taskora deployment.

``config/<TASKORA_ENV>.yaml`` (default ``local``) is the base layer; ``TASKORA_VALUES=<path>[:<path>...]``
adds one more; the later layer wins key by key. Each section of the merged values is built
into the constructs' props by :mod:`taskora_app.props_values`, which derives the section's
keys, defaults, rules and docs from the props themselves (one definition). Every problem
names the key path as written in the file and the file it came from; all are reported at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from taskora_constructs import (CloudNativePgOptions, CloudNativePgProps, ExternalSecretsProps, PostgresProps, Problem,
                                TaskoraConfigError, TaskoraProps, TaskoraSecretValues)

from . import downgrade, props_values
from .aliases import aliased_origin, as_written, unalias
from .origins import merge_layer, source_of
from .secrets import SECRETS_FILE, load_secret_values
from .suggest import closest
from .yaml_files import read_yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
DEFAULT_ENV = "local"
# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
_DIGEST = r"^sha256:[0-9a-f]{64}$"
_ENV_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
#: ``database.engine`` -> the props of the construct that runs PostgreSQL (the construct is the engine).
ENGINES: dict[str, type[PostgresProps] | type[CloudNativePgProps]] = {
    "statefulset": PostgresProps, "cloudnative-pg": CloudNativePgProps}
STATEFULSET = "statefulset"

#: The values file is ``TaskoraProps`` in camelCase (``settings`` is ``config``): its sections
#: and top-level keys, their defaults (these props' defaults), rules and docs, derived by
#: props_values. ``secrets`` holds only the name of an existing Secret (values come from
#: TASKORA_* variables), and a few keys only a values file has are added below.
DEFAULTS = TaskoraProps(secrets=TaskoraSecretValues.development_placeholders())
_FROM_ENVIRONMENT = ("secrets",)
#: Keys only a values file has (they are not props): section -> key -> (JSON Schema, doc).
_DIGEST_KEY = ({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
               "image digest (sha256:<64 hex>), appended to image as image@digest; required where "
               "requireImageDigests is true")
_EXISTING = ({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
             "a Secret managed outside the app holding {keys}; no Secret is synthesized")
VALUES_ONLY: dict[str, dict[str, tuple[dict, str]]] = {
    "frontend": {"imageDigest": _DIGEST_KEY},
    "backend": {"imageDigest": _DIGEST_KEY},
    "database": {"imageDigest": _DIGEST_KEY,
                 "existingSecret": (_EXISTING[0], _EXISTING[1].format(keys="username and password")),
                 # The engine is the construct (no props field): PostgresProps or CloudNativePgProps.
                 "engine": ({"type": "string", "default": STATEFULSET},
                            "Who runs PostgreSQL: statefulset (default, the documented model: this StatefulSet, "
                            "one pod on one volume) or ``cloudnative-pg`` (a CloudNativePG Cluster of replicated "
                            "instances with failover; the operator must be installed, see README). Default "
                            "statefulset.")},
}
#: The section of the database key only CloudNativePgProps has; ignored with the StatefulSet, so
#: a later layer may switch the engine without deleting it.
_CNPG_KEY = "cloudnativePg"
TOP_LEVEL_ONLY = {
    "requireImageDigests": ({"type": "boolean", "default": False},
                            "refuse an image without a digest (production)"),
    "secrets": ({"type": "object", "additionalProperties": False, "properties": {"existingSecret": {
        **_EXISTING[0], "description": _EXISTING[1].format(
            keys="DATABASE_URL, COHERE_API_KEY, BETTER_AUTH_SECRET and GEMINI_API_KEY")},
        # The store's schema (props_values.section_schema reads the props' source for their docs,
        # ~15 ms) is filled in by values_json_schema: a synth never needs it.
        "external": {"anyOf": [None, {"type": "null"}],
                     "default": None,
                     "description": "the External Secrets Operator writes the app Secret and the database "
                                    "credentials from this store: ExternalSecret objects in place of Secrets, "
                                    "no TASKORA_* value (README, Secrets)"}}},
                "the application Secret (values come from TASKORA_* variables, never from this file)"),
    downgrade.KEY: downgrade.SCHEMA,
}
SECRETS_KEYS = ("existingSecret", "external")


def _top_fields() -> list[Any]:
    return [f for f in props_values.fields_of(TaskoraProps) if f.name not in _FROM_ENVIRONMENT]


def values_json_schema() -> dict:
    """The values file's JSON Schema, derived from the props (docs/values.schema.json)."""
    schema = props_values.section_schema(TaskoraProps, DEFAULTS)
    properties = {key: value for key, value in schema["properties"].items() if key not in _FROM_ENVIRONMENT}
    # database is PostgresProps or CloudNativePgProps (by engine): the StatefulSet's keys and defaults,
    # and the Cluster's options section.
    database = props_values.section_schema(PostgresProps, DEFAULTS.database)
    database["properties"][_CNPG_KEY] = {
        **props_values.section_schema(CloudNativePgOptions, CloudNativePgOptions()),
        "default": props_values.to_json(CloudNativePgOptions()),
        "description": props_values.field_docs(CloudNativePgProps).get("cloudnative_pg", "")}
    database["default"] = {**props_values.to_json(DEFAULTS.database), "engine": STATEFULSET,
                           _CNPG_KEY: props_values.to_json(CloudNativePgOptions())}
    if "description" in properties["database"]:
        database["description"] = properties["database"]["description"]
    properties["database"] = database
    for section, extras in VALUES_ONLY.items():
        for extra, (extra_schema, doc) in extras.items():
            properties[section]["properties"][extra] = {**extra_schema, "description": doc}
    for key, (extra_schema, doc) in TOP_LEVEL_ONLY.items():
        properties[key] = {**extra_schema, "description": doc}
    secrets = properties["secrets"]
    external = secrets["properties"]["external"]  # copied, not changed: TOP_LEVEL_ONLY stays as it is
    properties["secrets"] = {**secrets, "properties": {**secrets["properties"], "external": {
        **external, "anyOf": [props_values.section_schema(ExternalSecretsProps), *external["anyOf"][1:]]}}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Taskora values file (config/*.yaml)",
            "description": "Every key and default derives from the construct props of taskora_constructs.",
            "type": "object", "additionalProperties": False, "properties": properties}


# --- loading -----------------------------------------------------------------------------

def _read_layer(path: Path, problems: list[Problem], marks: dict[str, tuple[int, int]]) -> Mapping | None:
    """The layer's data; None (a problem appended) when the file cannot be read or parsed."""
    before = len(problems)
    data = read_yaml(path, problems, fix_path="the path given in TASKORA_VALUES / TASKORA_ENV", marks=marks)
    if data is None and len(problems) > before:
        return None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(Problem(where=str(path), field="(top level)", value=type(data).__name__,
                                rule="must be a mapping of keys to values", fix="start the file with keys such as 'backend:'"))
        return None
    return data


def _props(merged: Mapping, origin: Mapping[str, str], secrets: TaskoraSecretValues) -> TaskoraProps:
    """Typed props from the merged values; the props' own rules report under the values' key paths."""
    problems: list[Problem] = []
    where: Callable[[str], str] = lambda path: source_of(origin, path)  # noqa: E731
    require_digests = merged.get("requireImageDigests", False)
    if not isinstance(require_digests, bool):
        problems.append(Problem(where=where("requireImageDigests"), field="requireImageDigests",
                                value=require_digests, rule="must be a boolean", fix="write true or false"))
    secrets_section = merged.get("secrets") or {}
    if not isinstance(secrets_section, Mapping) or set(secrets_section) - set(SECRETS_KEYS):
        problems.append(Problem(where=where("secrets"), field="secrets", value="<not shown>",
                                rule="may only name an existing Secret (secrets.existingSecret) or a store "
                                     "(secrets.external): secret values never go into a values file",
                                fix="export TASKORA_* variables or use secrets.local.yaml (see README, Secrets)"))
    # Keys only a values file has come out first; everything else is TaskoraProps.
    props_data = {k: v for k, v in merged.items() if k not in TOP_LEVEL_ONLY}
    aliased = unalias(props_data, dict(origin))
    if aliased:  # the moved keys keep the file they came from
        origin = aliased_origin(origin, aliased)
        where = lambda path: source_of(origin, path)  # noqa: E731
    extras: dict[str, dict[str, Any]] = {}
    for section, keys in VALUES_ONLY.items():
        part = props_data.get(section)
        if isinstance(part, Mapping):
            extras[section] = {k: part[k] for k in keys if k in part}
            props_data[section] = {k: v for k, v in part.items() if k not in keys}
    unknown = [k for k in props_data if k not in {props_values.key_of(f) for f in _top_fields()}]  # after aliases
    for key in unknown:  # never echo the value: a secret put at the top level by mistake stays unseen
        # A section's key one level too high (exactly) before a fuzzy match of a top-level key.
        close = _nested_key(str(key)) or closest(
            str(key), [props_values.key_of(f) for f in _top_fields()] + list(TOP_LEVEL_ONLY))
        problems.append(Problem(where=where(str(key)), field=str(key), value="<not shown>", rule="is not a known key",
                                fix=f"did you mean {' or '.join(map(repr, close))}?" if close
                                else "remove it (see docs/values.schema.json)"))
        del props_data[key]
    found: list[Problem] = []
    database = _database(props_data.pop("database", None), extras.get("database", {}), found, where)
    before = len(problems)
    props = props_values.build(TaskoraProps, props_data, "", replace(DEFAULTS, secrets=secrets), problems, where)
    # The database's problems where the section stands among the others (the file's order of keys).
    keys = [props_values.key_of(f) for f in props_values.fields_of(TaskoraProps)]
    earlier = set(keys[:keys.index("database")])
    at = next((i for i in range(before, len(problems)) if problems[i].field.split(".")[0] not in earlier), len(problems))
    problems[at:at] = found
    if database is not None and not problems:
        props = replace(props, database=database)
    for section, found in extras.items():
        if "imageDigest" not in VALUES_ONLY[section]:
            continue
        part = getattr(props, section)
        digest = found.get("imageDigest")
        found_problems = _digest_problems(section, part.image, digest, require_digests is True, origin)
        problems += found_problems
        if digest is not None and not found_problems:
            props = replace(props, **{section: replace(part, image=f"{part.image}@{digest}")})
    database_existing = extras.get("database", {}).get("existingSecret")
    if database_existing and not secrets.existing_secret:
        problems.append(Problem(where=where("database.existingSecret"), field="database.existingSecret",
                                value=database_existing,
                                rule="needs secrets.existingSecret too: DATABASE_URL embeds the database password, "
                                     "which an existing Secret keeps from this app",
                                fix="set secrets.existingSecret to a Secret holding DATABASE_URL and the API keys"))
    if problems:
        raise TaskoraConfigError([as_written(p, aliased) for p in problems])
    try:
        from taskora_constructs import TaskoraNames
        TaskoraNames(app=props.app_name, namespace_override=props.namespace)
    except TaskoraConfigError as error:
        raise TaskoraConfigError([replace(p, where=where("appName" if p.field == "app" else p.field),
                                          field="appName" if p.field == "app" else p.field)
                                  for p in error.problems]) from None
    return props


def _nested_key(key: str) -> list[str]:
    """``section.key`` for each section ``key`` is a key of (``tls`` is ``ingress.tls``): a key written
    one level too high; "remove it" would drop what the user meant to set."""
    sections = values_json_schema()["properties"]
    return [f"{name}.{key}" for name, section in sections.items() if key in (section.get("properties") or {})]


def _database(section: Any, extras: Mapping[str, Any], problems: list[Problem],
              where: Callable[[str], str]) -> PostgresProps | CloudNativePgProps | None:
    """The database props of the engine ``database.engine`` names (None: none given, or problems)."""
    engine = extras.get("engine", STATEFULSET)
    if engine not in ENGINES:
        problems.append(Problem(where=where("database.engine"), field="database.engine", value=engine,
                                rule=f"must be one of {', '.join(ENGINES)}",
                                fix="use statefulset (one pod, the model) or cloudnative-pg (an operator-run cluster)"))
        return None
    if section is None and engine == STATEFULSET:
        return None  # the defaults' database
    section = {} if section is None else section
    if ENGINES[engine] is CloudNativePgProps:
        return props_values.build(CloudNativePgProps, section, "database", None, problems, where)
    if isinstance(section, Mapping) and _CNPG_KEY in section:
        # Not used by this engine, but still checked: a later layer may switch the engine, and
        # a misspelt or bad value must not wait until then to be found.
        props_values.build(CloudNativePgProps, {_CNPG_KEY: section[_CNPG_KEY]}, "database", None, problems, where)
        section = {k: v for k, v in section.items() if k != _CNPG_KEY}
    return props_values.build(PostgresProps, section, "database", DEFAULTS.database, problems, where)


def _digest_problems(component: str, image: str, digest: Any, required: bool,
                     origin: Mapping[str, str]) -> list[Problem]:
    path = f"{component}.imageDigest"
    if digest is not None:
        if not isinstance(digest, str) or not re.fullmatch(_DIGEST, digest):
            return [Problem(where=source_of(origin, path), field=path, value=digest,
                            rule="must be a sha256 digest: 'sha256:' and 64 lower-case hex digits",
                            fix="copy the digest your registry reported for the pushed image")]
        if "@" in image:
            return [Problem(where=source_of(origin, path), field=path, value=digest,
                            rule=f"must not be given when {component}.image already has one ({image})",
                            fix=f"drop {component}.imageDigest or the digest in {component}.image")]
        return []
    if required and "@" not in image:
        return [Problem(where=source_of(origin, "requireImageDigests"), field=path, value=None,
                        rule="is required here (requireImageDigests): a tag can be moved to other content, "
                             "a digest cannot",
                        fix=f"set {component}.imageDigest to the digest of {image} (sha256:...), e.g. in a "
                            "TASKORA_VALUES layer your release pipeline writes")]
    return []


def _external(merged: Mapping, origin: Mapping[str, str], problems: list[Problem]) -> ExternalSecretsProps | None:
    """``secrets.external`` as props (None when absent or null); its problems go to ``problems``."""
    section = merged.get("secrets")
    data = section.get("external") if isinstance(section, Mapping) else None
    if data is None:
        return None
    where: Callable[[str], str] = lambda path: source_of(origin, path)  # noqa: E731
    found: list[Problem] = []
    external = props_values.build(ExternalSecretsProps, data, "secrets.external", None, found, where)
    for key in ("existingSecret",):
        if isinstance(section, Mapping) and section.get(key) is not None:
            found.append(Problem(where=where(f"secrets.{key}"), field=f"secrets.{key}", value=section[key],
                                 rule="must not be given with secrets.external: the operator writes that Secret",
                                 fix=f"drop secrets.{key}, or secrets.external"))
    if _get(merged, "database", "existingSecret"):
        found.append(Problem(where=where("database.existingSecret"), field="database.existingSecret",
                             value=_get(merged, "database", "existingSecret"),
                             rule="must not be given with secrets.external: the operator writes the credentials",
                             fix="drop database.existingSecret, or secrets.external"))
    problems += found
    return None if found else external


def _existing_secret_names(merged: Mapping, origin: Mapping[str, str], problems: list[Problem]) -> dict[str, str]:
    """The names of the Secrets made outside the app, by the library's own rule
    (:class:`TaskoraSecretValues` checks them), named here at their line: the constructs
    check them only when they build, which a values file must not wait for. Returns the
    names that passed, by ``TaskoraSecretValues`` field."""
    valid: dict[str, str] = {}
    for section, key in (("secrets", "existing_secret"), ("database", "database_existing_secret")):
        value = merged.get(section, {}).get("existingSecret") if isinstance(merged.get(section), Mapping) else None
        if value is None:
            continue
        path = f"{section}.existingSecret"
        try:
            replace(TaskoraSecretValues.development_placeholders(), **{key: value})
        except TaskoraConfigError as error:
            problems += [replace(problem, where=source_of(origin, path), field=path)
                         for problem in error.problems if problem.field == key]
        else:
            valid[key] = value
    return valid


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
    # A name, not a path: "../secrets" or "/etc/x" must not read a file outside config/.
    if not _ENV_NAME.fullmatch(env) or env not in available_envs():
        raise TaskoraConfigError([Problem(where="environment", field="TASKORA_ENV", value=env,
                                          rule=f"must name a file in config/ ({', '.join(available_envs())})",
                                          fix=f"use one of: {', '.join(available_envs())}")])
    layers = [CONFIG_DIR / f"{env}.yaml"]
    if not layers[0].is_file():
        raise TaskoraConfigError([Problem(where="environment", field="TASKORA_ENV", value=env,
                                          rule=f"must name a file in config/ ({', '.join(available_envs())})",
                                          fix=f"use one of: {', '.join(available_envs())}")])
    # TASKORA_VALUES: one file, or several separated by ":" (os.pathsep), later ones winning.
    layers += [Path(part) for part in (environ.get("TASKORA_VALUES") or "").split(os.pathsep) if part]
    merged: dict = {}
    origin: dict[str, str] = {}
    accepted: dict[str, set[str]] = {}  # each layer's own acceptRisks: the merge keeps only the last list
    risk_problems: list[Problem] = []  # reported with the rest, not before: the guard still runs
    sources = [str(layer.relative_to(ROOT) if layer.is_relative_to(ROOT) else layer) for layer in layers]
    unreadable = False
    for layer, source in zip(layers, sources):
        marks: dict[str, tuple[int, int]] = {}
        data = _read_layer(layer, problems, marks)
        unreadable |= data is None
        if data is not None:
            accepted[source] = downgrade.accepted_risks(source, data, risk_problems, marks)
            merge_layer(merged, data, origin, source, marks)
    if unreadable:  # without a layer, what the others lack is no problem of theirs
        raise TaskoraConfigError(problems)
    problems += risk_problems
    existing = merged if isinstance(merged, dict) else {}
    external = _external(existing, origin, problems)
    valid_names = _existing_secret_names(existing, origin, problems)
    try:
        secrets = load_secret_values(
            env, environ, secrets_file=secrets_file, external=external,
            app_existing_secret=valid_names.get("existing_secret"),
            database_existing_secret=valid_names.get("database_existing_secret"),
            database_from_operator=_get(existing, "database", "engine") == "cloudnative-pg")
    except TaskoraConfigError as error:
        problems += error.problems
        # Only to find the values' problems too (the Secrets named stay, or they would be missed).
        secrets = replace(TaskoraSecretValues.development_placeholders(),
                          existing_secret=valid_names.get("existing_secret"))
    try:
        props = _props(merged, origin, secrets)
    except TaskoraConfigError as error:
        problems += error.problems
    else:
        if env in downgrade.GUARDED_ENVS:
            problems += downgrade.downgrade_problems(props, merged, origin, sources[0], accepted)
    if problems:
        raise TaskoraConfigError(problems)
    return env, props
