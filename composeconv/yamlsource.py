"""Read Compose YAML the way Docker Compose (go-yaml v3 via compose-go) does, with lazy source positions."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import yaml
from yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

from .diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from .sourcemap import SourceMap

try:  # libyaml is an order of magnitude faster than the pure-Python parser
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - exercised only without libyaml
    _CParser = None

__all__ = ["Document", "Limits", "Override", "Reset", "Timestamp", "apply_resets", "parse_yaml",
           "parse_yaml_all", "strip_markers"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that make hostile input fail fast instead of exhausting time or memory."""

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 200
    max_nodes: int = 1_000_000  # alias-expanded node count


class Reset:
    """A value tagged `!reset`; `fallback` holds what a merge key supplied for the same key, if anything."""

    __slots__ = ("value", "fallback")

    def __init__(self, value: Any, fallback: Any = None) -> None:
        self.value, self.fallback = value, fallback

    def __repr__(self) -> str:
        return f"Reset({self.value!r})"


class Override:
    """A value tagged `!override`: it replaces, rather than merges with, earlier files."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Override({self.value!r})"


_NOFALLBACK = object()


class Timestamp(_dt.datetime):
    """A plain scalar go-yaml decodes as time.Time; str() is Go's RFC 3339 (nanosecond) rendering."""

    nanosecond: int = 0

    def __str__(self) -> str:
        text = self.strftime("%Y-%m-%dT%H:%M:%S")
        if self.nanosecond:
            text += "." + f"{self.nanosecond:09d}".rstrip("0")
        off = self.utcoffset()
        if not off:
            return text + "Z"
        mins = int(off.total_seconds()) // 60
        sign = "-" if mins < 0 else "+"
        return f"{text}{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"


# ---------------------------------------------------------------- scalar resolution (go-yaml v3 resolve.go)

