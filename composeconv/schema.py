"""Validates Compose documents against the Compose JSON schema, reporting every error in Compose's wording."""

from __future__ import annotations

import json
import re
from _thread import allocate_lock
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from .diagnostics import Diagnostic, KeyPath, Level, Position
from .sourcemap import SourceMap
from .suggest import did_you_mean
from .records import record

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "compose.schema.json"

# Compose sets no limit; composeconv refuses more services than this so that no input makes a run take
# minutes (loading and converting cost time per service).
MAX_SERVICES = 10_000

# Keys that newer Compose releases accept but v2.40.3 rejects: (key, parent key or "*" for a service).
_NEWER_KEYS = {("pre_start", "*"): "`pre_start` needs a Compose release newer than v2.40.3",
               ("no_cache_filter", "build"): "`no_cache_filter` needs a Compose release newer than v2.40.3"}

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "deprecated",
                          "examples", "definitions"})
_SUPPORTED = _ANNOTATIONS | {"$ref", "type", "enum", "pattern", "minimum", "maximum", "required", "properties",
                             "patternProperties", "additionalProperties", "items", "uniqueItems", "oneOf"}

# JSON type names for the Python values a YAML loader produces; exact types first for speed.
_KIND_OF_TYPE: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number",
                                  type(None): "null", dict: "object", list: "array"}
_PY_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,), "integer": (int,),
                                          "number": (int, float), "null": (type(None),), "object": (dict,),
                                          "array": (list,)}


class _Fail:
    """One schema violation; path is relative to the node that is reporting it."""

    __slots__ = ("path", "kind", "info")

    def __init__(self, path: KeyPath, kind: str, info: Any = None):
        self.path = path
        self.kind = kind
        self.info = info


Check = Callable[[Any], "list[_Fail] | None"]


@record
class _ObjectInfo:
    """What an object node allows, kept for the wording and hints of additional-property errors."""

    names: tuple[str, ...]
    patterns: tuple[str, ...]


def _kind(value: Any) -> str | None:
    """The JSON type of value as the Go validator sees it, or None for values JSON cannot hold."""
    kind = _KIND_OF_TYPE.get(type(value))
    if kind is not None:
        return kind
    # Subclasses (e.g. from round-trip YAML loaders) are classified by what they extend; bool before int.
    for py, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                     (dict, "object"), (list, "array")):
        if isinstance(value, py):
            return name
    return None


def _go_type_name(value: Any) -> str:
    # YAML timestamps decode to time.Time in Compose, which its validator cannot type.
    if isinstance(value, (date, datetime)):
        return "time.Time"
    return type(value).__name__


def _prefix(fails: list[_Fail], key: Any) -> list[_Fail]:
    for f in fails:
        f.path = (key,) + f.path
    return fails


def _freeze(value: Any) -> Any:
    """A hashable stand-in with JSON equality: 1 == 1.0, but true != 1, and key order ignored."""
    kind = _kind(value)
    if kind == "object":
        return ("o", frozenset((k, _freeze(v)) for k, v in value.items()))
    if kind == "array":
        return ("a", tuple(_freeze(v) for v in value))
    if kind in ("integer", "number"):
        return ("n", value)
    return (kind or "?", value)


