"""Top-level networks, volumes, secrets and configs of a stack file, and the files secrets need."""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...diagnostics import KeyPath
from ...model.types import FileObject, Network, Volume
from ..common import bytes_hash, stable_hash
from .context import Context
from .handling import report_rest

# Compose's default network driver is a local bridge; the equivalent between Swarm nodes is an overlay.
SWARM_DRIVER = "overlay"
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def default_name(ctx: Context, key: str) -> str:
    """The name Compose gives an object it creates, and Swarm too when the stack is named like the project."""
    return f"{ctx.project.name}_{key}"


def convert_network(ctx: Context, key: str, net: Network) -> dict[str, Any]:
    path: KeyPath = ("networks", key)
    out: dict[str, Any] = {}
    if net.external:
        out["external"] = True
        if net.name and net.name != key:
            ctx.need((3, 5), "networks.*.name")
            out["name"] = net.name
        _report_external_settings(ctx, net, path, ("driver", "driver_opts", "internal", "attachable", "labels"))
        if net.ipam.driver or net.ipam.config:
            ctx.info("swarm-no-effect", "ipam removed: the network is external", path + ("ipam",))
    else:
        if net.name and net.name != default_name(ctx, key):
            ctx.need((3, 5), "networks.*.name")
            out["name"] = net.name
        driver = net.driver
        if driver in (None, "bridge"):
            if driver == "bridge":
                ctx.info("swarm-translated", "driver bridge became overlay: Swarm services span nodes",
                         path + ("driver",))
            driver = SWARM_DRIVER
        out["driver"] = driver
        if net.driver_opts:
            out["driver_opts"] = dict(net.driver_opts)
        if net.internal:
            out["internal"] = True
        if net.attachable or ctx.extra.get("attachable"):
            ctx.need((3, 2), "networks.*.attachable")
            out["attachable"] = True
        if net.labels:
            out["labels"] = dict(net.labels)
        ipam = _ipam(ctx, net, path + ("ipam",))
        if ipam:
            out["ipam"] = ipam
    if net.extensions:
        ctx.need((3, 7), "network extensions")
        out.update(net.extensions)
    report_rest(ctx, net, path)
    return out


def builtin_network(ctx: Context, key: str, name: str) -> dict[str, Any]:
    """An external reference to one of Swarm's own networks (host, none)."""
    if key == name:
        return {"external": True}
    ctx.need((3, 5), "networks.*.name")
    return {"external": True, "name": name}


