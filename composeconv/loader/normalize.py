"""Normalization (loader/normalize.go): implicit default network, resource names, implied dependencies."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..gofmt import go_sprint
from .environment import parse_bool
from .shortsyntax import go_path_clean

_STARTED = "service_started"


def _resolve(value: Any, lookup: Callable[[str], str | None], keep_empty: bool) -> tuple[Any, bool]:
    """Fill names declared without a value from the environment (drop them unless keep_empty)."""
    if isinstance(value, list):
        resolved = []
        for item in value:
            r, ok = _resolve(item, lookup, keep_empty)
            if ok:
                resolved.append(r)
        return (resolved or None), True
    if isinstance(value, dict):
        out = {}
        for key, val in value.items():
            if val is not None:
                out[key] = val
                continue
            found = lookup(key)
            if found is not None:
                out[key] = found
            elif keep_empty:
                out[key] = None
        return out, True
    if isinstance(value, str):
        if "=" not in value:
            found = lookup(value)
            if found is not None:
                return f"{value}={found}", True
            if keep_empty:
                return value, True
            return "", False
        return value, True
    return value, False


def _implied(depends_on: dict, name: str, restart: bool) -> None:
    if name not in depends_on:
        depends_on[name] = {"condition": _STARTED, "restart": restart, "required": True}


def normalize(doc: dict, environment: Mapping[str, str]) -> dict:
    """Normalize a merged document in place; doc["name"] must be set."""
    _normalize_networks(doc)
    lookup = environment.get
    services = doc.get("services")
    if isinstance(services, dict):
        for service in services.values():
            if not isinstance(service, dict):
                continue
            if service.get("pull_policy") == "if_not_present":
                service["pull_policy"] = "missing"
            build = service.get("build")
            if isinstance(build, dict):
                if build.get("context") is None:
                    build["context"] = "."
                if build.get("dockerfile") is None and build.get("dockerfile_inline") is None:
                    build["dockerfile"] = "Dockerfile"
                if "args" in build:
                    build["args"] = _resolve(build["args"], lookup, False)[0]
            if "environment" in service:
                service["environment"] = _resolve(service["environment"], lookup, True)[0]
            depends_on = service.get("depends_on")
            if not isinstance(depends_on, dict):
                depends_on = {}
            links = service.get("links")
            if isinstance(links, list):
                for link in links:
                    text = link if isinstance(link, str) else go_sprint(link)
                    parts = text.split(":")
                    _implied(depends_on, parts[0] if len(parts) == 2 else text, True)
            for namespace in ("network_mode", "ipc", "pid", "uts", "cgroup"):
                ref = service.get(namespace)
                if isinstance(ref, str) and ref.startswith("service:"):
                    _implied(depends_on, ref[len("service:"):], True)
            volumes = service.get("volumes")
            if isinstance(volumes, list):
                for volume in volumes:
                    if isinstance(volume, dict) and isinstance(volume.get("target"), str):
                        volume["target"] = go_path_clean(volume["target"])
            volumes_from = service.get("volumes_from")
            if isinstance(volumes_from, list):
                for item in volumes_from:
                    if isinstance(item, str) and not item.startswith("container:"):
                        _implied(depends_on, item.split(":")[0], False)
            if depends_on:
                service["depends_on"] = depends_on
    _set_names(doc)
    return doc


def _normalize_networks(doc: dict) -> None:
    networks = doc.get("networks")
    if not isinstance(networks, dict):
        networks = {}
    uses_default = False
    services = doc.get("services")
    if isinstance(services, dict):
        for service in services.values():
            if not isinstance(service, dict):
                continue
            if "provider" in service or "network_mode" in service:
                continue
            nets = service.get("networks")
            if "networks" not in service or not nets:
                service["networks"] = {"default": None}
                uses_default = True
            elif isinstance(nets, dict) and "default" in nets:
                uses_default = True
    if "default" not in networks and uses_default:
        networks["default"] = None
    if networks:
        doc["networks"] = networks


def _is_true(value: Any) -> bool:
    try:
        return parse_bool(go_sprint(value))
    except ValueError:
        return False


def _set_names(doc: dict) -> None:
    project = doc.get("name")
    for kind in ("networks", "volumes", "configs", "secrets"):
        resources = doc.get(kind)
        if not isinstance(resources, dict):
            continue
        for key, resource in resources.items():
            if resource is None:
                resource = {}
            if not isinstance(resource, dict):
                continue
            if resource.get("name") is None:
                if "external" in resource and _is_true(resource["external"]):
                    resource["name"] = key
                else:
                    resource["name"] = f"{go_sprint(project)}_{key}"
            resources[key] = resource
