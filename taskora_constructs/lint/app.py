"""The opt-in whole-app reference lint: :class:`TaskoraValidation`.

Off by default. The library's constructs check their own props and objects when they are
built; nothing of this library runs over an app's objects unless the app asks for it with
``TaskoraValidation.of(app)``. Then every synth (``cdk8s synth``, ``App.synth()``,
``Testing.synth()``) runs :func:`~taskora_constructs.lint.check_manifests` over every object of
the app - a Service must select pods, a ``secretKeyRef`` must name a key some Secret holds,
whoever created them - and refuses a broken app before anything is written.
"""

from __future__ import annotations

import json
import typing
import weakref
from contextlib import contextmanager
from typing import Iterable, Iterator

import cdk8s
import constructs
import jsii
from constructs import Construct, IConstruct

from ..core import tree
from ..core.reach import library_code
from ..core import rules
from .._native import Manifests
from ..core.manifest import library_containers_by_path
from ..core.scope import book_of
from ..core.errors import Problem, TaskoraConfigError, raise_if_any
from .index import check_manifests
from .model import Declarations, ExternalSecret, RequiredSecretKeys


# App root -> its TaskoraValidation (the child with id TaskoraValidation.ID), once created.
_LINT_OF_ROOT: "weakref.WeakKeyDictionary[IConstruct, TaskoraValidation]" = weakref.WeakKeyDictionary()


@jsii.implements(constructs.IValidation)
class _Validation:
    """The ``IValidation`` cdk8s calls before writing anything."""

    def __init__(self, owner: "TaskoraValidation") -> None:
        self._owner = owner

    @library_code  # it reads the library's constructs, and changes nothing in Node
    def validate(self) -> list[str]:
        owner = self._owner
        if owner._synth_cache is not None:
            return list(owner._synth_cache)
        problems = owner.problems()
        owner.last_problems = tuple(problems)
        messages = [str(problem) for problem in problems]
        if owner._in_synth:
            owner._synth_cache = tuple(messages)
        return messages


