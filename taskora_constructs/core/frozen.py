"""``@frozen_props``: ``@dataclass(frozen=True, kw_only=True)`` whose ``repr``, ``==`` and ``hash``
are written once, here, instead of generated per class.

Why: ``dataclass`` compiles six methods for every frozen class it builds, and the library
defines ~45 of them, most inheriting long field lists (``TaskoraBackendProps`` has ~60 fields): ~35 ms
of every synth's start-up went into compiling them (issue #22), for one synth that calls
``repr``, ``==`` and ``hash`` on a handful of props, if at all. Only ``__init__`` (its signature)
and the frozen ``__setattr__``/``__delattr__`` stay generated. The three below behave as the
generated ones of Python 3.11 (tests/core/test_frozen.py compares them):

* ``repr``: ``ClassName(field=value, ...)`` over the fields with ``repr=True``, ``...`` for a
  value that contains itself;
* ``==``: the same class and equal values of the fields with ``compare=True``, else
  ``NotImplemented``;
* ``hash``: of the tuple of the fields hashed (``hash=True``, or ``compare=True`` when not given).

The frozen ``__setattr__`` and ``__delattr__`` are not compiled either (another ~8 ms of the ~53
classes a synth imports): they are closures over the class and its field names, the same code
``dataclasses`` would compile (``_frozen_methods``).
"""

from __future__ import annotations

import dataclasses
import reprlib
import sys
import typing
from typing import Any, TypeVar

_T = TypeVar("_T")

# Per decorated class (in its own __dict__): the field names each method reads.
_REPR, _COMPARE, _HASH = "__taskora_repr_fields__", "__taskora_compare_fields__", "__taskora_hash_fields__"


@reprlib.recursive_repr(fillvalue="...")
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in getattr(type(self), _REPR))
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        names = getattr(type(self), _COMPARE)
        return tuple(getattr(self, name) for name in names) == tuple(getattr(other, name) for name in names)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in getattr(type(self), _HASH)))


@typing.overload
def frozen_props(cls: type[_T], /) -> type[_T]: ...


@typing.overload
def frozen_props(*, kw_only: bool = True) -> typing.Callable[[type[_T]], type[_T]]: ...


@typing.dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen_props(cls: type[_T] | None = None, /, *, kw_only: bool = True) -> Any:
    """``@dataclass(frozen=True, kw_only=True)``, with the shared ``repr``, ``==`` and ``hash`` above;
    ``@frozen_props(kw_only=False)`` for a small value built positionally (``NetworkPeer``)."""
    if cls is None:
        return lambda decorated: _build(decorated, kw_only)
    return _build(cls, kw_only)


def _build(cls: type[_T], kw_only: bool) -> type[_T]:
    for name, method in (("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash)):
        if name in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} defines {name}: use @dataclass for a class of its own")
        setattr(cls, name, method)
    # dataclass has no option to take these two from elsewhere: its private maker of them is
    # swapped for ours during this one call (class bodies run under the import lock).
    if _DATACLASSES_FROZEN_METHODS:
        dataclasses._frozen_get_del_attr = _frozen_methods  # type: ignore[attr-defined]
    try:
        built = dataclasses.dataclass(frozen=True, kw_only=kw_only, repr=False, eq=False)(cls)
    finally:
        if _DATACLASSES_FROZEN_METHODS:
            dataclasses._frozen_get_del_attr = _DATACLASSES_FROZEN_METHODS  # type: ignore[attr-defined]
    fields = dataclasses.fields(typing.cast(Any, built))
    setattr(built, _REPR, tuple(f.name for f in fields if f.repr))
    setattr(built, _COMPARE, tuple(f.name for f in fields if f.compare))
    setattr(built, _HASH, tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    return built


#: ``dataclasses``' own maker of the frozen ``__setattr__``/``__delattr__``, where it is the
#: ``(cls, fields, globals)`` function of Python 3.11 and 3.12 (3.13 builds them differently:
#: there, None, and the compiled ones stay). Replaced only while ``_build`` runs ``dataclass``.
_DATACLASSES_FROZEN_METHODS: typing.Callable[..., Any] | None = (
    getattr(dataclasses, "_frozen_get_del_attr", None) if sys.version_info < (3, 13) else None)


def _frozen_methods(cls: type[Any], fields: list[dataclasses.Field], globals: dict) -> tuple[Any, Any]:  # noqa: A002
    """The frozen ``__setattr__`` and ``__delattr__`` ``dataclasses`` compiles, as closures: on an
    instance of ``cls`` itself nothing may be assigned or deleted, on a subclass's no field."""
    del globals  # the compiled ones' namespace: closures need none
    names = tuple(f.name for f in fields)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
