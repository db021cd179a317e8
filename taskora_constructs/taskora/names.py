"""Every object name of one Taskora instance, derived from one app name."""

from __future__ import annotations


from ..core.frozen import frozen_props
from ..core import rules
from ..core.errors import Problem, raise_if_any

#: The documented model's app name; every default name derives from it.
DEFAULT_APP_NAME = "taskora"


@frozen_props
class TaskoraNames:
    """Names of one Taskora instance.

    ``TaskoraNames()`` gives the documented names (``taskora``, ``taskora-frontend``, ...);
    ``TaskoraNames(app="taskora-staging")`` gives a second instance that synthesizes beside
    the first without a collision, in its own namespace unless ``namespace`` is given.
    """

    #: Prefix of every object name (model): taskora.
    app: str = DEFAULT_APP_NAME
    #: The namespace, when it is not the app name; default None (the namespace is ``app``).
    namespace_override: str | None = None

    def __post_init__(self) -> None:
        # The longest derived name ("<app>-db-credentials") must stay a valid label.
        problems = rules.check_dns_label("TaskoraNames", "app", self.app)
        if self.namespace_override is None:
            problems += [p for p in rules.check_app_namespace("TaskoraNames", "app", self.app)
                         if p.value in rules.SYSTEM_NAMESPACES]
        longest = self.database_credentials
        if not problems and len(longest) > 63:
            problems.append(Problem(
                where="TaskoraNames", field="app", value=self.app,
                rule=f"derived name {longest!r} must be at most 63 characters",
                fix=f"shorten the app name to at most {63 - len(longest) + len(self.app)} characters"))
        if self.namespace_override is not None:
            problems += rules.check_app_namespace("TaskoraNames", "namespace", self.namespace_override)
        raise_if_any(problems)

    @property
    def namespace(self) -> str:
        return self.namespace_override or self.app

    @property
    def frontend(self) -> str:
        return f"{self.app}-frontend"

    @property
    def backend(self) -> str:
        return f"{self.app}-backend"

    @property
    def database(self) -> str:
        return f"{self.app}-db"

    @property
    def database_credentials(self) -> str:
        return credentials_name(self.database)

    @property
    def config(self) -> str:
        return f"{self.app}-config"

    @property
    def secrets(self) -> str:
        return f"{self.app}-secrets"

    @property
    def ingress(self) -> str:
        return f"{self.app}-ingress"


def credentials_name(database_name: str) -> str:
    """The credentials Secret of a database StatefulSet named ``database_name``."""
    return f"{database_name}-credentials"


DEFAULT_NAMES = TaskoraNames()
