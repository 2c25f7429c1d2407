"""Structural rules (validation/*.go) and project consistency checks (loader/validate.go)."""

from __future__ import annotations

import re
import struct
from typing import Any

from ..diagnostics import Diagnostic
from ..sourcemap import SourceMap
from ._util import diagnostic, go_sprint
from .shortsyntax import parse_ip

INVALID = "invalid compose project"


# --------------------------------------------------------------------------- structural rules

def validate_structure(doc: dict, sm: SourceMap | None = None) -> list[Diagnostic]:
    """The checks Compose runs on the merged model besides the JSON schema."""
    out: list[Diagnostic] = []
    volumes = doc.get("volumes")
    if isinstance(volumes, dict):
        for name, volume in volumes.items():
            if volume is None:
                continue
            if not isinstance(volume, dict):
                out.append(diagnostic("invalid-volume", f"expected volume, got {go_sprint(volume)}",
                                      ("volumes", name), sm))
                continue
            _check_external(volume, ("volumes", name), out, sm)
    for kind, keys in (("configs", ("file", "environment", "content")), ("secrets", ("file", "environment"))):
        resources = doc.get(kind)
        if not isinstance(resources, dict):
            continue
        for name, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            count = sum(1 for k in keys if k in resource)
            path = (kind, name)
            if count > 1:
                out.append(diagnostic("exclusive-attributes",
                                      f"{kind}.{name}: {'|'.join(keys)} attributes are mutually exclusive", path, sm))
            elif count == 0 and "driver" not in resource and "external" not in resource:
                out.append(diagnostic("missing-attribute", f"{kind}.{name}: one of {'|'.join(keys)} must be set",
                                      path, sm))
    services = doc.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if isinstance(service, dict):
                _check_service(name, service, out, sm)
    return out


def _check_external(resource: dict, path: tuple, out: list, sm: SourceMap | None) -> None:
    if resource.get("external") is not True:
        return
    for key in resource:
        if key in ("name", "external", "#extensions") or key.startswith("x-"):
            continue
        out.append(diagnostic("external-conflict",
                              f'{".".join(path)}: conflicting parameters "external" and "{key}" specified',
                              path + (key,), sm))
        return


def _check_device_requests(devices: Any, path: tuple, text: str, out: list, sm: SourceMap | None) -> None:
    if not isinstance(devices, list):
        return
    for i, device in enumerate(devices):
        if isinstance(device, dict) and "count" in device and "device_ids" in device:
            out.append(diagnostic("exclusive-attributes",
                                  f'{text}.[]: "count" and "device_ids" attributes are exclusive', path + (i,), sm))


def _check_service(name: str, service: dict, out: list, sm: SourceMap | None) -> None:
    base = ("services", name)
    ports = service.get("ports")
    if isinstance(ports, list):
        for i, port in enumerate(ports):
            if isinstance(port, dict) and "host_ip" in port:
                ip = port["host_ip"]
                if not (isinstance(ip, str) and parse_ip(ip)):
                    out.append(diagnostic("invalid-ip", f"services.{name}.ports.[]: invalid ip address: {go_sprint(ip)}",
                                          base + ("ports", i, "host_ip"), sm))
    develop = service.get("develop")
    if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
        for i, watch in enumerate(develop["watch"]):
            if isinstance(watch, dict) and watch.get("path") == "":
                out.append(diagnostic("blank-path", f"services.{name}.develop.watch.[].path: value can't be blank",
                                      base + ("develop", "watch", i, "path"), sm))
    deploy = service.get("deploy")
    if isinstance(deploy, dict):
        resources = deploy.get("resources")
        if isinstance(resources, dict) and isinstance(resources.get("reservations"), dict):
            _check_device_requests(resources["reservations"].get("devices"),
                                   base + ("deploy", "resources", "reservations", "devices"),
                                   f"services.{name}.deploy.resources.reservations.devices", out, sm)
    _check_device_requests(service.get("gpus"), base + ("gpus",), f"services.{name}.gpus", out, sm)


