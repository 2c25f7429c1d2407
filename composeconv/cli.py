"""The composeconv command line: config, validate, convert, targets, version.

Exit codes: 0 success (warnings may have been printed), 1 invalid input or a failed check
(including warnings under --strict), 2 usage error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
DESCRIPTION = ("Load Compose files exactly as Docker Compose does, and convert them to "
               "Kubernetes manifests, Swarm stack files or docker run scripts.")


class Exit(Exception):
    """Ends a command with an exit code (diagnostics have been printed already)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _print_diagnostics(diags) -> None:
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


def _fail(e) -> Exit:
    _print_diagnostics(e.diagnostics)
    return Exit(EXIT_INVALID)


def config(a: argparse.Namespace) -> None:
    """Print the normalized project, like `docker compose config`."""
    file, project_name, env_file, profile, project_directory = (a.file, a.project_name, a.env_file, a.profile,
                                                                a.project_directory)
    no_interpolate, format, services, volumes = a.no_interpolate, a.format, a.services, a.volumes
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

        data = escape_dollars(encode_project(loaded.project, compose_json=format == "json"))
        data = {k: data[k] for k in sorted(data)}
        names_s, names_v = sorted(loaded.project.services), sorted(loaded.project.volumes)
    if services or volumes:
        for n in (names_s if services else []) + (names_v if volumes else []):
            sys.stdout.write(n + "\n")
        return
    if format == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        from .emit import dump

        sys.stdout.write(dump(data))


def validate(a: argparse.Namespace) -> None:
    """Check the project and print every diagnostic; exit 1 when it is invalid."""
    file, project_name, env_file, profile, project_directory = (a.file, a.project_name, a.env_file, a.profile,
                                                                a.project_directory)
    format, strict = a.format, a.strict
    from .diagnostics import ComposeError, Level

    try:
        loaded = _load(file, project_name, env_file, profile, project_directory)
        diags = list(loaded.diagnostics)
    except ComposeError as e:
        diags = e.diagnostics
    if format == "json":
        import json

        sys.stdout.write(json.dumps([d.to_dict() for d in diags], indent=2) + "\n")
    else:
        for d in diags:
            sys.stdout.write(d.render() + "\n")
        if not diags:
            sys.stdout.write("valid\n")
    worst = max((d.level for d in diags), default=Level.INFO)
    if worst >= Level.ERROR or (strict and worst >= Level.WARNING):
        raise Exit(EXIT_INVALID)


def convert(a: argparse.Namespace) -> None:
    """Convert the project to the target's files."""
    file, project_name, env_file, profile, project_directory = (a.file, a.project_name, a.env_file, a.profile,
                                                                a.project_directory)
    to, output, strict, format, namespace = a.to, a.output, a.strict, a.format, a.namespace
    inline_secrets, option, check, diagnostics = a.inline_secrets, a.option, a.check, a.diagnostics
    config_file, layout = a.config, a.layout
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
    fmt = pick(format, "format", "yaml")
    diag_fmt = pick(diagnostics, "diagnostics", "text")
    if not to:
        sys.stderr.write("composeconv: missing --to (targets: " + ", ".join(targets()) + ")\n")
        raise Exit(EXIT_USAGE)
    if to not in targets():
        from .suggest import suggest

        hint = suggest(to, targets())
        sys.stderr.write(f"composeconv: unknown target {to!r}" + (f"; did you mean {hint!r}?" if hint else "")
                         + f" (targets: {', '.join(targets())})\n")
        raise Exit(EXIT_USAGE)
    extra = {str(k): v for k, v in (conf.get("options") or {}).items()}
    for item in option or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            sys.stderr.write(f"composeconv: --option expects KEY=VALUE, got {item!r}\n")
            raise Exit(EXIT_USAGE)
        extra[key] = value
    layout = pick(layout, "layout", "plain")
    from .packaging import LAYOUTS

    if layout not in LAYOUTS:
        sys.stderr.write(f"composeconv: unknown layout {layout!r} (layouts: {', '.join(LAYOUTS)})\n")
        raise Exit(EXIT_USAGE)
    if layout != "plain" and to != "kubernetes":
        sys.stderr.write(f"composeconv: --layout {layout} needs --to kubernetes\n")
        raise Exit(EXIT_USAGE)
    if layout != "plain" and not (output and (output.endswith("/") or Path(output).is_dir())):
        sys.stderr.write(f"composeconv: --layout {layout} writes a folder: give -o DIR/\n")
        raise Exit(EXIT_USAGE)
    if check and not output:
        sys.stderr.write("composeconv: --check needs --output (the file or folder to compare)\n")
        raise Exit(EXIT_USAGE)
    split = bool(output) and (output.endswith("/") or Path(output).is_dir())
    diags: list = []
    try:
        loaded = _load(pick(file, "file"), pick(project_name, "project_name"), pick(env_file, "env_file"),
                       pick(profile, "profile"), pick(project_directory, "project_directory"))
        options = ConvertOptions(split=split, format=fmt, namespace=pick(namespace, "namespace"),
                                 inline_secrets=bool(pick(inline_secrets, "inline_secrets", False)), extra=extra)
        if layout == "kustomize" and "output_dir" not in extra:
            # generator paths in kustomization.yaml are written relative to the output folder
            from .records import replace

            options = replace(options, extra={**extra, "output_dir": str(Path(output).resolve())})
        result = run_convert(loaded, to, options, layout=layout)
        diags = list(loaded.diagnostics) + list(result.diagnostics)
    except ComposeError as e:
        diags = list(e.diagnostics)
        result = None
    if diags:
        sys.stderr.write(render(diags, diag_fmt))
    if result is None or any(d.level >= Level.ERROR for d in diags):
        raise Exit(EXIT_INVALID)
    try:
        _write_or_check(result.files, output, split, check)
    except ComposeError as e:
        sys.stderr.write(render(e.diagnostics, diag_fmt))
        raise Exit(EXIT_INVALID)
    if strict and any(d.level >= Level.WARNING for d in diags):
        raise Exit(EXIT_INVALID)


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
                raise Exit(EXIT_INVALID)
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
            raise Exit(EXIT_INVALID)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # one file keeps its mode (a script stays executable); several joined take the widest
    write_atomic(target, content, max((f.mode for f in files), default=0o644))
    sys.stderr.write(f"wrote {target}\n")


