"""Shell words for bash: literal quoting, words built from literals and variables, CSV fields."""

from __future__ import annotations

import re
from typing import Iterable, Union

from ...records import record

# Characters that never need quoting in a bash word (no globbing, expansion or word splitting).
_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# Characters that are written as escapes so that the script stays a readable text file.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def quote(text: str) -> str:
    """A bash word that expands to exactly `text`, whatever it holds (except NUL, which argv cannot carry).

    Plain text uses single quotes (nothing is special inside them but the quote itself, written
    as '\\''); text with control characters uses $'...' with three-digit octal escapes, so the
    script never holds a raw newline, carriage return or escape character inside a value.
    """
    if "\x00" in text:
        raise ValueError("a shell argument cannot contain NUL")
    if text and _SAFE.fullmatch(text):
        return text
    if not _CONTROL.search(text):
        return "'" + text.replace("'", "'\\''") + "'"
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif _CONTROL.match(ch):
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"


@record
class Var:
    """A shell variable expanded in place (always inside double quotes, never split or globbed)."""

    name: str


Part = Union[str, Var]


@record
class Word:
    """One argument: literal text and variables, concatenated without any splitting."""

    parts: tuple[Part, ...]

    @property
    def is_literal(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def literal(self) -> str:
        assert self.is_literal
        return "".join(p for p in self.parts if isinstance(p, str))

    def __add__(self, other: "Word | str") -> "Word":
        tail = other.parts if isinstance(other, Word) else (other,)
        return Word(_merge(self.parts + tail))

    def __radd__(self, other: str) -> "Word":
        return Word(_merge((other,) + self.parts))

    def render(self) -> str:
        """The bash text of this word."""
        if self.is_literal:
            return quote(self.literal)
        return "".join(quote(p) if isinstance(p, str) else '"${' + p.name + '}"' for p in self.parts if p != "")


def _merge(parts: Iterable[Part]) -> tuple[Part, ...]:
    out: list[Part] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        elif p != "":
            out.append(p)
    return tuple(out)


def word(*parts: Part | Word) -> Word:
    """A word from literals, variables and other words."""
    flat: list[Part] = []
    for p in parts:
        flat.extend(p.parts if isinstance(p, Word) else (p,))
    return Word(_merge(flat))


def csv_field(text: str) -> str:
    """One field of a comma-separated flag value as Go's encoding/csv reads it (--mount, --gpus, ...)."""
    if text == "" or any(c in text for c in ',"\r\n') or text[0] in " \t":
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_word(fields: Iterable[Word], prefix: str = "") -> "Word | CsvCall":
    """prefix + a CSV record of fields: quoted now when all are literal, else by the script at run time."""
    fields = list(fields)
    if all(f.is_literal for f in fields):
        return word(prefix + ",".join(csv_field(f.literal) for f in fields))
    return CsvCall(prefix, tuple(fields))


@record
class CsvCall:
    """A CSV record that holds run-time values: the script's csv_record function joins and quotes it."""

    prefix: str
    fields: tuple[Word, ...]

    @property
    def is_literal(self) -> bool:
        return False

    def render(self) -> str:
        head = quote(self.prefix) if self.prefix else ""
        return head + '"$(csv_record ' + " ".join(f.render() for f in self.fields) + ')"'


Arg = Union[Word, CsvCall]


def render_args(args: Iterable[Arg | str]) -> list[str]:
    """Render arguments; plain strings are literals."""
    return [quote(a) if isinstance(a, str) else a.render() for a in args]
