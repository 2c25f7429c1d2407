"""The composeconv command line: config, validate, convert, targets.

Exit codes: 0 success (warnings may have been printed), 1 invalid input or a failed check
(including warnings under --strict), 2 usage error.
"""

from __future__ import annotations

import dataclasses
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
        from .loader import printable

        data = printable(raw.data)
        names_s, names_v = sorted(data.get("services") or {}), sorted(data.get("volumes") or {})
    else:
        try:
            loaded = _load(file, project_name, env_file, profile, project_directory)
        except ComposeError as e:
            raise _fail(e)
        _print_diagnostics([d for d in loaded.diagnostics])
        from .model import encode_project
        from .model.codec import escape_dollars

        data = escape_dollars(encode_project(loaded.project, compose_json=format == ConfigFormat.json))
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


class DiagFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


@app.command()
def convert(
    to: Optional[str] = typer.Option(None, "--to", "-t", help="Target: kubernetes, swarm or docker-run (see `composeconv targets`)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="FILE for one file; DIR/ (or an existing folder) for one file per object. Default: stdout."),
    file: Optional[List[str]] = FileOpt,
    project_name: Optional[str] = NameOpt,
    env_file: Optional[List[str]] = EnvFileOpt,
    profile: Optional[List[str]] = ProfileOpt,
    project_directory: Optional[str] = DirOpt,
    strict: Optional[bool] = typer.Option(None, "--strict/--no-strict", help="Exit 1 when the conversion reports any warning."),
    format: Optional[ConfigFormat] = typer.Option(None, "--format", help="Manifest format (kubernetes): yaml or json."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Kubernetes namespace."),
    inline_secrets: Optional[bool] = typer.Option(None, "--inline-secrets/--no-inline-secrets", help="Write secret values into the output."),
    option: Optional[List[str]] = typer.Option(None, "--option", "-O", help="Backend option KEY=VALUE (repeatable)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 with a diff when the output differs from what would be written."),
    diagnostics: Optional[DiagFormat] = typer.Option(None, "--diagnostics", help="How diagnostics are printed to stderr: text, json or sarif."),
    config_file: Optional[str] = typer.Option(None, "--config", help="Settings file (default: composeconv.toml or pyproject.toml [tool.composeconv])."),
    layout: Optional[str] = typer.Option(None, "--layout", help="Packaging of Kubernetes output: plain (default), helm or kustomize."),
) -> None:
    """Convert the project to the target's files."""
    from .api import convert as run_convert, targets
    from .backends import ConvertOptions
    from .diagnostics import ComposeError, Level
    from .report import render
    from . import settings as settings_mod

    try:
        _, conf = settings_mod.find(Path(project_directory or "."), config_file)
    except ComposeError as e:
        raise _fail(e)

    def pick(value, key, default=None):
        return value if value not in (None, []) else conf.get(key, default)

    to = pick(to, "to")
    output = pick(output, "output")
    strict = bool(pick(strict, "strict", False))
    fmt = pick(format.value if format else None, "format", "yaml")
    diag_fmt = pick(diagnostics.value if diagnostics else None, "diagnostics", "text")
    if not to:
        sys.stderr.write("composeconv: missing --to (targets: " + ", ".join(targets()) + ")\n")
        raise typer.Exit(EXIT_USAGE)
    if to not in targets():
        from .suggest import suggest

        hint = suggest(to, targets())
        sys.stderr.write(f"composeconv: unknown target {to!r}" + (f"; did you mean {hint!r}?" if hint else "")
                         + f" (targets: {', '.join(targets())})\n")
        raise typer.Exit(EXIT_USAGE)
    extra = {str(k): v for k, v in (conf.get("options") or {}).items()}
    for item in option or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            sys.stderr.write(f"composeconv: --option expects KEY=VALUE, got {item!r}\n")
            raise typer.Exit(EXIT_USAGE)
        extra[key] = value
    layout = pick(layout, "layout", "plain")
    from .packaging import LAYOUTS

    if layout not in LAYOUTS:
        sys.stderr.write(f"composeconv: unknown layout {layout!r} (layouts: {', '.join(LAYOUTS)})\n")
        raise typer.Exit(EXIT_USAGE)
    if layout != "plain" and to != "kubernetes":
        sys.stderr.write(f"composeconv: --layout {layout} needs --to kubernetes\n")
        raise typer.Exit(EXIT_USAGE)
    if layout != "plain" and not (output and (output.endswith("/") or Path(output).is_dir())):
        sys.stderr.write(f"composeconv: --layout {layout} writes a folder: give -o DIR/\n")
        raise typer.Exit(EXIT_USAGE)
    if check and not output:
        sys.stderr.write("composeconv: --check needs --output (the file or folder to compare)\n")
        raise typer.Exit(EXIT_USAGE)
    split = bool(output) and (output.endswith("/") or Path(output).is_dir())
    diags: list = []
    try:
        loaded = _load(pick(file, "file"), pick(project_name, "project_name"), pick(env_file, "env_file"),
                       pick(profile, "profile"), pick(project_directory, "project_directory"))
        options = ConvertOptions(split=split, format=fmt, namespace=pick(namespace, "namespace"),
                                 inline_secrets=bool(pick(inline_secrets, "inline_secrets", False)), extra=extra)
        if layout == "kustomize" and "output_dir" not in extra:
            # generator paths in kustomization.yaml are written relative to the output folder
            options = dataclasses.replace(options, extra={**extra, "output_dir": str(Path(output).resolve())})
        result = run_convert(loaded, to, options, layout=layout)
        diags = list(loaded.diagnostics) + list(result.diagnostics)
    except ComposeError as e:
        diags = list(e.diagnostics)
        result = None
    if diags:
        sys.stderr.write(render(diags, diag_fmt))
    if result is None or any(d.level >= Level.ERROR for d in diags):
        raise typer.Exit(EXIT_INVALID)
    try:
        _write_or_check(result.files, output, split, check)
    except ComposeError as e:
        sys.stderr.write(render(e.diagnostics, diag_fmt))
        raise typer.Exit(EXIT_INVALID)
    if strict and any(d.level >= Level.WARNING for d in diags):
        raise typer.Exit(EXIT_INVALID)


def _write_or_check(files, output: Optional[str], split: bool, check: bool) -> None:
    from . import managed
    from .output import join_stream, write_atomic

    if output is None:
        sys.stdout.write(join_stream(files))
        return
    if split:
        root = Path(output)
        if check:
            drift = managed.check(root, files)
            if not drift.clean:
                sys.stdout.write(drift.diff)
                sys.stderr.write(f"composeconv: {root} is out of date: {len(drift.changed)} changed, "
                                 f"{len(drift.added)} missing, {len(drift.removed)} to remove\n")
                raise typer.Exit(EXIT_INVALID)
            return
        for p in managed.update(root, files):
            sys.stderr.write(f"wrote {p}\n")
        return
    target = Path(output)
    content = join_stream(files)
    if check:
        import difflib

        have = target.read_text(encoding="utf-8") if target.is_file() else ""
        if have != content:
            sys.stdout.write("".join(difflib.unified_diff(have.splitlines(True), content.splitlines(True),
                                                          f"a/{target.name}", f"b/{target.name}")))
            raise typer.Exit(EXIT_INVALID)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # one file keeps its mode (a script stays executable); several joined take the widest
    write_atomic(target, content, max((f.mode for f in files), default=0o644))
    sys.stderr.write(f"wrote {target}\n")


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


def _utf8_streams() -> None:
    """Print UTF-8 whatever the locale says (PYTHONIOENCODING, LANG=C without UTF-8 mode), as Compose
    does: output bytes must not depend on the machine, and a non-ASCII name must not end in an encoding
    error."""
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (stream.encoding or "").lower().replace("-", "") != "utf8":
            reconfigure(encoding="utf-8", errors=errors)


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        _utf8_streams()
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - last-resort guard for the documented exit codes
        sys.stderr.write(f"composeconv: internal error: {type(e).__name__}: {e}\n")
        sys.exit(EXIT_INVALID)
