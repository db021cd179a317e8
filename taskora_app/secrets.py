"""Where secret values come from: environment variables, or an untracked local file.

Variables: ``TASKORA_COHERE_API_KEY``, ``TASKORA_BETTER_AUTH_SECRET``,
``TASKORA_GEMINI_API_KEY``, ``TASKORA_DB_PASSWORD``. The same names may be set in
``secrets.local.yaml`` at the project root (gitignored; a variable wins over the file).
``local`` falls back to the model's documented development placeholders; every other
environment fails, naming each missing variable, and refuses a value that is a documented
placeholder, blank, shorter than :data:`MIN_LENGTH`, or not valid UTF-8. A Secret managed
outside the app (``secrets.existingSecret``, ``database.existingSecret``) needs none of its
values here, and neither does a database whose operator generates its password
(``database.engine: cloudnative-pg``). No message ever shows a secret value or a line of the secrets file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from taskora_constructs import ExternalSecretsProps, Problem, TaskoraConfigError, TaskoraSecretValues

from .yaml_files import read_yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / "secrets.local.yaml"
PLACEHOLDER_ENVS = ("local",)

APP_VARIABLES = {"cohere_api_key": "TASKORA_COHERE_API_KEY",
                 "better_auth_secret": "TASKORA_BETTER_AUTH_SECRET",
                 "gemini_api_key": "TASKORA_GEMINI_API_KEY"}
DATABASE_VARIABLES = {"database_password": "TASKORA_DB_PASSWORD"}
#: Outside ``local``, the shortest value accepted: the signing key of the sessions must resist
#: brute force (32 characters, e.g. ``openssl rand -base64 32`` gives 44), the database
#: password too (24); the API keys are the providers' (shortest seen: 32 characters), 20 here.
MIN_LENGTH = {"TASKORA_BETTER_AUTH_SECRET": 32, "TASKORA_DB_PASSWORD": 24,
              "TASKORA_COHERE_API_KEY": 20, "TASKORA_GEMINI_API_KEY": 20}


def _file_values(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    problems: list[Problem] = []
    data = read_yaml(path, problems, fix_path="secrets.local.yaml")
    if problems:
        raise TaskoraConfigError(problems)
    if data is None:
        return {}
    if not isinstance(data, Mapping) or not all(isinstance(v, str) or v is None for v in data.values()):
        raise TaskoraConfigError([Problem(where=str(path), field="(top level)", value="<not shown>",
                                          rule="must map variable names to text values",
                                          fix="write lines like 'TASKORA_DB_PASSWORD: \"...\"' (quoted)")])
    return {str(k): v for k, v in data.items() if v is not None}


def _weak(variable: str, value: str, placeholder: str) -> str | None:
    """Why ``value`` is refused outside ``local`` (never quoting it), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the environment arrive as surrogates
        return "must be valid UTF-8 text"
    if not value.strip():
        return "must not be blank"
    if value.strip() != value:
        return "must not start or end with white space (a pasted newline, most often)"
    if value == placeholder:
        return "must not be the model's documented development placeholder"
    if len(value) < MIN_LENGTH[variable]:
        return f"must be at least {MIN_LENGTH[variable]} characters"
    return None


def load_secret_values(env: str, environ: Mapping[str, str], *, app_existing_secret: str | None,
                       database_existing_secret: str | None, secrets_file: Path = SECRETS_FILE,
                       database_from_operator: bool = False,
                       external: ExternalSecretsProps | None = None) -> TaskoraSecretValues:
    """The secret values for ``env``; raises ``TaskoraConfigError`` naming each missing or weak one.
    With ``database_from_operator`` (``database.engine: cloudnative-pg``) no database password
    is read: the operator generates it. With ``external`` (``secrets.external``) no value is read
    at all: the External Secrets Operator writes every Secret from the store."""
    if external is not None:
        return TaskoraSecretValues(external=external)
    from_file = _file_values(secrets_file)
    placeholders = TaskoraSecretValues.development_placeholders()
    needed = {} if app_existing_secret else dict(APP_VARIABLES)
    if not database_existing_secret and not database_from_operator:
        needed.update(DATABASE_VARIABLES)
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for field, variable in needed.items():
        value = environ.get(variable) or from_file.get(variable)
        placeholder = getattr(placeholders, field)
        if env in PLACEHOLDER_ENVS:
            values[field] = value or placeholder
        elif not value:
            problems.append(Problem(
                where=f"environment {env!r}", field=variable, value="<unset>",
                rule="a secret value is required outside the local environment",
                fix=f"export {variable}=... (or put it in secrets.local.yaml, which is gitignored), "
                    f"or use an existing Secret (see README, Secrets)"))
        elif (reason := _weak(variable, value, placeholder)) is not None:
            problems.append(Problem(where=f"environment {env!r}", field=variable, value="<not shown>", rule=reason,
                                    fix=f"set {variable} to a generated value, e.g. $(openssl rand -base64 32) "
                                        "(README, Secrets: minimum lengths)"))
        else:
            values[field] = value
    if problems:
        raise TaskoraConfigError(problems)
    return TaskoraSecretValues(cohere_api_key=values.get("cohere_api_key"),
                               better_auth_secret=values.get("better_auth_secret"),
                               gemini_api_key=values.get("gemini_api_key"),
                               database_password=values.get("database_password"),
                               existing_secret=app_existing_secret,
                               database_existing_secret=database_existing_secret,
                               database_credentials_from_operator=database_from_operator)
