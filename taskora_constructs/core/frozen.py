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
import inspect
import reprlib
import sys
import types
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
    # dataclass names a class without a docstring by its signature, which it reads before any
    # __init__ of ours exists (from object's, parsed from its text: slow): written below instead.
    undocumented = not cls.__dict__.get("__doc__")
    if undocumented:
        cls.__doc__ = "-"
    try:
        built = dataclasses.dataclass(frozen=True, kw_only=kw_only, repr=False, eq=False, init=False)(cls)
    finally:
        if _DATACLASSES_FROZEN_METHODS:
            dataclasses._frozen_get_del_attr = _DATACLASSES_FROZEN_METHODS  # type: ignore[attr-defined]
    fields = dataclasses.fields(typing.cast(Any, built))
    setattr(built, "__init__", _init(built, fields, kw_only))
    if undocumented:
        built.__doc__ = built.__name__ + str(inspect.signature(built)).replace(" -> None", "")
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


def _init(cls: type[Any], fields: tuple[dataclasses.Field, ...], kw_only: bool) -> Any:
    """The ``__init__`` ``dataclass`` would compile for ``cls`` (``init=True``), as a closure over its
    fields instead: the same signature (``inspect.signature``, ``help``), defaults, default
    factories, ``__post_init__`` call and the same ``TypeError`` messages as Python's own for a
    missing, unknown, repeated or surplus argument. Compiling one per class was ~13 ms of the
    ~53 classes a synth imports (issue #22)."""
    names = tuple(f.name for f in fields if f.init)
    defaults = {f.name: f.default for f in fields if f.init and f.default is not dataclasses.MISSING}
    factories = {f.name: f.default_factory for f in fields
                 if f.default_factory is not dataclasses.MISSING}  # init=False ones too, as dataclass does
    unset = tuple(f.name for f in fields if not f.init and f.default is not dataclasses.MISSING)
    where = f"{cls.__qualname__}.__init__()"
    with_default = sum(name in defaults or name in factories for name in names)
    kind = "keyword-only" if kw_only else "positional"
    setattr_ = object.__setattr__
    too_many = _too_many  # a free variable: the function runs with the class's module's globals

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if args:
            if kw_only or len(args) > len(names):
                raise TypeError(too_many(where, 0 if kw_only else len(names), 0 if kw_only else with_default,
                                          len(args), sum(name in kwargs for name in names) if kw_only else 0))
            for name, value in zip(names, args):
                if name in kwargs:
                    raise TypeError(f"{where} got multiple values for argument {name!r}")
                kwargs[name] = value
        missing = [name for name in names if name not in kwargs and name not in defaults and name not in factories]
        if missing:
            quoted = [repr(name) for name in missing]
            listed = quoted[0] if len(quoted) == 1 else (" and ".join(quoted) if len(quoted) == 2
                                                         else ", ".join(quoted[:-1]) + ", and " + quoted[-1])
            raise TypeError(f"{where} missing {len(missing)} required {kind} argument"
                            f"{'s' if len(missing) > 1 else ''}: {listed}")
        for name in names:
            if name in kwargs:
                setattr_(self, name, kwargs.pop(name))
            elif name in defaults:
                setattr_(self, name, defaults[name])
            else:
                setattr_(self, name, factories[name]())
        if kwargs:
            raise TypeError(f"{where} got an unexpected keyword argument {next(iter(kwargs))!r}")
        for name in unset:
            setattr_(self, name, getattr(cls, name))
        for name, factory in factories.items():
            if name not in names:
                setattr_(self, name, factory())
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    parameter = inspect.Parameter.KEYWORD_ONLY if kw_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(f.name, parameter, annotation=f.type,
                             default=(f.default if f.default is not dataclasses.MISSING
                                      else _FACTORY if f.default_factory is not dataclasses.MISSING
                                      else inspect.Parameter.empty))
           for f in fields if f.init],
        return_annotation=None)
    # As dataclass's own, it runs with the globals of the class's module, where its annotations
    # (text, under `from __future__ import annotations`) resolve: typing.get_type_hints, pdoc.
    init = types.FunctionType(__init__.__code__, sys.modules[cls.__module__].__dict__, "__init__", None,
                              __init__.__closure__)
    init.__signature__ = __init__.__signature__  # type: ignore[attr-defined]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    init.__module__ = cls.__module__
    return init


#: How ``dataclass``'s ``__init__`` shows a default factory in its signature (``<factory>``).
_FACTORY: Any = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", inspect.Parameter.empty)


def _too_many(where: str, positional: int, with_default: int, given: int, keyword_only_given: int) -> str:
    """CPython's message for surplus positional arguments (``self`` counted, as it counts it)."""
    takes = (f"from {positional + 1 - with_default} to {positional + 1} positional arguments" if with_default
             else f"{positional + 1} positional argument{'s' if positional else ''}")
    given += 1
    if keyword_only_given:
        return (f"{where} takes {takes} but {given} positional argument{'s' if given > 1 else ''} (and "
                f"{keyword_only_given} keyword-only argument{'s' if keyword_only_given > 1 else ''}) were given")
    return f"{where} takes {takes} but {given} {'was' if given == 1 else 'were'} given"
