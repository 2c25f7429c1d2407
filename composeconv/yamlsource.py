"""Read Compose YAML the way Docker Compose (go-yaml v3 via compose-go) does, with lazy source positions."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import math
import re
from typing import Any, Callable, Iterable

import yaml
from yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

from .diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from .sourcemap import SourceMap
from .records import record
from .lazyre import lazy

try:  # libyaml is an order of magnitude faster than the pure-Python parser
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - exercised only without libyaml
    _CParser = None

__all__ = ["Document", "Limits", "Override", "Reset", "Timestamp", "apply_resets", "parse_yaml",
           "parse_yaml_all", "strip_markers"]


@record
class Limits:
    """Bounds that make hostile input fail fast instead of exhausting time or memory."""

    # Compose files are kilobytes; the benchmark stack of 5,000 services is 5.6 MB
    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 200
    max_nodes: int = 1_000_000  # alias-expanded node count


_NOFALLBACK = object()


class Reset:
    """A value tagged `!reset`; `fallback` is what a merge key supplied for the same key, if anything."""

    __slots__ = ("value", "fallback")

    def __init__(self, value: Any, fallback: Any = _NOFALLBACK) -> None:
        self.value, self.fallback = value, fallback

    def __repr__(self) -> str:
        return f"Reset({self.value!r})"


class Override:
    """A value tagged `!override`: it replaces, rather than merges with, what earlier files set."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Override({self.value!r})"


class Timestamp(_dt.datetime):
    """A plain scalar go-yaml decodes as time.Time; str() is Go's RFC 3339 (nanosecond) rendering."""

    nanosecond: int = 0

    def __str__(self) -> str:
        text = self.strftime("%Y-%m-%dT%H:%M:%S")
        if self.nanosecond:
            text += "." + f"{self.nanosecond:09d}".rstrip("0")
        mins = int(self.utcoffset().total_seconds()) // 60 if self.utcoffset() else 0
        return text + (f"{'-' if mins < 0 else '+'}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}" if mins else "Z")


# ---------------------------------------------------------------- scalars, as go-yaml v3's resolve.go

_STR, _INT, _FLOAT, _BOOL, _NULL, _TS = "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp"
_HINT = {"": "M", **{c: "D" for c in "0123456789"}, "+": "S", "-": "S", ".": ".", **{c: "M" for c in "yYnNtTfFoO~"}}
_WORDS: dict[str, tuple[str, Any]] = {
    **{w: (_BOOL, True) for w in ("true", "True", "TRUE")}, **{w: (_BOOL, False) for w in ("false", "False", "FALSE")},
    **{w: (_NULL, None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: (_FLOAT, math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{w: (_FLOAT, math.inf) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: (_FLOAT, -math.inf) for w in ("-.inf", "-.Inf", "-.INF")}}
_PLAIN_WORDS = {w: v for w, (_, v) in _WORDS.items()}
# Go's strconv.ParseInt(s, 0, 64) syntax, once go-yaml has dropped every "_"
_GO_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|(0[0-7]*)|([1-9][0-9]*))\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?\Z")  # what ParseFloat takes after a "."
_TIMESTAMP = lazy(r"(\d{4})-(\d\d?)-(\d\d?)(?:([Tt ])(\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?(Z|[+-]\d\d:\d\d)?)?\Z")
_PREFIXED = re.compile(r"(-?)0([bo])([+-]?[0-7]+)\Z")  # go-yaml re-parses what follows 0b/0o, sign and all
_I64 = 1 << 63
_KNOWN_TAGS = frozenset(("!", "!reset", "!override", *(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "binary", "merge", "map", "seq", "set", "omap"))))


def _finite(text: str) -> float | None:
    v = float(text)
    return None if math.isinf(v) else v  # Go reports a range error and go-yaml then keeps the string


def _timestamp(text: str) -> Timestamp | None:
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    y, mo, d, sep, hh, mi, ss, frac, tz = m.groups()
    if sep and (tz is None) != (sep == " "):  # "T"/"t" need a zone, " " must not have one
        return None
    try:
        off = _dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])) if tz and tz != "Z" else None
        zone = _dt.timezone(-off if tz[0] == "-" else off) if off else _dt.timezone.utc
        nanos = int((frac or "0")[:9].ljust(9, "0"))
        ts = Timestamp(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), nanos // 1000, zone)
    except ValueError:
        return None
    ts.nanosecond = nanos
    return ts


