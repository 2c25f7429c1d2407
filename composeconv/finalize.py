"""The typed steps of loading: profiles, consistency checks, unused resources, service environment."""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

from .diagnostics import Collector, KeyPath, Position
from .model import Project, Service
from .sourcemap import SourceMap

ReadText = Callable[[str], "str | None"]  # path -> text, or None when the file does not exist


def has_profile(service: Service, profiles: tuple[str, ...]) -> bool:
    """A service runs when it has no profiles or shares one with the active ones ("*" = all)."""
    if not service.profiles:
        return True
    return "*" in profiles or any(p in profiles for p in service.profiles)


def apply_profiles(project: Project, profiles: tuple[str, ...]) -> tuple[Project, dict[str, Service]]:
    """The project with only active services, and the services that profiles disabled."""
    enabled = {n: s for n, s in project.services.items() if has_profile(s, profiles)}
    disabled = {n: s for n, s in project.services.items() if n not in enabled}
    return dataclasses.replace(project, services=enabled), disabled


def prune_unused(project: Project) -> Project:
    """Drop networks, volumes, secrets, configs and models that no active service uses, as Compose does."""
    nets: set[str] = set()
    vols: set[str] = set()
    secrets: set[str] = set()
    configs: set[str] = set()
    models: set[str] = set()
    for s in project.services.values():
        nets.update(s.networks)
        vols.update(m.source for m in s.volumes if m.type == "volume" and m.source)
        secrets.update(r.source for r in s.secrets if r.source)
        if s.build is not None:
            secrets.update(r.source for r in s.build.secrets if r.source)
        configs.update(r.source for r in s.configs if r.source)
        models.update(s.models)

    def keep(d: dict, used: set[str]) -> dict:
        return {k: v for k, v in d.items() if k in used}

    return dataclasses.replace(
        project,
        networks=keep(project.networks, nets),
        volumes=keep(project.volumes, vols),
        secrets=keep(project.secrets, secrets),
        configs=keep(project.configs, configs),
        models=keep(project.models, models),
    )


def check_consistency(project: Project, disabled: Mapping[str, Service], sources: SourceMap | None,
                      out: Collector) -> Project:
    """Compose's cross-reference checks, all reported at once; returns the project with scale applied."""

    def pos(path: KeyPath) -> Position | None:
        return sources.get(path) if sources else None

    def err(code: str, msg: str, path: KeyPath) -> None:
        out.error(code, msg, path, pos(path))

    services = dict(project.services)
    for name, s in project.services.items():
        base = ("services", name)
        if s.build is None and not s.image and s.provider is None:
            err("service-no-image", f'service "{name}" has neither an image nor a build context specified', base)
        if s.build is not None:
            if s.build.dockerfile_inline and s.build.dockerfile:
                err("build-dockerfile-conflict",
                    f'service "{name}" declares mutualy exclusive dockerfile and dockerfile_inline', base + ("build",))
            for add, c in s.build.additional_contexts.items():
                if c.startswith("service:"):
                    t = project.services.get(c[len("service:"):])
                    if t is None:
                        err("undefined-service", f'service "{name}" declares unknown service "{c[8:]}" as additional contexts {add}',
                            base + ("build", "additional_contexts", add))
                    elif t.build is None:
                        err("invalid-reference", f'service "{name}" declares non-buildable service "{c[8:]}" as additional contexts {add}',
                            base + ("build", "additional_contexts", add))
            if s.build.platforms and s.platform and s.platform not in s.build.platforms:
                err("build-platform", f'service.build.platforms MUST include service.platform "{s.platform}"',
                    base + ("build", "platforms"))
        if s.network_mode and s.networks:
            err("network-mode-conflict", f"service {name} declares mutually exclusive `network_mode` and `networks`",
                base + ("network_mode",))
        for net in s.networks:
            if net not in project.networks:
                err("undefined-network", f'service "{name}" refers to undefined network {net}', base + ("networks", net))
        if s.healthcheck is not None and s.healthcheck.test and s.healthcheck.test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            err("healthcheck-test", 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
                base + ("healthcheck", "test"))
        for dep, cfg in s.depends_on.items():
            if dep not in project.services:
                if dep in disabled and not cfg.required:
                    continue
                err("undefined-service", f'service "{name}" depends on undefined service "{dep}"', base + ("depends_on", dep))
        if s.network_mode and s.network_mode.startswith("service:"):
            target = s.network_mode[len("service:"):]
            if target not in project.services:
                err("undefined-service", f"service \"{target}\" not found for network_mode 'service:{target}'",
                    base + ("network_mode",))
        for i, m in enumerate(s.volumes):
            if m.type == "volume" and m.source and m.source not in project.volumes:
                err("undefined-volume", f'service "{name}" refers to undefined volume {m.source}', base + ("volumes", i))
        if s.build is not None:
            for i, r in enumerate(s.build.secrets):
                if r.source not in project.secrets:
                    err("undefined-secret", f'service "{name}" refers to undefined build secret {r.source}',
                        base + ("build", "secrets", i))
        for i, r in enumerate(s.configs):
            if r.source not in project.configs:
                err("undefined-config", f'service "{name}" refers to undefined config {r.source}', base + ("configs", i))
        for m in s.models:
            if m not in project.models:
                err("undefined-model", f'service "{name}" refers to undefined model {m}', base + ("models", m))
        for i, r in enumerate(s.secrets):
            if r.source not in project.secrets:
                err("undefined-secret", f'service "{name}" refers to undefined secret {r.source}', base + ("secrets", i))
        deploy = s.deploy
        if s.scale is not None and deploy is not None:
            if deploy.replicas is not None and s.scale != deploy.replicas:
                err("scale-conflict", f"services.{name}: can't set distinct values on 'scale' and 'deploy.replicas'",
                    base + ("scale",))
            else:
                deploy = dataclasses.replace(deploy, replicas=s.scale)
                services[name] = dataclasses.replace(s, deploy=deploy)
        if s.scale is not None and s.scale < 0:
            err("invalid-value", f"services.{name}.scale: must be greater than or equal to 0", base + ("scale",))
        if deploy is not None and deploy.replicas is not None and deploy.replicas < 0:
            err("invalid-value", f"services.{name}.deploy.replicas: must be greater than or equal to 0",
                base + ("deploy", "replicas"))
        limits = deploy.resources.limits if deploy is not None else None
        reservations = deploy.resources.reservations if deploy is not None else None
        if s.cpus and deploy is not None and limits is not None and limits.cpus != s.cpus:
            err("resource-conflict", f"services.{name}: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'",
                base + ("cpus",))
        if s.mem_limit and deploy is not None and limits is not None and limits.memory != s.mem_limit:
            err("resource-conflict",
                f"services.{name}: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'",
                base + ("mem_limit",))
        if s.mem_reservation and deploy is not None and reservations is not None and reservations.memory != s.mem_reservation:
            err("resource-conflict",
                f"services.{name}: can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory'",
                base + ("mem_reservation",))
        if s.pids_limit and deploy is not None and limits is not None and limits.pids != s.pids_limit:
            err("resource-conflict",
                f"services.{name}: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids'",
                base + ("pids_limit",))
        if s.replicas > 1 and s.container_name:
            attr = "scale" if s.scale is not None else "deploy.replicas"
            err("container-name-scale",
                f"services.{name}: can't set container_name and {attr} as container name must be unique",
                base + ("container_name",))
        if s.develop is not None:
            for i, w in enumerate(s.develop.watch):
                if not w.target and w.action not in ("rebuild", "restart"):
                    err("invalid-value", f"services.{name}.develop.watch: target is required for non-rebuild actions",
                        base + ("develop", "watch", i))
        mounts: dict[str, str] = {}
        for i, t in enumerate(s.tmpfs):
            loc = f"services.{name}.tmpfs[{i}]"
            path = t.partition(":")[0]
            if path in mounts:
                err("duplicate-mount", f"{loc}: target {path} already mounted as {mounts[path]}", base + ("tmpfs", i))
            mounts.setdefault(path, loc)
        for i, m in enumerate(s.volumes):
            loc = f"services.{name}.volumes[{i}]"
            if m.target in mounts:
                err("duplicate-mount", f"{loc}: target {m.target} already mounted as {mounts[m.target]}",
                    base + ("volumes", i))
            mounts.setdefault(m.target or "", loc)
    for name, sec in project.secrets.items():
        if not sec.external and not sec.file and not sec.environment:
            err("secret-source", f'secret "{name}" must declare either `file` or `environment`', ("secrets", name))
    cycle = find_cycle(project)
    if cycle:
        err("dependency-cycle", "dependency cycle detected: " + " -> ".join(cycle), ("services", cycle[0], "depends_on"))
    return dataclasses.replace(project, services=services)


