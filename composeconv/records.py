"""Typed record classes (frozen dataclasses in spirit) that cost about 0.1 ms to define."""

# Why not dataclasses: @dataclass writes each class's __init__, __eq__, __hash__, __repr__,
# __setattr__ and __delattr__ as source text and compiles it, about 1.4 ms a class, and importing
# dataclasses pulls in inspect, ast and dis. With the ~90 classes of the model, the diagnostics and
# the backends that was over 100 ms of every command's start, more than Docker Compose needs to load
# a small file. `record` keeps the dataclass declaration syntax (annotations, defaults, field(...))
# and installs shared methods that read the field list instead. tests/test_records.py checks it
# against dataclasses feature by feature.

from __future__ import annotations

from operator import attrgetter
from types import MappingProxyType
from typing import Any, Callable, Mapping, TypeVar

T = TypeVar("T")

__all__ = ["record", "field", "fields", "replace", "is_record", "asdict", "Field", "MISSING",
           "FrozenInstanceError"]

_FIELDS = "__record_fields__"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Raised on an attempt to assign to or delete a field of a frozen record."""


class Field:
    """One declared field: its name, type (as written), default or factory, and flags."""

    __slots__ = ("name", "type", "default", "default_factory", "compare", "repr", "init", "kw_only", "metadata")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, compare: bool = True,
                 repr: bool = True, init: bool = True, kw_only: Any = MISSING,
                 metadata: Mapping[str, Any] | None = None) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name: str = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.init = init
        self.kw_only = kw_only
        self.metadata = MappingProxyType(dict(metadata)) if metadata else _EMPTY

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def field(*, default: Any = MISSING, default_factory: Any = MISSING, compare: bool = True, repr: bool = True,
          init: bool = True, kw_only: Any = MISSING, metadata: Mapping[str, Any] | None = None) -> Any:
    """Declare a field with options, as dataclasses.field does."""
    return Field(default, default_factory, compare, repr, init, kw_only, metadata)


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """The record's fields in declaration order (inherited ones first)."""
    try:
        return getattr(class_or_instance, _FIELDS)
    except AttributeError:
        raise TypeError("must be called with a record class or instance") from None