def _resolve(text: str, tag: str = "") -> tuple[str, Any]:
    """The tag and value go-yaml gives a scalar when decoding into interface{}."""
    hint = _HINT.get(text[:1])
    if hint is None:
        return _STR, text
    if text in _WORDS:
        return _WORDS[text]
    if hint == "." and _DOT_FLOAT.match(text):
        v = _finite(text)
        if v is not None:
            return _FLOAT, v
    elif hint in "DS":
        if tag in ("", _TS) and text[4:5] == "-":
            ts = _timestamp(text)
            if ts is not None:
                return _TS, ts
        if text.strip("0123456789_+-.eExXoObBabcdfABCDF"):
            return _STR, text  # has a character no number can contain
        plain = text.replace("_", "")
        m = _GO_INT.match(plain)
        if m:
            sign, hx, bn, oc, lead0, dec = m.groups()
            v = int(hx, 16) if hx else int(bn, 2) if bn else int(oc, 8) if oc else int(lead0, 8) if lead0 else int(dec)
            v = -v if sign == "-" else v
            if -_I64 <= v < _I64 or (not sign and v < 1 << 64):  # ParseInt, then ParseUint
                return _INT, v
        if _YAML_FLOAT.match(plain):
            v = _finite(plain)
            if v is not None:
                return _FLOAT, v
        m = _PREFIXED.match(plain)
        if m and (m.group(2) == "o" or set(m.group(3)) <= set("+-01")) and not (m.group(1) and m.group(3)[0] in "+-"):
            v = int(m.group(3), 2 if m.group(2) == "b" else 8) * (-1 if m.group(1) else 1)
            if -_I64 <= v < 1 << 64:
                return _INT, v
    return _STR, text


def _resolve_plain(text: str) -> Any:
    if text.isdigit() and text.isascii() and len(text) < 18 and (text[0] != "0" or len(text) == 1):
        return int(text)  # the everyday case: a small decimal
    return _resolve(text)[1]


class _Fail(Exception):
    def __init__(self, code: str, message: str, event: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.event = code, message, event


def _decode_tagged(text: str, tag: str, quoted: bool) -> Any:
    """A scalar with an explicit tag; unknown tags keep the text, as go-yaml does."""
    short = "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag
    if short == "!" and not quoted:
        return _resolve_plain(text)
    if short == _STR or short == "!":
        return text
    if short == "!!binary":
        try:
            return base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _Fail("yaml-tag", "!!binary value contains invalid base64 data") from None
    if short not in (_INT, _FLOAT, _BOOL, _NULL, _TS):
        return text
    rtag, value = _resolve(text, short)
    if rtag == short or (short == _FLOAT and rtag == _INT):
        return float(value) if short == _FLOAT else value
    raise _Fail("yaml-tag", f"cannot decode {rtag} `{text}` as a {short}")


def _go_value(v: Any) -> str:
    """Go's %#v of a decoded key, for compose-go's "non-string key" message."""
    if v is None or isinstance(v, bool):
        return {None: "<nil>", True: "true", False: "false"}[v]
    if isinstance(v, int):
        return f"0x{v:x}" if v >= _I64 else str(v)
    if isinstance(v, Timestamp):
        return (f"time.Date({v.year}, time.{v.strftime('%B')}, {v.day}, {v.hour}, {v.minute}, {v.second}, "
                f"{v.nanosecond}, time.UTC)")
    if isinstance(v, float) and math.isfinite(v):
        exp = math.floor(math.log10(abs(v))) if v else 0
        return repr(v).removesuffix(".0") if -4 <= exp < 21 else f"{v:e}".replace("e+0", "e+").replace("e-0", "e-")
    return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}.get(repr(v), str(v))


