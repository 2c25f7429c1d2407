"""Reading Compose files, finding them as Compose does, and one source map over all of them."""

from __future__ import annotations

import os
from typing import Any

from ..diagnostics import ComposeError, KeyPath, Position
from ..sourcemap import SourceMap
from .deps import parse_yaml
from ._util import diagnostic
from .options import DEFAULT_FILE_NAMES, DEFAULT_OVERRIDE_FILE_NAMES


class LayeredSourceMap(SourceMap):
    """Positions for a merged document, looked up in the source map of each contributing file.

    A layer maps the output paths under `dst` to the paths under `src` of one file's source
    map; later layers win, so a key set by an override file points into that file. Lookups
    fall back to the nearest ancestor, as SourceMap.get does.
    """

    def __init__(self) -> None:
        super().__init__({})
        self.layers: list[tuple[KeyPath, Any, KeyPath]] = []

    def add_layer(self, sourcemap: Any, dst: KeyPath = (), src: KeyPath = (), low: bool = False) -> None:
        if sourcemap is None:
            return
        layer = (tuple(dst), sourcemap, tuple(src))
        if low:
            self.layers.insert(0, layer)
        else:
            self.layers.append(layer)

    def exact(self, path: KeyPath) -> Position | None:
        pos = self.positions.get(path)
        if pos is not None:
            return pos
        for dst, sm, src in reversed(self.layers):
            n = len(dst)
            if path[:n] == dst:
                pos = _exact(sm, src + path[n:])
                if pos is not None:
                    return pos
        return None

    def get(self, path: KeyPath) -> Position | None:  # type: ignore[override]
        path = tuple(path)
        while True:
            pos = self.exact(path)
            if pos is not None or not path:
                return pos
            path = path[:-1]


class DocumentSourceMap(SourceMap):
    """The source map of one parsed document, computed only when a position is asked for."""

    def __init__(self, document: Any) -> None:  # noqa: D107 - SourceMap.__init__ is not called on purpose
        self._document = document

    @property  # type: ignore[override]
    def positions(self) -> dict:
        return self._document.sourcemap.positions

    @positions.setter
    def positions(self, value: dict) -> None:  # pragma: no cover - never assigned
        raise AttributeError("read-only")

    def set(self, path: KeyPath, pos: Position) -> None:
        self.positions[tuple(path)] = pos


def _exact(sm: Any, path: KeyPath) -> Position | None:
    finder = getattr(sm, "exact", None) or getattr(sm, "get_exact", None)
    if finder is not None:
        return finder(path)
    positions = getattr(sm, "positions", None)
    if positions is not None:
        return positions.get(path)
    return None


def documents(content: bytes | str, filename: str) -> list[Any]:
    """Parse a file into its YAML documents (empty ones are skipped)."""
    first = parse_yaml(content, filename)
    if first.empty:
        return []
    return [first, *first.more]


def read_file(path: str, sm: SourceMap | None = None, referrer: KeyPath | None = None) -> bytes:
    """The bytes of a file, or a ComposeError positioned at the key that refers to it."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        message = f"open {path}: no such file or directory"
    except IsADirectoryError:
        message = f"read {path}: is a directory"
    except OSError as exc:
        message = f"open {path}: {exc.strerror}"
    except ValueError:  # a NUL character in the path: no such file can exist
        message = f"open {path!r}: invalid argument"
    where = tuple(referrer or ())
    pos = sm.get(where) if (sm is not None and referrer is not None) else Position(path)
    raise ComposeError(diagnostic("file-not-found", message, where, position=pos))


def find_files(names: tuple[str, ...], directory: str) -> list[str]:
    return [os.path.join(directory, n) for n in names if os.path.exists(os.path.join(directory, n))]


def discover(start: str) -> tuple[list[str], list[str]]:
    """compose.yaml (and its override) in start or the nearest parent; returns (files, warnings)."""
    warnings: list[str] = []
    directory = start
    while True:
        candidates = find_files(DEFAULT_FILE_NAMES, directory)
        if candidates:
            files = [candidates[0]]
            if len(candidates) > 1:
                warnings.append(f"Found multiple config files with supported names: {', '.join(candidates)}")
                warnings.append(f"Using {candidates[0]}")
            overrides = find_files(DEFAULT_OVERRIDE_FILE_NAMES, directory)
            if overrides:
                if len(overrides) > 1:
                    warnings.append(f"Found multiple override files with supported names: {', '.join(overrides)}")
                    warnings.append(f"Using {overrides[0]}")
                files.append(overrides[0])
            return files, warnings
        parent = os.path.dirname(directory)
        if parent == directory:
            return [], warnings
        directory = parent
