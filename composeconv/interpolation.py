"""Compose variable interpolation (`${VAR:-default}` and friends) and the type casts that follow it."""

from __future__ import annotations

import math
import re
import struct
from typing import Any, Callable

from .diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from .sourcemap import SourceMap
from .lazyre import lazy

__all__ = ["CAST_PATHS", "MAX_NESTING", "InterpolationError", "InvalidTemplateError", "MissingRequiredError",
           "NestingTooDeepError", "cast_for_path", "interpolate_tree", "substitute"]

Lookup = Callable[[str], "str | None"]

# compose-go's template pattern is \$(?:(\$)|([_a-z][_a-z0-9]*)|\{(?:([_a-z][_a-z0-9]*(?::?[-+?](?:.*))?)\}|()))
# ("$$", "$NAME", "${...}" or an invalid "${"); its greedy (.*) makes one match run to the last "}" on the
# line, which Compose then cuts back at the balancing brace. substitute() follows this grammar by index
# instead of matching it (see _Expander).
_NAME = lazy(r"[_a-z][_a-z0-9]*", re.IGNORECASE)


class InterpolationError(Exception):
    """A template that cannot be expanded."""


class InvalidTemplateError(InterpolationError):
    def __init__(self, template: str = "") -> None:
        super().__init__(f"Invalid template: {template!r}")
        self.template = template


class MissingRequiredError(InterpolationError):
    def __init__(self, variable: str, reason: str) -> None:
        text = f"required variable {variable} is missing a value"
        super().__init__(f"{text}: {reason}" if reason else text)
        self.variable, self.reason = variable, reason


# Nesting of `${VAR:-${OTHER:-...}}` beyond this is refused: each level is expanded on its own, and
# unbounded nesting would let one string make the expansion as deep as it is long.
MAX_NESTING = 64


class NestingTooDeepError(InterpolationError):
    def __init__(self, limit: int = MAX_NESTING) -> None:
        super().__init__(f"variable substitutions nest more than {limit} levels deep")
        self.limit = limit


def substitute(template: str, lookup: Lookup, *, on_unset: Callable[[str], None] | None = None) -> str:
    """Expand variables in template exactly as compose-go v2.9.1 (Docker Compose v2.40.3) does.

    lookup returns a variable's value, or None when it is unset. on_unset is told the name of each unset
    variable that expands to "" without a default (where Compose logs a warning).
    Raises InvalidTemplateError or MissingRequiredError (the first one met, as Compose does), or
    NestingTooDeepError when substitutions nest more than MAX_NESTING levels.

    Compose expands with a regular expression, recursing into the default of `${A:-default}` and into
    what follows its balancing brace. This is the same expansion done by index over one string: the
    text after a balancing brace is handled in the same loop rather than by recursion, and the
    balancing braces are found in one pass, so time stays linear in the length of the template and
    recursion is bounded by the nesting of substitutions.
    """
    if "$" not in template:
        return template
    return _Expander(template, lookup, on_unset).expand(0, len(template), 0)