def is_record(obj: Any) -> bool:
    """Whether obj is a record class or instance."""
    return hasattr(obj, _FIELDS)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record obj with some fields changed (through __init__, so checks run again)."""
    for f in fields(obj):
        if f.init and f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def asdict(obj: Any) -> Any:
    """The record as nested dicts (lists, tuples and dicts inside are converted too)."""
    if is_record(obj) and not isinstance(obj, type):
        return {f.name: asdict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(v) for v in obj)
    if isinstance(obj, dict):
        return {asdict(k): asdict(v) for k, v in obj.items()}
    return obj


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list:
    return [getattr(self, f.name) for f in fields(self)]


def _setstate(self: Any, state: list) -> None:
    for f, value in zip(fields(self), state):
        object.__setattr__(self, f.name, value)


def _collect(cls: type, kw_only: bool) -> tuple[Field, ...]:
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in getattr(base, _FIELDS, ()) if _FIELDS in base.__dict__ else ():
            found[f.name] = f
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar"):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        if isinstance(f.default, (list, dict, set)):
            raise ValueError(f"mutable default {type(f.default).__name__} for field {name} is not allowed: "
                             "use default_factory")
        f.name, f.type = name, annotation
        if f.kw_only is MISSING:
            f.kw_only = kw_only
        found[name] = f
    ordered = tuple(found.values())
    seen_default = False
    for f in ordered:  # as in a def: a positional parameter without default after one with a default
        if f.init and not f.kw_only:
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            if seen_default and not has_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            seen_default = seen_default or has_default
    return ordered


# A class built more than this many times gets a compiled __init__ (as dataclasses writes one):
# compiling costs ~0.1-2 ms once, the generic loop ~2-3x more per instance, which adds up only in
# big projects.
COMPILE_AFTER = 128


def _make_init(cls: type, flds: tuple[Field, ...]) -> Callable[..., None]:
    spec = tuple((f.name, f.default, f.default_factory, f.init) for f in flds)
    names = frozenset(f.name for f in flds if f.init)
    positional = tuple(f.name for f in flds if f.init and not f.kw_only)
    post_init = getattr(cls, "__post_init__", None)
    setter = object.__setattr__
    qualname = cls.__qualname__
    calls = [0]

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        calls[0] += 1
        if calls[0] == COMPILE_AFTER and cls.__init__ is __init__ and _compilable(flds):
            cls.__init__ = _compiled_init(cls, flds)  # type: ignore[misc]
        if args:
            if len(args) > len(positional):
                raise TypeError(f"{qualname}.__init__() takes {len(positional) + 1} positional arguments "
                                f"but {len(args) + 1} were given")
            for name, value in zip(positional, args):
                if name in kw:
                    raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
                kw[name] = value
        for name, default, factory, init in spec:
            if init and name in kw:
                value = kw[name]
            elif default is not MISSING:
                value = default
            elif factory is not MISSING:
                value = factory()
            elif not init:
                continue  # as with dataclasses: a field outside __init__ without a default stays unset
            else:
                raise TypeError(f"{qualname}.__init__() missing 1 required argument: {name!r}")
            setter(self, name, value)
        if not names.issuperset(kw):
            unknown = sorted(set(kw) - names)[0]
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {unknown!r}")
        if post_init is not None:
            self.__post_init__()

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _compilable(flds: tuple[Field, ...]) -> bool:
    # field names become parameter names: none may be a helper's name or a Python keyword
    import keyword

    return all(f.name.isidentifier() and not keyword.iskeyword(f.name) and f.name != "self"
               and not f.name.startswith("_") for f in flds)


def _compiled_init(cls: type, flds: tuple[Field, ...]) -> Callable[..., None]:
    """The same __init__ as generated Python source: what dataclasses makes for every class up front."""
    env: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": MISSING}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for i, f in enumerate(flds):
        if f.default is not MISSING:
            env[f"_d{i}"] = f.default
        if f.default_factory is not MISSING:
            env[f"_f{i}"] = f.default_factory
        if f.init and f.default_factory is not MISSING:
            value = f"_f{i}() if {f.name} is _FACTORY else {f.name}"
        elif f.init:
            value = f.name
        elif f.default is not MISSING:
            value = f"_d{i}"
        elif f.default_factory is not MISSING:
            value = f"_f{i}()"
        else:
            continue  # as with dataclasses: a field outside __init__ without a default stays unset
        if f.init:
            default = f"=_d{i}" if f.default is not MISSING else ("=_FACTORY" if f.default_factory is not MISSING
                                                                  else "")
            (keyword if f.kw_only else positional).append(f"{f.name}{default}")
        body.append(f"    _set(self, {f.name!r}, {value})")
    if getattr(cls, "__post_init__", None) is not None:
        body.append("    self.__post_init__()")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({params}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), env)  # noqa: S102 - our own source
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _key_getter(names: tuple[str, ...]) -> Callable[[Any], Any]:
    if not names:
        return lambda self: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return attrgetter(*names)  # a tuple, built in C


def _comparison(key: Callable[[Any], Any], op: str) -> Callable[[Any, Any], Any]:
    def compare(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return getattr(key(self), op)(key(other))
        return NotImplemented

    compare.__name__ = op
    return compare


def _with_slots(cls: type, flds: tuple[Field, ...]) -> type:
    """The same class rebuilt with __slots__ for its own fields (a class's slots are fixed at creation)."""
    inherited = {f.name for base in cls.__mro__[1:] for f in base.__dict__.get(_FIELDS, ())}
    body = dict(cls.__dict__)
    own = tuple(f.name for f in flds if f.name not in inherited)
    for name in own:
        body.pop(name, None)  # the default now lives in the Field; a class attribute would hide the slot
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = own
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


def record(cls: type[T] | None = None, /, *, frozen: bool = True, kw_only: bool = False, slots: bool = True,
           eq: bool = True, order: bool = False) -> Any:
    """Make cls a record, like @dataclass(frozen=..., kw_only=..., slots=..., eq=..., order=...)."""

    def wrap(c: type[T]) -> type[T]:
        flds = _collect(c, kw_only)
        if slots:
            c = _with_slots(c, flds)
        else:
            for f in flds:  # plain class attributes hold the defaults, as with dataclasses
                if f.name in c.__dict__:
                    if f.default is MISSING:
                        delattr(c, f.name)
                    else:
                        setattr(c, f.name, f.default)
        setattr(c, _FIELDS, flds)
        c.__match_args__ = tuple(f.name for f in flds if f.init and not f.kw_only)  # type: ignore[attr-defined]
        c.__init__ = _make_init(c, flds)  # type: ignore[misc]
        shown = tuple(f.name for f in flds if f.repr)
        qualname = c.__qualname__

        def __repr__(self: Any) -> str:
            return f"{qualname}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")"

        c.__repr__ = __repr__  # type: ignore[assignment]
        if eq:
            key = _key_getter(tuple(f.name for f in flds if f.compare))

            def __eq__(self: Any, other: Any) -> Any:
                if other.__class__ is self.__class__:
                    return key(self) == key(other)
                return NotImplemented

            c.__eq__ = __eq__  # type: ignore[assignment]
            # as with dataclasses: equal and frozen means hashable by value; equal and mutable, unhashable
            c.__hash__ = (lambda self: hash(key(self))) if frozen else None  # type: ignore[assignment]
            if order:
                for op in ("__lt__", "__le__", "__gt__", "__ge__"):
                    setattr(c, op, _comparison(key, op))
        if frozen:
            c.__setattr__ = _frozen_setattr  # type: ignore[assignment]
            c.__delattr__ = _frozen_delattr  # type: ignore[assignment]
            if slots:  # default pickling and copying of a slotted object would assign through __setattr__
                c.__getstate__ = _getstate  # type: ignore[attr-defined]
                c.__setstate__ = _setstate  # type: ignore[attr-defined]
        return c

    return wrap if cls is None else wrap(cls)
