"""Hypothesis strategies for the composeconv model, built from the model's own field declarations."""

from __future__ import annotations

import typing
from functools import lru_cache

from hypothesis import strategies as st

from composeconv import records
from composeconv.model import types as T
from composeconv.model.values import Duration, to_float32

names = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)
words = st.from_regex(r"[A-Za-z0-9_./:-]{1,20}", fullmatch=True)
ints = st.integers(min_value=1, max_value=2**31 - 1)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), texts)
json_values = st.recursive(json_scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                              st.dictionaries(names, c, max_size=3)), max_leaves=8)


def sorted_dict(keys, values, max_size=4):
    return st.dictionaries(keys, values, max_size=max_size).map(lambda d: dict(sorted(d.items())))


extensions = sorted_dict(names.map(lambda n: "x-" + n), json_values, 2)


def _scalar(kind: str, omit: bool, ptr: bool):
    nonzero = omit and not ptr
    if kind == "str":
        return texts
    if kind == "int":
        return ints if nonzero else st.integers(0, 2**31 - 1)
    if kind == "bool":
        return st.just(True) if nonzero else st.booleans()
    if kind in ("float32", "nanocpus"):
        return st.floats(0.001, 64, allow_nan=False).map(to_float32)
    if kind == "bytes":
        return ints
    if kind == "duration":
        return st.integers(1 if nonzero else 0, 10**13).map(Duration)
    if kind == "filemode":
        return st.integers(0, 0o7777)
    if kind == "devicecount":
        return st.one_of(st.just(-1), ints)
    if kind == "strlist":
        return st.lists(texts, min_size=1, max_size=3).map(tuple)
    if kind in ("mapping", "options", "labels"):
        return sorted_dict(words, st.text(max_size=10))
    if kind == "mapping_eq":
        return sorted_dict(words.filter(lambda w: "=" not in w), st.one_of(st.none(), st.text(max_size=10)))
    if kind == "multioptions":
        return sorted_dict(words, st.lists(texts, min_size=1, max_size=2).map(tuple))
    if kind == "command":
        return st.lists(texts, max_size=3).map(tuple)
    if kind == "healthtest":
        return st.lists(texts, min_size=1, max_size=3).map(lambda l: ("CMD", *l))
    if kind == "hosts":
        host = st.from_regex(r"[a-z][a-z0-9.-]{0,15}", fullmatch=True)
        ip = st.from_regex(r"[0-9a-f.]{1,15}", fullmatch=True)
        return sorted_dict(host, st.lists(ip, min_size=1, max_size=2).map(lambda l: tuple(sorted(l))))
    if kind == "ulimits":
        u = st.one_of(ints.map(lambda n: T.Ulimit(single=n)), st.tuples(ints, ints).map(lambda p: T.Ulimit(soft=p[0], hard=p[1])))
        return sorted_dict(names, u)
    if kind == "ssh":
        return st.lists(st.builds(T.SSHKey, id=names, path=st.one_of(st.none(), words)), max_size=2).map(tuple)
    if kind == "gpus":
        return st.lists(model_of(T.DeviceRequest), min_size=1, max_size=2).map(tuple)
    if kind == "any_list":
        return st.just(())
    raise ValueError(kind)


@lru_cache(maxsize=None)
def model_of(cls: type, depth: int = 0):
    """A strategy for any model class: each field either left at its default or set to a valid value."""
    kwargs = {}
    for f in records.fields(cls):
        m = f.metadata
        kind = m.get("kind")
        if kind in ("meta", "name") or kind is None:
            continue
        if kind == "extensions":
            value = extensions
        elif isinstance(kind, str):
            value = _scalar(kind, m.get("omit", True), m.get("ptr", False))
        elif isinstance(kind, tuple):
            how, sub = kind
            if depth > 2:
                continue
            inner = model_of(sub, depth + 1)
            if how == "list":
                value = st.lists(inner, min_size=1, max_size=2).map(tuple)
            elif how == "map_nullable":
                value = sorted_dict(names, st.one_of(st.none(), inner), 2)
            else:
                value = sorted_dict(names, inner, 2)
        else:
            if depth > 3:
                continue
            value = model_of(kind, depth + 1)
        kwargs[f.name] = value
    # each field is independently present or absent
    fields = {k: st.one_of(st.none(), v) for k, v in kwargs.items()}
    return st.fixed_dictionaries({}, optional=fields).map(
        lambda d: cls(**{k: v for k, v in d.items() if v is not None}))


def services():
    return sorted_dict(names, model_of(T.Service), 3).map(
        lambda d: {n: records.replace(s, name=n) for n, s in d.items()})


def projects():
    """Whole projects: services, networks, volumes, secrets, configs, with names set consistently."""
    return st.builds(
        T.Project,
        name=names,
        services=services(),
        networks=sorted_dict(names, model_of(T.Network), 2),
        volumes=sorted_dict(names, model_of(T.Volume), 2),
        secrets=sorted_dict(names, model_of(T.FileObject), 2),
        configs=sorted_dict(names, model_of(T.FileObject), 2),
        extensions=extensions,
    )


__all__ = ["projects", "services", "model_of", "names", "texts", "typing"]
