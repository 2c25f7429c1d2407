"""No Compose key is dropped without a word: every model field, set to a non-default value, changes the
Kubernetes output or gets a diagnostic naming it; and the key table covers every field and is in the docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from composeconv import records
from composeconv.backends import ConvertOptions
from composeconv.backends.kubernetes import DIAGNOSTIC_CODES, convert
from composeconv.backends.kubernetes.keys import (FILE_KEYS, NETWORK_KEYS, PROJECT_KEYS, SERVICE_KEYS, VOLUME_KEYS,
                                                  markdown_table)
from composeconv.model import Duration, Project, Service
from composeconv.model import types as T
from composeconv.model.fields import field_default

ROOT = Path(__file__).resolve().parents[1]

# values that are not defaults, by the field's decoding kind
_SCALARS: dict[str, Any] = {
    "str": "x1", "int": 7, "float32": 0.5, "nanocpus": 0.5, "bytes": 64 * 1024 * 1024,
    "duration": Duration(3_000_000_000), "filemode": 0o400, "devicecount": 2, "strlist": ("a1",),
    "mapping": {"k1": "v1"}, "options": {"k1": "v1"}, "labels": {"k1": "v1"}, "mapping_eq": {"K1": "v1"},
    "multioptions": {"k1": ("v1",)}, "command": ("echo", "hi"), "healthtest": ("CMD", "true"),
    "hosts": {"h1": ("10.0.0.1",)}, "ulimits": {"nofile": T.Ulimit(soft=1, hard=2)},
    "ssh": (T.SSHKey(id="default"),), "gpus": (T.DeviceRequest(count=1, capabilities=("gpu",)),),
    "any_list": ("f.env",),
}
# values that make sense for a given key (a string "x1" would be rejected or mean nothing)
_SPECIAL: dict[str, Any] = {
    "network_mode": "host", "pid": "host", "ipc": "host", "uts": "host", "user": "1000:1000",
    "platform": "linux/arm64", "pull_policy": "always", "restart": "on-failure:3", "hostname": "h1",
    "group_add": ("100",), "security_opt": ("no-new-privileges",), "cap_add": ("NET_ADMIN",),
    "cap_drop": ("ALL",), "expose": ("9000",), "tmpfs": ("/run/t1:size=1m",), "sysctls": {"net.core.somaxconn": "1"},
    "links": ("dep1:alias1",), "depends_on": None, "volumes_from": ("dep1",), "dns_opt": ("ndots:2",),
    "secrets": None, "configs": None, "volumes": None, "networks": None, "ports": None, "models": None,
    "deploy.mode": "global", "deploy.endpoint_mode": "dnsrr", "deploy.update_config.order": "start-first",
    "deploy.update_config.failure_action": "pause", "deploy.restart_policy.condition": "on-failure",
    "deploy.placement.constraints": ("node.labels.disk==ssd",),
    "deploy.placement.preferences.spread": "node.labels.zone", "depends_on.condition": "service_completed_successfully",
    "healthcheck.test": ("CMD-SHELL", "true"), "ports.mode": "host", "ports.protocol": "udp",
    "ports.published": "8080", "ports.name": "web", "ports.app_protocol": "http", "ports.host_ip": "127.0.0.1",
    "volumes.type": "tmpfs", "volumes.source": "v2", "volumes.target": "/other",
    "volumes.bind.propagation": "rshared", "volumes.bind.selinux": "z", "volumes.bind.recursive": "disabled",
    "volumes.volume.subpath": "sub", "deploy.resources.limits.devices.capabilities": ("gpu",),
    "deploy.resources.reservations.devices.capabilities": ("gpu",),
    "deploy.resources.limits.devices.driver": "amd", "deploy.resources.reservations.devices.driver": "amd",
    "deploy.resources.limits.devices.count": 2, "deploy.resources.reservations.devices.count": 2,
    "domainname": "example.com", "runtime": "runsc", "working_dir": "/w", "image": "busybox:2",
    "configs.target": "/etc/c1", "secrets.target": "/etc/s1", "configs.source": "c2", "secrets.source": "s2",
    "healthcheck.disable": True, "network_mode_x": None, "mem_limit": 256 * 1024 * 1024,
    "mem_reservation": 128 * 1024 * 1024, "entrypoint": ("/bin/sh", "-c"), "stop_grace_period": Duration(5_000_000_000),
}
# parents that a nested field needs to mean anything, by the dotted path of the parent
_PARENTS: dict[str, Any] = {
    "ports": lambda **kw: T.Port(**{"target": 80, **kw}),
    "post_start": lambda **kw: T.Hook(**{"command": ("true",), **kw}),
    "pre_stop": lambda **kw: T.Hook(**{"command": ("true",), **kw}),
    "volumes": lambda **kw: T.Mount(**{"type": "volume", "source": "v1", "target": "/data", **kw}),
    "volumes.bind": lambda **kw: T.VolumeBind(**kw),
    "configs": lambda **kw: T.FileReference(**{"source": "c1", **kw}),
    "secrets": lambda **kw: T.FileReference(**{"source": "s1", **kw}),
    "depends_on": lambda **kw: T.Dependency(**kw),
    "networks": lambda **kw: T.ServiceNetwork(**kw),
    "healthcheck": lambda **kw: T.Healthcheck(**{"test": ("CMD", "true"), **kw}),
    "deploy.resources.limits.devices": lambda **kw: T.DeviceRequest(**{"capabilities": ("gpu",), **kw}),
    "deploy.resources.reservations.devices": lambda **kw: T.DeviceRequest(**{"capabilities": ("gpu",), **kw}),
}
_BIND_PARENT = {"type": "bind", "source": "/srv/b1", "target": "/b1"}


def _fields(cls: type) -> list[records.Field]:
    return [f for f in records.fields(cls) if f.metadata.get("key") and f.metadata.get("kind") not in ("extensions",)]


def _sub(kind: Any) -> type | None:
    if isinstance(kind, tuple):
        return kind[1]
    return kind if isinstance(kind, type) else None


def field_paths(cls: type, prefix: str = "") -> Iterator[tuple[str, records.Field]]:
    for f in _fields(cls):
        path = prefix + f.metadata["key"]
        yield path, f
        sub = _sub(f.metadata["kind"])
        if sub is not None:
            yield from field_paths(sub, path + ".")


def _handling(table: dict, path: str):
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in table:
            return key, table[key]
    return None, None


def test_key_table_covers_every_field():
    missing = [p for p, _ in field_paths(T.Service) if _handling(SERVICE_KEYS, p)[0] is None]
    assert not missing, f"add these service keys to keys.SERVICE_KEYS: {missing}"
    for cls, table in ((T.Network, NETWORK_KEYS), (T.Volume, VOLUME_KEYS), (T.FileObject, FILE_KEYS),
                       (T.Project, PROJECT_KEYS)):
        missing = [f.metadata["key"] for f in _fields(cls) if f.metadata["key"] not in table]
        assert not missing, f"{cls.__name__}: {missing}"
    # no stale entries either
    known = {p for p, _ in field_paths(T.Service)}
    assert not set(SERVICE_KEYS) - known


def test_docs_mapping_table_is_current():
    doc = (ROOT / "docs" / "kubernetes.md").read_text()
    begin, end = "<!-- mapping-table:begin -->\n", "<!-- mapping-table:end -->"
    assert begin in doc and end in doc
    current = doc.split(begin, 1)[1].split(end, 1)[0]
    assert current == markdown_table(), "paste keys.markdown_table() between the markers in docs/kubernetes.md"


def test_docs_list_every_diagnostic_code():
    doc = (ROOT / "docs" / "kubernetes.md").read_text()
    missing = [c for c in DIAGNOSTIC_CODES if f"`{c}`" not in doc]
    assert not missing


def _value(path: str, f: records.Field) -> Any:
    if path in _SPECIAL and _SPECIAL[path] is not None:
        return _SPECIAL[path]
    leaf = path.rsplit(".", 1)[-1]
    if "." not in path and leaf in _SPECIAL and _SPECIAL[leaf] is not None:
        return _SPECIAL[leaf]
    kind = f.metadata["kind"]
    default = field_default(f)
    if kind == "bool":
        return not default if default is not None else True
    if isinstance(kind, str):
        return _SCALARS[kind]
    sub = _sub(kind)
    made = _PARENTS.get(path, lambda **kw: sub(**kw))()
    if isinstance(kind, tuple) and kind[0] == "list":
        return (made,)
    if isinstance(kind, tuple):
        return {"k1": made}
    return made


def _base_project(service: Service) -> Project:
    dep = Service(name="dep1", image="busybox", healthcheck=T.Healthcheck(test=("CMD", "true")))
    return Project(
        name="p1",
        services={"dep1": dep, service.name: service},
        volumes={"v1": T.Volume(name="p1_v1"), "v2": T.Volume(name="p1_v2")},
        configs={"c1": T.FileObject(name="p1_c1", content="c"), "c2": T.FileObject(name="p1_c2", content="d")},
        secrets={"s1": T.FileObject(name="p1_s1", file="/srv/s1"), "s2": T.FileObject(name="p1_s2", file="/srv/s2")},
        networks={"n1": T.Network(name="p1_n1")},
        models={"m1": T.Model(model="ai/x")},
    )


def _nest(path: str, value: Any) -> tuple[dict[str, Any], tuple]:
    """Service keyword arguments that set the dotted path to value, and the key path of the value."""
    parts = path.split(".")
    head = parts[0]
    if len(parts) == 1:
        key_path: tuple = (head,)
        if head == "depends_on":
            return {head: {"dep1": T.Dependency(condition="service_started")}}, key_path
        if head == "networks":
            return {head: {"n1": None}}, key_path
        if head == "models":
            return {head: {"m1": None}}, key_path
        return {head: value}, key_path
    # build the chain of parents from the innermost field outwards
    chain = [".".join(parts[:i]) for i in range(1, len(parts))]
    inner_key = parts[-1]
    obj_kwargs = {inner_key: value}
    key_path_tail: list = [inner_key]
    for parent in reversed(chain):
        cls_field = dict(field_paths(T.Service))[parent]
        kind = cls_field.metadata["kind"]
        sub = _sub(kind)
        if parent == "volumes.bind":
            obj = T.VolumeBind(**obj_kwargs)
        elif parent in _PARENTS:
            obj = _PARENTS[parent](**obj_kwargs)
        else:
            obj = sub(**obj_kwargs)
        if parent == "volumes" and "bind" in obj_kwargs:
            obj = T.Mount(**{**_BIND_PARENT, **obj_kwargs})
        if parent == "volumes" and "tmpfs" in obj_kwargs:
            obj = T.Mount(type="tmpfs", target="/t1", **obj_kwargs)
        if parent == "volumes" and "image" in obj_kwargs:
            obj = T.Mount(type="volume", source="v1", target="/data", **obj_kwargs)
        key = parent.rsplit(".", 1)[-1]
        if isinstance(kind, tuple) and kind[0] == "list":
            key_path_tail = [key, 0] + key_path_tail
            obj_kwargs = {key: (obj,)}
        elif isinstance(kind, tuple):
            name = {"depends_on": "dep1", "networks": "n1"}.get(parent, "k1")
            key_path_tail = [key, name] + key_path_tail
            obj_kwargs = {key: {name: obj}}
        else:
            key_path_tail = [key] + key_path_tail
            obj_kwargs = {key: obj}
    return obj_kwargs, tuple(key_path_tail)


def _convert(service: Service):
    return convert(_base_project(service), ConvertOptions())


def _cases() -> list[str]:
    # `name` is the key under services:; a field holding one nested object (deploy, deploy.resources,
    # volumes[].bind, ...) is only a container: its own fields are each tested
    return [p for p, f in field_paths(T.Service)
            if p != "name" and not isinstance(f.metadata["kind"], type)]


@pytest.mark.parametrize("path", _cases())
def test_every_service_key_changes_output_or_is_reported(path):
    fields = dict(field_paths(T.Service))
    value = _value(path, fields[path])
    kwargs, key_path = _nest(path, value)
    base_kwargs = {}
    if "." in path:
        # the baseline has the same parents with the field at its default, so only the field differs
        base_kwargs, _ = _nest(path, field_default(fields[path]))
    full = ("services", "web") + key_path
    base = _convert(Service(**{"name": "web", "image": "busybox", **base_kwargs}))
    got = _convert(Service(**{"name": "web", "image": "busybox", **kwargs}))
    _, h = _handling(SERVICE_KEYS, path)
    named = [d for d in got.diagnostics if tuple(d.path) == full or tuple(d.path)[:len(full)] == full]
    if h.how == "mapped":
        changed = [f.content for f in got.files] != [f.content for f in base.files]
        assert changed or named, f"{path} ({h.note}) changed nothing and was not reported"
    else:
        ancestor_paths = {full[:i] for i in range(3, len(full) + 1)}
        assert named or any(tuple(d.path) in ancestor_paths for d in got.diagnostics
                            if d.code in ("k8s-unsupported", "k8s-ignored") or h.code), \
            f"{path} is {h.how} but no diagnostic names it: {[d.path_text for d in got.diagnostics]}"


@pytest.mark.parametrize(("cls", "table", "section"), [(T.Network, NETWORK_KEYS, "networks"),
                                                       (T.Volume, VOLUME_KEYS, "volumes"),
                                                       (T.FileObject, FILE_KEYS, "configs"),
                                                       (T.FileObject, FILE_KEYS, "secrets")])
def test_every_top_level_key_changes_output_or_is_reported(cls, table, section):
    mount = {"volumes": dict(volumes=(T.Mount(type="volume", source="t1", target="/t"),)),
             "configs": dict(configs=(T.FileReference(source="t1"),)),
             "secrets": dict(secrets=(T.FileReference(source="t1"),)),
             "networks": dict(networks={"t1": None})}[section]
    base_obj = cls(**({"content": "x"} if cls is T.FileObject else {}))
    for f in _fields(cls):
        key = f.metadata["key"]
        value = _SPECIAL.get(f"{section}.{key}") or ("other" if key == "name" else None)
        if value is None:
            value = not field_default(f) if f.metadata["kind"] == "bool" else _SCALARS.get(f.metadata["kind"])
        if value is None:
            value = _sub(f.metadata["kind"])(driver="x1")  # ipam
        obj = records.replace(base_obj, **{f.name: value})
        results = []
        for o in (base_obj, obj):
            project = records.replace(_base_project(Service(name="web", image="busybox", **mount)),
                                          **{section: {"t1": o}})
            results.append(convert(project, ConvertOptions(inline_secrets=True)))
        base, got = results
        changed = [f.content for f in got.files] != [f.content for f in base.files]
        named = [d for d in got.diagnostics if tuple(d.path)[:3] == (section, "t1", key)]
        assert changed or named, f"{section}.{key} changed nothing and was not reported"