class TaskoraValidation(Construct):
    """The opt-in cross-object lint of one cdk8s app, and what the app declares about the outside.

    Created only by an explicit :meth:`of` (no construct of the library creates it), directly
    under the App root with id :attr:`ID`. It emits no object. Once created, its validation
    runs on every synth over every object of the app; the model's policy rules (requests,
    probes, replicas, storage) bind only the objects and containers this library built.
    It also reads what the library's constructs declared: Secrets they reference but do not
    create, and the keys their Secrets must hold.

    Attributes:
        last_problems: the problems of the latest validation run (empty if it passed).
    """

    ID = "taskora-validation"

    def __init__(self, scope: Construct, construct_id: str) -> None:
        # Through jsii itself, as the generated bindings' methods call it, without their runtime
        # type checks: the first check of a process loads typeguard (and importlib.metadata,
        # asyncio, unittest.mock), about 28 ms of a default synth's start-up (issue 22), and these
        # calls' arguments are the library's own. So below, and in of() and problems().
        jsii.create(type(self), self, [scope, construct_id])
        tree.note(self, scope, construct_id)  # its path, App and Chart without jsii calls
        if construct_id == self.ID and tree.root_of(self) is scope:
            _LINT_OF_ROOT[scope] = self  # what of() finds there, known without asking jsii
        self._allowed_namespaces: list[str] = []
        self._external_objects: list[tuple[str, str, str]] = []
        self.last_problems: tuple[Problem, ...] = ()
        self._in_synth = False
        self._synth_cache: tuple[str, ...] | None = None
        jsii.invoke(self.node, "addValidation", [_Validation(self)])

    @contextmanager
    def once(self) -> Iterator["TaskoraValidation"]:
        """Check the app once for everything synthesized inside the ``with`` block.

        cdk8s runs every validation again for each chart it writes (``App.synth()`` runs them
        once, then ``Chart.toJson()`` once per chart), and each run reads every object of the
        app across jsii: with six charts per Taskora instance that is quadratic in the number
        of instances. Inside this block the first run's result is reused. Sound only while the
        app does not change: synthesize inside it, do not add or patch objects::

            with TaskoraValidation.of(app).once():
                app.synth()
        """
        self._in_synth, self._synth_cache = True, None
        try:
            yield self
        finally:
            self._in_synth, self._synth_cache = False, None

    @classmethod
    def of(cls, scope: IConstruct) -> "TaskoraValidation":
        """The lint of the app ``scope`` belongs to, created (switched on) by the first call."""
        root = tree.root_of(scope)
        known = _LINT_OF_ROOT.get(root)
        if known is not None:  # main.py asks twice (build, synth): four jsii calls each time before
            return known
        existing = jsii.invoke(root.node, "tryFindChild", [cls.ID])
        if existing is None:
            return cls(root, cls.ID)
        if not isinstance(existing, TaskoraValidation):
            raise TypeError(f"construct {cls.ID!r} under the App root is not a TaskoraValidation")
        return existing

    def declare_external_secret(self, *, name: str, namespace: str, keys: Iterable[str]) -> ExternalSecret:
        """Declare a Secret managed outside the app, holding ``keys``.

        ``secretKeyRef``, ``envFrom`` and volumes may then name it. Raises
        :class:`~taskora_constructs.errors.TaskoraConfigError` if the declaration is malformed
        or contradicts an earlier one.
        """
        return declare_external_secret(self, name=name, namespace=namespace, keys=keys)

    def declare_external(self, *, kind: str, name: str, namespace: str) -> None:
        """Declare a ServiceAccount or PersistentVolumeClaim made outside the app, so pods may
        name it (``serviceAccountName``, a ``persistentVolumeClaim`` volume)."""
        problems = rules.check_dns_subdomain(tree.path_of(self), "name", name)
        problems += rules.check_dns_label(tree.path_of(self), "namespace", namespace)
        if kind not in ("ServiceAccount", "PersistentVolumeClaim"):
            problems.append(Problem(where=tree.path_of(self), field="kind", value=kind,
                                    rule="must be ServiceAccount or PersistentVolumeClaim",
                                    fix="declare Secrets with declare_external_secret"))
        raise_if_any(problems)
        if (kind, namespace, name) not in self._external_objects:
            self._external_objects.append((kind, namespace, name))

    def allow_namespace(self, namespace: str) -> None:
        """Let objects live in ``namespace`` although the app does not create it (cross-namespace)."""
        raise_if_any(rules.check_dns_label(tree.path_of(self), "namespace", namespace))
        if namespace not in self._allowed_namespaces:
            self._allowed_namespaces.append(namespace)

    def require_secret_keys(self, *, name: str, namespace: str, keys: Iterable[str], required_by: str = "") -> None:
        """Require the Secret ``namespace/name`` to hold ``keys``, each non-empty."""
        require_secret_keys(self, name=name, namespace=namespace, keys=keys, required_by=required_by)

    @property
    def declarations(self) -> Declarations:
        """This lint's declarations, plus those the library's constructs made in the app."""
        book = book_of(self)  # one record of what the app declared, written by the lint and the constructs
        external = [ExternalSecret(name=name, namespace=namespace, keys=keys)
                    for (namespace, name), keys in book.external_secrets.items()]
        required = [RequiredSecretKeys(name=name, namespace=namespace, keys=keys, required_by=by)
                    for namespace, name, keys, by in book.required_secret_keys]
        return Declarations(external_secrets=tuple(external),
                            allowed_namespaces=tuple(self._allowed_namespaces),
                            external_objects=tuple(self._external_objects),
                            required_secret_keys=tuple(required),
                            where=tree.path_of(self))

    def api_objects(self) -> list[cdk8s.ApiObject]:
        """Every ApiObject of the app, in construct-tree order."""
        found: list[cdk8s.ApiObject] = []
        for child in tree.root_of(self).node.find_all():
            if isinstance(child, cdk8s.ApiObject):
                found.append(child)
            elif isinstance(child, (cdk8s.App, cdk8s.Chart, TaskoraValidation)) \
                    or type(child).__module__.startswith("taskora_constructs."):
                continue  # known not to be an ApiObject: spare a call across jsii
            elif cdk8s.ApiObject.is_api_object(child):
                found.append(typing.cast(cdk8s.ApiObject, child))
        return found

    def problems(self) -> list[Problem]:
        """Run every cross-object check now; the problems name each object's construct path."""
        root = tree.root_of(self)
        # Every object of the app, rendered by Node in one call and sent back as JSON text: one
        # value across jsii, where a to_json() per object sends each one node by node (issue 22).
        rendered = json.loads(jsii.sinvoke(Manifests, "render", [root]))
        built = library_containers_by_path(root)
        return check_manifests(((path, manifest, built.get(path, False)) for path, manifest in rendered),
                               self.declarations)


