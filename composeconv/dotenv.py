"""Env-file parsing as Docker Compose does it: compose-go's dotenv format and the CLI's `raw` format."""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .diagnostics import ComposeError, Diagnostic, Level, Position
from .interpolation import InterpolationError, InvalidTemplateError, substitute
from .lazyre import lazy

__all__ = ["ENV_FILE_FORMATS", "parse_env_file", "parse_raw_env_file", "read_env_file"]

Lookup = Callable[[str], "str | None"]

# Go's unicode.IsSpace; Python's str.isspace() also accepts \x1c-\x1f, which Go does not.
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                      "\u200a\u2028\u2029\u202f\u205f\u3000")
# the dotenv parser's own isSpace: blanks that are not line breaks
_BLANK = frozenset("\t\v\f\r \x85\xa0")
_EXPORT = lazy(r"export[\t\n\f\r ]+")
_ESCAPE = lazy(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}


class _EnvError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def _go_quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


def _lstrip(s: str, chars: frozenset[str]) -> str:
    i = 0
    while i < len(s) and s[i] in chars:
        i += 1
    return s[i:]


def _rstrip(s: str, chars: frozenset[str]) -> str:
    i = len(s)
    while i and s[i - 1] in chars:
        i -= 1
    return s[:i]


def _is_name_char(ch: str) -> bool:
    return ch in "_.-[]" or ch.isalpha() or unicodedata.category(ch).startswith("N")


