"""Env-file parsing as Docker Compose does it: compose-go's dotenv format and the CLI's `raw` format."""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .diagnostics import ComposeError, Diagnostic, Level, Position
from .interpolation import InterpolationError, InvalidTemplateError, substitute

__all__ = ["ENV_FILE_FORMATS", "parse_env_file", "parse_raw_env_file", "read_env_file"]

Lookup = Callable[[str], "str | None"]

# Go's unicode.IsSpace; Python's str.isspace() also accepts \x1c-\x1f, which Go does not.
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                      "\u200a\u2028\u2029\u202f\u205f\u3000")
# the dotenv parser's own isSpace: blanks that are not line breaks
_BLANK = frozenset("\t\v\f\r \x85\xa0")
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
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
    """compose-go's dotenv parser, including how it counts lines for its messages."""

    def __init__(self, vars: dict[str, str], lookup: Lookup | None, on_unset: Callable[[str], None] | None):
        self.line = 1
        self.vars, self.lookup, self.on_unset = vars, lookup or (lambda _k: None), on_unset

    def parse(self, src: str) -> None:
        cut = src
        while True:
            cut = self._statement_start(cut)
            if cut == "":
                return
            key, rest, inherited = self._key_name(cut)
            if " " in key:
                raise _EnvError(f"line {self.line}: key cannot contain a space", self.line)
            if inherited:
                value = self.lookup(key)
                if value is not None:
                    self.vars[key] = value
                cut = rest
                continue
            value, cut = self._value(rest)
            self.vars[key] = value

    def _statement_start(self, src: str) -> str:
        while True:
            pos = -1
            for i, ch in enumerate(src):
                if ch not in _GO_SPACE:
                    pos = i
                    break
                if ch == "\n":
                    self.line += 1
            if pos == -1:
                return ""
            src = src[pos:]
            if src[0] != "#":
                return src
            nl = src.find("\n")
            if nl == -1:
                return ""
            src = src[nl:]

    def _key_name(self, src: str) -> tuple[str, str, bool]:
        if _EXPORT.match(src):
            src = _lstrip(src[len("export"):], _BLANK)
        key, offset, inherited = "", 0, False
        for i, ch in enumerate(src):
            if ch in _BLANK:
                continue
            if ch in "=:\n":
                key, offset, inherited = src[:i], i + 1, ch == "\n"
                break
            if not _is_name_char(ch):
                raise _EnvError(f"line {self.line}: unexpected character {_go_quote(ch)} in variable name "
                                f"{_go_quote(src.split(chr(10))[0])}", self.line)
        if src == "":
            raise _EnvError("zero length string", self.line)
        if inherited and " " not in key:
            self.line += 1
        return _rstrip(key, _GO_SPACE), _lstrip(src[offset:], _BLANK), inherited

    def _value(self, src: str) -> tuple[str, str]:
        quote = src[:1]
        if quote not in ("'", '"'):
            value, _, rest = src.partition("\n")
            self.line += 1
            value = _rstrip(value.split(" #", 1)[0], _GO_SPACE)
            return self._expand(value), rest
        escaped = False
        chars: list[str] = []
        for i in range(1, len(src)):
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
            return value, src[i + 1:]
        first_line = src.split("\n", 1)[0]
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
