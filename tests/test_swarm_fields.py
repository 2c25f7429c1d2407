"""No silent drops: every field of the model is either emitted into the stack file or reported."""

from __future__ import annotations

from typing import Any

import pytest

from composeconv import records
from composeconv.backends import ConvertOptions
from composeconv.backends.swarm import DIAGNOSTIC_CODES, convert
from composeconv.backends.swarm.docs import BEGIN, END, handling_table, render_section
from composeconv.backends.swarm.handling import (
    DROPPED,
    HANDLING,
    KEPT,
    REPORTED,
    TRANSLATED,
    WHOLE,
    child_class,
    walk_fields,
)
from composeconv.diagnostics import Level
from composeconv.model import types as T
from composeconv.model.values import Duration
from support import ROOT

# A value for each field kind that differs from the field's default.
VALUES: dict[str, Any] = {
    "str": "v1", "int": 3, "bool": True, "float32": 1.5, "nanocpus": 1.5, "bytes": 1048576,
    "duration": Duration(5_000_000_000), "filemode": 0o440, "devicecount": 2, "strlist": ("a1",),
    "mapping": {"k1": "v1"}, "options": {"k1": "v1"}, "labels": {"k1": "v1"}, "mapping_eq": {"K1": "v1"},
    "multioptions": {"k1": ("v1",)}, "command": ("echo", "hi"), "healthtest": ("CMD", "true"),
    "hosts": {"h1": ("10.0.0.1",)}, "any_list": ("a.env",), "extensions": {"x-test": "v1"},
    "gpus": (T.DeviceRequest(count=1),),
}
# Values that mean something to the converter, where a placeholder would only test the error path.
SPECIAL: dict[str, Any] = {
    "Service.restart": "on-failure:3", "Service.network_mode": "host", "Service.net": "host",
    "Service.tmpfs": ("/run:size=1m",), "Service.platform": "linux/amd64", "Service.cgroup": "host",
    "Deploy.mode": "global", "Deploy.endpoint_mode": "dnsrr", "RestartPolicy.condition": "on-failure",
    "UpdateConfig.order": "start-first", "UpdateConfig.failure_action": "pause", "Port.mode": "host",
    "Port.protocol": "udp", "Port.published": "8080", "Port.host_ip": "127.0.0.1", "Mount.type": "volume",
    "VolumeBind.propagation": "rshared", "Logging.driver": "json-file", "FileObject.file": "/srv/other",
    "FileObject.environment": "VAR", "FileObject.content": "hello", "Network.driver": "macvlan",
}
# What every object of a class has in the variant and in the baseline, so that only one field differs.
BASE: dict[type, dict[str, Any]] = {
    T.Project: {"services": {"web": T.Service(name="web", image="busybox")}},
    T.Service: {"name": "web", "image": "busybox"},
    T.Port: {"target": 80},
    T.Mount: {"type": "bind", "source": "/src", "target": "/dst"},
    T.FileObject: {"file": "/srv/f"},
    T.Ulimit: {"soft": 1, "hard": 2},
}
# fields that replace the base's file source instead of adding to it
EXCLUSIVE = {"FileObject.environment", "FileObject.content", "FileObject.external"}


def _chains(cls: type = T.Project, chain: tuple = ()):
    """(class, field) chains from Project to every leaf field and every field handled as a whole."""
    for f in records.fields(cls):
        kind = f.metadata.get("kind")
        if kind in ("meta", "name"):
            continue
        here = chain + ((cls, f),)
        child, _ = child_class(kind)
        if child is None or child in WHOLE:
            yield here
        else:
            yield from _chains(child, here)


def _obj(cls: type, **fields: Any) -> Any:
    base = dict(BASE.get(cls, {}))
    if any(f"{cls.__name__}.{name}" in EXCLUSIVE for name in fields):
        base.pop("file", None)
    return cls(**{**base, **fields})


def _wrap(kind: Any, value: Any) -> tuple[Any, list]:
    """value put where a field of this kind holds it, and the key path step to reach it."""
    if isinstance(kind, tuple):
        return ((value,), [0]) if kind[0] == "list" else ({"k": value}, ["k"])
    if kind == "ulimits":
        return {"nofile": value}, ["nofile"]
    return value, []