class _Expander:
    """One expansion of one template; windows are index ranges into it."""

    __slots__ = ("text", "lookup", "on_unset", "_closes")

    def __init__(self, text: str, lookup: Lookup, on_unset: Callable[[str], None] | None) -> None:
        self.text, self.lookup, self.on_unset = text, lookup, on_unset
        self._closes: dict[int, int] | None = None

    def _close(self, start: int, end: int) -> int:
        """compose-go's getFirstBraceClosingIndex on text[start:end] (start is a "$" before "{"), as an
        index into text, or -1. The scan counts "{" and "}" but skips the character after each counted
        "{"; what is skipped does not depend on where a scan starts (it starts at a "$", which is not
        a brace), so one pass matches every counted "{" with its "}" for all scans at once."""
        closes = self._closes
        if closes is None:
            closes = self._closes = {}
            opened: list[int] = []
            after_open = -2
            for m in _BRACES.finditer(self.text):
                at = m.start()
                if at == after_open + 1:
                    continue  # the character after a counted "{"
                if m.group() == "{":
                    opened.append(at)
                    after_open = at
                elif opened:
                    closes[opened.pop()] = at
        close = closes.get(start + 1, -1)
        return close if close < end else -1

    def expand(self, lo: int, hi: int, depth: int) -> str:
        """The expansion of text[lo:hi], inside depth substitutions; raises the first error met, after
        looking at all of it."""
        text, lookup, on_unset = self.text, self.lookup, self.on_unset
        out: list[str] = []
        first: InterpolationError | None = None
        # the window being read, and the ones suspended while the text after a balancing brace is read
        suspended: list[tuple[int, int, int, int]] = []
        line_end = last_brace = -1  # for the current window: end of the line being read, its last "}"
        pos = lo
        while True:
            i = text.find("$", pos, hi)
            if i < 0:
                out.append(text[pos:hi])
                if not suspended:
                    break
                pos = hi  # the window ended where the match that opened it ended
                lo, hi, line_end, last_brace = suspended.pop()
                continue
            out.append(text[pos:i])
            nxt = text[i + 1:i + 2] if i + 1 < hi else ""
            if nxt == "$":
                out.append("$")
                pos = i + 2
                continue
            if nxt != "{":
                m = _NAME.match(text, i + 1, hi)
                if m is None:  # a "$" that starts nothing
                    out.append("$")
                    pos = i + 1
                    continue
                pos = m.end()
                value = lookup(m.group())
                if value is None:
                    if on_unset:
                        on_unset(m.group())
                    value = ""
                out.append(value)
                continue
            m = _NAME.match(text, i + 2, hi)
            j = m.end() if m is not None else -1
            op = ""
            if m is not None:
                if text.startswith(":", j, hi) and text[j + 1:j + 2] in ("-", "+", "?") and j + 1 < hi:
                    op = ":" + text[j + 1]
                elif j < hi and text[j] in "-+?":
                    op = text[j]
            end = -1
            if op:  # `${NAME<op>...}` runs to the last "}" of its line
                k = j + len(op)
                if k >= line_end:
                    nl = text.find("\n", k, hi)
                    line_end = hi if nl < 0 else nl
                    last_brace = text.rfind("}", k, line_end)
                if last_brace >= k:
                    end = last_brace + 1
            if end < 0 and m is not None and j < hi and text[j] == "}":
                op, end = "", j + 1
            elif end < 0:  # an invalid "${"
                if first is None:
                    first = InvalidTemplateError(text[lo:hi])
                pos = i + 2
                continue
            name = m.group()
            if not op:
                pos = end
                value = lookup(name)
                if value is None:
                    if on_unset:
                        on_unset(name)
                    value = ""
                out.append(value)
                continue
            close = self._close(i, end)
            arg_lo, arg_hi = j + len(op), (close if close >= 0 else end - 1)
            pos = end
            try:
                if depth >= MAX_NESTING:  # depth substitutions enclose this one
                    raise NestingTooDeepError()
                arg = self.expand(arg_lo, arg_hi, depth + 1) if text.find("$", arg_lo, arg_hi) >= 0 \
                    else text[arg_lo:arg_hi]
                out.append(_apply_operator(name, op, arg, lookup))
            except InterpolationError as err:
                if first is None:
                    first = err
                continue  # Compose skips the rest of a substitution that failed
            if close >= 0 and close + 1 < end:  # the text after the balancing brace, read as a template
                if end < hi:
                    suspended.append((lo, hi, line_end, last_brace))
                lo, hi, pos = close + 1, end, close + 1
                line_end, last_brace = hi, hi - 1  # one line, ending with its last brace
        if first is not None:
            raise first
        return "".join(out)


_BRACES = lazy(r"[{}]")


def _apply_operator(name: str, op: str, arg: str, lookup: Lookup) -> str:
    # v2.9.1 expands the default/alternative/message before looking at the variable, so an error (or an
    # unset-variable warning) inside it counts even when it is not used.
    value = lookup(name)
    if op in (":-", "-"):
        return arg if value is None or (op == ":-" and value == "") else value
    if op in (":+", "+"):
        return arg if value is not None and (op == "+" or value != "") else (value or "")
    if value is None or (op == ":?" and value == ""):
        raise MissingRequiredError(name, arg)
    return value


# ---------------------------------------------------------------- type casts after interpolation

