"""Whether code outside the library reached one of its constructs across jsii, per App.

Why: a :class:`~taskora_constructs.core.chart.LibraryChart` writes its objects in cdk8s's own
order. That order is the construct tree's (each object only in its closest chart) unless a
construct in the chart depends on another in it; the library adds no such dependency and
knows every construct it created (:mod:`tree`), so it can list the order in Python instead of
asking Node for ``DependencyGraph(chart.node).topology()``, three jsii calls per chart (issue
22). It may only while nothing else changed the chart in Node: a construct added to it or a
dependency declared in it by the caller, from Python or from JavaScript.

Everything that reaches a construct in Node from Python - a call on it (``construct.node``,
``api_object.add_dependency``, ``api_object.metadata``) or with it (the scope of a new
construct, ``cdk8s.ApiObject.of(construct)``, ``constructs.Node.of(construct)``, handing it to
a cdk8s-plus construct, which could change it from JavaScript) - reads its ``__jsii_ref__``:
jsii sends that reference to Node. The library's classes watch that read (:class:`LibraryMeta`):
outside the library's own code (the constructors of its classes, the renderings and checks
cdk8s calls back: :func:`library_code`) it marks the App as reached, and from then on every
chart of the App asks Node for the order. A read by jsii's own bookkeeping as an object is
created runs inside the constructor. JavaScript can reach a construct only through something
handed to it from Python, or from the App: an App handed to JavaScript code that walks it and
changes the library's constructs (or reads ``node.default_child``, see :func:`on_reach`) is the
one case this does not see.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, TypeVar

import jsii

from . import tree

F = TypeVar("F", bound=Callable[..., Any])

# The App roots whose library constructs code outside the library reached.
_REACHED: "weakref.WeakSet[Any]" = weakref.WeakSet()
# construct -> what Node must hold of it before anything else reaches it (see on_reach).
_PENDING: "weakref.WeakKeyDictionary[Any, list[Callable[[], None]]]" = weakref.WeakKeyDictionary()
# How deep the library's own code is on the stack (its reads of __jsii_ref__ are its own).
_DEPTH = [0]


def reached(root: Any) -> bool:
    """Whether code outside the library reached a library construct of the App ``root``."""
    return root in _REACHED


def on_reach(construct: Any, give_node: Callable[[], None]) -> None:
    """Run ``give_node`` (jsii calls that hand Node some state of ``construct``) just before code
    outside the library first reaches ``construct`` across jsii, instead of now: no code of the
    library, nor cdk8s's synth, reads that state (``node.default_child``: ``cdk8s.ApiObject.of``)."""
    _PENDING.setdefault(construct, []).append(give_node)


def library_code(function: F) -> F:
    """Run ``function`` as the library's own code: its jsii calls reach nothing for the caller."""
    def run(*args: Any, **kwargs: Any) -> Any:
        _DEPTH[0] += 1
        try:
            return function(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1

    run.__name__, run.__qualname__, run.__doc__ = function.__name__, function.__qualname__, function.__doc__
    return run  # type: ignore[return-value]


class _WatchedRef:
    """``__jsii_ref__`` of a library construct: jsii reads it to reach the construct in Node."""

    def __get__(self, construct: Any, owner: type | None = None) -> Any:
        if construct is None:
            raise AttributeError("__jsii_ref__")  # a class has none, as before
        try:
            ref = construct.__dict__["__jsii_ref__"]
        except KeyError:
            raise AttributeError("__jsii_ref__") from None
        if not _DEPTH[0]:
            _DEPTH[0] += 1  # root_of may ask Node about an App's own ancestors; give_node asks
            try:
                _REACHED.add(tree.root_of(construct))
                for give_node in _PENDING.pop(construct, ()):
                    give_node()  # before the caller's own request, which jsii has not sent yet
            finally:
                _DEPTH[0] -= 1
        return ref

    def __set__(self, construct: Any, ref: Any) -> None:
        construct.__dict__["__jsii_ref__"] = ref


class LibraryMeta(jsii.JSIIMeta):
    """The metaclass of the library's constructs: their ``__jsii_ref__`` is watched, and making
    one of the library's own classes (jsii's bookkeeping included) is the library's own code.
    A caller's subclass is the caller's code: what its constructor does reaches the App."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any) -> Any:
        attrs.setdefault("__jsii_ref__", _WatchedRef())
        return super().__new__(mcs, name, bases, attrs, **kwargs)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls.__module__.startswith("taskora_constructs."):
            return super().__call__(*args, **kwargs)
        _DEPTH[0] += 1
        try:
            return super().__call__(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
