"""Where secret values come from: environment variables, or an untracked local file.

Variables: ``TASKORA_COHERE_API_KEY``, ``TASKORA_BETTER_AUTH_SECRET``,
``TASKORA_GEMINI_API_KEY``, ``TASKORA_DB_PASSWORD``. The same names may be set in
``secrets.local.yaml`` at the project root (gitignored; a variable wins over the file).
``local`` falls back to the model's documented development placeholders; every other
environment fails, naming each missing variable. A Secret managed outside the app
(``secrets.existingSecret``, ``database.existingSecret``) needs none of its values here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import yaml

from taskora_constructs import Problem, TaskoraConfigError, TaskoraSecretValues

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / "secrets.local.yaml"
PLACEHOLDER_ENVS = ("local",)

APP_VARIABLES = {"cohere_api_key": "TASKORA_COHERE_API_KEY",
                 "better_auth_secret": "TASKORA_BETTER_AUTH_SECRET",
                 "gemini_api_key": "TASKORA_GEMINI_API_KEY"}
DATABASE_VARIABLES = {"database_password": "TASKORA_DB_PASSWORD"}


def _file_values(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, Mapping):
        raise TaskoraConfigError([Problem(where=str(path), field="(top level)", value="<redacted>",
                                          rule="must map variable names to values",
                                          fix="write lines like 'TASKORA_DB_PASSWORD: ...'")])
    return {str(k): str(v) for k, v in data.items() if v is not None}


def load_secret_values(env: str, environ: Mapping[str, str], *, app_existing_secret: str | None,
                       database_existing_secret: str | None, secrets_file: Path = SECRETS_FILE) -> TaskoraSecretValues:
    """The secret values for ``env``; raises ``TaskoraConfigError`` naming each missing one."""
    from_file = _file_values(secrets_file)
    placeholders = TaskoraSecretValues.development_placeholders()
    needed = {} if app_existing_secret else dict(APP_VARIABLES)
    if not database_existing_secret:
        needed.update(DATABASE_VARIABLES)
    values: dict[str, str] = {}
    missing = []
    for field, variable in needed.items():
        value = environ.get(variable) or from_file.get(variable)
        if value:
            values[field] = value
        elif env in PLACEHOLDER_ENVS:
            values[field] = getattr(placeholders, field)
        else:
            missing.append(variable)
    if missing:
        raise TaskoraConfigError([Problem(
            where=f"environment {env!r}", field=variable, value="<unset>",
            rule="a secret value is required outside the local environment",
            fix=f"export {variable}=... (or put it in secrets.local.yaml, which is gitignored), "
                f"or use an existing Secret (see README, Secrets)") for variable in missing])
    return TaskoraSecretValues(**values, existing_secret=app_existing_secret,
                               database_existing_secret=database_existing_secret)
