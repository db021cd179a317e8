"""The one base of every construct of the library, as cdk8s-plus's ``Resource`` is of its own.

What each construct used to repeat lives here once:

* ``name``: the one given, else the construct id as a DNS label (core/scope.py), checked by
  the construct's name rule (a DNS label unless the class says a DNS subdomain);
* ``namespace``: the one given, else the enclosing Chart's, else ``None`` (cluster-scoped
  constructs always ``None``);
* props: ``Construct(scope, id, props)`` or the props' fields as keywords, never both; an
  unknown or missing field is one :class:`TaskoraConfigError` naming the construct path, the
  field and the closest known field;
* ownership: :meth:`_claim` records the objects it writes and refuses a clash naming both
  construct paths;
* the escape hatch: the main object's id is :data:`MAIN_ID` (``Resource``, cdk8s-plus's
  convention), which ``node.default_child`` finds unset, so ``cdk8s.ApiObject.of(construct)``
  finds it; :meth:`_expose` sets ``api_object`` (and ``node.default_child`` only for an object
  found no other way); :attr:`api_objects` lists every object.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar, Mapping, TypeVar

import cdk8s
from constructs import Construct

from . import batch, reach, rules, tree
from .reach import LibraryMeta
from .errors import Problem, TaskoraConfigError, closest, raise_if_any
from .scope import claim, name_from_id, resolve_namespace

P = TypeVar("P")

#: The id of a construct's main object. ``node.default_child`` returns the child of this id
#: when none was set (constructs' ``Node.defaultChild``), as cdk8s-plus names its ApiObjects:
#: setting it would be two jsii calls per construct (``node``, then ``defaultChild``; issue 22).
MAIN_ID = "Resource"


def props_problems(where: str, cls: type, props: Any, fields: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with building ``cls`` from ``props`` or ``fields`` at ``where``."""
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    problems = []
    if props is not None and fields:
        problems.append(Problem(
            where=where, field=", ".join(sorted(fields)), value=type(props).__name__,
            rule=f"must not be given beside a {cls.__name__}: props are either the object or its fields",
            fix=f"pass dataclasses.replace(props, {next(iter(fields))}=...), or only the fields as keywords"))
    for name in fields:
        if name not in known:
            close = closest(name, known)
            problems.append(Problem(where=where, field=name, value=fields[name],
                                    rule=f"is not a field of {cls.__name__}",
                                    fix=f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(known)}"))
    if props is None:
        problems += [Problem(where=where, field=f.name, value=None, rule=f"is required by {cls.__name__}",
                             fix=f"pass {f.name}=...")
                     for f in dataclasses.fields(cls)
                     if f.init and f.name not in fields and f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING]
    return problems


def props_from(cls: type[P], props: P | None, fields: Mapping[str, Any], where: str | None = None) -> P:
    """``props``, or ``cls(**fields)``: never both. Problems, unknown fields and bad values alike,
    are one :class:`TaskoraConfigError` at ``where`` (the construct path; default the props
    class's name)."""
    if props is not None and not isinstance(props, cls):
        raise TypeError(f"props must be a {cls.__name__}, not {type(props).__name__}")
    raise_if_any(props_problems(where or cls.__name__, cls, props, fields))
    if props is not None:
        return props
    try:
        return cls(**fields)
    except TaskoraConfigError as error:
        if where is None:
            raise
        # The fields were given to the construct: its path says which one is wrong (shop/api),
        # where the props class's name (WebWorkloadProps) would not among several workloads.
        raise TaskoraConfigError([dataclasses.replace(p, where=where) for p in error.problems],
                                 messages=error.messages) from None


class TaskoraResource(Construct, metaclass=LibraryMeta):
    """The base of every public construct (internal; subclasses document their own objects).

    Attributes:
        name: the name of the construct's main object(s), from the id unless given.
        namespace: where its objects go (``None``: the Chart has none, or cluster-scoped).
        api_object: its main ``cdk8s.ApiObject`` (also ``node.default_child``).
        api_objects: every ``cdk8s.ApiObject`` it wrote, in apply order.
    """

    #: The rule a name obeys: a DNS label (Services, pods' owners) unless a subclass says otherwise.
    NAME_RULE: ClassVar[Callable[..., list[Problem]]] = staticmethod(rules.check_dns_label)
    #: Cluster-scoped constructs (a Namespace) have no namespace.
    CLUSTER_SCOPED: ClassVar[bool] = False

    def __init__(self, scope: Construct, construct_id: str, *, name: str | None = None,
                 namespace: str | None = None) -> None:
        batch.make(self, scope, construct_id, "construct")  # in Node with its siblings (core/batch.py)
        tree.note(self, scope, construct_id)  # its path, App and Chart without jsii calls
        self.name: str = name if name is not None else name_from_id(construct_id)
        # Directly under the App (the Taskora composite) no Chart encloses it: no namespace.
        in_chart = tree.has_chart(self)
        self.namespace: str | None = (None if self.CLUSTER_SCOPED
                                      else resolve_namespace(self, namespace) if in_chart else namespace)
        self.api_object: cdk8s.ApiObject | None = None
        where = tree.path_of(self)
        # Reported with the construct's own problems (all at once): see _check.
        self._pending: list[Problem] = type(self).NAME_RULE(where, "name", self.name)
        if self.namespace is not None:
            self._pending += rules.check_dns_label(where, "namespace", self.namespace)

    def _check(self, problems: list[Problem] = ()) -> None:  # type: ignore[assignment]
        """Raise the name rules' problems and ``problems`` together, if there are any."""
        found, self._pending = self._pending + list(problems), []
        raise_if_any(found)

    def _props(self, cls: type[P], props: P | None, fields: Mapping[str, Any]) -> P:
        """The props from ``props`` or ``fields``, problems named at this construct's path."""
        return props_from(cls, props, fields, tree.path_of(self))

    def _claim(self, objects: list[tuple[str, str]]) -> None:
        """Own ``objects`` (kind, name) in this construct's namespace; refuse a clash."""
        self._check()  # a bad name is never claimed
        claim(self, [(kind, self.namespace, name) for kind, name in objects])

    def _expose(self, api_object: cdk8s.ApiObject) -> None:
        """Make ``api_object`` the main object: ``api_object``, and what
        ``cdk8s.ApiObject.of(construct)`` finds (``node.default_child``)."""
        self.api_object = api_object
        if not tree.is_default_child(self, api_object):  # not a child of id MAIN_ID: say it, once asked
            # Two jsii calls (node, defaultChild), made when something outside the library reaches
            # the construct (cdk8s.ApiObject.of(it) does): the Taskora composite's, per instance.
            reach.on_reach(self, lambda: setattr(self.node, "default_child", api_object))

    @property
    def api_objects(self) -> tuple[cdk8s.ApiObject, ...]:
        """Every ``cdk8s.ApiObject`` under this construct, in apply (tree) order."""
        return tuple(c for c in self.node.find_all() if isinstance(c, cdk8s.ApiObject))
