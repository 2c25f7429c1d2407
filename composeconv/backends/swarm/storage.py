"""Service mounts in long syntax, including the tmpfs and shm_size keys Swarm only takes as mounts."""

from __future__ import annotations

from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import Mount
from ...model.values import ValueError_, parse_bytes
from .context import Context
from .handling import report_rest

MOUNT_TYPES = ("bind", "volume", "tmpfs", "npipe")


def convert_mounts(ctx: Context, svc: Service, path: KeyPath) -> list[dict[str, Any]]:
    """The volumes list of one service: its mounts, then tmpfs entries, then /dev/shm for shm_size."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(svc.volumes):
        item = _mount(ctx, m, path + ("volumes", i))
        if item is not None:
            out.append(item)
    for i, spec in enumerate(svc.tmpfs):
        out.append(_tmpfs_entry(ctx, spec, path + ("tmpfs", i)))
    if svc.shm_size is not None:
        if any(item.get("target") == "/dev/shm" for item in out):
            ctx.warn("swarm-conflict", f"shm_size {svc.shm_size} removed: a volume is already mounted at /dev/shm",
                     path + ("shm_size",))
        else:
            ctx.need((3, 6), "tmpfs size")
            out.append({"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": svc.shm_size}})
            ctx.info("swarm-translated", f"shm_size {svc.shm_size} became a tmpfs mount at /dev/shm of that size",
                     path + ("shm_size",))
    if out:
        ctx.need((3, 2), "long volume syntax")
    return out


def _mount(ctx: Context, m: Mount, path: KeyPath) -> dict[str, Any] | None:
    if m.type not in MOUNT_TYPES:
        ctx.warn("swarm-unsupported", f"{m.type} mount at {m.target} removed: Swarm stack files support "
                 f"{', '.join(MOUNT_TYPES)} mounts only", path)
        return None
    item: dict[str, Any] = {"type": m.type}
    if m.source:
        item["source"] = ctx.host_path(m.source) if m.type == "bind" else m.source
    if m.target:
        item["target"] = m.target
    if m.read_only:
        item["read_only"] = True
    if m.consistency:
        item["consistency"] = m.consistency
    if m.bind is not None:
        if m.bind.propagation:
            item["bind"] = {"propagation": m.bind.propagation}
        report_rest(ctx, m.bind, path + ("bind",))
    if m.volume is not None:
        opts: dict[str, Any] = {}
        if m.volume.nocopy:
            opts["nocopy"] = True
        if m.volume.subpath:
            opts["subpath"] = m.volume.subpath
            ctx.info("swarm-requires-cli", "volume.subpath is applied by docker CLI 28.0 and later only; "
                     "older clients mount the whole volume", path + ("volume", "subpath"))
        if opts:
            item["volume"] = opts
        report_rest(ctx, m.volume, path + ("volume",))
    if m.tmpfs is not None:
        if m.tmpfs.size is not None:
            ctx.need((3, 6), "tmpfs size")
            item["tmpfs"] = {"size": m.tmpfs.size}
        report_rest(ctx, m.tmpfs, path + ("tmpfs",))
    report_rest(ctx, m, path)
    return item


def _tmpfs_entry(ctx: Context, spec: str, path: KeyPath) -> dict[str, Any]:
    """A service-level tmpfs ("/run" or "/run:size=64m,mode=1777"), which stack deploy ignores, as a mount."""
    target, _, options = spec.partition(":")
    item: dict[str, Any] = {"type": "tmpfs", "target": target}
    dropped = []
    for opt in filter(None, options.split(",")):
        name, _, value = opt.partition("=")
        if name == "size":
            try:
                item["tmpfs"] = {"size": parse_bytes(value)}
                ctx.need((3, 6), "tmpfs size")
                continue
            except ValueError_:
                pass
        dropped.append(opt)
    message = f"tmpfs {target} became a tmpfs mount in volumes (docker stack deploy ignores tmpfs)"
    if dropped:
        ctx.warn("swarm-unsupported", f"{message}; options {','.join(dropped)} removed: only size is supported", path)
    else:
        ctx.info("swarm-translated", message, path)
    return item
