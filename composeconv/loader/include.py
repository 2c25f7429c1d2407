"""`include`: import the resources of other Compose projects (loader/include.go)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping

from ..diagnostics import ComposeError
from ..gofmt import go_sprint
from ._util import diagnostic
from .environment import env_from_files
from .extends import CycleTracker, resource_dir
from .paths import go_join

if TYPE_CHECKING:  # pragma: no cover
    from .core import Loader, LoaderOptions

IMPORTED_KINDS = ("services", "volumes", "networks", "secrets", "configs", "models")


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else go_sprint(v) for v in value]
    return [go_sprint(value)]


def include_cycle_message(chain: list[str]) -> str:
    return "include cycle detected:\n" + chain[0] + "\n include " + "\n include ".join(chain[1:])


def apply_include(loader: "Loader", working_dir: str, environment: Mapping[str, str], model: dict,
                  opts: "LoaderOptions", included: tuple[str, ...]) -> None:
    """Load every included project and import its resources into model (in place)."""
    source = model.get("include")
    sm = loader.sourcemap
    if source is None:
        model.pop("include", None)
        return
    if not isinstance(source, list):
        raise ComposeError(diagnostic("include-invalid", f"`include` must be a list, got {go_sprint(source)}",
                                      ("include",), sm))
    for index, entry in enumerate(source):
        where = ("include", index)
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict):
            raise ComposeError(diagnostic("include-invalid", f"include[{index}] must be a string or a mapping",
                                          where, sm))
        paths = _string_list(entry.get("path"))
        project_dir = entry.get("project_directory") or ""
        if not isinstance(project_dir, str):
            project_dir = go_sprint(project_dir)
        env_files = _string_list(entry.get("env_file"))
        rel_working_dir = ""
        for i, original in enumerate(paths):
            if loader.is_remote(original):
                raise ComposeError(diagnostic("remote-unsupported",
                                              f"remote resource {original} is not supported", where, sm))
            path = original if original.startswith("/") else go_join(opts.loader_dir, original)
            if i == 0:
                if project_dir == "":
                    rel_working_dir = resource_dir(opts.loader_dir, path)
                    project_dir = os.path.dirname(path)
                elif not project_dir.startswith("/"):
                    rel_working_dir = resource_dir(opts.loader_dir, project_dir)
                    project_dir = go_join(working_dir, project_dir)
                else:
                    rel_working_dir = project_dir
                if path in included:
                    raise ComposeError(diagnostic("include-cycle", include_cycle_message(list(included) + [path]),
                                                  where, sm))
            paths[i] = path
        if not env_files:
            dotenv = go_join(project_dir, ".env")
            if os.path.isfile(dotenv):
                env_files = [dotenv]
        else:
            resolved = []
            for f in env_files:
                if not f.startswith("/"):
                    f = go_join(working_dir, f)
                    if not os.path.exists(f):
                        raise ComposeError(diagnostic("env-file-missing", f"stat {f}: no such file or directory",
                                                      where + ("env_file",), sm))
                    if os.path.isdir(f):
                        raise ComposeError(diagnostic("env-file-missing", f"{f} is not a file",
                                                      where + ("env_file",), sm))
                resolved.append(f)
            env_files = resolved
        from_files = env_from_files(environment, env_files, loader.cwd, sm.get(where + ("env_file",)),
                                    where + ("env_file",))
        env = dict(environment)
        for key, value in from_files.items():
            env.setdefault(key, value)
        load_opts = opts.clone(resolve_paths=True, skip_normalization=True, loader_dir=project_dir,
                               environment=env)
        imported = loader.load_yaml_model(paths, rel_working_dir, env, load_opts, CycleTracker(), included,
                                          referrer=where, nested=True)
        import_resources(imported, model, sm)
    model.pop("include", None)


def import_resources(source: dict, target: dict, sm: Any = None) -> None:
    for kind in IMPORTED_KINDS:
        imported = source.get(kind)
        if imported is None:
            continue
        existing = target.get(kind)
        if not isinstance(existing, dict):
            existing = {}
        for name, resource in imported.items():
            if name in existing:
                if existing[name] == resource:
                    continue
                raise ComposeError(diagnostic("include-conflict", f"{kind}.{name} conflicts with imported resource",
                                              (kind, name), sm))
            existing[name] = resource
        target[kind] = existing
