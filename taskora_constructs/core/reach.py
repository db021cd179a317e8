"""When code outside the library first reaches one of its constructs across jsii.

Why: some state of a construct only matters to code that asks Node for it - the composite's
main object as ``node.default_child``, which ``cdk8s.ApiObject.of`` reads - and handing it to
Node costs jsii calls per instance that nothing in the library or in cdk8s's synth needs
(issue 22). :func:`on_reach` defers those calls to just before anything else reaches the
construct.

Everything that reaches a construct in Node from Python - a call on it (``construct.node``,
``api_object.add_dependency``, ``api_object.metadata``) or with it (the scope of a new
construct, ``cdk8s.ApiObject.of(construct)``, ``constructs.Node.of(construct)``, handing it to
a cdk8s-plus construct) - reads its ``__jsii_ref__``: jsii sends that reference to Node. The
library's classes watch that read (:class:`LibraryMeta`): outside the library's own code (the
constructors of its classes, and what :func:`library_code` marks) it runs what is pending first.
A read by jsii's own bookkeeping as an object is created runs inside the constructor.
JavaScript can reach a construct only through something handed to it from Python, or from
the App: an App handed to JavaScript code that reads ``node.default_child`` of the composite is
the one case this does not see.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, TypeVar

import jsii

from . import batch

F = TypeVar("F", bound=Callable[..., Any])

# construct -> what Node must hold of it before anything else reaches it (see on_reach).
_PENDING: "weakref.WeakKeyDictionary[Any, list[Callable[[], None]]]" = weakref.WeakKeyDictionary()
# How deep the library's own code is on the stack (its reads of __jsii_ref__ are its own).
_DEPTH = [0]


def on_reach(construct: Any, give_node: Callable[[], None]) -> None:
    """Run ``give_node`` (jsii calls that hand Node some state of ``construct``) just before code
    outside the library first reaches ``construct`` across jsii, instead of now: no code of the
    library, nor cdk8s's synth, reads that state (``node.default_child``: ``cdk8s.ApiObject.of``)."""
    _PENDING.setdefault(construct, []).append(give_node)


def library_code(function: F) -> F:
    """Run ``function`` as the library's own code: its jsii calls reach nothing for the caller."""
    def run(*args: Any, **kwargs: Any) -> Any:
        _DEPTH[0] += 1
        batch.open_scope()
        try:
            return function(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            batch.close_scope()

    run.__name__, run.__qualname__, run.__doc__ = function.__name__, function.__qualname__, function.__doc__
    return run  # type: ignore[return-value]


class _WatchedRef:
    """``__jsii_ref__`` of a library construct: jsii reads it to reach the construct in Node."""

    def __get__(self, construct: Any, owner: type | None = None) -> Any:
        if construct is None:
            raise AttributeError("__jsii_ref__")  # a class has none, as before
        batch.flush()  # Node is asked about the tree: it holds all of it first (core/batch.py)
        try:
            ref = construct.__dict__["__jsii_ref__"]
        except KeyError:
            raise AttributeError("__jsii_ref__") from None
        if not _DEPTH[0] and not batch.flushing() and construct in _PENDING:
            _DEPTH[0] += 1  # give_node's own calls reach the construct too
            try:
                for give_node in _PENDING.pop(construct):
                    give_node()  # before the caller's own request, which jsii has not sent yet
            finally:
                _DEPTH[0] -= 1
        return ref

    def __set__(self, construct: Any, ref: Any) -> None:
        construct.__dict__["__jsii_ref__"] = ref


class LibraryMeta(jsii.JSIIMeta):
    """The metaclass of the library's constructs: their ``__jsii_ref__`` is watched, and making
    one of the library's own classes (jsii's bookkeeping included) is the library's own code.
    A caller's subclass is the caller's code: what its constructor does reaches the construct."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any) -> Any:
        attrs.setdefault("__jsii_ref__", _WatchedRef())
        return super().__new__(mcs, name, bases, attrs, **kwargs)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls.__module__.startswith("taskora_constructs."):
            return super().__call__(*args, **kwargs)
        _DEPTH[0] += 1
        batch.open_scope()
        try:
            # type.__call__, not JSIIMeta's: that one reads the new object's Node reference to
            # register it, which would make the batch at once; core/batch.py registers it.
            return type.__call__(cls, *args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            batch.close_scope()
