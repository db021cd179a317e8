"""Where secret values come from: environment variables, or an untracked local file.

Variables: ``TASKORA_COHERE_API_KEY``, ``TASKORA_BETTER_AUTH_SECRET``,
``TASKORA_GEMINI_API_KEY``, ``TASKORA_DB_PASSWORD``. The same names may be set in
``secrets.local.yaml`` at the project root (gitignored; a variable wins over the file).
``local`` falls back to the model's documented development placeholders; every other
environment fails, naming each missing variable, and refuses a value that is a documented
placeholder, blank, shorter than :data:`MIN_LENGTH`, or not valid UTF-8. A Secret managed
outside the app (``secrets.existingSecret``, ``database.existingSecret``) needs none of its
values here, and neither does a database whose operator generates its password
(``database.engine: cloudnative-pg``); a value set there anyway (file or variable) is refused as
unused, and so is a misspelt name in the file or in the environment. In every environment a value holding a line
break or a control character is refused. No message ever shows a secret value or a line of the
secrets file; a problem of the file names its line and column.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Mapping

from taskora_constructs import ExternalSecretsProps, Problem, TaskoraConfigError, TaskoraSecretValues

from .suggest import closest
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


KNOWN_VARIABLES = (*APP_VARIABLES.values(), *DATABASE_VARIABLES.values())
#: How close a ``TASKORA_*`` variable's name must be to a secret variable's to be called a
#: misspelling of it (difflib's ratio, :func:`closest`): the misspellings seen (``TASKORA_DB_PASS``,
#: ``TASKORA_DATABASE_PASSWORD``, ``TASKORA_COHERE_KEY``) score 0.84-0.97, the project's other
#: variables (``TASKORA_ENV``, ``TASKORA_VALUES``, ``TASKORA_CLUSTER_*``) at most 0.65.
MISSPELT_RATIO = 0.75


def _file_values(path: Path) -> tuple[Mapping[str, str], dict[str, str]]:
    """The values of secrets.local.yaml and where each is (``file:line:column``); every problem
    (a misspelt name, a value that is not text) raised at once, no value shown."""
    if not path.exists() and not path.is_symlink():
        return {}, {}
    problems: list[Problem] = []
    marks: dict[str, tuple[int, int]] = {}
    data = read_yaml(path, problems, fix_path="secrets.local.yaml", secret=True, marks=marks)
    located = {key: f"{path}:{line}:{column}" for key, (line, column) in marks.items()}
    if data is not None and not isinstance(data, Mapping):
        problems.append(Problem(where=str(path), field="(top level)", value="<not shown>",
                                rule="must map variable names to text values",
                                fix="write lines like 'TASKORA_DB_PASSWORD: \"...\"' (quoted)"))
    for key, value in (data.items() if isinstance(data, Mapping) else ()):
        if key not in KNOWN_VARIABLES:  # a misspelt name would silently leave the secret unset
            close = closest(key, KNOWN_VARIABLES, cutoff=0.5)
            problems.append(Problem(where=located.get(key, str(path)), field=key, value="<not shown>",
                                    rule="is not a secret variable", fix=f"did you mean {close[0]!r}?" if close
                                    else f"remove it; the variables are {', '.join(KNOWN_VARIABLES)}"))
        elif not (isinstance(value, str) or value is None):
            problems.append(Problem(where=located.get(key, str(path)), field=key, value="<not shown>",
                                    rule="must be text", fix=f"quote the value: {key}: \"...\""))
    if problems:
        raise TaskoraConfigError(problems)
    return {str(k): v for k, v in (data or {}).items() if v is not None}, located


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


def _unsafe(value: str) -> str | None:
    """Why ``value`` is refused in every environment (never quoting it), or None: a line break
    inside a password makes Postgres' initdb (which reads the first line) set another one."""
    inner = value.strip()
    if any(c in "\n\r\x85\u2028\u2029" for c in inner):
        return "must be one line: it holds a line break (Postgres' initdb reads only the first line)"
    if any(unicodedata.category(c) == "Cc" for c in inner):
        return "must not hold control characters (a pasted escape sequence or tab, most often)"
    return None