def _unescape(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "\\$":
        return "$$"  # interpolation's own escape, so that "\$x" stays a literal "$x"
    if text.startswith("\\0"):
        # "\0123" means octal 123; anything else after the rewrite is not a valid escape and stays as is
        text = "\\" + text[2:]
        digits = text[1:]
        if len(digits) == 3 and int(digits, 8) <= 255 and all(c in "01234567" for c in digits):
            return chr(int(digits, 8))
        return text
    return _SIMPLE_ESCAPES.get(text[1], text)


class _Parser:
    """compose-go's dotenv parser, including how it counts lines for its messages.

    It reads by index into one string (compose-go slices the rest of the file, which costs nothing in
    Go but copies in Python), so a long file takes linear time.
    """

    def __init__(self, vars: dict[str, str], lookup: Lookup | None, on_unset: Callable[[str], None] | None):
        self.line = 1
        self.vars, self.lookup, self.on_unset = vars, lookup or (lambda _k: None), on_unset

    def parse(self, src: str) -> None:
        pos, end = 0, len(src)
        while True:
            pos = self._statement_start(src, pos)
            if pos >= end:
                return
            key, pos, inherited = self._key_name(src, pos)
            if " " in key:
                raise _EnvError(f"line {self.line}: key cannot contain a space", self.line)
            if inherited:
                value = self.lookup(key)
                if value is not None:
                    self.vars[key] = value
                continue
            value, pos = self._value(src, pos)
            self.vars[key] = value

    def _statement_start(self, src: str, pos: int) -> int:
        """Where the next statement starts (after blanks and comments), or len(src) when none does."""
        end = len(src)
        while True:
            i = pos
            while i < end and src[i] in _GO_SPACE:
                if src[i] == "\n":
                    self.line += 1
                i += 1
            if i >= end or src[i] != "#":
                return i
            nl = src.find("\n", i)
            if nl == -1:
                return end
            pos = nl

    def _key_name(self, src: str, pos: int) -> tuple[str, int, bool]:
        if _EXPORT.match(src, pos):
            pos += len("export")
            while pos < len(src) and src[pos] in _BLANK:
                pos += 1
        key, offset, inherited = "", pos, False
        for i in range(pos, len(src)):
            ch = src[i]
            if ch in _BLANK:
                continue
            if ch in "=:\n":
                key, offset, inherited = src[pos:i], i + 1, ch == "\n"
                break
            if not _is_name_char(ch):
                nl = src.find("\n", pos)
                raise _EnvError(f"line {self.line}: unexpected character {_go_quote(ch)} in variable name "
                                f"{_go_quote(src[pos:nl if nl >= 0 else len(src)])}", self.line)
        if pos >= len(src):
            raise _EnvError("zero length string", self.line)
        if inherited and " " not in key:
            self.line += 1
        while offset < len(src) and src[offset] in _BLANK:
            offset += 1
        return _rstrip(key, _GO_SPACE), offset, inherited

    def _value(self, src: str, pos: int) -> tuple[str, int]:
        quote = src[pos:pos + 1]
        if quote not in ("'", '"'):
            nl = src.find("\n", pos)
            value, after = (src[pos:], len(src)) if nl < 0 else (src[pos:nl], nl + 1)
            self.line += 1
            value = _rstrip(value.split(" #", 1)[0], _GO_SPACE)
            return self._expand(value), after
        escaped = False
        chars: list[str] = []
        for i in range(pos + 1, len(src)):
            ch = src[i]
            if ch == "\n":
                self.line += 1
            if ch != quote:
                if not escaped and ch == "\\":
                    escaped = True
                    continue
                if escaped:
                    escaped = False
                    chars.append("\\")
                chars.append(ch)
                continue
            if escaped:  # \" or \' keeps the quote, without its backslash
                escaped = False
                chars.append(ch)
                continue
            value = "".join(chars)
            if quote == '"':
                value = self._expand(_ESCAPE.sub(_unescape, value))
            return value, i + 1
        nl = src.find("\n", pos)
        first_line = src[pos:nl if nl >= 0 else len(src)]
        raise _EnvError(f"line {self.line}: unterminated quoted value {first_line}", self.line)

    def _expand(self, value: str) -> str:
        def lookup(name: str) -> str | None:
            found = self.lookup(name)
            return found if found is not None else self.vars.get(name)

        try:
            return substitute(value, lookup, on_unset=self.on_unset)
        except InvalidTemplateError as err:
            raise _EnvError(f"Invalid template: {_go_quote(err.template)}", None) from None
        except InterpolationError as err:
            raise _EnvError(str(err), None) from None


def parse_env_file(text: str, filename: str, lookup: Lookup | None = None, format: str | None = None, *,
                   vars: dict[str, str] | None = None,
                   warnings: list[Diagnostic] | None = None) -> dict[str, str]:
    """Parse an env file and return vars (a new dict unless one is given), as Compose reads `env_file`.

    format is None/"" or ".env" (compose-go's dotenv format) or "raw" (see parse_raw_env_file).
    In the dotenv format, `${VAR}` in unquoted and double-quoted values resolves through lookup first and
    then the keys already in vars (earlier lines, or earlier files when the same dict is passed again),
    exactly as Compose does; a bare `VAR` line takes its value from lookup only, and is left out when
    lookup has none. Errors raise ComposeError (code "env-file-syntax") whose message is compose-go's,
    without the "failed to read <file>: " that Compose puts in front; the position has the line.
    """
    if format not in (None, "", ".env"):
        if format == "raw":
            return parse_raw_env_file(text, filename, lookup, vars=vars)
        raise ComposeError(Diagnostic("env-file-format", Level.ERROR, f'unsupported env_file format "{format}"',
                                      position=Position(filename)))
    out: dict[str, str] = {} if vars is None else vars
    text = text[1:] if text.startswith("\ufeff") else text

    def unset(name: str) -> None:
        if warnings is not None:
            warnings.append(Diagnostic("interpolation-unset", Level.WARNING,
                                       f'The "{name}" variable is not set. Defaulting to a blank string.',
                                       position=Position(filename)))

    parser = _Parser(out, lookup, unset)
    try:
        parser.parse(text)
    except _EnvError as err:
        raise ComposeError(Diagnostic("env-file-syntax", Level.ERROR, err.message,
                                      position=Position(filename, err.line))) from None
    return out


def parse_raw_env_file(text: str | bytes, filename: str, lookup: Lookup | None = None, *,
                       vars: dict[str, str] | None = None) -> dict[str, str]:
    """Parse an env file in the `raw` format (`docker run --env-file`): no quotes, escapes or expansion.

    Messages lack the "failed to parse env_file <file>: " that Compose puts in front.
    """
    out: dict[str, str] = {} if vars is None else vars
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _raw_error(filename, number, f"invalid utf8 bytes at line {number}: "
                                               f"[{' '.join(str(b) for b in raw)}]") from None
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = _lstrip(line, _GO_SPACE)
        if not line or line[0] == "#":
            continue
        key, sep, _ = line.partition("=")
        if not key:
            raise _raw_error(filename, number, f"no variable name on line '{line}'")
        if " " in key or "\t" in key:
            raise _raw_error(filename, number, f"variable '{key}' contains whitespaces")
        if sep:
            out[key] = line[len(key) + 1:]
        elif lookup is not None:
            value = lookup(line)
            if value is not None:
                out[key] = value
    return out


def _raw_error(filename: str, line: int, message: str) -> ComposeError:
    return ComposeError(Diagnostic("env-file-syntax", Level.ERROR, message, position=Position(filename, line)))


ENV_FILE_FORMATS = (".env", "raw")


def read_env_file(data: bytes, filename: str, lookup: Lookup | None = None, *, format: str | None = None,
                  vars: dict[str, str] | None = None) -> dict[str, str]:
    """Parse env-file bytes in the named format; raw keeps the bytes so invalid UTF-8 is reported as Compose does."""
    if format == "raw":
        return parse_raw_env_file(data, filename, lookup, vars=vars)
    return parse_env_file(data.decode("utf-8", "replace"), filename, lookup, format, vars=vars)
