"""The library entry points: load a Compose project, convert it, list the targets."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

from .backends import TARGETS, ConvertOptions, ConvertResult
from .diagnostics import Collector, ComposeError, Diagnostic, Level
from .model import Project
from .sourcemap import SourceMap
from .records import field, record
from . import records


@record
class Loaded:
    """A loaded project with what was said while loading it and where each key came from."""

    project: Project
    sources: SourceMap = field(compare=False)
    diagnostics: tuple[Diagnostic, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict, compare=False)


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except ValueError:  # a NUL character in the path: no such file can exist
        return None


def load_project(
    paths: Sequence[str] | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    working_dir: str | None = None,
    cwd: str | None = None,
    project_name: str | None = None,
    env_files: Sequence[str] = (),
    profiles: Sequence[str] = (),
    interpolate: bool = True,
    services: Sequence[str] = (),
) -> Loaded:
    """Load a project as Docker Compose does, keeping the source map and diagnostics.

    services: the SERVICE... arguments of `docker compose config`: keep these services (shell
    patterns) and their dependencies, enabling named services that profiles disabled.
    """
    from .finalize import (apply_profiles, check_consistency, check_container_names, prune_unused,
                           resolve_environment, resolve_labels, select_services)
    from .loader import LoadOptions, load_dict
    from .model import decode_project

    if isinstance(paths, str):
        paths = [paths]
    environ = dict(environ if environ is not None else {})
    options = LoadOptions(
        files=tuple(paths or ()),
        working_dir=working_dir,
        cwd=cwd,
        project_name=project_name,
        env_files=tuple(env_files),
        profiles=tuple(profiles),
        interpolate=interpolate,
        environ=environ,
    )
    raw = load_dict(options)
    project = decode_project(raw.data, raw.sourcemap, working_dir=raw.working_dir, files=tuple(raw.files))
    active = tuple(raw.profiles)
    out = Collector(list(getattr(raw, "diagnostics", ()) or ()))
    project, disabled = apply_profiles(project, active)
    project = check_consistency(project, disabled, raw.sourcemap, out)
    out.raise_if_errors()
    project = resolve_environment(project, raw.environment, _read_text, raw.sourcemap, out)
    project = resolve_labels(project, _read_text, raw.sourcemap, out)
    out.raise_if_errors()
    if isinstance(services, str):
        services = [services]
    if services:
        # as in Compose, services enabled here by name skip the consistency checks and label files,
        # and get their env files folded when `config` resolves the environment again
        project = select_services(project, tuple(services), disabled)
        project = resolve_environment(project, raw.environment, _read_text, raw.sourcemap, out)
    project = prune_unused(project)
    check_container_names(project, raw.sourcemap, out)
    out.raise_if_errors()
    return Loaded(project, raw.sourcemap, tuple(out.items), raw.environment)


def load(paths: Sequence[str] | str | None = None, **kwargs: Any) -> Project:
    """Load a Compose project into the model; raises ComposeError with every problem found."""
    return load_project(paths, **kwargs).project


def targets() -> list[str]:
    """The names of the conversion targets, in a stable order."""
    return sorted(TARGETS)


def convert(project: Project | Loaded, target: str, options: ConvertOptions | None = None,
            layout: str = "plain") -> ConvertResult:
    """Convert a project with the named backend; diagnostics get positions when sources are known.

    layout packages Kubernetes output as a Helm chart ("helm") or a Kustomize base ("kustomize").
    """
    if target not in TARGETS:
        from .suggest import suggest

        hint = suggest(target, list(TARGETS))
        raise ComposeError(Diagnostic("unknown-target", Level.ERROR, f"unknown target {target!r}", (),
                                      None, f"did you mean {hint!r}?" if hint else None))
    sources = project.sources if isinstance(project, Loaded) else None
    model = project.project if isinstance(project, Loaded) else project
    options = options or ConvertOptions()
    from .packaging import LAYOUTS

    if layout not in LAYOUTS or (layout != "plain" and target != "kubernetes"):
        raise ComposeError(Diagnostic("unknown-layout", Level.ERROR,
                                      f"layout {layout!r} is not available for target {target!r}"))
    packaging = LAYOUTS[layout]
    own = packaging.option_names()
    backend_options = records.replace(options, extra={k: v for k, v in options.extra.items() if k not in own})
    result = TARGETS[target].load()(model, backend_options)
    if layout != "plain":
        result = packaging.load()(model, result, options)
    if sources is None:
        return result
    placed = tuple(d if d.position or not d.path else records.replace(d, position=sources.get(d.path))
                   for d in result.diagnostics)
    return records.replace(result, diagnostics=placed)


def process_environ() -> dict[str, str]:
    """The calling process's environment, for callers that want Compose's default behaviour."""
    return dict(os.environ)


__all__ = ["Loaded", "load", "load_project", "convert", "targets", "process_environ", "ConvertOptions",
           "ConvertResult", "Iterable"]
