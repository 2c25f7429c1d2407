"""Compose variable interpolation (`${VAR:-default}` and friends) and the type casts that follow it."""

from __future__ import annotations

import math
import re
import struct
from typing import Any, Callable

from .diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from .sourcemap import SourceMap

__all__ = ["CAST_PATHS", "InterpolationError", "InvalidTemplateError", "MissingRequiredError", "cast_for_path",
           "interpolate_tree", "substitute"]

Lookup = Callable[[str], "str | None"]

# compose-go's template pattern: "$$", "$NAME", "${...}" or an invalid "${". The greedy (.*) makes one
# match run to the last "}" on the line; the replacement below cuts it back at the balancing brace.
_PATTERN = re.compile(r"\$(?:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*"
                      r"(?::?[-+?](?:.*))?)\}|(?P<invalid>)))", re.IGNORECASE)
_NAME = re.compile(r"[_a-z][_a-z0-9]*", re.IGNORECASE)


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


def substitute(template: str, lookup: Lookup, *, on_unset: Callable[[str], None] | None = None) -> str:
    """Expand variables in template exactly as compose-go v2.9.1 (Docker Compose v2.40.3) does.

    lookup returns a variable's value, or None when it is unset. on_unset is told the name of each unset
    variable that expands to "" without a default (where Compose logs a warning).
    Raises InvalidTemplateError or MissingRequiredError (the first one met, as Compose does).
    """
    if "$" not in template:
        return template
    first: list[InterpolationError] = []

    def replace(m: re.Match[str]) -> str:
        try:
            return _replacement(m.group(0), lookup, on_unset)
        except InterpolationError as err:
            if isinstance(err, InvalidTemplateError) and not err.template:
                err.template = template
                err.args = (f"Invalid template: {template!r}",)
            if not first:
                first.append(err)
            return ""

    result = _PATTERN.sub(replace, template)
    if first:
        raise first[0]
    return result


def _closing_brace(s: str) -> int:
    # compose-go's getFirstBraceClosingIndex, including its skip of the character after each "{"
    depth, i = 0, 0
    while i < len(s):
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        if s[i] == "{":
            depth += 1
            i += 1
        i += 1
    return -1


def _replacement(substring: str, lookup: Lookup, on_unset: Callable[[str], None] | None) -> str:
    close = _closing_brace(substring)
    rest = ""
    if close > -1:
        substring, rest = substring[:close + 1], substring[close + 1:]
    m = _PATTERN.search(substring)
    if m is None or m.group("invalid") is not None:
        raise InvalidTemplateError()
    if m.group("escaped"):
        return "$"
    name = m.group("named")
    if name is None:
        braced = m.group("braced")
        name = _NAME.match(braced).group(0)
        op_text = braced[len(name):]
        if op_text:
            op = ":" + op_text[1] if op_text[0] == ":" else op_text[0]
            value = _apply_operator(name, op, op_text[len(op):], lookup, on_unset)
            return value + substitute(rest, lookup, on_unset=on_unset)
    value = lookup(name)
    if value is None:
        if on_unset:
            on_unset(name)
        return ""
    return value


def _apply_operator(name: str, op: str, arg: str, lookup: Lookup, on_unset: Callable[[str], None] | None) -> str:
    # v2.9.1 expands the default/alternative/message before looking at the variable, so an error (or an
    # unset-variable warning) inside it counts even when it is not used.
    arg = substitute(arg, lookup, on_unset=on_unset)
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
_DECIMAL = re.compile(r"[+-]?[0-9]+\Z")
_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)"
                       r"(?:[eE][+-]?[0-9](?:_?[0-9])*)?"
                       r"|0[xX](?:_?[0-9a-fA-F])*(?:\.[0-9a-fA-F]*)?[pP][+-]?[0-9](?:_?[0-9])*)\Z")
_SPECIAL_FLOAT = re.compile(r"(?i)[+-]?(?:inf|infinity)\Z|nan\Z")


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