# ---------------------------------------------------------------- documents and the public API


# Positions are noted while a file is read, and turned into the key-path map at once unless aliases
# make the document much bigger than its text (then that costs time and memory in proportion to the
# expansion, and is done only if a diagnostic asks for a position, by reading the file again).
EAGER_MAP_EXPANSION = 10_000  # nodes reached through aliases, beyond the document's own size


class Document:
    """One YAML document: plain data plus what compose-go records alongside it.

    data        dicts/lists/str/int/float/bool/None (and Timestamp), as compose-go decodes it;
                with keep_markers=True, Reset/Override wrap the tagged values instead.
    reset_paths the paths compose-go's ResetProcessor records for !reset and !override, in its order;
                pass them to apply_resets() on what earlier files produced before merging this one.
    warnings    non-fatal findings (unknown tags, which Compose silently ignores).
    more        the following documents of the same stream: Compose merges each in turn.
    empty       the stream held no document at all (Compose then reports "empty compose file").
    sourcemap   key path -> Position of every mapping key and sequence item; made while reading, or
                on first use (a second read) when aliases make the document much bigger than its text.
    """

    __slots__ = ("data", "filename", "index", "reset_paths", "warnings", "more", "empty", "_source", "_sourcemap")

    def __init__(self, data: Any, filename: str, index: int = 0, reset_paths: tuple[KeyPath, ...] = (),
                 warnings: tuple[Diagnostic, ...] = (), empty: bool = False) -> None:
        self.data, self.filename, self.index = data, filename, index
        self.reset_paths, self.warnings, self.empty = reset_paths, warnings, empty
        self.more: tuple[Document, ...] = ()
        self._source: tuple[bytes, Limits, list] | None = None  # shared by a stream's documents
        self._sourcemap: SourceMap | None = None

    @property
    def sourcemap(self) -> SourceMap:
        if self._sourcemap is None:
            if self._source is None:
                return SourceMap()
            data, limits, cache = self._source
            if not cache:  # a second pass over the events, this time noting positions
                cache.extend(d._sourcemap for d in _read_stream(data, self.filename, limits))
            self._sourcemap = cache[self.index]
        return self._sourcemap


def parse_yaml(data: bytes | str, filename: str, *, limits: Limits | None = None,
               keep_markers: bool = False) -> Document:
    """The first document of a YAML stream; the rest are in `.more`; a stream without any has `.empty`."""
    docs = parse_yaml_all(data, filename, limits=limits, keep_markers=keep_markers)
    if not docs:
        return Document(None, filename, empty=True)
    docs[0].more = tuple(docs[1:])
    return docs[0]


def parse_yaml_all(data: bytes | str, filename: str, *, limits: Limits | None = None,
                   keep_markers: bool = False) -> list[Document]:
    """Every document of a YAML stream, in order (an empty list when there is none)."""
    limits = limits or Limits()
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > limits.max_bytes:
        raise ComposeError(_error(filename, "yaml-too-large",
                                  f"file is {len(raw)} bytes, over the limit of {limits.max_bytes} bytes"))
    docs = _read_stream(raw, filename, limits, keep_markers, optional_map=True)
    source = (raw, limits, [])
    for doc in docs:
        doc._source = source
    return docs


def strip_markers(data: Any) -> Any:
    """A copy of data without markers, as compose-go decodes it: Reset entries dropped, Override unwrapped."""
    return _strip(data, {}, True)


