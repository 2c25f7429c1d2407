"""The project environment (process env, --env-file or .env) and environment resolution in services."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from ..diagnostics import ComposeError, Diagnostic, Level, Position
from ._util import go_sprint, position_of
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


# --------------------------------------------------------------------------- project level

def environment_to_mapping(value: Any) -> dict[str, str | None]:
    """environment (list or mapping) as NAME -> value or None (declared without a value)."""
    out: dict[str, str | None] = {}
    if isinstance(value, dict):
        for key, val in value.items():
            out[key] = None if val is None else (val if isinstance(val, str) else go_sprint(val))
    elif isinstance(value, list):
        for item in value:
            text = item if isinstance(item, str) else go_sprint(item)
            key, sep, val = text.partition("=")
            if key and key[-1].isspace():
                raise _error("invalid-environment",
                             f"environment variable {key} is declared with a trailing space")
            out[key] = val if sep else None
    return out


def load_env_file_values(path: str, fmt: str | None, lookup: Callable[[str], str | None],
                         into: dict[str, str]) -> None:
    """Read one env_file into `into` (its values may refer to earlier ones)."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        read_env_file(data, path, lookup, format=fmt or None, vars=into)
    except ComposeError as exc:
        raise _reworded(exc, path) from None


def resolve_service_env_files(doc: dict, environment: Mapping[str, str], sourcemap: Any = None,
                              discard: bool = True) -> None:
    """Fold env_file contents into environment (as Compose does when it builds the project).

    The service's own `environment` wins over its env files; env files are read in order, a
    missing one is an error unless `required: false`. The result is a mapping.
    """
    services = doc.get("services")
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        env_files = service.get("env_file")
        if not env_files and "environment" not in service:
            continue
        own = environment_to_mapping(service.get("environment"))
        for key, val in own.items():
            if val is None and key in environment:
                own[key] = environment[key]
        merged: dict[str, str | None] = {k: v for k, v in own.items() if v is not None}
        for i, env_file in enumerate(env_files or ()):
            if not isinstance(env_file, dict):
                continue
            path = env_file.get("path")
            if not isinstance(path, str):
                continue
            if not os.path.exists(path):
                if env_file.get("required", True) is not False:
                    raise _error("env-file-missing",
                                 f"env file {path} not found: stat {path}: no such file or directory",
                                 ("services", name, "env_file", i),
                                 position_of(sourcemap, ("services", name, "env_file", i)))
                continue

            def lookup(key: str, _own=own) -> str | None:
                if key in environment:
                    return environment[key]
                return _own.get(key)
            load_env_file_values(path, env_file.get("format"), lookup, merged)  # type: ignore[arg-type]
        merged.update(own)
        service["environment"] = merged
        if discard:
            service.pop("env_file", None)


def resolve_service_label_files(doc: dict, discard: bool = True) -> None:
    """Fold label_file contents into labels (service labels win)."""
    services = doc.get("services")
    if not isinstance(services, dict):
        return
    for service in services.values():
        if not isinstance(service, dict):
            continue
        files = service.get("label_file")
        if not files:
            continue
        labels: dict[str, str] = {}
        for path in files:
            if not isinstance(path, str):
                continue
            if not os.path.exists(path):
                raise _error("label-file-missing", f"label file {path} not found: stat {path}: no such file or directory")
            load_env_file_values(path, None, lambda k: labels.get(k), labels)
        own = environment_to_mapping(service.get("labels"))
        labels.update({k: ("" if v is None else v) for k, v in own.items()})
        if labels:
            service["labels"] = labels
        if discard:
            service.pop("label_file", None)