# compose-go v2.9.1 loader/interpolate.go: path pattern ("*" any key, "[]" any list item) -> cast.
CAST_PATHS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (("services", "*") + tuple(p.split(".")), kind) for p, kind in (
        ("cpu_count", "int64"), ("cpu_percent", "float"), ("cpu_period", "int64"), ("cpu_quota", "int64"),
        ("cpu_rt_period", "int64"), ("cpu_rt_runtime", "int64"), ("cpus", "float32"), ("cpu_shares", "int64"),
        ("init", "bool"), ("deploy.replicas", "int"), ("deploy.update_config.parallelism", "int"),
        ("deploy.update_config.max_failure_ratio", "float"), ("deploy.rollback_config.parallelism", "int"),
        ("deploy.rollback_config.max_failure_ratio", "float"), ("deploy.restart_policy.max_attempts", "int"),
        ("deploy.placement.max_replicas_per_node", "int"), ("healthcheck.retries", "int"),
        ("healthcheck.disable", "bool"), ("oom_kill_disable", "bool"), ("oom_score_adj", "int64"),
        ("pids_limit", "int64"), ("ports.[].target", "int"), ("privileged", "bool"), ("read_only", "bool"),
        ("scale", "int"), ("stdin_open", "bool"), ("tty", "bool"), ("ulimits.*", "int"),
        ("ulimits.*.hard", "int"), ("ulimits.*.soft", "int"), ("volumes.[].read_only", "bool"),
        ("volumes.[].volume.nocopy", "bool"))
) + tuple(((top, "*", key), "bool") for top, key in (
    ("networks", "external"), ("networks", "internal"), ("networks", "attachable"), ("networks", "enable_ipv4"),
    ("networks", "enable_ipv6"), ("volumes", "external"), ("secrets", "external"), ("configs", "external")))

_TRUE, _FALSE = ("y", "yes", "on"), ("n", "no", "off")
_DECIMAL = lazy(r"[+-]?[0-9]+\Z")
_GO_FLOAT = lazy(r"[+-]?(?:(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)"
                       r"(?:[eE][+-]?[0-9](?:_?[0-9])*)?"
                       r"|0[xX](?:_?[0-9a-fA-F])*(?:\.[0-9a-fA-F]*)?[pP][+-]?[0-9](?:_?[0-9])*)\Z")
_SPECIAL_FLOAT = lazy(r"(?i)[+-]?(?:inf|infinity)\Z|nan\Z")


class _CastError(Exception):
    pass


def _to_int(value: str, func: str = "strconv.Atoi") -> int:
    if not _DECIMAL.match(value):
        raise _CastError(f'{func}: parsing "{value}": invalid syntax')
    v = int(value)
    if not -(1 << 63) <= v < (1 << 63):
        raise _CastError(f'{func}: parsing "{value}": value out of range')
    return v


def _to_float(value: str, bits: int = 64) -> float:
    err = f'strconv.ParseFloat: parsing "{value}": '
    if _SPECIAL_FLOAT.match(value):
        return float(value.lower().replace("infinity", "inf"))
    if not _GO_FLOAT.match(value):
        raise _CastError(err + "invalid syntax")
    plain = value.replace("_", "")
    v = float.fromhex(plain) if "x" in plain.lower() else float(plain)
    if bits == 32 and not math.isinf(v):
        v32 = struct.unpack("f", struct.pack("f", v))[0] if abs(v) < 3.4028235677973366e38 else math.inf
        if not math.isinf(v32):
            # the shortest decimal that reads back as the same float32, as Go prints a float32
            v = next(float(t) for t in (f"{v32:.{p}g}" for p in range(1, 10))
                     if struct.unpack("f", struct.pack("f", float(t)))[0] == v32)
        else:
            v = v32
    if math.isinf(v):
        raise _CastError(err + "value out of range")
    return v


def _to_bool(value: str, warn: Callable[[str], None] | None) -> bool:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in _TRUE or low in _FALSE:
        if warn:
            quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            warn(f"{quoted} for boolean is not supported by YAML 1.2, please use `{'true' if low in _TRUE else 'false'}`")
        return low in _TRUE
    raise _CastError(f"invalid boolean: {value}")


def _cast(kind: str, value: str, warn: Callable[[str], None] | None) -> Any:
    if kind == "bool":
        return _to_bool(value, warn)
    if kind == "int":
        return _to_int(value)
    if kind == "int64":
        return _to_int(value, "strconv.ParseInt")
    return _to_float(value, 32 if kind == "float32" else 64)


