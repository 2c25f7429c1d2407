"""Structural rules Compose checks on the merged model besides the JSON schema (validation/*.go).

The consistency checks of the typed project (loader/validate.go) are composeconv.finalize.check_consistency.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import Diagnostic
from ..sourcemap import SourceMap
from ..gofmt import go_sprint
from ._util import diagnostic
from .shortsyntax import parse_ip


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
