"""Project-level steps Compose runs when it builds the project: profiles, selected services, pruning."""

from __future__ import annotations

from typing import Any, Iterable

from ..diagnostics import ComposeError
from ._util import diagnostic


def has_profile(service: Any, profiles: Iterable[str]) -> bool:
    declared = service.get("profiles") if isinstance(service, dict) else None
    if not declared:
        return True
    active = list(profiles)
    if "*" in active:
        return True
    return any(p in active for p in declared)


def apply_profiles(doc: dict, profiles: Iterable[str]) -> dict:
    """Keep the services whose profiles are active; return the disabled ones."""
    services = doc.get("services")
    if not isinstance(services, dict):
        return {}
    profiles = list(profiles)
    enabled: dict = {}
    disabled: dict = {}
    for name, service in services.items():
        (enabled if has_profile(service, profiles) else disabled)[name] = service
    doc["services"] = enabled
    return disabled


def enable_services(doc: dict, disabled: dict, names: Iterable[str], profiles: list[str]) -> tuple[dict, list[str]]:
    """Activate the profiles of explicitly requested services (WithServicesEnabled)."""
    services = doc.get("services") or {}
    extra = list(profiles)
    changed = False
    for name in names:
        if name in services:
            continue
        service = disabled.get(name)
        if isinstance(service, dict):
            extra.extend(service.get("profiles") or [])
            changed = True
    if not changed:
        return disabled, profiles
    everything = dict(services)
    everything.update(disabled)
    doc["services"] = everything
    return apply_profiles(doc, extra), extra


def select_services(doc: dict, names: Iterable[str], disabled: dict) -> None:
    """Keep only the named services and what they depend on (WithSelectedServices)."""
    names = list(names)
    if not names:
        return
    services = doc.get("services") or {}
    selected: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in selected:
            continue
        if name not in services:
            if name in disabled:
                raise ComposeError(diagnostic("disabled-service", f"service {name} is disabled"))
            raise ComposeError(diagnostic("no-such-service", f"no such service: {name}"))
        selected.add(name)
        deps = services[name].get("depends_on") if isinstance(services[name], dict) else None
        if isinstance(deps, dict):
            for dep, cfg in deps.items():
                if dep in services:
                    todo.append(dep)
                elif not (isinstance(cfg, dict) and cfg.get("required") is False):
                    raise ComposeError(diagnostic("no-such-service", f"no such service: {dep}"))
    kept = {}
    for name, service in services.items():
        if name in selected:
            deps = service.get("depends_on") if isinstance(service, dict) else None
            if isinstance(deps, dict):
                for dep in [d for d in deps if d not in selected]:
                    del deps[dep]
            kept[name] = service
    doc["services"] = kept


def prune_resources(doc: dict) -> None:
    """Drop networks, volumes, secrets, configs and models that no service uses."""
    used: dict[str, set] = {k: set() for k in ("networks", "volumes", "secrets", "configs", "models")}
    for service in (doc.get("services") or {}).values():
        if not isinstance(service, dict):
            continue
        if isinstance(service.get("networks"), dict):
            used["networks"].update(service["networks"])
        for vol in service.get("volumes") or ():
            if isinstance(vol, dict) and vol.get("type") == "volume" and vol.get("source"):
                used["volumes"].add(vol["source"])
        for sec in service.get("secrets") or ():
            if isinstance(sec, dict):
                used["secrets"].add(sec.get("source"))
        build = service.get("build")
        if isinstance(build, dict):
            for sec in build.get("secrets") or ():
                if isinstance(sec, dict):
                    used["secrets"].add(sec.get("source"))
        for cfg in service.get("configs") or ():
            if isinstance(cfg, dict):
                used["configs"].add(cfg.get("source"))
        if isinstance(service.get("models"), dict):
            used["models"].update(service["models"])
    for kind, names in used.items():
        resources = doc.get(kind)
        if not isinstance(resources, dict):
            continue
        kept = {k: v for k, v in resources.items() if k in names}
        if kept:
            doc[kind] = kept
        else:
            del doc[kind]
