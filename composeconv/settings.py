"""Options from a config file, so CI and people run the same conversion.

composeconv reads `composeconv.toml` (keys at the top level, or under [tool.composeconv]) or the
[tool.composeconv] table of `pyproject.toml`, in the current folder. Command-line flags win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .diagnostics import ComposeError, Diagnostic, Level

# key -> expected Python type(s); documented in docs/ci.md
KEYS: dict[str, tuple[type, ...]] = {
    "file": (list,), "project_name": (str,), "project_directory": (str,), "env_file": (list,),
    "profile": (list,), "to": (str,), "output": (str,), "namespace": (str,), "strict": (bool,),
    "inline_secrets": (bool,), "format": (str,), "layout": (str,), "diagnostics": (str,),
    "options": (dict,),
}


def _error(path: Path, message: str) -> ComposeError:
    return ComposeError(Diagnostic("config-file", Level.ERROR, f"{path}: {message}"))


def find(folder: Path, explicit: str | None = None) -> tuple[Path | None, dict[str, Any]]:
    """The config file that applies in folder and its settings ({} when there is none)."""
    if explicit:
        candidates = [Path(explicit)]
    else:
        candidates = [folder / "composeconv.toml", folder / "pyproject.toml"]
    for path in candidates:
        if not path.is_file():
            if explicit:
                raise _error(path, "config file not found")
            continue
        import tomllib  # here: most runs have no settings file

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise _error(path, f"invalid TOML: {e}") from None
        table = data.get("tool", {}).get("composeconv")
        if table is None and path.name != "pyproject.toml":
            table = {k: v for k, v in data.items() if k != "tool"}
        if table is None:
            continue
        return path, validate(path, table)
    return None, {}


def validate(path: Path, table: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in table.items():
        norm = key.replace("-", "_")
        if norm not in KEYS:
            from .suggest import suggest

            hint = suggest(norm, list(KEYS))
            raise _error(path, f"unknown setting {key!r}" + (f"; did you mean {hint!r}?" if hint else ""))
        if isinstance(value, str) and norm in ("file", "env_file", "profile"):
            value = [value]
        if not isinstance(value, KEYS[norm]):
            raise _error(path, f"setting {key!r} must be a {KEYS[norm][0].__name__}")
        out[norm] = value
    return out