def _unused(variable: str, *, external: bool, app_existing_secret: str | None,
            database_existing_secret: str | None, database_from_operator: bool) -> str | None:
    """Why ``variable`` is not used by this configuration, or None when it is."""
    if external:
        return "secrets.external is set: the External Secrets Operator writes every Secret from the store"
    if variable in APP_VARIABLES.values() and app_existing_secret:
        return f"secrets.existingSecret is set: the app's values come from the Secret {app_existing_secret!r}"
    if variable in DATABASE_VARIABLES.values() and database_existing_secret:
        return f"database.existingSecret is set: the password comes from the Secret {database_existing_secret!r}"
    if variable in DATABASE_VARIABLES.values() and database_from_operator:
        return "database.engine is cloudnative-pg: the operator generates the database's password"
    return None


def _misspelt_variables(env: str, environ: Mapping[str, str]) -> list[Problem]:
    """A ``TASKORA_*`` variable whose name is close to a secret variable's but not one: in
    ``local`` the secret would silently keep its placeholder, elsewhere the error would name
    only the missing variable, not the one the user did set."""
    problems = []
    for variable in sorted(environ):
        if not variable.startswith("TASKORA_") or variable in KNOWN_VARIABLES or not environ[variable]:
            continue
        close = closest(variable, KNOWN_VARIABLES, cutoff=MISSPELT_RATIO)
        if close:
            problems.append(Problem(where=f"environment {env!r}", field=variable, value="<not shown>",
                                    rule="is not a secret variable the app reads",
                                    fix=f"did you mean {close[0]!r}? export {close[0]}=... and unset {variable}"))
    return problems


def load_secret_values(env: str, environ: Mapping[str, str], *, app_existing_secret: str | None,
                       database_existing_secret: str | None, secrets_file: Path = SECRETS_FILE,
                       database_from_operator: bool = False,
                       external: ExternalSecretsProps | None = None) -> TaskoraSecretValues:
    """The secret values for ``env``; raises ``TaskoraConfigError`` naming each missing or weak one.
    With ``database_from_operator`` (``database.engine: cloudnative-pg``) no database password
    is read: the operator generates it. With ``external`` (``secrets.external``) no value is read
    at all: the External Secrets Operator writes every Secret from the store."""
    from_file, located = _file_values(secrets_file)
    problems: list[Problem] = _misspelt_variables(env, environ)
    # A value set but not used is reported: whoever set it believes it is deployed.
    for variable in KNOWN_VARIABLES:
        reason = _unused(variable, external=external is not None, app_existing_secret=app_existing_secret,
                         database_existing_secret=database_existing_secret,
                         database_from_operator=database_from_operator)
        for where, value in ((f"environment {env!r}", environ.get(variable)), (located.get(variable),
                                                                             from_file.get(variable))):
            if reason and value:
                problems.append(Problem(where=where or str(secrets_file), field=variable, value="<not shown>",
                                        rule=f"is set but not used: {reason}",
                                        fix=f"unset {variable}" if where and where.startswith("environment")
                                        else f"remove {variable} from secrets.local.yaml"))
    if external is not None:
        if problems:
            raise TaskoraConfigError(problems)
        return TaskoraSecretValues(external=external)
    placeholders = TaskoraSecretValues.development_placeholders()
    needed = {} if app_existing_secret else dict(APP_VARIABLES)
    if not database_existing_secret and not database_from_operator:
        needed.update(DATABASE_VARIABLES)
    values: dict[str, str] = {}
    for field, variable in needed.items():
        value = environ.get(variable) or from_file.get(variable)
        where = f"environment {env!r}" if environ.get(variable) or not value else located.get(variable, str(secrets_file))
        placeholder = getattr(placeholders, field)
        if value and (reason := _unsafe(value)) is not None:
            problems.append(Problem(where=where, field=variable, value="<not shown>", rule=reason,
                                    fix=f"set {variable} to one line, e.g. $(openssl rand -base64 32)"))
        elif env in PLACEHOLDER_ENVS:
            values[field] = value or placeholder
        elif not value:
            problems.append(Problem(
                where=where, field=variable, value="<unset>",
                rule="a secret value is required outside the local environment",
                fix=f"export {variable}=... (or put it in secrets.local.yaml, which is gitignored), "
                    f"or use an existing Secret (see README, Secrets)"))
        elif (reason := _weak(variable, value, placeholder)) is not None:
            problems.append(Problem(where=where, field=variable, value="<not shown>", rule=reason,
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
