"""The project environment (process env, --env-file or .env) and environment resolution in services.

Folding env_file and label_file contents into services is composeconv.finalize's, on the typed project.
"""

from __future__ import annotations

import os
from typing import Mapping

from ..diagnostics import ComposeError, Diagnostic, Level, Position
from .deps import read_env_file
from .paths import go_abs

SECRET_VALUE_KEY = "x-#value"


def _error(code: str, message: str, path: tuple = (), position: Position | None = None) -> ComposeError:
    return ComposeError(Diagnostic(code, Level.ERROR, message, path, position))


def parse_bool(value: str) -> bool:
    """strconv.ParseBool."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _reworded(exc: ComposeError, filename: str) -> ComposeError:
    """Compose prefixes env file errors with the file they come from."""
    return ComposeError([Diagnostic(d.code, d.level, f"failed to read {filename}: {d.message}", d.path, d.position,
                                    d.hint) for d in exc.diagnostics])


def env_from_files(current: Mapping[str, str], files: list[str] | tuple[str, ...], cwd: str,
                   position: Position | None = None, path: tuple = ()) -> dict[str, str]:
    """dotenv.GetEnvFromFile: read env files in order; `current` wins when values are looked up."""
    env: dict[str, str] = {}
    for name in files:
        absolute = go_abs(name, cwd)
        where = position or Position(absolute)
        if not os.path.exists(absolute):
            raise _error("env-file-missing", f"couldn't find env file: {absolute}", path, where)
        if os.path.isdir(absolute):
            raise _error("env-file-missing", f"{absolute} is a directory", path, where)
        try:
            with open(absolute, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise _error("env-file-unreadable", f"couldn't read env file: {absolute}: {exc.strerror}",
                         path, where) from None
        try:
            read_env_file(data, absolute, current.get, vars=env)
        except ComposeError as exc:
            raise _reworded(exc, absolute) from None
    return env


# --------------------------------------------------------------------------- map level

def resolve_environment(doc: dict, environment: Mapping[str, str]) -> None:
    """Fill `environment: [NAME]` from the project environment and secrets/configs from env vars."""
    services = doc.get("services")
    if isinstance(services, dict):
        for service in services.values():
            if not isinstance(service, dict):
                continue
            env = service.get("environment")
            if not isinstance(env, list):
                continue
            resolved = []
            for item in env:
                if not isinstance(item, str):
                    continue
                if item in environment:
                    resolved.append(f"{item}={environment[item]}")
                else:
                    resolved.append(item)
            service["environment"] = resolved
    for kind, key in (("secrets", SECRET_VALUE_KEY), ("configs", "content")):
        resources = doc.get(kind)
        if isinstance(resources, dict):
            for resource in resources.values():
                if isinstance(resource, dict):
                    var = resource.get("environment")
                    if isinstance(var, str) and var in environment:
                        resource[key] = environment[var]
