"""Small helpers shared by the loader modules: Go-style value rendering and error raising."""

from __future__ import annotations

from typing import Any, NoReturn

from ..diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from ..sourcemap import SourceMap

JSONDict = dict[str, Any]


def go_type(value: Any) -> str:
    """The Go type name Compose prints (%T) for a decoded YAML value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__


def go_format_float(value: float) -> str:
    """Render a float as Go's %v does (strconv 'g' with the shortest representation)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        if len(digits) < 2:
            digits = "0" + digits
        return f"{mant}e{sign}{digits}"
    return text


def go_sprint(value: Any) -> str:
    """fmt.Sprint of a decoded YAML value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_format_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def dotted(path: KeyPath) -> str:
    """A key path the way Compose prints it in its messages: services.web.ports."""
    return ".".join(str(p) for p in path)


def position_of(sourcemap: SourceMap | None, path: KeyPath) -> Position | None:
    if sourcemap is None:
        return None
    try:
        return sourcemap.get(tuple(path))
    except Exception:  # a broken source map must never hide the real error
        return None


def diagnostic(code: str, message: str, path: KeyPath = (), sourcemap: SourceMap | None = None,
               position: Position | None = None, hint: str | None = None) -> Diagnostic:
    if position is None:
        position = position_of(sourcemap, path)
    return Diagnostic(code, Level.ERROR, message, tuple(path), position, hint)


def fail(code: str, message: str, path: KeyPath = (), sourcemap: SourceMap | None = None,
         position: Position | None = None, hint: str | None = None) -> NoReturn:
    """Raise a ComposeError carrying one diagnostic, positioned from the source map."""
    raise ComposeError(diagnostic(code, message, path, sourcemap, position, hint))


def deep_clone(value: Any) -> Any:
    """A copy of a plain YAML tree (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: deep_clone(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_clone(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def unshare(value: Any) -> Any:
    """Copy the containers a YAML alias made appear more than once, so in-place edits stay local."""
    seen: set[int] = set()
    stack = [value]
    seen.add(id(value))
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, (dict, list)):
                if id(child) in seen:
                    node[key] = child = deep_clone(child)
                seen.add(id(child))
                stack.append(child)
    return value