def _build_trie() -> dict:
    trie: dict = {}
    for pattern, kind in CAST_PATHS:
        node = trie
        for part in pattern:
            node = node.setdefault(part, {})
        node[None] = kind
    return trie


_TRIE = _build_trie()


def cast_for_path(path: KeyPath) -> str | None:
    """The cast ("int", "int64", "float", "float32", "bool") compose-go applies to a string at path."""
    nodes = [_TRIE]
    for part in path:
        key = "[]" if isinstance(part, int) else part
        nodes = [n[k] for n in nodes for k in {key, "*"} if k in n and k is not None]
        if not nodes:
            return None
    return next((n[None] for n in nodes if None in n), None)


def _go_path(path: KeyPath) -> str:
    return ".".join("[]" if isinstance(p, int) else str(p) for p in path)


def interpolate_tree(data: Any, lookup: Lookup, sourcemap: SourceMap | None = None, *,
                     warnings: list[Diagnostic] | None = None, filename: str | None = None) -> Any:
    """Interpolate every string value (never a mapping key) of a loaded document, then apply CAST_PATHS.

    Returns new containers; data is not modified. Every failure is collected and raised together as one
    ComposeError whose diagnostics carry the key path, the position (from sourcemap) and compose-go's text.
    Unset-variable and YAML 1.1 boolean warnings are appended to warnings when given.
    """
    errors: list[Diagnostic] = []

    def where(path: KeyPath) -> Position | None:
        pos = sourcemap.get(path) if sourcemap is not None else None
        return Position(filename) if pos is None and filename else pos

    def warn_for(path: KeyPath) -> tuple[Callable[[str], None] | None, Callable[[str], None] | None]:
        if warnings is None:
            return None, None

        def unset(name: str) -> None:
            warnings.append(Diagnostic("interpolation-unset", Level.WARNING,
                                       f'The "{name}" variable is not set. Defaulting to a blank string.',
                                       tuple(path), where(path)))

        def boolean(text: str) -> None:
            warnings.append(Diagnostic("interpolation-yaml11-bool", Level.WARNING, text, tuple(path), where(path)))
        return unset, boolean

    def walk(value: Any, path: tuple, nodes: list[dict]) -> Any:
        t = type(value)
        if t is str:
            on_unset, on_bool = warn_for(path) if "$" in value else (None, None)
            try:
                new = substitute(value, lookup, on_unset=on_unset) if "$" in value else value
            except InvalidTemplateError as err:
                errors.append(Diagnostic("interpolation-syntax", Level.ERROR,
                                         f"invalid interpolation format for {_go_path(path)}.\nYou may need to "
                                         f"escape any $ with another $.\n{err.template}", path, where(path)))
                return value
            except MissingRequiredError as err:
                errors.append(Diagnostic("interpolation-required", Level.ERROR,
                                         f"error while interpolating {_go_path(path)}: {err}", path, where(path)))
                return value
            except NestingTooDeepError as err:
                errors.append(Diagnostic("interpolation-too-deep", Level.ERROR,
                                         f"error while interpolating {_go_path(path)}: {err}", path, where(path),
                                         "composeconv refuses deeper nesting, which Compose would expand"))
                return value
            kind = next((n[None] for n in nodes if None in n), None)
            if kind is None:
                return new
            if on_bool is None and warnings is not None:
                on_bool = warn_for(path)[1]
            try:
                return _cast(kind, new, on_bool)
            except _CastError as err:
                errors.append(Diagnostic("interpolation-cast", Level.ERROR,
                                         f"error while interpolating {_go_path(path)}: failed to cast to expected "
                                         f"type: {err}", path, where(path)))
                return new
        if t is dict:
            out = {}
            for k, v in value.items():
                sub = [n[x] for n in nodes for x in (k, "*") if x in n] if nodes else nodes
                out[k] = walk(v, path + (k,), sub)
            return out
        if t is list:
            sub = [n["[]"] for n in nodes if "[]" in n] if nodes else nodes
            return [walk(v, path + (i,), sub) for i, v in enumerate(value)]
        return value

    result = walk(data, (), [_TRIE])
    if errors:
        raise ComposeError(errors)
    return result
