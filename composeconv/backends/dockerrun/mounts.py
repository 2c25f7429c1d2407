"""Volumes, tmpfs, secrets and configs of a service as --mount/--volume/--tmpfs flags, as Compose mounts them."""

from __future__ import annotations

import re

from ...model import Service
from ...model.types import FileReference, Mount
from .context import Context
from .quote import Arg, Word, csv_word, word
from ...records import record

SECRETS_DIR = "/run/secrets/"
CONFIGS_DIR = "/"


@record
class Injection:
    """A secret or config whose content Compose copies into the container before starting it."""

    kind: str  # "secret" or "config"
    key: str  # the top-level key
    target: str
    mode: int
    uid: str
    gid: str
    path: tuple


def _field(key: str, value: str | Word) -> Word:
    return word(f"{key}=", value)


def _bind_uses_volume_flag(m: Mount) -> bool:
    """Compose passes a bind as a Binds string (which creates a missing host path) unless it needs the Mount API."""
    b = m.bind
    return b is None or (b.create_host_path and not b.propagation and not b.recursive)


def _volume_name(ctx: Context, source: str) -> str:
    vol = ctx.project.volumes.get(source)
    return vol.name if vol is not None and vol.name else source


def mount_arg(ctx: Context, m: Mount, path: tuple) -> Arg | None:
    """One service volume as a flag."""
    kind = m.type or "volume"
    target = m.target or ""
    if kind == "bind":
        source = ctx.host_path(m.source or "")
        if _bind_uses_volume_flag(m) and ":" not in (m.source or "") and ":" not in target and "," not in target:
            # The -v form is what creates a missing host folder, on the engine's host, as Compose does.
            opts = ["ro" if m.read_only else "rw"]
            if m.bind is not None and m.bind.selinux:
                opts.append(m.bind.selinux)
            if m.bind is not None and m.bind.propagation:
                opts.append(m.bind.propagation)
            return word("--volume=", source, f":{target}:{','.join(opts)}")
        fields = [word("type=bind"), _field("source", source), _field("target", target)]
        if m.read_only:
            fields.append(word("readonly"))
        if m.bind is not None:
            if m.bind.propagation:
                fields.append(_field("bind-propagation", m.bind.propagation))
            if m.bind.recursive:
                fields.append(_field("bind-recursive", m.bind.recursive))
            if m.bind.selinux:
                ctx.info("dockerrun-bind-selinux", "the SELinux relabel option only applies to binds that create "
                         "their host path; Docker Compose drops it here as well", path + ("bind", "selinux"))
        if m.bind is None or m.bind.create_host_path:
            ctx.info("dockerrun-bind-create", "this bind's host path must exist: the --mount form cannot create it",
                     path + ("source",))
    elif kind == "volume":
        fields = [word("type=volume")]
        if m.source:
            fields.append(_field("source", _volume_name(ctx, m.source)))
        fields.append(_field("target", target))
        if m.read_only:
            fields.append(word("readonly"))
        if m.volume is not None:
            if m.volume.nocopy:
                fields.append(word("volume-nocopy"))
            if m.volume.subpath:
                fields.append(_field("volume-subpath", m.volume.subpath))
            fields += [_field("volume-label", f"{k}={v}") for k, v in m.volume.labels.items()]
    elif kind == "tmpfs":
        fields = [word("type=tmpfs"), _field("target", target)]
        if m.tmpfs is not None:
            if m.tmpfs.size:
                fields.append(_field("tmpfs-size", str(m.tmpfs.size)))
            if m.tmpfs.mode:
                fields.append(_field("tmpfs-mode", format(m.tmpfs.mode, "o")))
    elif kind == "image":
        fields = [word("type=image"), _field("source", m.source or ""), _field("target", target)]
        if m.image is not None and m.image.subpath:
            fields.append(_field("image-subpath", m.image.subpath))
    elif kind == "npipe":
        fields = [word("type=npipe"), _field("source", m.source or ""), _field("target", target)]
        if m.read_only:
            fields.append(word("readonly"))
    else:
        ctx.warn("dockerrun-mount-type", f"docker run cannot mount a volume of type {kind!r}; it is not mounted",
                 path + ("type",))
        return None
    if m.consistency:
        fields.append(_field("consistency", m.consistency))
    return csv_word(fields, "--mount=")