def list_targets(a: argparse.Namespace) -> None:
    """List the conversion targets, one per line."""
    from .api import targets

    for t in targets():
        sys.stdout.write(t + "\n")


def version(a: argparse.Namespace) -> None:
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


def _add_project_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--file", action="append", metavar="FILE",
                   help="Compose file (repeatable); default: compose.yaml etc. found as Compose does.")
    p.add_argument("-p", "--project-name", metavar="NAME", help="Project name.")
    p.add_argument("--env-file", action="append", metavar="FILE", help="Environment file for interpolation (repeatable).")
    p.add_argument("--profile", action="append", metavar="NAME", help="Activate a profile (repeatable).")
    p.add_argument("--project-directory", metavar="DIR", help="Alternate working directory.")


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    # argparse would import shutil (and with it bz2 and lzma) for the terminal width on every run
    try:
        width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(sys.stdout.fileno()).columns
    except (ValueError, OSError):
        width = 80
    return argparse.HelpFormatter(prog, width=max(width - 2, 40))


def _config_options(p: argparse.ArgumentParser) -> None:
    _add_project_options(p)
    p.add_argument("--no-interpolate", action="store_true", help="Do not interpolate variables.")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help="Output format.")
    p.add_argument("--services", action="store_true", help="Print the service names, one per line.")
    p.add_argument("--volumes", action="store_true", help="Print the volume names, one per line.")


def _validate_options(p: argparse.ArgumentParser) -> None:
    _add_project_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="Diagnostics format.")
    p.add_argument("--strict", action="store_true", help="Warnings fail the check too.")


def _convert_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-t", "--to", metavar="TARGET",
                   help="Target: kubernetes, swarm or docker-run (see `composeconv targets`).")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="FILE for one file; DIR/ (or an existing folder) for one file per object. Default: stdout.")
    _add_project_options(p)
    p.add_argument("--strict", action=argparse.BooleanOptionalAction,
                   help="Exit 1 when the conversion reports any warning.")
    p.add_argument("--format", choices=("yaml", "json"), help="Manifest format (kubernetes): yaml or json.")
    p.add_argument("-n", "--namespace", metavar="NAME", help="Kubernetes namespace.")
    p.add_argument("--inline-secrets", action=argparse.BooleanOptionalAction,
                   help="Write secret values into the output.")
    p.add_argument("-O", "--option", action="append", metavar="KEY=VALUE",
                   help="Backend option KEY=VALUE (repeatable).")
    p.add_argument("--check", action="store_true",
                   help="Write nothing; exit 1 with a diff when the output differs from what would be written.")
    p.add_argument("--diagnostics", choices=("text", "json", "sarif"),
                   help="How diagnostics are printed to stderr: text, json or sarif.")
    p.add_argument("--config", metavar="FILE",
                   help="Settings file (default: composeconv.toml or pyproject.toml [tool.composeconv]).")
    p.add_argument("--layout", metavar="LAYOUT",
                   help="Packaging of Kubernetes output: plain (default), helm or kustomize.")


# name -> (function, its options); the order is the order of `composeconv --help`
COMMANDS = {"config": (config, _config_options), "validate": (validate, _validate_options),
            "convert": (convert, _convert_options), "targets": (list_targets, None), "version": (version, None)}


def parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The argument parser; with only, the other commands are listed but get no options (a faster start)."""
    top = argparse.ArgumentParser(prog="composeconv", description=DESCRIPTION, allow_abbrev=False,
                                  formatter_class=_help_formatter)
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, options) in COMMANDS.items():
        doc = (func.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc, description=doc, allow_abbrev=False, formatter_class=_help_formatter)
        p.set_defaults(run=func)
        if options is not None and (only is None or only == name):
            options(p)
    return top


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; returns its exit code (usage errors included) instead of exiting."""
    words = list(sys.argv[1:] if argv is None else argv)
    top = parser(words[0] if words and words[0] in COMMANDS else None)
    try:
        args = top.parse_args(words)
    except SystemExit as e:  # argparse has printed the usage error or the help
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if getattr(args, "run", None) is None:
        top.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        args.run(args)
    except Exit as e:
        return e.code
    return EXIT_OK


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    # One run is short-lived and builds data without reference cycles: the cyclic collector would only
    # walk an ever larger heap (15-25% of a 5,000-service conversion) and free nothing. Peak memory
    # measured the same with it off (docs/performance.md). Library callers keep their own setting.
    gc.disable()
    try:
        _utf8_streams()
        code = run()
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - last-resort guard for the documented exit codes
        sys.stderr.write(f"composeconv: internal error: {type(e).__name__}: {e}\n")
        sys.exit(EXIT_INVALID)
    sys.exit(code)
