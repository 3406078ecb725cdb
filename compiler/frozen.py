"""`@frozen`: the model's dataclass, `@dataclass(frozen=True, slots=True)`, whose
`__eq__`, `__hash__` and `__repr__` are three functions shared by every class instead of
three generated for each.

Why: Python 3.11's dataclasses writes the source of each method of each class and
compiles it with an exec of its own. For the model's classes that took about 50 ms, the
largest single cost of a small `virtc check`; equality and the hash, which spell out every
field twice, were more than half of it. What they do is the same for every class: compare
(or hash) the tuple of all fields, in order, between two objects of the same class. So
they are written once here, reading the fields with one `operator.attrgetter` per class.
The results are those of the generated methods: equal, unequal or NotImplemented for the
same pairs, the hash of the same tuple, the same repr text (tests/test_frozen.py compares
them with a plain dataclass of every class). The editor's memo (virtc.rulememo) relies on
that equality: a guest equal to last check's, field by field, spans included.

A class whose fields opt out of comparison, hashing or the repr (`field(compare=False)`)
is refused: it would need the stdlib's methods, `@dataclass(frozen=True, slots=True)`."""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from operator import attrgetter


def _eq(self, other):
    if other.__class__ is self.__class__:
        values = self._frozen_values
        return values(self) == values(other)
    return NotImplemented


def _hash(self):
    return hash(self._frozen_values(self))


def _repr(self):
    shown = ", ".join(f"{name}={value!r}" for name, value in zip(self._frozen_names, self._frozen_values(self)))
    return f"{self.__class__.__qualname__}({shown})"


def _reduce(self):
    # pickled as the constructor's arguments (`virtc lint --jobs` sends hosts and guests
    # back from its workers): a frozen slots object's default state is set back field by
    # field through object.__setattr__, about twice the time
    return self.__class__, self._frozen_values(self)


def _values(names: tuple[str, ...]):
    """A function from an object to the tuple of its fields (attrgetter of one name returns
    the value itself, of none is no getter)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def frozen(cls):
    # init=False: the __init__ is _init's, not one more exec of dataclasses' own
    cls = dataclass(frozen=True, slots=True, eq=False, repr=False, init=False)(cls)
    every = fields(cls)
    plain = [f.name for f in every if f.compare and f.repr and f.hash is None]
    if len(plain) != len(every):
        raise TypeError(f"{cls.__qualname__}: @frozen compares, hashes and shows every field")
    if not all(f.init and not f.kw_only for f in every):
        raise TypeError(f"{cls.__qualname__}: @frozen takes every field as a positional argument")
    cls._frozen_names = tuple(plain)
    cls._frozen_values = staticmethod(_values(cls._frozen_names))
    cls._frozen_index = {name: i for i, name in enumerate(plain)}
    cls.__eq__ = _eq
    cls.__hash__ = _hash
    cls.__repr__ = _repr
    cls.__init__ = _init(cls, every, hasattr(cls, "__post_init__"))
    cls.__reduce__ = _reduce  # made again by its constructor, as it was made
    return cls


class _Absent:
    """The default of a field made by a factory: the factory runs when the argument is absent."""

    def __repr__(self):
        return "<factory>"


_ABSENT = _Absent()


def _init(cls, every, post_init: bool):
    """An __init__ that sets each slot through its descriptor's __set__, held in a local of
    the function, where the generated one calls object.__setattr__(self, NAME, value), with
    a lookup of the name on the class for every field: 46 fields of a Guest took 6 us, now 4
    (two Disks, two Nics, a Boot and their Owners and Spans come with each guest). The same
    signature, defaults, factories and __post_init__ call as the generated one;
    tests/test_frozen.py compares the objects both make."""
    env, params, body = {"_ABSENT": _ABSENT}, [], []
    for i, f in enumerate(every):
        env[f"_set{i}"] = getattr(cls, f.name).__set__
        if f.default is not MISSING:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        elif f.default_factory is not MISSING:
            env[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_ABSENT")
            body.append(f"    if {f.name} is _ABSENT:\n        {f.name} = _factory{i}()\n")
        else:
            params.append(f.name)
        body.append(f"    _set{i}(self, {f.name})\n")
    if post_init:
        body.append("    self.__post_init__()\n")
    body = body or ["    pass\n"]
    # the descriptors and defaults are the closure of an outer function (locals, not globals)
    source = (f"def _outer({', '.join(env)}):\n"
              f"  def __init__(self, {', '.join(params)}):\n"
              + "".join("  " + line + "\n" for line in "".join(body).splitlines())
              + "  return __init__\n")
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - names and code made above from the class's own fields
    init = namespace["_outer"](**env)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def replace(obj, **changes):
    """`dataclasses.replace` for a @frozen object: the same new object, built from the
    tuple of its fields with the changed ones swapped. Every field of a @frozen class is
    an argument of its __init__, in order (no init=False field, no __post_init__), so this
    is what dataclasses.replace does, which reads each field through a loop in Python:
    12 us for a Host of 40 fields, the most of what derive spent on each host."""
    cls = obj.__class__
    values = list(cls._frozen_values(obj))
    index = cls._frozen_index
    for name, value in changes.items():
        values[index[name]] = value
    return cls(*values)
