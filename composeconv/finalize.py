"""The steps Compose runs on its typed project, in its order: profiles, consistency checks, env_file and
label_file folding, service selection, unused resources, container name uniqueness."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Callable, Mapping, Sequence

from .diagnostics import Collector, ComposeError, Diagnostic, KeyPath, Level, Position
from .model import Project, Service
from .sourcemap import SourceMap
from . import records

ReadText = Callable[[str], "str | None"]  # path -> text, or None when the file does not exist
Lookup = Callable[[str], "str | None"]

INVALID = "invalid compose project"  # what Compose appends to the errors it marks as invalid input


def _pos(sources: SourceMap | None, path: KeyPath) -> Position | None:
    return sources.get(path) if sources else None


def has_profile(service: Service, profiles: tuple[str, ...]) -> bool:
    """A service runs when it has no profiles or shares one with the active ones ("*" = all)."""
    if not service.profiles:
        return True
    return "*" in profiles or any(p in profiles for p in service.profiles)


def apply_profiles(project: Project, profiles: tuple[str, ...]) -> tuple[Project, dict[str, Service]]:
    """The project with only active services, and the services that profiles disabled."""
    enabled = {n: s for n, s in project.services.items() if has_profile(s, profiles)}
    disabled = {n: s for n, s in project.services.items() if n not in enabled}
    return records.replace(project, services=enabled), disabled


def select_services(project: Project, names: Sequence[str], disabled: Mapping[str, Service]) -> Project:
    """Keep the named services and what they depend on, as `docker compose config SERVICE...` does.

    A named service that profiles disabled is enabled with its profiles, and so is every other service
    of those profiles (WithServicesEnabled). Names are shell patterns matched against the active
    services; each must match one, and so must every required dependency (WithSelectedServices).
    Dependencies on services left out are dropped from depends_on.
    """
    if not names:
        return project
    extra = tuple(p for n in names if n not in project.services and n in disabled for p in disabled[n].profiles)
    services = dict(project.services)
    services.update((n, s) for n, s in disabled.items() if has_profile(s, extra))

    def matching(pattern: str) -> list[str]:
        if not any(c in pattern for c in "*?[\\"):
            return [pattern] if pattern in services else []
        # filepath.Match on names that hold no separator; Go writes a negated class [^...]
        return [n for n in services if fnmatchcase(n, pattern.replace("[^", "[!"))]

    def missing(name: str) -> ComposeError:
        return ComposeError(Diagnostic("no-such-service", Level.ERROR, f"no such service: {name}"))

    for name in names:
        if not matching(name):
            raise missing(name)
    selected: set[str] = set()
    todo = [n for name in reversed(names) for n in matching(name)]
    while todo:
        name = todo.pop()
        if name in selected:
            continue
        selected.add(name)
        for dep, cfg in reversed(services[name].depends_on.items()):
            found = matching(dep)
            if not found and cfg.required:
                raise missing(dep)
            todo.extend(found)
    kept = {}
    for name, s in services.items():
        if name in selected:
            if any(d not in selected for d in s.depends_on):
                s = records.replace(s, depends_on={d: c for d, c in s.depends_on.items() if d in selected})
            kept[name] = s
    return records.replace(project, services=kept)


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

    return records.replace(
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

    def err(code: str, msg: str, path: KeyPath) -> None:
        out.error(code, msg, path, _pos(sources, path))

    services = dict(project.services)
    for name, s in project.services.items():
        base = ("services", name)
        if s.build is None and not s.image and s.provider is None:
            err("service-no-image",
                f'service "{name}" has neither an image nor a build context specified: {INVALID}', base)
        if s.build is not None:
            if s.build.dockerfile_inline and s.build.dockerfile:
                err("build-dockerfile-conflict",
                    f'service "{name}" declares mutualy exclusive dockerfile and dockerfile_inline: {INVALID}',
                    base + ("build",))
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
                err("build-platform",
                    f'service.build.platforms MUST include service.platform "{s.platform}": {INVALID}',
                    base + ("build", "platforms"))
        if s.network_mode and s.networks:
            err("network-mode-conflict",
                f"service {name} declares mutually exclusive `network_mode` and `networks`: {INVALID}",
                base + ("network_mode",))
        for net in s.networks:
            if net not in project.networks:
                err("undefined-network", f'service "{name}" refers to undefined network {net}: {INVALID}',
                    base + ("networks", net))
        if s.healthcheck is not None and s.healthcheck.test and s.healthcheck.test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            err("healthcheck-test", 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
                base + ("healthcheck", "test"))
        for dep, cfg in s.depends_on.items():
            if dep not in project.services:
                if dep in disabled and not cfg.required:
                    continue
                err("undefined-service", f'service "{name}" depends on undefined service "{dep}": {INVALID}',
                    base + ("depends_on", dep))
        if s.network_mode and s.network_mode.startswith("service:"):
            target = s.network_mode[len("service:"):]
            if target not in project.services:
                err("undefined-service", f"service \"{target}\" not found for network_mode 'service:{target}'",
                    base + ("network_mode",))
        for i, m in enumerate(s.volumes):
            if m.type == "volume" and m.source and m.source not in project.volumes:
                err("undefined-volume", f'service "{name}" refers to undefined volume {m.source}: {INVALID}',
                    base + ("volumes", i))
        if s.build is not None:
            for i, r in enumerate(s.build.secrets):
                if r.source not in project.secrets:
                    err("undefined-secret",
                        f'service "{name}" refers to undefined build secret {r.source}: {INVALID}',
                        base + ("build", "secrets", i))
        for i, r in enumerate(s.configs):
            if r.source not in project.configs:
                err("undefined-config", f'service "{name}" refers to undefined config {r.source}: {INVALID}',
                    base + ("configs", i))
        for m in s.models:
            if m not in project.models:
                err("undefined-model", f'service "{name}" refers to undefined model {m}: {INVALID}',
                    base + ("models", m))
        for i, r in enumerate(s.secrets):
            if r.source not in project.secrets:
                err("undefined-secret", f'service "{name}" refers to undefined secret {r.source}: {INVALID}',
                    base + ("secrets", i))
        deploy = s.deploy
        if s.scale is not None and deploy is not None:
            if deploy.replicas is not None and s.scale != deploy.replicas:
                err("scale-conflict",
                    f"services.{name}: can't set distinct values on 'scale' and 'deploy.replicas': {INVALID}",
                    base + ("scale",))
            else:
                deploy = records.replace(deploy, replicas=s.scale)
                services[name] = records.replace(s, deploy=deploy)
        if s.scale is not None and s.scale < 0:
            err("invalid-value", f"services.{name}.scale: must be greater than or equal to 0", base + ("scale",))
        if deploy is not None and deploy.replicas is not None and deploy.replicas < 0:
            err("invalid-value", f"services.{name}.deploy.replicas: must be greater than or equal to 0",
                base + ("deploy", "replicas"))
        limits = deploy.resources.limits if deploy is not None else None
        reservations = deploy.resources.reservations if deploy is not None else None
        for key, value, side, attr in (("cpus", s.cpus, limits, "limits.cpus"),
                                       ("mem_limit", s.mem_limit, limits, "limits.memory"),
                                       ("mem_reservation", s.mem_reservation, reservations, "reservations.memory"),
                                       ("pids_limit", s.pids_limit, limits, "limits.pids")):
            if value and side is not None and getattr(side, attr.partition(".")[2]) != value:
                err("resource-conflict",
                    f"services.{name}: can't set distinct values on '{key}' and 'deploy.resources.{attr}': {INVALID}",
                    base + (key,))
        if s.replicas > 1 and s.container_name:
            attr = "scale" if s.scale is not None else "deploy.replicas"
            # Compose swaps the two names in this message
            err("container-name-scale",
                f"services.{attr}: can't set container_name and {name} as container name must be unique: {INVALID}",
                base + ("container_name",))
        if s.develop is not None:
            for i, w in enumerate(s.develop.watch):
                if not w.target and w.action not in ("rebuild", "restart"):
                    err("invalid-value",
                        f"services.{name}.develop.watch: target is required for non-rebuild actions: {INVALID}",
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
            err("secret-source", f'secret "{name}" must declare either `file` or `environment`: {INVALID}',
                ("secrets", name))
    cycle = find_cycle(project)
    if cycle:
        err("dependency-cycle", "dependency cycle detected: " + " -> ".join(cycle),
            ("services", cycle[0], "depends_on"))
    return records.replace(project, services=services)


def check_container_names(project: Project, sources: SourceMap | None, out: Collector) -> None:
    """No two services may share a container_name (Compose's CheckContainerNameUnicity)."""
    seen: dict[str, str] = {}
    for name, s in project.services.items():
        if not s.container_name:
            continue
        if s.container_name in seen:
            path = ("services", name, "container_name")
            out.error("duplicate-container-name",
                      f'services.{name}: container name "{s.container_name}" is already in use by service '
                      f'{seen[s.container_name]}"', path, _pos(sources, path))
        else:
            seen[s.container_name] = name


def find_cycle(project: Project) -> list[str] | None:
    """The first depends_on cycle found (in name order), as a closed path, or None."""
    children = {n: sorted(d for d in s.depends_on if d in project.services) for n, s in project.services.items()}
    done: set[str] = set()
    for start in sorted(children):
        if start in done:
            continue
        path, stack = [start], [iter(children[start])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done.add(path.pop())
            elif child in path:
                return path[path.index(child):] + [child]
            elif child not in done:
                path.append(child)
                stack.append(iter(children[child]))
    return None


def _read_mapping_file(kind: str, path: str, fmt: str | None, lookup: Lookup, into: dict[str, str],
                       read_text: ReadText, where: KeyPath, sources: SourceMap | None, out: Collector,
                       required: bool = True) -> None:
    """Read one env_file or label_file into `into` as Compose does; problems go to out."""
    from .dotenv import parse_env_file

    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as e:  # a name too long, a loop of links, not UTF-8...
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        out.error(f"{kind}-file-unreadable", f"failed to read {kind} file {path}: {reason}", where,
                  _pos(sources, where))
        return
    if text is None:
        if required:
            out.error(f"{kind}-file-missing", f"{kind} file {path} not found: stat {path}: no such file or directory",
                      where, _pos(sources, where))
        return
    try:
        parse_env_file(text, path, lookup, fmt or None, vars=into)
    except ComposeError as e:
        # the parsers' messages lack what Compose puts in front of syntax errors
        prefix = f"failed to parse env_file {path}: " if fmt == "raw" else f"failed to read {path}: "
        out.items.extend(records.replace(d, path=d.path or where, message=(
            prefix + d.message if d.code == "env-file-syntax" else d.message)) for d in e.diagnostics)


def resolve_environment(project: Project, env: Mapping[str, str], read_text: ReadText,
                        sources: SourceMap | None, out: Collector) -> Project:
    """Fold env_file contents into environment with Compose's precedence; resolve bare variables.

    Files are read in order into one mapping, so a file can refer to what the project environment, the
    service's environment or an earlier file set; the service's `environment` wins in the end.
    """
    services = {}
    for name, s in project.services.items():
        environment: dict[str, str | None] = {
            k: (env.get(k) if v is None else v) for k, v in s.environment.items()
        }

        def lookup(k: str, _e=environment) -> str | None:
            # the project environment first, then the service's own environment
            return env[k] if k in env else _e.get(k)

        from_files: dict[str, str] = {}
        for i, entry in enumerate(s.env_file):
            path = entry.get("path") if isinstance(entry, dict) else str(entry)
            required = entry.get("required", True) if isinstance(entry, dict) else True
            fmt = entry.get("format") if isinstance(entry, dict) else None
            _read_mapping_file("env", path, fmt, lookup, from_files, read_text, ("services", name, "env_file", i),
                               sources, out, required)
        # entries written in `environment` win over env files, even a bare name left unresolved
        merged = {**from_files, **environment}
        services[name] = records.replace(s, environment=dict(sorted(merged.items())), env_file=())
    return records.replace(project, services=services)


def resolve_labels(project: Project, read_text: ReadText, sources: SourceMap | None, out: Collector) -> Project:
    """Fold label_file contents into labels (WithServicesLabelsResolved).

    Files are read in order, a later one overriding an earlier one, and `${VAR}` in a file resolves
    from the files before it (then its own earlier lines); the service's `labels` win.
    """
    services = {}
    for name, s in project.services.items():
        if not s.label_file:
            services[name] = s
            continue
        labels: dict[str, str] = {}
        for i, path in enumerate(s.label_file):
            values: dict[str, str] = {}
            _read_mapping_file("label", path, None, labels.get, values, read_text, ("services", name, "label_file", i),
                               sources, out)
            labels.update(values)
        labels.update(s.labels)
        services[name] = records.replace(s, labels=dict(sorted(labels.items())) if labels else s.labels,
                                             label_file=())
    return records.replace(project, services=services)
