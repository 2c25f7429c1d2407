"""composeconv.records behaves as dataclasses does for every feature the project uses (dataclasses is the oracle)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from hypothesis import given, strategies as st

from composeconv import records
from composeconv.records import FrozenInstanceError, record


def pair(frozen=True, kw_only=False, slots=True, order=False):
    """The same class made by dataclasses and by record (module-level names, so that pickle finds them)."""
    def body(maker):
        field = dataclasses.field if maker == "std" else records.field

        class Point:
            """A point."""
            x: int
            y: int = 0
            tags: tuple = field(default_factory=tuple)
            note: str = field(default="", compare=False, repr=False)
        name = f"Point_{maker}_{frozen}_{kw_only}_{slots}_{order}"
        Point.__qualname__ = Point.__name__ = name
        return name, Point
    made = []
    for maker, deco in (("std", dataclasses.dataclass(frozen=frozen, kw_only=kw_only, slots=slots, order=order)),
                        ("ours", record(frozen=frozen, kw_only=kw_only, slots=slots, order=order))):
        name, cls = body(maker)
        globals()[name] = cls = deco(cls)
        made.append(cls)
    return tuple(made)


VALUES = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.lists(st.integers(0, 2), max_size=2).map(tuple),
                   st.sampled_from(["", "a"]))


@pytest.mark.parametrize("frozen,kw_only,slots", [(True, True, True), (True, False, True), (True, False, False),
                                                  (False, False, False), (False, True, True)])
@given(a=VALUES, b=VALUES)
def test_same_behaviour_as_dataclass(frozen, kw_only, slots, a, b):
    std, ours = pair(frozen, kw_only, slots)
    def make(cls, v):
        return cls(x=v[0], y=v[1], tags=v[2], note=v[3])
    sa, sb, oa, ob = make(std, a), make(std, b), make(ours, a), make(ours, b)
    assert repr(oa) == repr(sa).replace("_std_", "_ours_")
    assert (oa == ob) == (sa == sb)
    assert (oa != ob) == (sa != sb)
    assert (oa == sa) is False  # another class is never equal
    if frozen:
        assert (hash(oa) == hash(ob)) or not (oa == ob)
        with pytest.raises(FrozenInstanceError):
            oa.x = 1
        with pytest.raises(FrozenInstanceError):
            del oa.x
    else:
        assert ours.__hash__ is None and std.__hash__ is None
        oa.x = 5
        assert oa.x == 5
    assert [(f.name, f.type, f.compare, f.repr) for f in records.fields(ours)] == \
        [(f.name, f.type, f.compare, f.repr) for f in dataclasses.fields(std)]
    assert records.is_record(oa) and records.is_record(ours) and not records.is_record(sa)
    assert records.asdict(oa) == dataclasses.asdict(make(std, (oa.x, oa.y, oa.tags, oa.note)))
    moved = records.replace(oa, y=a[1] + 1)
    assert moved.y == a[1] + 1 and moved.x == oa.x and type(moved) is ours
    assert pickle.loads(pickle.dumps(oa)) == oa
    assert copy.deepcopy(oa) == oa and copy.copy(oa) == oa
    if slots:
        assert not hasattr(oa, "__dict__")


def test_defaults_positional_and_errors():
    std, ours = pair(kw_only=False)
    assert repr(ours(1)) == repr(std(1)).replace("_std_", "_ours_")
    assert ours(1, 2) == ours(x=1, y=2)
    assert ours(1).tags == () and ours(1).tags is not None
    for args, kwargs in [((), {}), ((1, 2, 3, 4, 5), {}), ((1,), {"x": 2}), ((1,), {"z": 2})]:
        with pytest.raises(TypeError):
            std(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)
    kw_std, kw_ours = pair(kw_only=True)
    with pytest.raises(TypeError):
        kw_std(1)
    with pytest.raises(TypeError):
        kw_ours(1)


def test_factories_give_fresh_values():
    @record(frozen=False, slots=False)
    class Bag:
        items: list = records.field(default_factory=list)
    a, b = Bag(), Bag()
    a.items.append(1)
    assert b.items == []


@given(a=st.tuples(st.integers(-2, 2), st.integers(-2, 2)), b=st.tuples(st.integers(-2, 2), st.integers(-2, 2)))
def test_order(a, b):
    std, ours = pair(order=True)
    sa, sb, oa, ob = std(*a), std(*b), ours(*a), ours(*b)
    assert (oa < ob, oa <= ob, oa > ob, oa >= ob) == (sa < sb, sa <= sb, sa > sb, sa >= sb)
    assert sorted([ob, oa]) == sorted([oa, ob])
    with pytest.raises(TypeError):
        oa < sa  # noqa: B015 - comparing with another class is an error, as for dataclasses


def test_post_init_runs_after_fields():
    @record(kw_only=True)
    class Names:
        names: tuple = ()

        def __post_init__(self):
            object.__setattr__(self, "names", tuple(self.names))
    assert Names(names=["a"]).names == ("a",)
    assert records.replace(Names(names=["a"]), names=["b"]).names == ("b",)


def test_declaration_errors_match_dataclasses():
    for make in (dataclasses.dataclass, record):
        with pytest.raises(ValueError):
            class Mutable:
                items: list = []
            make(Mutable)
        with pytest.raises(TypeError):
            class Order:
                a: int = 0
                b: int
            make(Order)
    with pytest.raises(TypeError):
        records.fields(object())


def test_inheritance_keeps_base_fields_first():
    @record
    class Base:
        a: int = 1

    @record
    class Child(Base):
        b: int = 2

    assert [f.name for f in records.fields(Child)] == ["a", "b"]
    assert Child(5, 6) == Child(a=5, b=6) and repr(Child()) == "test_inheritance_keeps_base_fields_first.<locals>.Child(a=1, b=2)"


@pytest.mark.parametrize("kw_only", [False, True])
def test_compiled_init_matches_the_generic_one(kw_only):
    """After COMPILE_AFTER instances a class switches to a compiled __init__: same values, same errors."""
    std, ours = pair(kw_only=kw_only)
    generic = ours.__init__
    for i in range(records.COMPILE_AFTER + 1):
        ours(x=i)
    assert ours.__init__ is not generic
    for kwargs in ({"x": 1}, {"x": 1, "y": 2, "tags": (3,), "note": "n"}):
        assert repr(ours(**kwargs)) == repr(std(**kwargs)).replace("_std_", "_ours_")
    for args, kwargs in [((), {}), ((1, 2, 3, 4, 5), {}), ((), {"x": 1, "z": 2})] + ([((1,), {})] if kw_only else []):
        with pytest.raises(TypeError):
            std(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)

    @record(frozen=False, slots=False)
    class Bag:
        items: list = records.field(default_factory=list)
        count: int = records.field(default=0, init=False)

        def __post_init__(self):
            self.count = len(self.items)
    for _ in range(records.COMPILE_AFTER + 1):
        Bag()
    a, b = Bag(), Bag(items=[1, 2])
    a.items.append(1)
    assert Bag().items == [] and b.count == 2
    with pytest.raises(TypeError):
        Bag(count=1)


def test_field_outside_init_without_default_stays_unset_as_with_dataclasses():
    for make in (dataclasses.dataclass, record(frozen=False, slots=False)):
        class Later:
            name: str = "a"
            cache: dict = dataclasses.field(init=False) if make is dataclasses.dataclass else records.field(init=False)
        cls = make(Later)
        for _ in range(records.COMPILE_AFTER + 2):  # the generic __init__, then the compiled one
            obj = cls(name="b")
            assert obj.name == "b" and not hasattr(obj, "cache")
