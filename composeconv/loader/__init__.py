"""Load Compose files into the map-level model Compose builds before typing it.

    from composeconv.loader import LoadOptions, load_dict
    project = load_dict(LoadOptions(files=("compose.yaml",), environ=os.environ))
    project.data        # the merged, canonical (long syntax), normalized dict; with interpolate=False
                        # exactly what `docker compose config --no-interpolate --format json` prints
    project.sourcemap   # key path -> file:line:column, from the file that set the key
    project.environment # the project environment (process env, then --env-file files or .env)

Steps, in Compose's order: per file and YAML document, interpolation, `extends`, `!reset` and
`!override`, `include`, merge onto the earlier files, keyed-list de-duplication, schema validation,
long syntax; then default values, structural checks, relative paths, environment resolution and
normalization (default network, resource names, implied depends_on). As in Compose, the model
built without interpolation only knows COMPOSE_PROJECT_NAME of the environment.

The steps Compose runs on its typed project (profiles, consistency checks, env_file and label_file
folding, service selection, pruning of unused resources) are in composeconv.finalize, which
composeconv.api.load_project runs on the decoded model.

Errors in the input raise composeconv.diagnostics.ComposeError with positioned diagnostics.
"""

from __future__ import annotations

import os
from typing import Any

from ..diagnostics import ComposeError, Diagnostic, Level, Position
from ..sourcemap import SourceMap
from .deps import interpolate_tree
from ._util import diagnostic
from .core import Loader, LoaderOptions, Parsed
from .environment import env_from_files, parse_bool
from .files import discover, documents, read_file
from .options import LoadOptions
from .paths import go_abs, go_join
from .project_name import invalid_project_name_message, is_valid_project_name, normalize_project_name
from .transform import printable
from ..records import field, record, replace

__all__ = ["LoadOptions", "LoadedProject", "load_dict", "normalize_project_name", "printable", "ComposeError"]