def _strip(v: Any, memo: dict[int, Any], copy: bool, inside: bool = False) -> Any:
    # inside: within an Override/Reset value, where compose-go does not look for tags at all
    t = type(v)
    if t is Override or t is Reset:
        return _strip(v.value, memo, copy, True)
    if (t is not dict and t is not list) or id(v) in memo:
        return memo.get(id(v), v)
    if t is list:
        items = [_strip(x, memo, copy, inside) for x in v if inside or type(x) is not Reset]
        memo[id(v)] = items if copy else v
        if not copy:
            v[:] = items
        return memo[id(v)]
    out: dict = {} if copy else v
    memo[id(v)] = out
    for k, x in list(v.items()):
        if type(x) is Reset and not inside:
            if x.fallback is not _NOFALLBACK:
                out[k] = _strip(x.fallback, memo, copy, inside)
            elif not copy:
                del out[k]
        else:
            out[k] = _strip(x, memo, copy, inside)
    return out


def apply_resets(target: Any, reset_paths: Iterable[KeyPath]) -> None:
    """Delete, in place, every mapping entry of target whose path a reset path matches.

    This is compose-go's ResetProcessor.Apply: parts compare as strings, "*" matches any part, and
    sequence items (whose parts are "[i]") are never removed.
    """
    patterns = [tuple(str(p) for p in path) for path in reset_paths]

    def matches(p: tuple[str, ...]) -> bool:
        return any(len(pt) == len(p) and all(a in ("*", b) for a, b in zip(pt, p)) for pt in patterns)

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for k in list(node):
                if matches(path + (str(k),)):
                    del node[k]
                else:
                    walk(node[k], path + (str(k),))
        elif isinstance(node, list):
            for i, e in enumerate(node):
                if not matches(path + (f"[{i}]",)):
                    walk(e, path + (f"[{i}]",))

    if patterns:
        walk(target, ())


# ---------------------------------------------------------------- the reader


def _error(filename: str, code: str, message: str, line: int | None = None, column: int | None = None,
           path: KeyPath = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Level.ERROR, message, tuple(path), Position(filename, line, column), hint)


def _syntax_error(exc: yaml.YAMLError, data: bytes, filename: str) -> ComposeError:
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml reports a byte offset
        off = max(0, min(exc.position, len(data)))
        col = len(data[data.rfind(b"\n", 0, off) + 1:off].decode("utf-8", "replace")) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        return ComposeError(_error(filename, "yaml-encoding", exc.reason, data.count(b"\n", 0, off) + 1, col,
                                   hint=f"unacceptable character #x{char:04x}"))
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return ComposeError(_error(filename, "yaml-syntax", getattr(exc, "problem", None) or str(exc),
                               mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                               hint=getattr(exc, "context", None)))


def _read_stream(data: bytes, filename: str, limits: Limits, keep_markers: bool = True,
                 optional_map: bool = False) -> list[Document]:
    docs: list[Document] = []
    try:
        get = _CParser(data).get_event if _CParser is not None else _python_events(data)
        while True:
            e = get()
            if e is None or type(e) is StreamEndEvent:
                return docs
            if type(e) is DocumentStartEvent:
                docs.append(_Reader(get, filename, limits, len(docs), e, keep_markers, optional_map).read())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, data, filename) from None


def _python_events(data: bytes) -> Callable[[], Any]:  # pragma: no cover - only without libyaml
    loader = yaml.SafeLoader(data)

    def get() -> Any:
        e = loader.get_event()
        if type(e) is ScalarEvent and e.style is None:
            e.style = ""  # libyaml's name for the plain style
        return e
    return get


class _Anchor:
    __slots__ = ("name", "value", "size", "open", "start", "end", "depth", "marker")

    def __init__(self, name: str, value: Any, start: int, depth: int) -> None:
        self.name, self.value, self.start, self.end, self.depth = name, value, start, start, depth
        self.size, self.open, self.marker = 1, True, False


_MERGE = object()  # stands for a `<<` key while its mapping is being built
_NOKEY = object()  # a mapping waiting for its next key
# A frame is a list: [container, is_map, key, raw key, seen keys -> key event, merge value, decode count at
#                     start, anchor, marker tag, `<<` key event, enclosing marker depth, positions, start event]