def _leaf_value(cls: type, f: records.Field) -> Any:
    special = SPECIAL.get(f"{cls.__name__}.{f.name}")
    if special is not None:
        return special
    kind = f.metadata["kind"]
    child, _ = child_class(kind)
    if child is not None:
        return _wrap(kind, child())[0]
    if f.default is None and kind == "bool":
        return True
    return VALUES[kind]


def _build(chain: tuple, leaf: Any | None) -> tuple[T.Project, tuple]:
    """The project with the chain's leaf set to leaf (or left at its default when None), and its key path."""
    cls, f = chain[-1]
    obj = _obj(cls, **({} if leaf is None else {f.name: leaf}))
    path: list = ["x-test" if f.metadata["kind"] == "extensions" else f.metadata["key"]]
    for cls, f in reversed(chain[:-1]):
        if cls is T.Project and f.name == "services":
            value, step = {"web": obj}, ["web"]
        else:
            value, step = _wrap(f.metadata["kind"], obj)
        path = [f.metadata["key"], *step, *path]
        obj = _obj(cls, **{f.name: value})
    return obj, tuple(path)


CHAINS = list(_chains())


def _chain_id(chain: tuple) -> str:
    return ".".join(f"{cls.__name__}.{f.name}" if i == len(chain) - 1 else f.name for i, (cls, f) in enumerate(chain))


@pytest.mark.parametrize("chain", CHAINS, ids=[_chain_id(c) for c in CHAINS])
def test_every_field_is_emitted_or_reported(chain):
    cls, f = chain[-1]
    handling = HANDLING[f"{cls.__name__}.{f.name}"]
    leaf = _leaf_value(cls, f)
    baseline, path = _build(chain, None)
    variant, _ = _build(chain, leaf)
    options = ConvertOptions(split=True)
    before = convert(baseline, options)
    after = convert(variant, options)
    new_diags = [d for d in after.diagnostics if d not in before.diagnostics]
    at_key = [d for d in new_diags if d.path[: len(path)] == path]
    # a parent key reported as removed (for example a whole mount or resource list) covers its sub-keys
    parent = [d for d in after.diagnostics if len(d.path) > 2 and path[: len(d.path)] == d.path
              and d.level >= Level.WARNING]
    if handling.kind == KEPT:
        assert after.objects[0] != before.objects[0] or parent, f"{path} set but the stack file is unchanged"
    elif handling.kind == TRANSLATED:
        assert after.objects[0] != before.objects[0] or at_key or parent, f"{path} neither emitted nor reported"
    else:
        assert at_key or parent, f"{path} is {handling.kind} but no diagnostic names it: {after.diagnostics}"
        if handling.kind == DROPPED:
            assert max(d.level for d in at_key + parent) >= Level.WARNING


def test_handling_table_covers_exactly_the_model():
    reachable = {f"{cls.__name__}.{f.name}" for _, cls, f in walk_fields()}
    assert reachable == set(HANDLING)
    for name, h in HANDLING.items():
        assert h.kind in (KEPT, TRANSLATED) or h.note, f"{name}: a removed key needs a note saying why"


def test_reported_codes_are_documented():
    for code, _level in REPORTED.values():
        assert code in DIAGNOSTIC_CODES
    source = "\n".join(p.read_text() for p in (ROOT / "composeconv" / "backends" / "swarm").glob("*.py"))
    import re

    used = set(re.findall(r'"(swarm-[a-z-]+)"', source))
    assert used == set(DIAGNOSTIC_CODES), used ^ set(DIAGNOSTIC_CODES)


def test_docs_table_is_current():
    doc = (ROOT / "docs" / "swarm.md").read_text()
    assert BEGIN in doc and END in doc
    assert render_section(doc) == doc, \
        "docs/swarm.md is out of date: python -m composeconv.backends.swarm.docs docs/swarm.md"
    assert handling_table() in doc