@record(frozen=False, slots=False)
class LoadedProject:
    """The result of loading: the map-level model and what was used to build it."""

    data: dict[str, Any]
    sourcemap: SourceMap
    name: str
    working_dir: str
    files: tuple[str, ...]
    environment: dict[str, str]
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Non-fatal findings (warnings), as Diagnostics."""
        return self.warnings


class _Setup:
    """The command-line half of Compose: environment, files, working directory, project name."""

    def __init__(self, options: LoadOptions):
        self.options = options
        self.cwd = go_abs(options.cwd, os.getcwd()) if options.cwd else os.getcwd()
        self.project_dir = go_abs(options.working_dir, self.cwd) if options.working_dir else None
        self.warnings: list[Diagnostic] = []

    def working_dir(self, paths: list[str]) -> str:
        if self.project_dir:
            return self.project_dir
        for path in paths:
            if path != "-":
                return os.path.dirname(go_abs(path, self.cwd))
        return self.cwd

    def default_env_files(self, paths: list[str], process: dict[str, str]) -> list[str]:
        flag = process.get("COMPOSE_DISABLE_ENV_FILE")
        if flag is not None:
            try:
                if parse_bool(flag):
                    return []
            except ValueError as exc:
                raise ComposeError(diagnostic("invalid-environment", str(exc))) from None
        dotenv = go_join(self.working_dir(paths), ".env")
        return [dotenv] if os.path.isfile(dotenv) else []

    def run(self) -> tuple[dict[str, str], list[str], list[str], list[str]]:
        """Return (environment, config files, env files used, profiles)."""
        options = self.options
        process = dict(options.environ)
        paths = list(options.files)
        explicit_env_files = list(options.env_files)
        if not explicit_env_files and process.get("COMPOSE_ENV_FILES"):
            explicit_env_files = [f for f in process["COMPOSE_ENV_FILES"].split(",") if f]
        # COMPOSE_* variables of the env files count as process variables (Compose exports them first)
        try:
            pre = env_from_files(process, explicit_env_files or self.default_env_files(paths, process), self.cwd)
            for key, value in pre.items():
                if key.startswith("COMPOSE_") and key not in process:
                    process[key] = value
        except ComposeError:
            pass
        env = dict(process)
        if "PWD" not in env:
            env["PWD"] = self.cwd
        env_files = explicit_env_files or self.default_env_files(paths, process)
        for key, value in env_from_files(env, env_files, self.cwd).items():
            env.setdefault(key, value)
        if not paths and "COMPOSE_FILE" in env:
            sep = env.get("COMPOSE_PATH_SEPARATOR") or ":"
            for item in env["COMPOSE_FILE"].split(sep):
                if item == "-":
                    paths.append(item)
                    continue
                absolute = go_abs(item, self.cwd)
                if not os.path.exists(absolute):
                    raise ComposeError(diagnostic("file-not-found", f"stat {absolute}: no such file or directory"))
                paths.append(absolute)
        if not paths:
            found, warnings = discover(self.working_dir([]))
            paths = found
            self.warnings.extend(Diagnostic("discovery", Level.WARNING, w) for w in warnings)
        if not explicit_env_files:
            again = self.default_env_files(paths, process)
            if again:
                env_files = again
        for key, value in env_from_files(env, env_files, self.cwd).items():
            env.setdefault(key, value)
        profiles = list(options.profiles)
        if not profiles:
            profiles = [p.strip() for p in env.get("COMPOSE_PROFILES", "").split(",")]
        if options.project_name and not is_valid_project_name(options.project_name):
            raise ComposeError(diagnostic("invalid-project-name", invalid_project_name_message(options.project_name)))
        return env, paths, env_files, profiles


def _yaml_names(docs: list) -> list[str]:
    names = []
    for doc in docs:
        if isinstance(doc.data, dict):
            name = doc.data.get("name")
            if isinstance(name, bool):
                continue
            if isinstance(name, (str, int, float)) and str(name) != "":
                names.append(str(name))
    return names


def load_dict(options: LoadOptions) -> LoadedProject:
    """Load a Compose project as Compose does and return its map-level model."""
    setup = _Setup(options)
    env, paths, env_files, profiles = setup.run()
    if not paths:
        raise ComposeError(diagnostic("no-config-file", "no configuration file provided: not found"))
    working_dir = setup.working_dir(paths)
    files = [p if p == "-" else go_abs(p, setup.cwd) for p in paths]
    loader = Loader(options.environ, setup.cwd)
    contents: dict[str, Parsed] = {}
    for f in files:
        raw = (options.stdin if options.stdin is not None else b"") if f == "-" else read_file(f)
        contents[f] = Parsed(raw, documents(raw, f))
    names_per_file = [_yaml_names(contents[f].docs) for f in files]
    name, imperative = "", False
    if options.project_name:
        name, imperative = options.project_name, True
    elif env.get("COMPOSE_PROJECT_NAME"):
        name, imperative = env["COMPOSE_PROJECT_NAME"], True
        if not is_valid_project_name(name):
            raise ComposeError(diagnostic("invalid-project-name", invalid_project_name_message(name)))
    elif not any(names[:1] for names in names_per_file):
        name = normalize_project_name(os.path.basename(working_dir))
    if not imperative:
        from_yaml, origin = "", None
        for f, names in zip(files, names_per_file):
            if names:
                from_yaml, origin = names[-1], f
        if options.interpolate:
            # errors point at the `name:` key of the file the name came from
            docs = contents[origin].docs if origin else []
            named = [d for d in docs if isinstance(d.data, dict) and "name" in d.data]
            sm = named[-1].sourcemap if named else None
            from_yaml = interpolate_tree({"name": from_yaml}, env.get, sm, filename=origin)["name"]
        if options.normalize:
            from_yaml = normalize_project_name(from_yaml)
        if from_yaml:
            name = from_yaml
    env["COMPOSE_PROJECT_NAME"] = name
    # Compose builds the raw model (`config --no-interpolate`) without the project environment:
    # only COMPOSE_PROJECT_NAME is known to the loader then.
    model_env = env if options.interpolate else {"COMPOSE_PROJECT_NAME": name}
    opts = LoaderOptions(interpolate=options.interpolate, environment=model_env, loader_dir=working_dir,
                         resolve_paths=options.resolve_paths, skip_validation=not options.validate,
                         skip_normalization=not options.normalize)
    try:
        doc = loader.load(files, working_dir, model_env, opts, name, contents)
        result = LoadedProject(data=doc, sourcemap=loader.sourcemap, name=name, working_dir=working_dir,
                               files=tuple(files), environment=env, env_files=tuple(env_files),
                               profiles=tuple(profiles), warnings=setup.warnings + loader.warnings)
    except ComposeError as exc:
        raise _with_positions(exc, loader.sourcemap, files[0]) from None
    return result


def _with_positions(exc: ComposeError, sm: SourceMap, fallback_file: str) -> ComposeError:
    """Give every diagnostic a position: from its key path, else the first file."""
    if all(d.position is not None for d in exc.diagnostics):
        return exc
    fixed = []
    for d in exc.diagnostics:
        if d.position is None:
            pos = sm.get(d.path) if d.path else None
            d = replace(d, position=pos or Position(fallback_file, 1, 1))
        fixed.append(d)
    return ComposeError(fixed)

