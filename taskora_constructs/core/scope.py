"""Where a construct's objects go, and who owns which name in an App.

* The namespace: the one given, else the enclosing Chart's (``Chart(namespace=...)``), else
  none: the objects carry no ``metadata.namespace`` and land in kubectl's current namespace,
  as cdk8s and cdk8s-plus objects do.
* The name: the one given, else the construct id made a DNS label (``"orders-db"`` stays
  ``orders-db``; ``"Orders DB"`` becomes ``orders-db``).
* One owner per object: two constructs of this library that would write the same kind, name
  and namespace into one App are refused at construction, naming both construct paths.
  Objects the library did not create are never looked at.

The book-keeping lives here, in Python, keyed by the App's jsii object reference (unique per
App in the process; a construct address is a hash of the path, the same for every App root):
nothing is added to the user's construct tree and nothing crosses jsii at synth time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from constructs import IConstruct

from . import tree
from .errors import Problem, raise_if_any


@dataclass
class AppBook:
    """What the library's constructs in one App have declared."""

    #: (kind, namespace or "", name) -> the construct path that owns it.
    owners: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: (namespace or "", name) -> keys: Secrets managed outside the app that constructs reference.
    external_secrets: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    #: (namespace or "", name, keys, required_by): keys a Secret of the app must hold.
    required_secret_keys: list[tuple[str, str, tuple[str, ...], str]] = field(default_factory=list)
    #: StorageClass name -> (the construct path that emitted it, its spec as JSON): shared
    #: cluster-wide objects several databases may use.
    storage_classes: dict[str, tuple[str, str]] = field(default_factory=dict)


_BOOKS: dict[str, AppBook] = {}


def book_of(scope: IConstruct) -> AppBook:
    """The :class:`AppBook` of the App ``scope`` belongs to (created on first use)."""
    root: Any = tree.root_of(scope)  # every jsii proxy has __jsii_ref__; IConstruct does not declare it
    return _BOOKS.setdefault(root.__jsii_ref__.ref, AppBook())


def chart_namespace(scope: IConstruct) -> str | None:
    """The namespace of the Chart that encloses ``scope`` (``None``: the Chart has none)."""
    namespace, _ = tree.chart_metadata(scope)
    return namespace or None


def resolve_namespace(scope: IConstruct, given: str | None) -> str | None:
    """``given``, else the enclosing Chart's namespace, else ``None``."""
    return given if given is not None else chart_namespace(scope)


def name_from_id(construct_id: str) -> str:
    """A readable DNS label from a construct id: lower case, runs of other characters as '-'."""
    name = re.sub(r"[^a-z0-9]+", "-", construct_id.lower()).strip("-")[:63].rstrip("-")
    return name or "unnamed"


def claim(scope: IConstruct, objects: list[tuple[str, str | None, str]]) -> None:
    """Record ``scope`` as the owner of ``objects`` (kind, namespace, name); refuse a clash.

    A clash is the same kind, name and namespace (no namespace counts as one) owned by
    another construct of this library in the same App: ``kubectl apply`` would let the later
    object silently overwrite the earlier one.
    """
    book = book_of(scope)
    path = tree.path_of(scope)
    problems = []
    for kind, namespace, name in objects:
        key = (kind, namespace or "", name)
        owner = book.owners.get(key)
        if owner is not None and owner != path:
            problems.append(Problem(
                where=path, field="name", value=name,
                rule=f"{kind} {namespace + '/' if namespace else ''}{name} is already created by {owner}",
                fix="give one of the two constructs another name or namespace"))
    raise_if_any(problems)
    for kind, namespace, name in objects:
        book.owners[(kind, namespace or "", name)] = path
