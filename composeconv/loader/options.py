"""What to load and how: the inputs Compose takes from its command line and environment."""

from __future__ import annotations

from typing import Mapping

from ..records import field, record

DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_OVERRIDE_FILE_NAMES = ("compose.override.yml", "compose.override.yaml",
                               "docker-compose.override.yml", "docker-compose.override.yaml")


@record(slots=False)
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
    interpolate: substitute ${VAR}; False is `--no-interpolate`.
    environ: the process environment; the loader reads no other environment.
    resolve_paths / normalize: off for --no-path-resolution / --no-normalize.
    validate: check the JSON schema and the built-in structural rules.
    stdin: the content read for a "-" file.
    """

    files: tuple[str, ...] = ()
    working_dir: str | None = None
    cwd: str | None = None
    project_name: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    interpolate: bool = True
    environ: Mapping[str, str] = field(default_factory=dict)
    resolve_paths: bool = True
    normalize: bool = True
    validate: bool = True
    stdin: str | bytes | None = None

    def __post_init__(self) -> None:
        for name in ("files", "env_files", "profiles"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