class _Reader:
    """Builds one document straight from parser events (far faster than PyYAML's node graph)."""

    def __init__(self, get: Callable[[], Any], filename: str, limits: Limits, index: int,
                 start: DocumentStartEvent, keep_markers: bool, optional_map: bool = False) -> None:
        self.get, self.filename, self.limits, self.index = get, filename, limits, index
        self.start, self.keep_markers, self.has_markers = start, keep_markers, False
        self.optional_map = optional_map  # the key-path map may be left to a second pass when costly
        self.errors: list[tuple[int, Diagnostic]] = []  # (precedence, diagnostic), in compose-go's order
        self.warnings: list[Diagnostic] = []
        self.anchors: dict[str, _Anchor] = {}
        self.marked: list[tuple] = []  # alias and marker events, for the ResetProcessor walk
        self.positions: dict[int, Any] = {}
        self.keep: list[Any] = []  # containers whose id() keys self.positions
        self.cyclic: str | None = None

    def read(self) -> Document:
        get, limits, anchors, marked = self.get, self.limits, self.anchors, self.marked
        hints, words, resolve = _HINT, _PLAIN_WORDS, _resolve_plain
        stack: list[list] = []
        top: list | None = None
        decoded = aliased = expanded = 0
        root: Any = None
        marker_depth = -1  # depth of the innermost !reset/!override container being read
        while True:
            e = get()
            t = type(e)
            if t is ScalarEvent:
                decoded += 1
                if e.tag is None and e.anchor is None:
                    value = e.value
                    if e.style == "" and value[:1] in hints:
                        value = words.get(value, value) if hints[value[:1]] == "M" else resolve(value)
                    if top is not None and top[1] and top[2] is _NOKEY and type(value) is str \
                            and value != "<<" and value not in top[4]:
                        top[2] = top[3] = value  # the common case of a plain string key, inline for speed
                        top[4][value] = e
                        top[11][value] = self._pos(e)
                        continue
                else:
                    value = self._scalar(e, stack, top is not None and not (top[1] and top[2] is _NOKEY))
                    if e.anchor is not None:
                        a = anchors[e.anchor] = _Anchor(e.anchor, value, len(marked), len(stack))
                        a.open, a.marker = False, type(value) in (Reset, Override)
                    if type(value) in (Reset, Override):
                        self._note_marker(stack, marker_depth)
            elif t is MappingStartEvent or t is SequenceStartEvent:
                decoded += 1
                if len(stack) >= limits.max_depth:
                    self._fatal("yaml-too-deep", f"nesting deeper than {limits.max_depth} levels", e, [])
                is_map = t is MappingStartEvent
                marker = e.tag if e.tag in ("!reset", "!override") and top is not None and not (
                    top[1] and top[2] is _NOKEY) else None
                if e.tag is not None:
                    self._check_tag(e, stack)
                if marker:
                    self._note_marker(stack, marker_depth)
                frame = [{} if is_map else [], is_map, _NOKEY, None, {}, None, decoded, None, marker, None,
                         marker_depth, {} if is_map else [], e]
                if marker:
                    marker_depth = len(stack)
                if e.anchor is not None:
                    frame[7] = anchors[e.anchor] = _Anchor(e.anchor, frame[0], len(marked), len(stack))
                stack.append(frame)
                top = frame
                continue
            elif t is MappingEndEvent or t is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                e = frame[12]  # a collection is where it starts (as a sequence item or a key)
                value = self._merge(frame, stack) if frame[9] is not None else frame[0]
                self.positions[id(value)] = frame[11]
                if frame[8]:
                    value = Reset(value) if frame[8] == "!reset" else Override(value)
                    marker_depth = frame[10]
                a = frame[7]
                if a is not None:
                    a.value, a.size, a.open, a.end, a.marker = value, decoded - frame[6] + 1, False, len(marked), \
                        bool(frame[8])
            elif t is AliasEvent:
                a = anchors.get(e.anchor)
                if a is None:
                    self._fatal("yaml-alias", f"unknown anchor '{e.anchor}' referenced", e, stack)
                if a.open:
                    self.cyclic = self.cyclic or a.name
                value = a.value
                decoded += 1 + a.size
                expanded += a.size
                if not (top is not None and top[1] and top[2] is _MERGE):
                    aliased += a.size  # go-yaml replaces merge-key aliases by their target before decoding
                if decoded > limits.max_nodes:
                    self._fatal("yaml-alias-bomb", f"document expands to more than {limits.max_nodes} nodes "
                                "through aliases", e, stack)
                if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
                    self._fatal("yaml-alias-bomb", "document contains excessive aliasing", e, stack)
                if top is not None and not (top[1] and top[2] is _NOKEY):
                    marked.append(("alias", self._parts(stack), a, marker_depth, e))
            elif t is DocumentEndEvent:
                return self._done(root, decoded, expanded)
            else:  # pragma: no cover - the parser emits nothing else inside a document
                continue
            if top is None:
                root = value
            elif not top[1]:
                top[11].append(self._pos(e))
                top[0].append(value)
            elif top[2] is _NOKEY:
                self._key(top, e, t, value, stack)
            else:
                if top[2] is _MERGE:
                    top[5] = value
                else:
                    top[0][top[2]] = value
                top[2] = _NOKEY

    def _pos(self, e: Any) -> Position:
        return Position(self.filename, e.start_mark.line + 1, e.start_mark.column + 1)

    @staticmethod
    def _parts(stack: list[list]) -> list[str]:
        # the raw key text compose-go's ResetProcessor builds its paths from
        return [f[3] if f[1] else str(len(f[0])) for f in stack]

    @staticmethod
    def _path(stack: list[list]) -> list[str | int]:
        out: list[str | int] = []
        for f in stack:
            if f[1] and f[2] is _NOKEY:
                break  # only the innermost mapping can be waiting for its key
            out.append(len(f[0]) if not f[1] else "<<" if f[2] is _MERGE else f[2])
        return out

    def _note_marker(self, stack: list[list], marker_depth: int) -> None:
        self.has_markers = True
        self.marked.append(("marker", self._parts(stack), None, marker_depth, None))

    def _check_tag(self, e: Any, stack: list[list]) -> None:
        if e.tag not in _KNOWN_TAGS:
            self.warnings.append(Diagnostic("yaml-unknown-tag", Level.WARNING, f"tag {e.tag} is ignored, as Compose "
                                            "does", tuple(self._path(stack)), self._pos(e)))

    def _scalar(self, e: ScalarEvent, stack: list[list], is_value: bool) -> Any:
        if e.tag is None:
            return _resolve_plain(e.value) if e.style == "" else e.value
        self._check_tag(e, stack)
        if e.tag in ("!reset", "!override") and is_value:  # on a key, they are just unknown tags
            return Reset(e.value) if e.tag == "!reset" else Override(e.value)
        try:
            return _decode_tagged(e.value, e.tag, e.style != "")
        except _Fail as f:
            self._add(1, f.code, f.message, e, stack)
            return e.value

    def _key(self, frame: list, e: Any, t: type, value: Any, stack: list[list]) -> None:
        if t is ScalarEvent:
            raw = e.value
            if raw == "<<" and e.style == "" and e.tag in (None, "!", "tag:yaml.org,2002:merge"):
                value, frame[9] = _MERGE, e
        elif t is AliasEvent:
            raw = e.anchor
        else:
            raw = ""
            kind = "map[string]interface {}" if isinstance(value, dict) else "[]interface {}"
            self._add(1, "yaml-key", f"invalid map key: {kind}", e, stack)
            value = repr(value)
        if raw in frame[4]:
            self._add(0, "yaml-duplicate-key", f"mapping key {json.dumps(raw, ensure_ascii=False)} already defined "
                      f"at line {frame[4][raw].start_mark.line + 1}", e, stack)
        else:
            frame[4][raw] = e
        if value is not _MERGE and type(value) is not str:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else str(p)
                            for i, p in enumerate(self._path(stack)))
            self._add(2, "yaml-non-string-key", f"non-string key {'in ' + where if where else 'at top level'}: "
                      f"{_go_value(value)}", e, stack)
            value = _go_value(value)
        frame[2], frame[3] = value, raw
        frame[11][value] = self._pos(e)

    def _merge(self, frame: list, stack: list[list]) -> dict:
        """Apply a `<<` key: explicit keys win, then earlier merge sources over later ones."""
        explicit, merge = frame[0], frame[5]
        self.keep.append(explicit)
        sources = [] if type(merge) is Reset else [merge.value] if type(merge) is Override else \
            merge if type(merge) is list else [merge]
        merged: dict = {}
        positions: dict = {}
        for src in reversed(sources):
            src = src.value if type(src) is Override else src
            if type(src) is Reset:
                continue
            if type(src) is not dict:
                self._add(1, "yaml-merge", "map merge requires map or sequence of maps as the value", frame[9], stack)
                continue
            merged.update(src)
            positions.update(self.positions.get(id(src), {}))
        for k, v in explicit.items():
            if type(v) is Reset and k in merged:
                v.fallback = merged[k]  # compose-go drops the tagged entry before the merge fills it in
            merged[k] = v
        positions.update(frame[11])
        frame[11] = positions
        if frame[7] is not None:
            frame[7].value = merged
        return merged

    def _add(self, precedence: int, code: str, message: str, e: Any, stack: list[list]) -> None:
        mark = e.start_mark
        self.errors.append((precedence, _error(self.filename, code, message, mark.line + 1, mark.column + 1,
                                               tuple(self._path(stack)))))

    def _fatal(self, code: str, message: str, e: Any, stack: list[list]) -> None:
        self._add(-1, code, message, e, stack)
        raise ComposeError([d for _, d in sorted(self.errors, key=lambda x: x[0])])

    def _done(self, root: Any, decoded: int, expanded: int) -> Document:
        # decoded: nodes of the document with aliases expanded; expanded: those reached through aliases
        reset_paths: list[KeyPath] = []
        if self.marked and not self.errors:
            try:
                _ResetWalk(self.marked, reset_paths, self.limits).run()
            except _Fail as f:
                mark = (f.event or self.start).start_mark
                self.errors.append((0, _error(self.filename, f.code, f.message, mark.line + 1, mark.column + 1)))
        if self.cyclic and not self.errors:
            self.errors.append((0, _error(self.filename, "yaml-alias", f"anchor '{self.cyclic}' value contains "
                                          "itself")))
        if self.errors:
            raise ComposeError([d for _, d in sorted(self.errors, key=lambda x: x[0])])
        # positions are flattened from the tree with its markers: the path of an item after a dropped
        # !reset item is counted without it, and the stripped copy has other containers
        cheap = expanded <= max(EAGER_MAP_EXPANSION, decoded - expanded)
        sourcemap = _flatten(root, self.positions, self._pos(self.start)) if cheap or not self.optional_map else None
        if self.has_markers and not self.keep_markers:
            root = _strip(root, {}, False)
        doc = Document(root, self.filename, self.index, tuple(reset_paths), tuple(self.warnings))
        doc._sourcemap = sourcemap
        return doc


