"""Diagnostics as data: code, level, message, source position and key path."""

from __future__ import annotations

import enum
from typing import Iterable, Sequence

from .records import field, record


class Level(enum.IntEnum):
    """How serious a diagnostic is; ordered so that max() picks the worst."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    def __str__(self) -> str:  # "warning", not "Level.WARNING"
        return self.name.lower()


@record
class Position:
    """A place in a source file; line and column are 1-based."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


KeyPath = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """Render a key path the way users read it: services.web.ports[1]."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            text = str(part)
            if out and (not text or any(c in text for c in ".[] ")):
                out.append(f"[{text!r}]")
            else:
                out.append(("." if out else "") + text)
    return "".join(out)


@record
class Diagnostic:
    """One finding about the input or the conversion."""

    code: str
    level: Level
    message: str
    path: KeyPath = ()
    position: Position | None = None
    hint: str | None = None

    @property
    def path_text(self) -> str:
        return format_path(self.path)

    def render(self) -> str:
        where = str(self.position) if self.position else "<input>"
        loc = f" [{self.path_text}]" if self.path else ""
        text = f"{where}: {self.level}: {self.code}: {self.message}{loc}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict:
        pos = self.position or Position()
        return {
            "level": str(self.level),
            "code": self.code,
            "message": self.message,
            "file": pos.file,
            "line": pos.line,
            "column": pos.column,
            "path": self.path_text,
            **({"hint": self.hint} if self.hint else {}),
        }


class ComposeError(Exception):
    """The one error type the library raises for bad input; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics) or "invalid input")


@record(frozen=False)
class Collector:
    """Accumulates diagnostics so one run reports all of them."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, d: Diagnostic) -> None:
        self.items.append(d)

    def error(self, code: str, message: str, path: KeyPath = (), position: Position | None = None,
              hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, Level.ERROR, message, tuple(path), position, hint))

    def warning(self, code: str, message: str, path: KeyPath = (), position: Position | None = None,
                hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, Level.WARNING, message, tuple(path), position, hint))

    def info(self, code: str, message: str, path: KeyPath = (), position: Position | None = None,
             hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, Level.INFO, message, tuple(path), position, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.level >= Level.ERROR for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ComposeError([d for d in self.items if d.level >= Level.ERROR])
