"""What to load and how: the inputs Compose takes from its command line and environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_OVERRIDE_FILE_NAMES = ("compose.override.yml", "compose.override.yaml",
                               "docker-compose.override.yml", "docker-compose.override.yaml")


@dataclass(frozen=True)
class LoadOptions:
    """Options for loading a Compose project, mirroring `docker compose` flags.

    files: the -f files in order; empty means COMPOSE_FILE, else discovery of compose.yaml
        (and its override file) in the project directory or its parents. "-" reads `stdin`.
    working_dir: --project-directory; default is the directory of the first file.
    cwd: the directory relative paths on the command line are taken from (default: the
        process's current directory, read once at load time).
    project_name: -p; default COMPOSE_PROJECT_NAME, then `name:`, then the directory name.
    env_files: --env-file files; default COMPOSE_ENV_FILES, then `.env` of the project directory.
    profiles: --profile; default COMPOSE_PROFILES.
    services: the SERVICE... arguments of `config` (only used with project steps).
    interpolate: substitute ${VAR}; False is `--no-interpolate`.
    environ: the process environment; the loader reads no other environment.
    resolve_paths / normalize: off for --no-path-resolution / --no-normalize.
    validate: check the JSON schema and the built-in structural rules.
    The project steps, which Compose runs on the typed project and never on the map-level
    model (so not with --no-interpolate): apply_profiles, consistency, resolve_env_files
    (env_file and label_file folded into environment/labels), prune_resources (drop networks,
    volumes, secrets and configs no service uses). Off by default, so `data` is exactly the
    map-level model; True runs the step on the dict.
    stdin: the content read for a "-" file.
    """

    files: tuple[str, ...] = ()
    working_dir: str | None = None
    cwd: str | None = None
    project_name: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    interpolate: bool = True
    environ: Mapping[str, str] = field(default_factory=dict)
    resolve_paths: bool = True
    normalize: bool = True
    validate: bool = True
    apply_profiles: bool | None = None
    consistency: bool | None = None
    resolve_env_files: bool | None = None
    prune_resources: bool | None = None
    stdin: str | bytes | None = None

    def __post_init__(self) -> None:
        for name in ("files", "env_files", "profiles", "services"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def _step(self, value: bool | None) -> bool:
        return bool(value)

    @property
    def do_profiles(self) -> bool:
        return self._step(self.apply_profiles)

    @property
    def do_consistency(self) -> bool:
        return self._step(self.consistency)

    @property
    def do_env_files(self) -> bool:
        return self._step(self.resolve_env_files)

    @property
    def do_prune(self) -> bool:
        return self._step(self.prune_resources)