_STR, _INT, _FLOAT, _BOOL, _NULL, _TS = "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp"
_HINT = {**{c: "D" for c in "0123456789"}, "+": "S", "-": "S", ".": ".", **{c: "M" for c in "yYnNtTfFoO~"}}
_WORDS: dict[str, tuple[str, Any]] = {
    **{w: (_BOOL, True) for w in ("true", "True", "TRUE")},
    **{w: (_BOOL, False) for w in ("false", "False", "FALSE")},
    **{w: (_NULL, None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: (_FLOAT, math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{w: (_FLOAT, math.inf) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: (_FLOAT, -math.inf) for w in ("-.inf", "-.Inf", "-.INF")},
}
# Go's strconv.ParseInt(s, 0, 64) syntax, after go-yaml dropped every "_".
_GO_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|(0[0-7]*)|([1-9][0-9]*))\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?\Z")  # ParseFloat on ".5e3" style
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d?)-(\d\d?)(?:([Tt ])(\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?(Z|[+-]\d\d:\d\d)?)?\Z")
_I64 = 1 << 63


def _int_or_none(text: str) -> int | None:
    m = _GO_INT.match(text)
    if not m:
        return None
    sign, hx, bn, oc, lead0, dec = m.groups()
    v = (int(hx, 16) if hx else int(bn, 2) if bn else int(oc, 8) if oc
         else int(lead0, 8) if lead0 else int(dec))
    v = -v if sign == "-" else v
    if -_I64 <= v < _I64 or (not sign and v < 1 << 64):  # ParseInt, then ParseUint
        return v
    return None


def _float_or_none(text: str) -> float | None:
    v = float(text)
    return None if math.isinf(v) else v  # Go reports a range error, go-yaml then keeps the string


def _timestamp(text: str) -> Timestamp | None:
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    y, mo, d, sep, hh, mi, ss, frac, tz = m.groups()
    if sep and (tz is None) != (sep == " "):  # "T"/"t" need a zone, " " must not have one
        return None
    try:
        tzinfo = _dt.timezone.utc
        if tz and tz != "Z":
            off = _dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
            tzinfo = _dt.timezone(-off if tz[0] == "-" else off) if off else _dt.timezone.utc
        nanos = int((frac or "0")[:9].ljust(9, "0"))
        ts = Timestamp(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), nanos // 1000, tzinfo)
    except ValueError:
        return None
    ts.nanosecond = nanos
    return ts


def _resolve(text: str, tag: str = "") -> tuple[str, Any]:
    """Tag and value go-yaml gives a scalar when decoding into interface{}."""
    hint = _HINT.get(text[:1], "N" if not text else None)
    if hint is None:
        return _STR, text
    word = _WORDS.get(text)
    if word is not None:
        return word
    if hint == "." and _DOT_FLOAT.match(text):
        v = _float_or_none(text)
        if v is not None:
            return _FLOAT, v
    elif hint in "DS":
        if tag in ("", _TS) and text[4:5] == "-":
            ts = _timestamp(text)
            if ts is not None:
                return _TS, ts
        plain = text.replace("_", "")
        v = _int_or_none(plain)
        if v is not None:
            return _INT, v
        if _YAML_FLOAT.match(plain):
            f = _float_or_none(plain)
            if f is not None:
                return _FLOAT, f
        for prefix, base, neg in (("0b", 2, False), ("-0b", 2, True), ("0o", 8, False), ("-0o", 8, True)):
            if plain.startswith(prefix):  # go-yaml re-parses the digits after the prefix, sign and all
                rest = plain[len(prefix):]
                if re.fullmatch(r"[+-]?[0-7]+" if base == 8 else r"[+-]?[01]+", rest):
                    v = int(rest, base)
                    v = -v if neg else v
                    if -_I64 <= v < (1 << 64):
                        return _INT, v
                break
    return _STR, text


def _resolve_plain(text: str) -> Any:
    if text[:1] not in _HINT and text:
        return text
    return _resolve(text)[1]


def _decode_tagged(text: str, tag: str, quoted: bool) -> Any:
    """A scalar with an explicit tag; unknown tags keep the text, as go-yaml does."""
    short = "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag
    if short == _STR or (short == "!" and quoted):
        return text
    if short == "!!binary":
        try:
            return base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True).decode(
                "utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _Fail("yaml-tag", "!!binary value contains invalid base64 data") from None
    if short not in ("!", _INT, _FLOAT, _BOOL, _NULL, _TS):
        return text
    rtag, value = _resolve(text, "" if short == "!" else short)
    if short in ("!", rtag) or (short == _FLOAT and rtag == _INT):
        return float(value) if short == _FLOAT else value
    raise _Fail("yaml-tag", f"cannot decode {rtag} `{text}` as a {short}")


class _Fail(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _go_value_repr(v: Any) -> str:
    """Go's %#v of a decoded YAML key, for compose-go's "non-string key" message."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"0x{v:x}" if v >= _I64 else str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(v)]
        exp = math.floor(math.log10(abs(v))) if v else 0
        return repr(v).removesuffix(".0") if -4 <= exp < 21 else f"{v:e}".replace("e+0", "e+").replace("e-0", "e-")
    if isinstance(v, Timestamp):
        return (f"time.Date({v.year}, time.{v.strftime('%B')}, {v.day}, {v.hour}, {v.minute}, {v.second}, "
                f"{v.nanosecond}, time.UTC)")
    return str(v)


# ---------------------------------------------------------------- document model


class _Stream:
    """What a lazy source map needs: the bytes again, and a cache shared by a stream's documents."""

    __slots__ = ("data", "filename", "limits", "maps")

    def __init__(self, data: bytes, filename: str, limits: Limits) -> None:
        self.data, self.filename, self.limits = data, filename, limits
        self.maps: list[SourceMap] | None = None

    def sourcemap(self, index: int) -> SourceMap:
        if self.maps is None:
            self.maps = [d.sourcemap_eager for d in _read_stream(self.data, self.filename, self.limits, True)]
        return self.maps[index]


class Document:
    """One YAML document: plain data plus what compose-go records alongside it.

    data        dicts/lists/str/int/float/bool/None (and Timestamp), as compose-go decodes it;
                with keep_markers=True, Reset/Override wrap the tagged values instead.
    reset_paths the paths compose-go's ResetProcessor records for !reset and !override, in its order;
                pass them to apply_resets() on what earlier files produced before merging this one.
    warnings    non-fatal findings (e.g. unknown tags, which Compose silently ignores).
    more        the following documents of the same stream: Compose merges each in turn.
    empty       the stream held no document at all (Compose then reports "empty compose file").
    sourcemap   key path -> Position of every mapping key and sequence item; computed on first use.
    """

    __slots__ = ("data", "filename", "index", "reset_paths", "warnings", "more", "empty", "_stream",
                 "sourcemap_eager")

    def __init__(self, data: Any, filename: str, index: int = 0, reset_paths: tuple[KeyPath, ...] = (),
                 warnings: tuple[Diagnostic, ...] = (), empty: bool = False) -> None:
        self.data, self.filename, self.index = data, filename, index
        self.reset_paths, self.warnings, self.empty = reset_paths, warnings, empty
        self.more: tuple[Document, ...] = ()
        self._stream: _Stream | None = None
        self.sourcemap_eager: SourceMap | None = None

    @property
    def sourcemap(self) -> SourceMap:
        if self.sourcemap_eager is None:
            self.sourcemap_eager = self._stream.sourcemap(self.index) if self._stream else SourceMap()
        return self.sourcemap_eager

    def position(self, path: KeyPath) -> Position | None:
        return self.sourcemap.get(path)

    def __repr__(self) -> str:
        return f"Document({self.filename!r}, index={self.index}, data={self.data!r})"


# ---------------------------------------------------------------- public API


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
        raise ComposeError(Diagnostic("yaml-too-large", Level.ERROR,
                                      f"file is {len(raw)} bytes, over the limit of {limits.max_bytes} bytes",
                                      position=Position(filename)))
    docs = _read_stream(raw, filename, limits, False)
    stream = _Stream(raw, filename, limits)
    for doc in docs:
        doc._stream = stream
        if not keep_markers and doc.data is not None:
            doc.data = _strip(doc.data, {}, False)
    return docs


def strip_markers(data: Any) -> Any:
    """A copy of data without markers, as compose-go decodes it: Reset entries dropped, Override unwrapped."""
    return _strip(data, {}, True)


def _strip(v: Any, memo: dict[int, Any], copy: bool, inside: bool = False) -> Any:
    # inside: within an Override/Reset value, where compose-go does not look for tags at all
    t = type(v)
    if t is Override or t is Reset:
        return _strip(v.value, memo, copy, True)
    if t is not dict and t is not list:
        return v
    done = memo.get(id(v))
    if done is not None:
        return done
    if t is dict:
        out: Any = {} if copy else v
        memo[id(v)] = out
        for k, x in list(v.items()):
            if type(x) is Reset and not inside:
                if x.fallback is not _NOFALLBACK and x.fallback is not None:
                    out[k] = _strip(x.fallback, memo, copy, inside)
                elif not copy:
                    del out[k]
                continue
            out[k] = _strip(x, memo, copy, inside)
        return out
    items = [_strip(x, memo, copy, inside) for x in v if inside or type(x) is not Reset]
    if copy:
        memo[id(v)] = items
        return items
    memo[id(v)] = v
    v[:] = items
    return v


def apply_resets(target: Any, reset_paths: Iterable[KeyPath]) -> None:
    """Delete, in place, every mapping entry of target whose path a reset path matches.

    This is compose-go's ResetProcessor.Apply: parts compare as strings, "*" matches any part, and
    sequence items (whose parts are "[i]") are never removed.
    """
    patterns = [tuple(str(p) for p in path) for path in reset_paths]
    if patterns:
        _apply(target, (), patterns)


def _apply(target: Any, path: tuple[str, ...], patterns: list[tuple[str, ...]]) -> None:
    def matches(p: tuple[str, ...]) -> bool:
        return any(len(pt) == len(p) and all(a == "*" or a == b for a, b in zip(pt, p)) for pt in patterns)

    if isinstance(target, dict):
        for k in list(target):
            nxt = path + (str(k),)
            if matches(nxt):
                del target[k]
            else:
                _apply(target[k], nxt, patterns)
    elif isinstance(target, list):
        for i, e in enumerate(target):
            nxt = path + (f"[{i}]",)
            if not matches(nxt):
                _apply(e, nxt, patterns)


# ---------------------------------------------------------------- the reader


def _error(filename: str, code: str, message: str, line: int | None = None, column: int | None = None,
           path: KeyPath = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Level.ERROR, message, tuple(path), Position(filename, line, column), hint)


def _syntax_error(exc: yaml.YAMLError, data: bytes, filename: str) -> ComposeError:
    if isinstance(exc, yaml.reader.ReaderError):
        off = max(0, min(exc.position, len(data)))
        start = data.rfind(b"\n", 0, off) + 1
        col = len(data[start:off].decode("utf-8", "replace")) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        return ComposeError(_error(filename, "yaml-encoding", exc.reason, data.count(b"\n", 0, off) + 1, col,
                                   hint=f"unacceptable character #x{char:04x}"))
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return ComposeError(_error(filename, "yaml-syntax", problem, mark.line + 1 if mark else None,
                               mark.column + 1 if mark else None, hint=getattr(exc, "context", None)))


def _events(data: bytes) -> Callable[[], Any]:
    if _CParser is not None:
        return _CParser(data).get_event
    return yaml.SafeLoader(data).get_event  # pragma: no cover


def _read_stream(data: bytes, filename: str, limits: Limits, track: bool) -> list[Document]:
    get = _events(data)
    docs: list[Document] = []
    try:
        while True:
            e = get()
            if type(e) is StreamEndEvent or e is None:
                return docs
            if type(e) is DocumentStartEvent:
                docs.append(_Reader(get, filename, limits, track, len(docs), e).read())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, data, filename) from None
    except RecursionError:
        raise ComposeError(_error(filename, "yaml-too-deep", "document is nested too deeply")) from None


class _Anchor:
    __slots__ = ("name", "value", "size", "open", "start", "end", "depth", "marker")

    def __init__(self, name: str, start: int, depth: int) -> None:
        self.name, self.start, self.depth = name, start, depth
        self.value: Any = None
        self.size, self.open, self.end, self.marker = 0, True, start, False


_MERGE = object()  # stands for a `<<` key while its mapping is being built


class _Reader:
    """Builds one document straight from parser events (much faster than PyYAML's node graph)."""

    def __init__(self, get: Callable[[], Any], filename: str, limits: Limits, track: bool, index: int,
                 start: DocumentStartEvent) -> None:
        self.get, self.filename, self.limits, self.track, self.index = get, filename, limits, track, index
        self.start = start
        self.errors: list[tuple[int, Diagnostic]] = []  # (precedence, diagnostic), compose-go's order
        self.warnings: list[Diagnostic] = []
        self.anchors: dict[str, _Anchor] = {}
        self.marked: list[tuple] = []  # alias and marker events, for the ResetProcessor walk
        self.positions: dict[int, Any] = {}
        self.cyclic = False

    # A frame is a list: [container, is_map, key, key_raw, seen, merge_value, size, anchor,
    #                      marker_tag, key_mark, marker_depth, mapping_positions]

    def read(self) -> Document:
        get, track, limits = self.get, self.track, self.limits
        stack: list[list] = []
        anchors = self.anchors
        decoded = aliased = 0
        root: Any = None
        marker_depth = -1  # depth of the innermost !reset/!override container being read
        while True:
            e = get()
            t = type(e)
            if t is ScalarEvent:
                tag = e.tag
                if tag is None:
                    value = _resolve_plain(e.value) if e.style == "" else e.value
                else:
                    value = self._tagged(e, stack)
                size = 1
                decoded += 1
                if e.anchor is not None:
                    a = anchors[e.anchor] = _Anchor(e.anchor, len(self.marked), len(stack))
                    a.value, a.size, a.open, a.marker = value, 1, False, type(value) in (Reset, Override)
                if type(value) in (Reset, Override):
                    self._note_marker(stack, marker_depth)
            elif t is MappingStartEvent or t is SequenceStartEvent:
                decoded += 1
                if len(stack) >= limits.max_depth:
                    self._fatal("yaml-too-deep", f"nesting deeper than {limits.max_depth} levels", e, stack)
                is_map = t is MappingStartEvent
                marker = e.tag if e.tag in ("!reset", "!override") and stack and not self._is_key(stack[-1]) \
                    else None
                if marker:
                    self._note_marker(stack, marker_depth)
                frame = [{} if is_map else [], is_map, _MERGE, None, {}, None, 1, None, marker, None,
                         marker_depth, {} if track and is_map else ([] if track else None)]
                if marker:
                    marker_depth = len(stack)
                if e.anchor is not None:
                    frame[7] = anchors[e.anchor] = _Anchor(e.anchor, len(self.marked), len(stack))
                    frame[7].value = frame[0]
                stack.append(frame)
                if is_map:
                    frame[2] = _NOKEY
                continue
            elif t is MappingEndEvent or t is SequenceEndEvent:
                frame = stack.pop()
                value = self._finish(frame, stack) if frame[1] else frame[0]
                if track and frame[11] is not None:
                    self.positions[id(value)] = frame[11]
                if frame[8]:
                    value = Reset(value, _NOFALLBACK) if frame[8] == "!reset" else Override(value)
                    marker_depth = frame[10]
                size = frame[6]
                a = frame[7]
                if a is not None:
                    a.value, a.size, a.open, a.end, a.marker = value, size, False, len(self.marked), bool(frame[8])
            elif t is AliasEvent:
                a = anchors.get(e.anchor)
                if a is None:
                    self._fatal("yaml-alias", f"unknown anchor '{e.anchor}' referenced", e, stack)
                if a.open:
                    self.cyclic = True
                value, size = a.value, a.size
                decoded += 1 + size
                if not (stack and stack[-1][1] and stack[-1][2] is _MERGE):
                    aliased += size  # go-yaml replaces merge-key aliases by their target before decoding
                if decoded > limits.max_nodes:
                    self._fatal("yaml-alias-bomb", f"document expands to more than {limits.max_nodes} nodes "
                                "through aliases", e, stack)
                if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
                    self._fatal("yaml-alias-bomb", "document contains excessive aliasing", e, stack)
                if stack and not self._is_key(stack[-1]):
                    self.marked.append(("alias", self._parts(stack), a, marker_depth, e))
                size += 1
            elif t is DocumentEndEvent:
                break
            else:  # pragma: no cover - the parser emits nothing else inside a document
                continue
            if not stack:
                root = value
                continue
            top = stack[-1]
            top[6] += size
            if not top[1]:
                if track:
                    top[11].append(self._pos(e))
                top[0].append(value)
            elif top[2] is _NOKEY:
                self._key(top, e, t, value, stack)
            else:
                key = top[2]
                if key is _MERGE:
                    top[5] = value
                else:
                    top[0][key] = value
                top[2] = _NOKEY
        return self._done(root)

    @staticmethod
    def _is_key(frame: list) -> bool:
        return frame[1] and frame[2] is _NOKEY

    def _pos(self, e: Any) -> Position:
        return Position(self.filename, e.start_mark.line + 1, e.start_mark.column + 1)

    def _parts(self, stack: list[list]) -> list[str]:
        # the raw key text compose-go's ResetProcessor builds its paths from
        return [f[3] if f[1] else str(len(f[0])) for f in stack]

    def _note_marker(self, stack: list[list], marker_depth: int) -> None:
        self.marked.append(("marker", self._parts(stack), None, marker_depth, None))

    def _tagged(self, e: ScalarEvent, stack: list[list]) -> Any:
        tag = e.tag
        quoted = e.style != ""
        if tag == "!" and not quoted:
            return _resolve_plain(e.value)
        if tag in ("!reset", "!override") and stack and not self._is_key(stack[-1]):
            return Reset(e.value, _NOFALLBACK) if tag == "!reset" else Override(e.value)
        try:
            value = _decode_tagged(e.value, tag, quoted)
        except _Fail as f:
            self._add(1, f.code, f.message, e, stack)
            return e.value
        if not (tag.startswith("tag:yaml.org,2002:") or tag in ("!", "!reset", "!override")):
            self.warnings.append(Diagnostic("yaml-unknown-tag", Level.WARNING,
                                            f"tag {tag} is ignored: the value is read as a string",
                                            tuple(self._path(stack)), self._pos(e)))
        return value

    def _key(self, frame: list, e: Any, t: type, value: Any, stack: list[list]) -> None:
        if t is ScalarEvent:
            raw = e.value
            if raw == "<<" and e.style == "" and e.tag in (None, "!", "tag:yaml.org,2002:merge"):
                value = _MERGE
                frame[9] = e
            elif type(value) in (Reset, Override):  # tags on keys are not markers
                value = value.value
        elif t is AliasEvent:
            raw = e.anchor
        else:
            raw = ""
            kind = "map[string]interface {}" if isinstance(value, dict) else "[]interface {}"
            self._add(1, "yaml-key", f"invalid map key: {kind}", e, stack)
            value = repr(value)
        line = e.start_mark.line + 1
        seen = frame[4]
        if raw in seen:
            self._add(0, "yaml-duplicate-key", f"mapping key {_go_quote(raw)} already defined at line {seen[raw]}",
                      e, stack)
        else:
            seen[raw] = line
        if value is not _MERGE and type(value) is not str:
            where = _go_path(self._path(stack))
            self._add(2, "yaml-non-string-key",
                      f"non-string key {'in ' + where if where else 'at top level'}: {_go_value_repr(value)}",
                      e, stack)
            value = _go_value_repr(value)
        frame[2], frame[3] = value, raw
        if self.track:
            frame[11][value] = self._pos(e)

    def _finish(self, frame: list, stack: list[list]) -> dict:
        explicit: dict = frame[0]
        merge = frame[5]
        if merge is None and "<<" not in frame[4]:
            return explicit
        sources = merge if type(merge) is list else [merge]
        if type(merge) is Override:
            sources = [merge.value]
        elif type(merge) is Reset:
            sources = []
        merged: dict = {}
        positions: dict = {}
        for src in reversed(sources):
            if type(src) is Override:
                src = src.value
            if type(src) is Reset:
                continue
            if type(src) is not dict:
                self._add(1, "yaml-merge", "map merge requires map or sequence of maps as the value",
                          frame[9], stack)
                continue
            merged.update(src)
            if self.track:
                positions.update(self.positions.get(id(src), {}))
        for k, v in explicit.items():
            if type(v) is Reset and k in merged:
                v.fallback = merged[k]  # compose-go drops the tagged entry before the merge fills it in
            merged[k] = v
        if self.track:
            positions.update(frame[11])
            frame[11] = positions
        if frame[7] is not None:
            frame[7].value = merged
        return merged

    @staticmethod
    def _path(stack: list[list]) -> list[str | int]:
        out: list[str | int] = []
        for f in stack:
            if not f[1]:
                out.append(len(f[0]))
            elif f[2] is _NOKEY:
                break  # only the innermost mapping can be waiting for its key
            else:
                out.append("<<" if f[2] is _MERGE else f[2])
        return out

    def _add(self, precedence: int, code: str, message: str, e: Any, stack: list[list]) -> None:
        mark = e.start_mark
        self.errors.append((precedence, _error(self.filename, code, message, mark.line + 1, mark.column + 1,
                                               tuple(self._path(stack)))))

    def _fatal(self, code: str, message: str, e: Any, stack: list[list]) -> None:
        self._add(-1, code, message, e, stack)
        raise ComposeError([d for _, d in sorted(self.errors, key=lambda x: x[0])])

    def _done(self, root: Any) -> Document:
        reset_paths: list[KeyPath] = []
        if self.marked and not self.errors:
            try:
                _ResetWalk(self.marked, reset_paths, self.limits).run()
            except _Fail as f:
                self.errors.append((0, _error(self.filename, f.code, f.message, self.start.start_mark.line + 1, 1)))
        if self.cyclic and not self.errors:
            name = next(a.name for a in self.anchors.values() if a.open or a.value is None) if any(
                a.open for a in self.anchors.values()) else "?"
            self.errors.append((0, _error(self.filename, "yaml-alias", f"anchor '{name}' value contains itself")))
        if self.errors:
            raise ComposeError([d for _, d in sorted(self.errors, key=lambda x: x[0])])
        doc = Document(root, self.filename, self.index, tuple(reset_paths), tuple(self.warnings))
        if self.track:
            doc.sourcemap_eager = _flatten(root, self.positions, self._pos(self.start), self.limits)
        return doc


_NOKEY = object()


def _allowed_alias_ratio(decoded: int) -> float:
    # go-yaml v3's "excessive aliasing" rule (decode.go allowedAliasRatio)
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


def _go_quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


def _go_path(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
