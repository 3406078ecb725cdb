"""@frozen (virtc.frozen) behaves as `@dataclass(frozen=True, slots=True)`: for every
object of every example's model, syntax and diagnostics, the same repr, the same hash and
the same answers to == as a plain dataclass twin of its class holding the same values."""
from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from conftest import EXAMPLES
from virtc import model
from virtc.diagnostics import Fix, Related, error
from virtc.frozen import frozen, replace
from virtc.resolve import compile_sources
from virtc.source import Span


def _twin_class(cls):
    return dataclasses.make_dataclass(cls.__name__, [(f.name, f.type) for f in dataclasses.fields(cls)],
                                      frozen=True, slots=True)


def _objects() -> dict[type, list]:
    """Every @frozen object of every example (its model, syntax trees and diagnostics), by
    class, walked through fields, tuples and lists."""
    found: dict[type, list] = {}

    def walk(x):
        if hasattr(type(x), "_frozen_values"):
            found.setdefault(type(x), []).append(x)
            for f in dataclasses.fields(x):
                walk(getattr(x, f.name))
        elif isinstance(x, (tuple, list)):
            for v in x:
                walk(v)

    for path in sorted(EXAMPLES.glob("*.virt")):
        r = compile_sources([str(path)])
        walk([r.model, list(r.syntax.values()), r.diagnostics])
    walk(error("VR001", "a finding", None, related=(Related(Span("f", 1, 1, 1, 2), "there"),),
               fix=Fix.replace("fix it", Span("f", 1, 1, 1, 2, 0, 1), "x")))
    return found


OBJECTS = _objects()


def test_every_model_class_is_frozen_and_met():
    classes = {c for c in vars(model).values() if isinstance(c, type) and c.__module__ == "virtc.model"}
    assert {c for c in classes if dataclasses.is_dataclass(c)} == classes
    for cls in classes:
        assert cls.__dataclass_params__.frozen and "__slots__" in vars(cls) and cls.__eq__ is not object.__eq__
    # the examples hold most classes (the readers make the rest: Setting, Export ...)
    assert len(classes & set(OBJECTS)) >= len(classes) // 2
    assert {"Span", "Owner", "Stmt", "FileSyntax", "Diagnostic", "Related", "Fix", "Edit"} <= {c.__name__ for c in OBJECTS}


@pytest.mark.parametrize("cls", sorted(OBJECTS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_repr_hash_and_equality_are_the_dataclass_ones(cls):
    twin = _twin_class(cls)
    objs = list({id(o): o for o in OBJECTS[cls]}.values())[:40]
    objs += [dataclasses.replace(o) for o in objs[:5]]  # equal, not the same object
    twins = [twin(*(getattr(o, f.name) for f in dataclasses.fields(o))) for o in objs]
    for o, t in zip(objs, twins):
        assert repr(o) == repr(t)
        assert hash(o) == hash(t)
        assert o.__eq__(object()) is NotImplemented and o != t and o != object()
    for a, ta in zip(objs, twins):
        for b, tb in zip(objs, twins):
            assert (a == b) is (ta == tb) and (a != b) is (ta != tb)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(objs[0], dataclasses.fields(cls)[0].name, None)


@pytest.mark.parametrize("cls", sorted(OBJECTS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_replace_is_the_dataclass_one(cls):
    """virtc.frozen.replace gives what dataclasses.replace gives, for a change of any field."""
    names = [f.name for f in dataclasses.fields(cls)]
    for o in list({id(o): o for o in OBJECTS[cls]}.values())[:10]:
        assert replace(o) == dataclasses.replace(o) and replace(o) is not o
        for name in names:
            new = replace(o, **{name: None})
            assert new == dataclasses.replace(o, **{name: None}) and repr(new) == repr(dataclasses.replace(o, **{name: None}))


@pytest.mark.parametrize("cls", sorted(OBJECTS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_pickling_gives_an_equal_object(cls):
    """Pickled as the constructor's arguments (lint --jobs sends models between processes):
    the copy is equal, field by field, and of the same class."""
    for o in list({id(o): o for o in OBJECTS[cls]}.values())[:10]:
        copy = pickle.loads(pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy.__class__ is cls and copy == o and repr(copy) == repr(o)


def test_fields_that_opt_out_are_refused():
    class Shown:
        a: int
        b: int = field(default=0, compare=False)

    with pytest.raises(TypeError):
        frozen(Shown)


def test_one_field_and_no_field():
    @frozen
    class One:
        a: int

    @frozen
    class Empty:
        pass

    @dataclass(frozen=True, slots=True)
    class Plain:
        a: int

    assert hash(One(3)) == hash(Plain(3)) and repr(One(3)) == "test_one_field_and_no_field.<locals>.One(a=3)"
    assert One(3) == One(3) and One(3) != One(4) and Empty() == Empty() and hash(Empty()) == hash(())


@pytest.mark.parametrize("cls", sorted(OBJECTS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_init_takes_the_dataclass_arguments(cls):
    """@frozen's own __init__ takes the arguments the generated one takes, positional or by
    name, with the same defaults (a factory's default made anew each time) and the same
    __post_init__ check."""
    every = dataclasses.fields(cls)
    required = [f for f in every if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    o = OBJECTS[cls][0]
    args = [getattr(o, f.name) for f in required]
    short = cls(*args)
    for f in every:
        got = getattr(short, f.name)
        if f in required:
            assert got is getattr(o, f.name)
        elif f.default_factory is not dataclasses.MISSING:
            assert got == f.default_factory()
        else:
            assert got == f.default
    assert cls(**{f.name: getattr(o, f.name) for f in every}) == o
    with pytest.raises(TypeError):
        cls(*args, *[None] * (len(every) - len(required) + 1))  # one argument too many
    if required:
        with pytest.raises(TypeError):
            cls(*args[:-1])  # one too few


def test_post_init_still_checks():
    with pytest.raises(TypeError, match="owner must be an Owner"):
        error("VR001", "a finding", None, owner="not an owner")