def _allowed_alias_ratio(decoded: int) -> float:
    # go-yaml v3's "excessive aliasing" rule (allowedAliasRatio in decode.go)
    return 0.99 - 0.89 * min(max(decoded - 400_000, 0), 3_600_000) / 3_600_000


_GHOST = "\U0001f47b"  # compose-go's tree.Path escapes dots inside a key with this character


def _norm(path: str) -> str:
    plain = path.replace(_GHOST, ".")
    return plain.replace(".<<", "", 1) if ".<<" in plain else path


def _as_key_path(path: str) -> KeyPath:
    return tuple(p.replace(_GHOST, ".") for p in path.split("."))


class _ResetWalk:
    """Replays compose-go's ResetProcessor walk: it follows every alias (checking for cycles on the way)
    and records the path of each !reset/!override node it meets."""

    def __init__(self, events: list[tuple], out: list[KeyPath], limits: Limits) -> None:
        self.events, self.out, self.limits = events, out, limits
        self.seen: dict[int, tuple[list[str], set[str], set[str]]] = {}
        self.budget = limits.max_nodes

    def run(self) -> None:
        self._visit(0, len(self.events), "", 0, 0)

    def _visit(self, start: int, end: int, base: str, depth: int, nesting: int) -> None:
        if nesting > self.limits.max_depth:
            raise _Fail("yaml-alias", "aliases nest too deeply (an anchor probably contains itself)")
        for kind, parts, target, marker_depth, event in self.events[start:end]:
            if marker_depth >= depth:
                continue  # inside a !reset/!override value: compose-go does not look there
            self.budget -= 1
            if self.budget < 0:
                raise _Fail("yaml-alias-bomb", "document expands to too many nodes through aliases")
            path = base
            for part in parts[depth:]:
                path = _norm(path + "." + part.replace(".", _GHOST) if path else part)
            if kind == "marker":
                self.out.append(_as_key_path(path))
                continue
            self._check_cycle(target, path, event)
            path = _norm(path)
            if target.marker:
                self.out.append(_as_key_path(path))
            else:
                self._visit(target.start, target.end, path, target.depth, nesting + 1)

    def _check_cycle(self, target: _Anchor, path: str, event: Any) -> None:
        here = path.replace(_GHOST, ".")
        paths, known, prefixes = self.seen.setdefault(id(target), ([], set(), set()))
        # a cycle needs one path to extend the other; the sets find candidates without the quadratic scan
        ups = [here[:i] for i, ch in enumerate(here) if ch == "."]
        if here in prefixes or any(u in known for u in ups):
            for prev in paths:
                if here == prev or "<<" in prev or "<<" in here:
                    continue
                if (here.startswith(prev + ".") or prev.startswith(here + ".")) and not _apart(here, prev):
                    raise _Fail("yaml-alias", f"cycle detected: node at path {here} references node at path {prev}",
                                event)
        paths.append(here)
        known.add(here)
        prefixes.update(ups)