def _go_regex(pattern: str) -> Callable[[str], Any]:
    """Compile an RE2 pattern for Python: RE2's `$` matches only at the very end, Python's also before a final newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern).search


class _Compiler:
    """Turns the schema into nested closures; a closure returns None when valid, else its failures."""

    def __init__(self, root: dict):
        self.root = root
        self.refs: dict[str, Check | None] = {}
        self.kinds: dict[str, frozenset[str] | None] = {}
        self.leaf_types: dict[Check, frozenset[type]] = {}
        self.lock = allocate_lock()

    def ref(self, ref: str) -> Check | None:
        if ref in self.refs:
            return self.refs[ref]
        cell: list[Check | None] = []
        # A placeholder first, so that a recursive reference resolves through the cell.
        self.refs[ref] = lambda v: cell[0](v) if cell[0] else None  # type: ignore[misc]
        check = self.compile(self.resolve(ref))
        cell.append(check)
        self.refs[ref] = check
        return check

    def resolve(self, ref: str) -> dict:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref is supported: {ref}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def kinds_of(self, node: dict) -> frozenset[str] | None:
        """The JSON types a node can accept at all, or None when it is not restricted by type."""
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in self.kinds:
                self.kinds[ref] = None
                self.kinds[ref] = self.kinds_of(self.resolve(ref))
            return self.kinds[ref]
        if "type" in node:
            types = node["type"]
            return frozenset([types] if isinstance(types, str) else types)
        if "oneOf" in node:
            out: set[str] = set()
            for branch in node["oneOf"]:
                k = self.kinds_of(branch)
                if k is None:
                    return None
                out |= k
            return frozenset(out)
        return None

    def compile(self, node: Any) -> Check | None:
        if node is True or node == {}:
            return None
        if not isinstance(node, dict):
            raise ValueError(f"unsupported schema node: {node!r}")
        unknown = set(node) - _SUPPORTED
        if unknown:
            raise ValueError(f"unsupported schema keywords: {sorted(unknown)}")
        if "$ref" in node:
            # Draft 7 ignores keywords beside $ref; refuse them so the schema cannot mean two things.
            if set(node) - _ANNOTATIONS - {"$ref"}:
                raise ValueError(f"keywords beside $ref: {sorted(node)}")
            return self.ref(node["$ref"])
        types = node.get("type")
        guard, fast = _type_guard(None if types is None else [types] if isinstance(types, str) else list(types))
        steps: list[Check] = []
        if "enum" in node:
            steps.append(_enum_check(node["enum"]))
        if "pattern" in node:
            steps.append(_pattern_check(node["pattern"]))
        if "minimum" in node or "maximum" in node:
            steps.append(_range_check(node.get("minimum"), node.get("maximum")))
        shaped: list[Check] = []
        if {"properties", "patternProperties", "additionalProperties", "required"} & set(node):
            shaped.append(self.object_check(node, guard))
        if "items" in node or node.get("uniqueItems"):
            shaped.append(self.array_check(node, guard))
        if "oneOf" in node:
            steps.append(self.one_of_check(node["oneOf"]))
        if not steps and len(shaped) == 1:
            return shaped[0]  # it applies the type guard itself, saving a call per value
        steps = shaped + steps
        if not steps:
            if types is None:
                return None
            leaf = _leaf_check(guard, fast)
            self.leaf_types[leaf] = fast
            return leaf
        return _node_check(guard, fast, steps)

    def leaf_types_of(self, node: Any) -> frozenset[type] | None:
        """The Python types that certainly pass node when it is a bare type test (what compile() would make
        a leaf check of), without compiling it; None otherwise."""
        for _ in range(64):
            if not (isinstance(node, dict) and "$ref" in node):
                break
            node = self.resolve(node["$ref"])
        if not isinstance(node, dict) or "type" not in node or set(node) - _ANNOTATIONS - {"type"}:
            return None
        types = node["type"]
        return _type_guard([types] if isinstance(types, str) else list(types))[1]

    def object_check(self, node: dict, guard: Check) -> Check:
        # Declared keys are compiled when a document first uses them: the schema declares hundreds, a
        # file uses a few dozen, and compiling them all cost more than validating a small project.
        declared: dict[str, Any] = node.get("properties", {})
        props: dict[str, Check | None] = {}
        compile_lock, compile_node = self.lock, self.compile

        def declared_check(key: str) -> Check | None:
            with compile_lock:  # another thread may be compiling the same schema
                if key not in props:
                    props[key] = compile_node(declared[key])
                return props[key]

        patterns = [(_go_regex(p), self.compile(sub)) for p, sub in node.get("patternProperties", {}).items()]
        additional = node.get("additionalProperties", True)
        if additional not in (True, False, {}):
            raise ValueError("additionalProperties must be a boolean here")
        closed = additional is False
        required = tuple(node.get("required", ()))
        info = _ObjectInfo(tuple(declared), tuple(node.get("patternProperties", {})))
        # Names that are both declared and match a pattern are checked by both, as JSON Schema says.
        both = frozenset(n for n in declared if any(test(n) for test, _ in patterns))
        # Declared keys whose schema is a bare type test are tested inline: most keys are such leaves.
        inline = {n: leaf for n, sub in declared.items()
                  if n not in both and (leaf := self.leaf_types_of(sub)) is not None}

        def check(value: Any) -> list[_Fail] | None:
            if type(value) is not dict:
                r = guard(value)
                if r or not isinstance(value, dict):
                    return r
            fails: list[_Fail] | None = None
            if required:
                missing = [name for name in required if name not in value]
                if missing:
                    fails = [_Fail((), "required", missing)]
            for key, item in value.items():
                leaf = inline.get(key)
                if leaf is not None and type(item) in leaf:
                    continue
                sub = props.get(key, props)  # props itself marks "not declared (or not compiled yet)"
                if sub is props and type(key) is str and key in declared:
                    sub = declared_check(key)
                if sub is not props:
                    if sub is not None:
                        r = sub(item)
                        if r:
                            fails = _join(fails, _prefix(r, key))
                    if key not in both:
                        continue
                if type(key) is not str:
                    # Reported at the mapping: such keys are not valid key-path parts.
                    fails = _join(fails, [_Fail((), "key", key)])
                    continue
                matched = sub is not props
                for test, pattern_check in patterns:
                    if test(key):
                        matched = True
                        if pattern_check is not None:
                            r = pattern_check(item)
                            if r:
                                fails = _join(fails, _prefix(r, key))
                if not matched and closed:
                    fails = _join(fails, [_Fail((key,), "additional", info)])
            return fails

        return check

    def array_check(self, node: dict, guard: Check) -> Check:
        if isinstance(node.get("items"), list):
            raise ValueError("tuple-form items is not supported")
        items = self.compile(node["items"]) if "items" in node else None
        leaf = self.leaf_types.get(items) if items is not None else None  # type: ignore[arg-type]
        unique = bool(node.get("uniqueItems"))

        def check(value: Any) -> list[_Fail] | None:
            if type(value) is not list:
                r = guard(value)
                if r or not isinstance(value, list):
                    return r
            fails: list[_Fail] | None = None
            if unique and len(value) > 1:
                seen: dict[Any, int] = {}
                for j, item in enumerate(value):
                    key = _freeze(item)
                    if key in seen:
                        fails = [_Fail((), "unique", (seen[key], j))]
                        break
                    seen[key] = j
            if items is not None:
                for i, item in enumerate(value):
                    if leaf is not None and type(item) in leaf:
                        continue
                    r = items(item)
                    if r:
                        fails = _join(fails, _prefix(r, i))
            return fails

        return check

    def one_of_check(self, branches_schema: list) -> Check:
        branches = [self.compile(b) for b in branches_schema]
        kinds = [self.kinds_of(b) for b in branches_schema]
        # When branch types do not overlap, only the branch for the value's type can match: try it
        # alone, and evaluate every branch only when it fails (to pick the error Compose reports).
        dispatch: dict[type, Check | None] = {}
        if all(k is not None for k in kinds):
            for py in _KIND_OF_TYPE:
                owners = [i for i, k in enumerate(kinds) if any(py in _PY_TYPES[n] for n in k or ())
                          or (py is float and "integer" in (k or ()))]
                if len(owners) == 1:
                    dispatch[py] = branches[owners[0]]

        def check(value: Any) -> list[_Fail] | None:
            branch = dispatch.get(type(value), dispatch)
            if branch is not dispatch and (branch is None or not branch(value)):
                return None
            if _kind(value) is None:
                return [_Fail((), "invalid", _go_type_name(value))]
            results: list[list[_Fail]] = []
            matched = -1
            for i, b in enumerate(branches):
                r = b(value) if b is not None else None
                if r:
                    results.append(r)
                elif matched < 0:
                    matched = i
                else:
                    return [_Fail((), "oneof", (matched, i))]
            if matched >= 0:
                return None
            # Compose reports the failure deepest in the document; on a tie, the earliest branch's.
            best, best_depth = results[0], -1
            for r in results:
                depth = max(len(f.path) for f in r)
                if depth > best_depth:
                    best, best_depth = r, depth
            return best

        return check


def _join(fails: list[_Fail] | None, more: list[_Fail]) -> list[_Fail]:
    if fails is None:
        return more
    fails.extend(more)
    return fails


def _type_guard(types: list[str] | None) -> tuple[Check, frozenset[type]]:
    """A check of the JSON type alone, and the exact Python types that certainly pass it."""
    allowed = frozenset(types) if types is not None else None
    want = sorted(types) if types is not None else []
    integer_only = allowed is not None and "integer" in allowed and "number" not in allowed
    fast = frozenset(t for name in (types if types is not None else _PY_TYPES) for t in _PY_TYPES[name])

    def guard(value: Any) -> list[_Fail] | None:
        kind = _kind(value)
        if kind is None:
            # The Go validator refuses values JSON cannot hold at any non-empty schema.
            return [_Fail((), "invalid", _go_type_name(value))]
        if allowed is None or kind in allowed or (kind == "integer" and "number" in allowed):
            return None
        if kind == "number" and integer_only and value.is_integer():
            return None
        return [_Fail((), "type", want)]

    return guard, fast


def _leaf_check(guard: Check, fast: frozenset[type]) -> Check:
    def check(value: Any) -> list[_Fail] | None:
        return None if type(value) in fast else guard(value)

    return check


def _node_check(guard: Check, fast: frozenset[type], steps: list[Check]) -> Check:
    if len(steps) == 1:
        step = steps[0]

        def check_one(value: Any) -> list[_Fail] | None:
            if type(value) not in fast:
                r = guard(value)
                if r:
                    return r
            return step(value)

        return check_one

    def check(value: Any) -> list[_Fail] | None:
        if type(value) not in fast:
            r = guard(value)
            if r:
                return r
        fails: list[_Fail] | None = None
        for step in steps:
            r = step(value)
            if r:
                fails = _join(fails, r)
        return fails

    return check


def _enum_check(values: list) -> Check:
    frozen = frozenset(_freeze(v) for v in values)

    def check(value: Any) -> list[_Fail] | None:
        if _kind(value) in ("object", "array") or _freeze(value) not in frozen:
            return [_Fail((), "enum", values)]
        return None

    return check


def _pattern_check(pattern: str) -> Check:
    search = _go_regex(pattern)

    def check(value: Any) -> list[_Fail] | None:
        if isinstance(value, str) and not search(value):
            return [_Fail((), "pattern", (value, pattern))]
        return None

    return check


def _range_check(low: float | None, high: float | None) -> Check:
    def check(value: Any) -> list[_Fail] | None:
        if _kind(value) not in ("integer", "number"):
            return None
        if low is not None and value < low:
            return [_Fail((), "minimum", low)]
        if high is not None and value > high:
            return [_Fail((), "maximum", high)]
        return None

    return check


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The Compose schema as a dict (parsed once; do not mutate)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _root_check() -> Check:
    check = _Compiler(load_schema()).compile(load_schema())
    assert check is not None
    return check


def is_valid(data: Any) -> bool:
    """Whether data passes the schema; the same verdict as validate(), without building diagnostics."""
    return not _root_check()(data)


def validate(data: Any, sourcemap: SourceMap | None = None, filename: str | None = None) -> list[Diagnostic]:
    """Every schema error in data, one diagnostic each, deduplicated and ordered by key path.

    data is the document as Compose validates it: parsed, interpolated (with the type casts Compose
    applies), merged, with duplicate set-like list entries dropped.
    """
    services = data.get("services") if isinstance(data, dict) else None
    if isinstance(services, dict) and len(services) > MAX_SERVICES:
        # checked first: everything after loading costs time per service
        return [Diagnostic("too-many-services", Level.ERROR,
                           f"services has {len(services)} entries, more than composeconv's limit of {MAX_SERVICES}",
                           ("services",), _position(("services",), sourcemap, filename),
                           "split the project into several")]
    fails = _root_check()(data)
    if not fails:
        return []
    seen: set[tuple[str, KeyPath, str]] = set()
    out: list[Diagnostic] = []
    for f in fails:
        d = _diagnostic(f, data, sourcemap, filename)
        key = (d.code, d.path, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    out.sort(key=lambda d: (_path_sort_key(d.path), d.code, d.message))
    return out


def _path_sort_key(path: KeyPath) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) and not isinstance(p, bool) else (1, 0, str(p)) for p in path)


def _dotted(path: Iterable[Any]) -> str:
    # Compose joins the instance location with dots, list indexes included (services.web.ports.0).
    return ".".join(str(p) for p in path)


def _quote(text: str) -> str:
    """Go's %q with single quotes, as the Go validator quotes names and values."""
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def _display(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "<nil>" if value is None else str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _human_types(want: list[str]) -> str:
    names = sorted("mapping" if t == "object" else t for t in want)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _diagnostic(f: _Fail, data: Any, sourcemap: SourceMap | None, filename: str | None) -> Diagnostic:
    path = tuple(f.path)
    where = _dotted(path)
    hint: str | None = None
    if f.kind == "additional":
        where = _dotted(path[:-1])
        code, text = "schema-additional-property", f"additional properties {_quote(str(path[-1]))} not allowed"
        hint = _additional_hint(path, f.info, data)
    elif f.kind in ("type", "invalid") and not path:
        code, text = "schema-type", "top-level object must be a mapping"
    elif f.kind == "type":
        code, text = "schema-type", f"must be a {_human_types(f.info)}"
    elif f.kind == "invalid":
        code, text = "schema-type", f"invalid jsonType {f.info}"
        if f.info == "time.Time":
            hint = "YAML reads this as a timestamp; quote it to make it a string"
    elif f.kind == "enum":
        values = f.info
        text = (f"value must be {_display(values[0])}" if len(values) == 1
                else f"value must be one of {', '.join(_display(v) for v in values)}")
        code = "schema-enum"
    elif f.kind == "required":
        names = ", ".join(_quote(n) for n in f.info)
        code, text = "schema-required", f"missing propert{'y' if len(f.info) == 1 else 'ies'} {names}"
    elif f.kind == "pattern":
        code, text = "schema-pattern", f"{_quote(f.info[0])} does not match pattern {_quote(f.info[1])}"
    elif f.kind == "minimum":
        code, text = "schema-minimum", f"must be greater than or equal to {_number(f.info)}"
    elif f.kind == "maximum":
        code, text = "schema-maximum", f"must be less than or equal to {_number(f.info)}"
    elif f.kind == "unique":
        code, text = "schema-unique", f"items at {f.info[0]} and {f.info[1]} are equal"
    elif f.kind == "key":
        # Compose's wording for this comes from its YAML-to-map conversion, which writes list indexes as [i].
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        code, where = "schema-key-type", ""
        text = f"non-string key {'in ' + at if at else 'at top level'}: {_display(f.info)}"
    else:
        code, text = "schema-one-of", f"valid against subschemas at indexes {f.info[0]} and {f.info[1]}"
    message = f"{where} {text}" if where else text
    return Diagnostic(code, Level.ERROR, message, path, _position(path, sourcemap, filename), hint)


def _position(path: KeyPath, sourcemap: SourceMap | None, filename: str | None) -> Position | None:
    pos = sourcemap.get(path) if sourcemap is not None else None
    if pos is None:
        return Position(filename) if filename else None
    if pos.file is None and filename:
        return Position(filename, pos.line, pos.column)
    return pos


def _additional_hint(path: KeyPath, info: _ObjectInfo, data: Any) -> str | None:
    key = str(path[-1])
    parent = path[-2] if len(path) >= 2 else None
    for (name, where), text in _NEWER_KEYS.items():
        if key == name and (parent == where or (where == "*" and len(path) == 3 and path[0] == "services")):
            return text
    if not info.names and info.patterns:
        if info.patterns[0] in (".+", "^.+$"):
            return "keys must not be empty"
        # A container of named entries (services, volumes, ...) whose name has characters Compose rejects.
        return f"names here must match {info.patterns[0]}"
    hint = _did_you_mean(key, info.names)
    if hint:
        return hint
    if len(path) == 1 and isinstance(data, dict) and _looks_like_service(data.get(path[0])):
        return "this looks like a service: the legacy v1 format is not supported; put services under `services:`"
    if "^x-" in info.patterns:
        return "custom keys must start with `x-`"
    return None


@lru_cache(maxsize=1024)
def _did_you_mean(key: str, names: tuple[str, ...]) -> str | None:
    # The same misspelling tends to repeat across services; compare it once.
    return did_you_mean(key, names)


def _looks_like_service(value: Any) -> bool:
    return isinstance(value, dict) and bool({"image", "build", "command", "ports"} & set(value))