def find_cycle(project: Project) -> list[str] | None:
    """The first depends_on cycle found (in name order), as a closed path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(project.services[n].depends_on):
            if d not in project.services:
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if state.get(d) is None:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(project.services):
        if state.get(n) is None:
            found = visit(n)
            if found:
                return found
    return None


def resolve_environment(project: Project, env: Mapping[str, str], read_text: ReadText,
                        sources: SourceMap | None, out: Collector) -> Project:
    """Fold env_file contents into environment with Compose's precedence; resolve bare variables."""
    from .dotenv import parse_env_file

    services = {}
    for name, s in project.services.items():
        environment: dict[str, str | None] = {
            k: (env.get(k) if v is None else v) for k, v in s.environment.items()
        }
        from_files: dict[str, str | None] = {}
        for i, entry in enumerate(s.env_file):
            path = entry.get("path") if isinstance(entry, dict) else str(entry)
            required = entry.get("required", True) if isinstance(entry, dict) else True
            fmt = entry.get("format") if isinstance(entry, dict) else None
            text = read_text(path)
            where = ("services", name, "env_file", i)
            if text is None:
                if required:
                    out.error("env-file-missing", f"env file {path} not found", where, sources.get(where) if sources else None)
                continue

            def lookup(k: str, _e=environment) -> str | None:
                # the project environment first, then the service's own environment
                return env[k] if k in env else _e.get(k)

            try:
                values = parse_env_file(text, path, lookup, fmt) if fmt else parse_env_file(text, path, lookup)
            except Exception as e:  # noqa: BLE001 - the parser's own error carries the message
                diags = getattr(e, "diagnostics", None)
                if diags:
                    out.items.extend(diags)
                else:
                    out.error("env-file-invalid", f"{path}: {e}", where, sources.get(where) if sources else None)
                continue
            for k, v in values.items():
                from_files[k] = v
        # entries written in `environment` win over env files, even a bare name left unresolved
        merged = {**from_files, **environment}
        services[name] = dataclasses.replace(s, environment=dict(sorted(merged.items())), env_file=())
    return dataclasses.replace(project, services=services)