def _apart(a: str, b: str) -> bool:
    """compose-go's areInDifferentServices, which splits paths on every dot."""
    pa, pb = a.split("."), b.split(".")
    for i in range(min(len(pa), len(pb)) - 1):
        if pa[i] == "services" and pb[i] == "services":
            return pa[i + 1] != pb[i + 1]
    return False


def _flatten(root: Any, positions: dict[int, Any], root_pos: Position) -> SourceMap:
    """Key path -> position for the data as returned (markers stripped), following aliases."""
    sm = SourceMap()
    out = sm.positions
    out[()] = root_pos
    todo: list[tuple[Any, tuple, bool]] = [(root, (), False)]
    while todo:
        v, path, inside = todo.pop()
        if type(v) is Reset or type(v) is Override:
            v, inside = v.value, True
        if type(v) is dict:
            pos = positions.get(id(v), {})
            for k, x in v.items():
                if type(x) is Reset and not inside:
                    if x.fallback is _NOFALLBACK:
                        continue
                    x = x.fallback
                if k in pos:
                    out[path + (k,)] = pos[k]
                todo.append((x, path + (k,), inside))
        elif type(v) is list:
            pos = positions.get(id(v), [])
            kept = [(j, x) for j, x in enumerate(v) if inside or type(x) is not Reset]
            for i, (j, x) in enumerate(kept):
                if j < len(pos):
                    out[path + (i,)] = pos[j]
                todo.append((x, path + (i,), inside))
    return sm
