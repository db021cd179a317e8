"""``@frozen_props`` (taskora_constructs/core/frozen.py) behaves as ``@dataclass(frozen=True, kw_only=True)``.

GIVEN the same class body under both decorators WHEN their instances are shown, compared,
hashed, assigned to or rebuilt THEN each result is the same; AND every props class of the
library is such a class.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from dataclasses import dataclass, field

import pytest

import taskora_constructs
from taskora_constructs.core.frozen import frozen_props


def _body() -> dict:
    return {"__annotations__": {"name": "str", "secret": "str | None", "tags": "tuple[str, ...]",
                                "cache": "int", "nested": "object"},
            "secret": field(default=None, repr=False), "tags": (), "cache": field(default=0, compare=False),
            "nested": None, "__module__": __name__, "__qualname__": "Sample"}


Shared = frozen_props(type("Sample", (), _body()))
Generated = dataclass(frozen=True, kw_only=True)(type("Sample", (), _body()))


@pytest.mark.parametrize("kwargs", [
    {"name": "a"},
    {"name": "a", "secret": "s3cret", "tags": ("x", "y"), "cache": 7},
    {"name": "a", "nested": {"k": [1, 2]}},
])
def test_repr_eq_and_hash_are_the_generated_ones(kwargs):
    # GIVEN one value of each class
    shared, generated = Shared(**kwargs), Generated(**kwargs)
    # THEN the repr is the same (a repr=False field hidden), and so are equality and hash
    assert repr(shared) == repr(generated) and "s3cret" not in repr(shared)
    assert (shared == Shared(**kwargs), shared == Shared(**{**kwargs, "name": "b"})) == (
        generated == Generated(**kwargs), generated == Generated(**{**kwargs, "name": "b"}))
    # AND a compare=False field takes no part in either, as generated
    assert (shared == Shared(**{**kwargs, "cache": 99})) is (generated == Generated(**{**kwargs, "cache": 99})) is True
    if not isinstance(kwargs.get("nested"), dict):  # an unhashable field value: unhashable in both
        assert hash(shared) == hash(generated) == hash(Shared(**{**kwargs, "cache": 99}))
    else:
        with pytest.raises(TypeError):
            hash(generated)
        with pytest.raises(TypeError):
            hash(shared)
    # AND another class with equal fields is never equal (NotImplemented, then identity)
    assert shared != generated and (shared == "a") is False


def test_it_stays_frozen_keyword_only_and_a_dataclass():
    value = Shared(name="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Shared("a")  # type: ignore[misc]
    assert dataclasses.replace(value, name="b") == Shared(name="b")
    assert [f.name for f in dataclasses.fields(value)] == ["name", "secret", "tags", "cache", "nested"]


def _attribute_changes(cls: type) -> list:
    """What each assignment and deletion does to a value of ``cls`` and of a plain subclass."""
    results: list = []
    for value in (cls(name="a"), type("Plain", (cls,), {})(name="a")):
        for change in (lambda: setattr(value, "name", "b"), lambda: setattr(value, "extra", 1),
                       lambda: delattr(value, "extra"), lambda: delattr(value, "name")):
            try:
                change()
                results.append(("ok", dict(vars(value))))
            except Exception as error:  # noqa: BLE001 - the error itself is what is compared
                results.append((type(error), str(error)))
    return results


def test_assigning_or_deleting_fails_as_with_the_compiled_methods():
    # GIVEN the shared class and the generated one WHEN fields and other attributes are assigned
    # and deleted, on a value of the class itself and of a subclass that is no dataclass
    # THEN each change fails (FrozenInstanceError, same message) or succeeds exactly alike
    assert _attribute_changes(Shared) == _attribute_changes(Generated)
    assert _attribute_changes(Shared)[0] == (dataclasses.FrozenInstanceError, "cannot assign to field 'name'")
    # AND the methods were not compiled for the class: they are frozen.py's own code
    from taskora_constructs.core import frozen
    for method in (Shared.__setattr__, Shared.__delattr__):
        assert method.__code__.co_filename == frozen.__file__
        assert method.__qualname__ == f"Sample.{method.__name__}"


def test_a_value_that_contains_itself_is_shown_as_the_generated_repr_shows_it():
    holder: list = []
    shared, generated = Shared(name="a", nested=holder), Generated(name="a", nested=holder)
    holder.append(shared)
    assert repr(shared) == "Sample(name='a', tags=(), cache=0, nested=[...])"
    holder[0] = generated
    assert repr(generated) == "Sample(name='a', tags=(), cache=0, nested=[...])"


def test_every_frozen_props_class_of_the_library_uses_it():
    # GIVEN the public frozen dataclasses: the props (keyword-only) and a few small values
    # built positionally (NetworkPeer, Allow, DatabaseEndpoint: @frozen_props(kw_only=False))
    props = [getattr(taskora_constructs, name) for name in taskora_constructs.__all__]
    props = [cls for cls in props if isinstance(cls, type) and dataclasses.is_dataclass(cls)
             and cls.__dataclass_params__.frozen]  # type: ignore[attr-defined]
    assert len(props) > 30 and not all(f.kw_only for f in dataclasses.fields(taskora_constructs.NetworkPeer))
    # THEN each has the shared methods, none compiled for it
    for cls in props:
        assert (cls.__repr__, cls.__eq__, cls.__hash__) == (Shared.__repr__, Shared.__eq__, Shared.__hash__), cls


def _init_body() -> dict:
    return {"__annotations__": {"name": "str", "size": "int", "tags": "list[str]", "extra": "str"},
            "size": 1, "tags": field(default_factory=list), "extra": "x", "__module__": __name__,
            "__qualname__": "Sample", "__post_init__": lambda self: object.__setattr__(self, "seen", True)}


@pytest.mark.parametrize("kw_only", [True, False])
@pytest.mark.parametrize("call", [
    lambda cls: cls(name="a"),
    lambda cls: cls(name="a", size=2, tags=["t"], extra="y"),
    lambda cls: cls(),
    lambda cls: cls(size=2),
    lambda cls: cls(name="a", bogus=1),
    lambda cls: cls("a"),
    lambda cls: cls("a", 2, ["t"], "y", "surplus"),
    lambda cls: cls("a", name="b"),
], ids=["defaults", "all", "missing one", "missing", "unknown", "positional", "surplus", "repeated"])
def test_init_is_the_generated_one(kw_only, call):
    # GIVEN the same class body under both decorators, keyword-only or positional
    shared = frozen_props(kw_only=kw_only)(type("Sample", (), _init_body()))
    generated = dataclass(frozen=True, kw_only=kw_only)(type("Sample", (), _init_body()))
    # THEN the signature is the same, and so is the docstring dataclass writes for a class with none
    assert str(inspect.signature(shared)) == str(inspect.signature(generated))
    assert shared.__doc__ == generated.__doc__ and shared.__doc__.startswith("Sample(")
    # AND its annotations resolve in the class's module, as the generated one's do (pdoc reads them)
    assert typing.get_type_hints(shared.__init__) == typing.get_type_hints(generated.__init__)
    # AND a call builds the same value (defaults, a fresh list per instance, __post_init__ run)
    # or raises the same TypeError, message and all
    outcomes = []
    for cls in (shared, generated):
        try:
            value = call(cls)
            outcomes.append(("value", repr(value), value.seen, value.tags is not cls(name="z").tags))
        except TypeError as error:
            outcomes.append(("error", str(error)))
    assert outcomes[0] == outcomes[1]