def file_target(ref: FileReference, kind: str) -> str:
    """Where Compose puts a secret (/run/secrets/...) or config (/<name>) inside the container."""
    base = SECRETS_DIR if kind == "secret" else CONFIGS_DIR
    if not ref.target:
        return base + (ref.source or "")
    if ref.target.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", ref.target):
        return ref.target
    return base + ref.target


def mount_args(ctx: Context, svc: Service) -> list[Arg]:
    """Volumes, tmpfs, then file-sourced secrets and configs (bind-mounted read-only), as fillBindMounts does."""
    path = ("services", svc.name)
    args: list[Arg] = []
    targets: set[str] = set()
    for i, m in enumerate(svc.volumes):
        a = mount_arg(ctx, m, path + ("volumes", i))
        if a is not None:
            args.append(a)
            targets.add(m.target or "")
    for entry in svc.tmpfs:
        args.append(word("--tmpfs=", entry))
    for kind, refs, objects in (("secret", svc.secrets, ctx.project.secrets), ("config", svc.configs, ctx.project.configs)):
        key = kind + "s"
        for i, ref in enumerate(refs):
            obj = objects.get(ref.source or "")
            target = file_target(ref, kind)
            rpath = path + (key, i)
            if obj is None or obj.environment is not None or obj.content is not None or obj.external:
                continue  # injected by the script, or reported by file_injections
            if obj.driver or obj.template_driver:
                continue
            if target in targets:
                continue  # a volume on the same target wins, as in Compose
            targets.add(target)
            if ref.uid or ref.gid or ref.mode is not None:
                ctx.warn("dockerrun-file-mode", f"{kind} uid, gid and mode cannot apply to a bind-mounted file; "
                         "Docker Compose ignores them as well", rpath)
            fields = [word("type=bind"), _field("source", ctx.host_path(obj.file or "")), _field("target", target),
                      word("readonly")]
            args.append(csv_word(fields, "--mount="))
    return args


def file_injections(ctx: Context, svc: Service) -> list[Injection]:
    """Secrets and configs from `environment` or `content`: copied in before start, as Compose does."""
    path = ("services", svc.name)
    out: list[Injection] = []
    for kind, refs, objects in (("secret", svc.secrets, ctx.project.secrets), ("config", svc.configs, ctx.project.configs)):
        key = kind + "s"
        for i, ref in enumerate(refs):
            rpath = path + (key, i)
            obj = objects.get(ref.source or "")
            if obj is None:
                ctx.error("dockerrun-undefined-file", f"{kind} {ref.source!r} is not defined", rpath)
                continue
            top = (key, ref.source or "")
            if obj.external:
                ctx.error("dockerrun-external-file", f"external {kind}s only exist in Swarm; Docker Compose refuses "
                          f"them too, so {ref.source!r} is not provided", top + ("external",))
                continue
            if obj.driver or obj.template_driver:
                ctx.error("dockerrun-file-driver", f"{kind} drivers only exist in Swarm; Docker Compose refuses them "
                          f"too, so {ref.source!r} is not provided", top)
                continue
            if obj.environment is None and obj.content is None:
                continue
            if obj.content == "":
                continue  # Compose skips empty content
            if svc.read_only:
                ctx.error("dockerrun-read-only-file", f"cannot create {kind} {ref.source!r} in a read-only "
                          "container: only file sources can be used there (Docker Compose refuses this too)", rpath)
                continue
            out.append(Injection(kind, ref.source or "", file_target(ref, kind),
                                 ref.mode if ref.mode is not None else 0o444, ref.uid or "", ref.gid or "", rpath))
    return out
