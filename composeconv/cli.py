"""The composeconv command line: config, validate, convert, targets.

Exit codes: 0 success (warnings may have been printed), 1 invalid input or a failed check
(including warnings under --strict), 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Load Compose files exactly as Docker Compose does, and convert them to "
                       "Kubernetes manifests, Swarm stack files or docker run scripts.")

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class ConfigFormat(str, Enum):
    yaml = "yaml"
    json = "json"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


FileOpt = typer.Option(None, "--file", "-f", help="Compose file (repeatable); default: compose.yaml etc. found as Compose does.")
NameOpt = typer.Option(None, "--project-name", "-p", help="Project name.")
EnvFileOpt = typer.Option(None, "--env-file", help="Environment file for interpolation (repeatable).")
ProfileOpt = typer.Option(None, "--profile", help="Activate a profile (repeatable).")
DirOpt = typer.Option(None, "--project-directory", help="Alternate working directory.")
NoInterpOpt = typer.Option(False, "--no-interpolate", help="Do not interpolate variables.")


def _print_diagnostics(diags, fmt: str = "text") -> None:
    if fmt == "json":
        sys.stderr.write(json.dumps([d.to_dict() for d in diags], indent=2) + "\n")
        return
    for d in diags:
        sys.stderr.write(d.render() + "\n")


def _load(files, project_name, env_files, profiles, project_directory, interpolate=True):
    from .api import load_project

    env = dict(os.environ)
    if not profiles and env.get("COMPOSE_PROFILES"):
        profiles = [p for p in env["COMPOSE_PROFILES"].split(",") if p]
    return load_project(list(files or ()), environ=env, working_dir=project_directory,
                        project_name=project_name, env_files=list(env_files or ()),
                        profiles=list(profiles or ()), interpolate=interpolate)


def _fail(e) -> "typer.Exit":
    _print_diagnostics(e.diagnostics)
    return typer.Exit(EXIT_INVALID)


@app.command()
def config(
    file: Optional[List[str]] = FileOpt,
    project_name: Optional[str] = NameOpt,
    env_file: Optional[List[str]] = EnvFileOpt,
    profile: Optional[List[str]] = ProfileOpt,
    project_directory: Optional[str] = DirOpt,
    no_interpolate: bool = NoInterpOpt,
    format: ConfigFormat = typer.Option(ConfigFormat.yaml, "--format", help="Output format."),
    services: bool = typer.Option(False, "--services", help="Print the service names, one per line."),
    volumes: bool = typer.Option(False, "--volumes", help="Print the volume names, one per line."),
) -> None:
    """Print the normalized project, like `docker compose config`."""
    from .diagnostics import ComposeError

    if no_interpolate:
        from .loader import LoadOptions, load_dict

        try:
            raw = load_dict(LoadOptions(files=tuple(file or ()), working_dir=project_directory,
                                        project_name=project_name, env_files=tuple(env_file or ()),
                                        profiles=tuple(profile or ()), interpolate=False,
                                        environ=dict(os.environ)))
        except ComposeError as e:
            raise _fail(e)
        data = raw.data
        names_s, names_v = sorted(data.get("services") or {}), sorted(data.get("volumes") or {})
    else:
        try:
            loaded = _load(file, project_name, env_file, profile, project_directory)
        except ComposeError as e:
            raise _fail(e)
        _print_diagnostics([d for d in loaded.diagnostics])
        from .model import encode_project

        data = encode_project(loaded.project, compose_json=format == ConfigFormat.json)
        data = {k: data[k] for k in sorted(data)}
        names_s, names_v = sorted(loaded.project.services), sorted(loaded.project.volumes)
    if services or volumes:
        for n in (names_s if services else []) + (names_v if volumes else []):
            sys.stdout.write(n + "\n")
        return
    if format == ConfigFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        from .emit import dump

        sys.stdout.write(dump(data))


@app.command()
def validate(
    file: Optional[List[str]] = FileOpt,
    project_name: Optional[str] = NameOpt,
    env_file: Optional[List[str]] = EnvFileOpt,
    profile: Optional[List[str]] = ProfileOpt,
    project_directory: Optional[str] = DirOpt,
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", help="Diagnostics format."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the check too."),
) -> None:
    """Check the project and print every diagnostic; exit 1 when it is invalid."""
    from .diagnostics import ComposeError, Level

    try:
        loaded = _load(file, project_name, env_file, profile, project_directory)
        diags = list(loaded.diagnostics)
    except ComposeError as e:
        diags = e.diagnostics
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps([d.to_dict() for d in diags], indent=2) + "\n")
    else:
        for d in diags:
            sys.stdout.write(d.render() + "\n")
        if not diags:
            sys.stdout.write("valid\n")
    worst = max((d.level for d in diags), default=Level.INFO)
    if worst >= Level.ERROR or (strict and worst >= Level.WARNING):
        raise typer.Exit(EXIT_INVALID)


@app.command()
def convert(
    to: str = typer.Option(..., "--to", "-t", help="Target: kubernetes, swarm or docker-run (see `composeconv targets`)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="FILE for one file; DIR/ (or an existing folder) for one file per object. Default: stdout."),
    file: Optional[List[str]] = FileOpt,
    project_name: Optional[str] = NameOpt,
    env_file: Optional[List[str]] = EnvFileOpt,
    profile: Optional[List[str]] = ProfileOpt,
    project_directory: Optional[str] = DirOpt,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when the conversion reports any warning."),
    format: ConfigFormat = typer.Option(ConfigFormat.yaml, "--format", help="Manifest format (kubernetes)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Kubernetes namespace."),
    inline_secrets: bool = typer.Option(False, "--inline-secrets", help="Write secret values into the output."),
    option: Optional[List[str]] = typer.Option(None, "--option", "-O", help="Backend option KEY=VALUE (repeatable)."),
) -> None:
    """Convert the project to the target's files."""
    from .api import convert as run_convert, targets
    from .backends import ConvertOptions
    from .diagnostics import ComposeError, Level
    from .output import join_stream, write_folder, write_atomic

    if to not in targets():
        from .suggest import suggest

        hint = suggest(to, targets())
        sys.stderr.write(f"composeconv: unknown target {to!r}" + (f"; did you mean {hint!r}?" if hint else "")
                         + f" (targets: {', '.join(targets())})\n")
        raise typer.Exit(EXIT_USAGE)
    extra = {}
    for item in option or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            sys.stderr.write(f"composeconv: --option expects KEY=VALUE, got {item!r}\n")
            raise typer.Exit(EXIT_USAGE)
        extra[key] = value
    split = bool(output) and (output.endswith("/") or Path(output).is_dir())
    try:
        loaded = _load(file, project_name, env_file, profile, project_directory)
        extra.setdefault("environment", dict(loaded.environment))
        result = run_convert(loaded, to, ConvertOptions(split=split, format=format.value, namespace=namespace,
                                                        inline_secrets=inline_secrets, extra=extra))
        diags = list(loaded.diagnostics) + list(result.diagnostics)
        _print_diagnostics(diags)
        if any(d.level >= Level.ERROR for d in diags):
            raise typer.Exit(EXIT_INVALID)
        if output is None:
            sys.stdout.write(join_stream(result.files))
        elif split:
            for p in write_folder(Path(output), result.files):
                sys.stderr.write(f"wrote {p}\n")
        else:
            target = Path(output)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, join_stream(result.files))
            sys.stderr.write(f"wrote {target}\n")
    except ComposeError as e:
        raise _fail(e)
    if strict and any(d.level >= Level.WARNING for d in diags):
        raise typer.Exit(EXIT_INVALID)


@app.command("targets")
def list_targets() -> None:
    """List the conversion targets, one per line."""
    from .api import targets

    for t in targets():
        sys.stdout.write(t + "\n")


@app.command()
def version() -> None:
    """Print the composeconv version."""
    from . import __version__

    sys.stdout.write(f"composeconv {__version__}\n")


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - last-resort guard for the documented exit codes
        sys.stderr.write(f"composeconv: internal error: {type(e).__name__}: {e}\n")
        sys.exit(EXIT_INVALID)
