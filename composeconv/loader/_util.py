"""Small helpers shared by the loader modules: Go-style value rendering and error raising."""

from __future__ import annotations

from typing import Any, NoReturn

from ..diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from ..sourcemap import SourceMap

JSONDict = dict[str, Any]


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