def declare_external_secret(scope: IConstruct, *, name: str, namespace: str, keys: Iterable[str]) -> ExternalSecret:
    """Declare, for the app ``scope`` belongs to, a Secret managed outside it that holds ``keys``.

    Recorded beside the app (no construct is added, the lint is not switched on); the lint,
    when an app switches it on, lets references name it. Raises
    :class:`~taskora_constructs.errors.TaskoraConfigError` if the declaration is malformed or
    contradicts an earlier one.
    """
    secret = ExternalSecret(name=name, namespace=namespace, keys=tuple(keys))
    book = book_of(scope)
    previous = book.external_secrets.get((namespace, name))
    if previous is not None and previous != secret.keys:
        raise_if_any([Problem(where=tree.path_of(scope), field=f"externalSecrets[{namespace}/{name}].keys",
                              value=list(secret.keys),
                              rule=f"contradicts the earlier declaration (keys {list(previous)})",
                              fix="declare each external Secret once, with all its keys")])
    book.external_secrets[(namespace, name)] = secret.keys
    return secret


def require_secret_keys(scope: IConstruct, *, name: str, namespace: str | None, keys: Iterable[str],
                        required_by: str | None = None) -> None:
    """Record that the Secret ``namespace/name`` must hold ``keys``, each non-empty (checked by the
    lint); ``required_by`` (default: ``scope``'s path) is named in its message."""
    book_of(scope).required_secret_keys.append((namespace or "", name, tuple(keys),
                                                required_by if required_by is not None else tree.path_of(scope)))


_CDK8S_VALIDATION_FAILED = "Validation failed with the following errors:"


def config_error_from_synth(error: BaseException, app: IConstruct) -> TaskoraConfigError | None:
    """The configuration error behind a failed ``app.synth()``, or ``None`` if it was not one.

    cdk8s reports failed validations as one JavaScript error, which jsii raises in Python as
    ``RuntimeError("Error: Validation failed with the following errors: ...")``. The
    problems found by :class:`TaskoraValidation` come back as :class:`Problem` objects;
    messages of other constructs' validations are kept as they are. Anything else (a bug)
    gives ``None``: let it propagate with its traceback.
    """
    text = str(error)
    if not isinstance(error, RuntimeError) or _CDK8S_VALIDATION_FAILED not in text:
        return None
    validation = app.node.root.node.try_find_child(TaskoraValidation.ID)
    ours = f"[{validation.node.path}] " if isinstance(validation, TaskoraValidation) else None
    problems = validation.last_problems if isinstance(validation, TaskoraValidation) else ()
    lines = text.split(_CDK8S_VALIDATION_FAILED, 1)[1].split("\n  ")
    messages = [line.strip() for line in lines
                if line.strip() and not (ours and line.strip().startswith(ours.strip() + " "))]
    return TaskoraConfigError(problems, messages=messages)