# --------------------------------------------------------------------------- typed-like values

_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def to_bytes(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    m = _RAM.match(str(value))
    if not m:
        return None
    try:
        number = float(m.group(1))
    except ValueError:
        return None
    unit = (m.group(2) or "").lower()
    return int(number * _UNITS.get(unit, 1))


def to_float32(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return struct.unpack("f", struct.pack("f", number))[0]


def to_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


# --------------------------------------------------------------------------- consistency

def check_consistency(doc: dict, disabled: dict | None = None, sm: SourceMap | None = None) -> list[Diagnostic]:
    """Cross-reference checks on the project (enabled services only); returns every problem found."""
    out: list[Diagnostic] = []
    disabled = disabled or {}
    services = doc.get("services") if isinstance(doc.get("services"), dict) else {}
    networks = doc.get("networks") if isinstance(doc.get("networks"), dict) else {}
    volumes = doc.get("volumes") if isinstance(doc.get("volumes"), dict) else {}
    secrets = doc.get("secrets") if isinstance(doc.get("secrets"), dict) else {}
    configs = doc.get("configs") if isinstance(doc.get("configs"), dict) else {}
    models = doc.get("models") if isinstance(doc.get("models"), dict) else {}

    def err(code: str, message: str, path: tuple) -> None:
        out.append(diagnostic(code, message, path, sm))

    for name, s in services.items():
        if not isinstance(s, dict):
            continue
        base = ("services", name)
        build = s.get("build") if isinstance(s.get("build"), dict) else None
        if build is None and not s.get("image") and "provider" not in s:
            err("missing-image", f'service "{name}" has neither an image nor a build context specified: {INVALID}',
                base)
        if build is not None:
            if build.get("dockerfile_inline") and build.get("dockerfile"):
                err("exclusive-attributes",
                    f'service "{name}" declares mutualy exclusive dockerfile and dockerfile_inline: {INVALID}',
                    base + ("build",))
            contexts = build.get("additional_contexts")
            if isinstance(contexts, dict):
                for key, ctx in contexts.items():
                    if isinstance(ctx, str) and ctx.startswith("service:"):
                        target = ctx[len("service:"):]
                        if target not in services:
                            err("undefined-service",
                                f'service "{name}" declares unknown service "{target}" as additional contexts {key}',
                                base + ("build", "additional_contexts", key))
                        elif not isinstance(services[target], dict) or "build" not in services[target]:
                            err("undefined-service",
                                f'service "{name}" declares non-buildable service "{target}" as additional contexts {key}',
                                base + ("build", "additional_contexts", key))
            platforms = build.get("platforms")
            platform = s.get("platform")
            if platforms and platform and platform not in platforms:
                err("platform-mismatch", f'service.build.platforms MUST include service.platform "{platform}": {INVALID}',
                    base + ("platform",))
        nets = s.get("networks") if isinstance(s.get("networks"), dict) else {}
        if s.get("network_mode") and nets:
            err("exclusive-attributes",
                f"service {name} declares mutually exclusive `network_mode` and `networks`: {INVALID}", base)
        for net in nets:
            if isinstance(net, str) and net.startswith("x-"):
                # Compose's typed model takes x-* keys of a service's networks for extensions and then
                # looks up a network named "#extensions"
                err("undefined-network", f'service "{name}" refers to undefined network #extensions: {INVALID}',
                    base + ("networks", net))
                continue
            if net not in networks:
                err("undefined-network", f'service "{name}" refers to undefined network {net}: {INVALID}',
                    base + ("networks", net))
        health = s.get("healthcheck")
        if isinstance(health, dict):
            test = health.get("test")
            if isinstance(test, list) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
                err("invalid-healthcheck", 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
                    base + ("healthcheck", "test"))
        depends = s.get("depends_on") if isinstance(s.get("depends_on"), dict) else {}
        for dep, cfg in depends.items():
            if dep not in services:
                required = not (isinstance(cfg, dict) and cfg.get("required") is False)
                if dep in disabled and not required:
                    continue
                err("undefined-service", f'service "{name}" depends on undefined service "{dep}": {INVALID}',
                    base + ("depends_on", dep))
        mode = s.get("network_mode")
        if isinstance(mode, str) and mode.startswith("service:"):
            ref = mode[len("service:"):]
            if ref not in services:
                err("undefined-service", f"service \"{ref}\" not found for network_mode 'service:{ref}'",
                    base + ("network_mode",))
        for i, vol in enumerate(s.get("volumes") or ()):
            if isinstance(vol, dict) and vol.get("type") == "volume" and vol.get("source"):
                if vol["source"] not in volumes:
                    err("undefined-volume", f'service "{name}" refers to undefined volume {vol["source"]}: {INVALID}',
                        base + ("volumes", i))
        if build is not None:
            for i, sec in enumerate(build.get("secrets") or ()):
                src = sec.get("source") if isinstance(sec, dict) else sec
                if src not in secrets:
                    err("undefined-secret", f'service "{name}" refers to undefined build secret {src}: {INVALID}',
                        base + ("build", "secrets", i))
        for i, cfg in enumerate(s.get("configs") or ()):
            src = cfg.get("source") if isinstance(cfg, dict) else cfg
            if src not in configs:
                err("undefined-config", f'service "{name}" refers to undefined config {src}: {INVALID}',
                    base + ("configs", i))
        service_models = s.get("models")
        if isinstance(service_models, dict):
            for model in service_models:
                if model not in models:
                    err("undefined-model", f'service "{name}" refers to undefined model {model}: {INVALID}',
                        base + ("models", model))
        for i, sec in enumerate(s.get("secrets") or ()):
            src = sec.get("source") if isinstance(sec, dict) else sec
            if src not in secrets:
                err("undefined-secret", f'service "{name}" refers to undefined secret {src}: {INVALID}',
                    base + ("secrets", i))
        _check_scale(name, s, err)
        _check_mounts(name, s, err)
    for name, secret in secrets.items():
        if not isinstance(secret, dict) or secret.get("external") is True:
            continue
        if not secret.get("file") and not secret.get("environment"):
            err("missing-attribute", f'secret "{name}" must declare either `file` or `environment`: {INVALID}',
                ("secrets", name))
    if not out:
        out.extend(check_cycles(doc, disabled, sm))
    return out


def _check_scale(name: str, s: dict, err) -> None:
    base = ("services", name)
    deploy = s.get("deploy") if isinstance(s.get("deploy"), dict) else None
    scale = to_int(s.get("scale"))
    replicas = to_int(deploy.get("replicas")) if deploy else None
    if scale is not None and deploy is not None:
        if replicas is not None and scale != replicas:
            err("scale-conflict", f"services.{name}: can't set distinct values on 'scale' and 'deploy.replicas': {INVALID}",
                base + ("scale",))
        replicas = scale
    if scale is not None and scale < 0:
        err("invalid-scale", f"services.{name}.scale: must be greater than or equal to 0", base + ("scale",))
    if replicas is not None and replicas < 0 and deploy is not None and "replicas" in deploy:
        err("invalid-scale", f"services.{name}.deploy.replicas: must be greater than or equal to 0",
            base + ("deploy", "replicas"))
    resources = deploy.get("resources") if deploy and isinstance(deploy.get("resources"), dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else None
    reservations = resources.get("reservations") if isinstance(resources.get("reservations"), dict) else None
    cpus = to_float32(s.get("cpus"))
    if cpus and deploy is not None and limits is not None and to_float32(limits.get("cpus")) != cpus:
        if to_float32(limits.get("cpus") or 0) != cpus:
            err("resource-conflict",
                f"services.{name}: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': {INVALID}",
                base + ("cpus",))
    for key, side, field, label in (("mem_limit", limits, "memory", "limits.memory"),
                                    ("mem_reservation", reservations, "memory", "reservations.memory")):
        value = to_bytes(s.get(key))
        if value and deploy is not None and side is not None and (to_bytes(side.get(field)) or 0) != value:
            err("resource-conflict",
                f"services.{name}: can't set distinct values on '{key}' and 'deploy.resources.{label}': {INVALID}",
                base + (key,))
    pids = to_int(s.get("pids_limit"))
    if pids and deploy is not None and limits is not None and (to_int(limits.get("pids")) or 0) != pids:
        err("resource-conflict",
            f"services.{name}: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids': {INVALID}",
            base + ("pids_limit",))
    effective = scale if scale is not None else (replicas if replicas is not None else 1)
    if effective > 1 and s.get("container_name"):
        attr = "scale" if scale is not None else "deploy.replicas"
        err("container-name-scale",
            f"services.{attr}: can't set container_name and {name} as container name must be unique: {INVALID}",
            base + ("container_name",))
    develop = s.get("develop")
    if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
        for i, watch in enumerate(develop["watch"]):
            if isinstance(watch, dict) and not watch.get("target") and watch.get("action") not in ("rebuild", "restart"):
                err("missing-attribute",
                    f"services.{name}.develop.watch: target is required for non-rebuild actions: {INVALID}",
                    base + ("develop", "watch", i))


def _check_mounts(name: str, s: dict, err) -> None:
    mounts: dict[str, str] = {}
    tmpfs = s.get("tmpfs")
    if isinstance(tmpfs, str):
        tmpfs = [tmpfs]
    for i, item in enumerate(tmpfs or ()):
        loc = f"services.{name}.tmpfs[{i}]"
        path = go_sprint(item).split(":", 1)[0]
        if path in mounts:
            err("duplicate-mount", f"{loc}: target {path} already mounted as {mounts[path]}",
                ("services", name, "tmpfs", i))
        mounts[path] = loc
    for i, vol in enumerate(s.get("volumes") or ()):
        if not isinstance(vol, dict):
            continue
        loc = f"services.{name}.volumes[{i}]"
        target = vol.get("target")
        if target in mounts:
            err("duplicate-mount", f"{loc}: target {target} already mounted as {mounts[target]}",
                ("services", name, "volumes", i))
        if isinstance(target, str):
            mounts[target] = loc


def check_cycles(doc: dict, disabled: dict | None = None, sm: SourceMap | None = None) -> list[Diagnostic]:
    """depends_on must form no cycle; the message names the first cycle found in name order."""
    services = doc.get("services") if isinstance(doc.get("services"), dict) else {}
    disabled = disabled or {}
    children: dict[str, list[str]] = {}
    for name, s in services.items():
        deps = s.get("depends_on") if isinstance(s, dict) and isinstance(s.get("depends_on"), dict) else {}
        kids = []
        for dep, cfg in deps.items():
            if dep not in services:
                required = not (isinstance(cfg, dict) and cfg.get("required") is False)
                if required:
                    if dep in disabled:
                        profiles = (disabled[dep] or {}).get("profiles") or []
                        msg = (f'service "{dep}" is required by "{name}" but is disabled. '
                               f"Can be enabled by profiles [{' '.join(go_sprint(p) for p in profiles)}]")
                    else:
                        msg = f'service "{name}" depends on unknown service "{dep}"'
                    return [diagnostic("undefined-service", msg, ("services", name, "depends_on", dep), sm)]
                continue
            kids.append(dep)
        children[name] = sorted(kids)
    clean: set[str] = set()
    for start in sorted(children):
        if start in clean:
            continue
        # iterative DFS over paths from start, in name order
        path = [start]
        on_path = {start: 0}
        stack = [iter(children[start])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done = path.pop()
                del on_path[done]
                clean.add(done)
                continue
            if child in on_path:
                cycle = path[on_path[child]:] + [child]
                return [diagnostic("dependency-cycle", "dependency cycle detected: " + " -> ".join(cycle),
                                   ("services", path[-1], "depends_on", child), sm)]
            if child in clean:
                continue
            on_path[child] = len(path)
            path.append(child)
            stack.append(iter(children[child]))
    return []