def _ipam(ctx: Context, net: Network, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if net.ipam.driver:
        out["driver"] = net.ipam.driver
    pools = []
    for i, pool in enumerate(net.ipam.config):
        pools.append({"subnet": pool.subnet} if pool.subnet else {})
        report_rest(ctx, pool, path + ("config", i))
    if pools:
        out["config"] = pools
    report_rest(ctx, net.ipam, path)
    return out


def _report_external_settings(ctx: Context, obj: Any, path: KeyPath, keys: tuple[str, ...]) -> None:
    for key in keys:
        if getattr(obj, key):
            ctx.warn("swarm-unsupported", f"{key} removed: the stack loader rejects it on an external object",
                     path + (key,))


def convert_volume(ctx: Context, key: str, vol: Volume) -> dict[str, Any]:
    path: KeyPath = ("volumes", key)
    out: dict[str, Any] = {}
    if vol.external:
        out["external"] = True
        if vol.name and vol.name != key:
            ctx.need((3, 4), "volumes.*.name")
            out["name"] = vol.name
        _report_external_settings(ctx, vol, path, ("driver", "driver_opts", "labels"))
    else:
        if vol.name and vol.name != default_name(ctx, key):
            ctx.need((3, 4), "volumes.*.name")
            out["name"] = vol.name
        if vol.driver:
            out["driver"] = vol.driver
        if vol.driver_opts:
            out["driver_opts"] = dict(vol.driver_opts)
        if vol.labels:
            out["labels"] = dict(vol.labels)
    if vol.extensions:
        ctx.need((3, 7), "volume extensions")
        out.update(vol.extensions)
    report_rest(ctx, vol, path)
    return out


def content_hash(data: bytes | str) -> str:
    if isinstance(data, str):
        return stable_hash(data)
    return bytes_hash(data)


def side_file_name(kind: str, key: str, taken: Mapping[str, Any]) -> str:
    """secrets/<key> or configs/<key>, with characters a file name should not have replaced by "_"; a key
    that would still not name a file of its own ("." or "..", or one already taken) gets x-<hash of key>."""
    name = _UNSAFE_FILE_CHARS.sub("_", key)
    rel = f"{kind}/{name}"
    if name in ("", ".", "..") or rel in taken:
        rel = f"{kind}/x-{stable_hash(key, 12)}"
    return rel


def convert_file_object(ctx: Context, kind: str, key: str, obj: FileObject,
                        files: dict[str, str | bytes | None]) -> dict[str, Any]:
    """One secret (kind "secrets") or config ("configs"); files gets the contents to write next to the stack."""
    path: KeyPath = (kind, key)
    singular = kind[:-1]
    out: dict[str, Any] = {}
    data: bytes | str | None = None
    external = obj.external
    if external:
        out["external"] = True
        if obj.name and obj.name != key:
            ctx.need((3, 5), f"{kind}.*.name")
            out["name"] = obj.name
    elif obj.file:
        out["file"] = ctx.host_path(obj.file)
        data = _lookup(ctx.extra.get("file_contents") or {}, obj.file)
    elif obj.content is not None or obj.environment:
        data = obj.content
        if data is None:
            assert obj.environment
            data = _lookup(ctx.extra.get("environment") or {}, obj.environment)
        if data is None:
            out = _make_external(ctx, kind, key, obj, path + ("environment",),
                                 f"its value comes from environment variable {obj.environment}, which the "
                                 "conversion was not given (extra environment)")
            external = True
        else:
            rel = side_file_name(kind, key, files)
            out["file"] = "./" + rel
            where = "environment" if obj.content is None else "content"
            if kind == "secrets" and not ctx.inline_secrets:
                files[rel] = None  # the name is taken, the value is not written
                ctx.warn("swarm-secret-not-inlined", f"the value of secret {key} is not written into the output "
                         f"(inline_secrets is off): the stack file refers to {rel}, which must hold it when "
                         "you deploy", path + (where,), f"write the value to {rel}, or convert with inline_secrets")
            elif not ctx.split:
                files[rel] = data
                ctx.warn("swarm-needs-folder", f"the {singular} is written to {rel} next to the stack file (docker "
                         f"stack deploy has no {where} source), which needs an output folder; the stack file "
                         "refers to it anyway", path + (where,))
            else:
                files[rel] = data
    elif obj.driver and kind == "secrets":
        pass  # a secret from a secret driver plugin needs no source
    else:
        out = _make_external(ctx, kind, key, obj, path, "it has no file, environment or content source")
        external = True
    if not external:
        name = obj.name if obj.name and obj.name != default_name(ctx, key) else None
        if ctx.extra.get("hash_names"):
            if data is None:
                if obj.file:
                    ctx.warn("swarm-hash-no-content", f"name not hashed: extra file_contents has no content for "
                             f"{ctx.host_path(obj.file)}", path + ("file",))
            else:
                name = f"{name or default_name(ctx, key)}_{content_hash(data)}"
        if name:
            ctx.need((3, 5), f"{kind}.*.name")
            out["name"] = name
        if obj.labels:
            out["labels"] = dict(obj.labels)
        _drivers(ctx, kind, obj, path, out)
    elif obj.labels or obj.driver or obj.driver_opts or obj.template_driver:
        _report_external_settings(ctx, obj, path, ("labels", "driver", "driver_opts", "template_driver"))
    if obj.extensions:
        ctx.need((3, 7), f"{singular} extensions")
        out.update(obj.extensions)
    report_rest(ctx, obj, path)
    return out


def _drivers(ctx: Context, kind: str, obj: FileObject, path: KeyPath, out: dict[str, Any]) -> None:
    if kind == "secrets":
        if obj.driver:
            ctx.need((3, 8), "secrets.*.driver")
            out["driver"] = obj.driver
        if obj.driver_opts:
            ctx.need((3, 8), "secrets.*.driver_opts")
            out["driver_opts"] = dict(obj.driver_opts)
    else:
        for key in ("driver", "driver_opts"):
            if getattr(obj, key):
                ctx.warn("swarm-unsupported", f"{key} removed: Swarm configs have no driver", path + (key,))
    if obj.template_driver:
        ctx.need((3, 8), f"{kind}.*.template_driver")
        out["template_driver"] = obj.template_driver


def _make_external(ctx: Context, kind: str, key: str, obj: FileObject, path: KeyPath, why: str) -> dict[str, Any]:
    """Declare a secret or config the stack cannot carry as external, for the user to create beforehand."""
    name = obj.name or default_name(ctx, key)
    ctx.need((3, 5), f"{kind}.*.name")
    ctx.warn("swarm-external-object", f"{kind[:-1]} {key} declared external with name {name}: {why}", path,
             hint=f"create it before deploying: docker {kind[:-1]} create {name} FILE")
    return {"external": True, "name": name}


def _lookup(values: Mapping[str, Any], key: str) -> bytes | str | None:
    value = values.get(key)
    if value is None or isinstance(value, (bytes, str)):
        return value
    return str(value)
