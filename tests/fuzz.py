"""Fuzzing composeconv: Compose documents built from the schema, mutations of the real corpus, and the
invariant every input has to keep.

The invariant (`check_project`, `check_cli`): loading and converting either succeed, or fail with
diagnostics that name a position; nothing raises any other exception, no command exits with a code
other than 0, 1 or 2 or prints a traceback, and no input takes more than a few seconds.

Strategies:
  compose_documents()       valid documents, generated from composeconv/schemas/compose.schema.json
                            with realistic strings (ports, volumes, durations, ...) where it matters
  nearly_valid_documents()  those, with a few mutations: deleted, misspelled and duplicated keys,
                            swapped types, huge numbers, odd unicode
  corpus_mutations()        a corpus file and byte-level mutations: truncation, byte flips, inserted
                            NUL bytes, odd unicode, CRLF, BOMs, tabs, duplicated and deleted lines
  hostile_names             names with "..", "/", shell and YAML metacharacters

tests/test_hardening_fuzz.py runs a fixed, derandomized budget of these in the suite. The long run
(figures in docs/reliability.md):

    scripts/fuzz-long.sh 25      # or: .venv/bin/python -m tests.fuzz --minutes 25 --report FILE
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml
from hypothesis import strategies as st

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # `python -m tests.fuzz` as well as `import fuzz` from the tests
    sys.path.insert(0, str(_HERE))

from support import CORPUS, ROOT  # noqa: E402

from composeconv.api import convert, load_project, targets  # noqa: E402
from composeconv.backends import ConvertOptions, ConvertResult  # noqa: E402
from composeconv.diagnostics import ComposeError, Diagnostic, Level  # noqa: E402
from composeconv.interpolation import CAST_PATHS  # noqa: E402
from composeconv.output import safe_relpath  # noqa: E402
from composeconv.schema import load_schema  # noqa: E402

# How long one input may take, in-process, for loading plus every conversion. Generous: a test
# machine may be loaded; a hang or quadratic blow-up takes far longer.
DEADLINE = 5.0
# The same for one command run through the CLI in a fresh interpreter (start-up included).
SUBPROCESS_DEADLINE = 20.0

# ---------------------------------------------------------------- documents from the schema

SCHEMA = load_schema()
DEFS = SCHEMA["definitions"]

NAMES = ["web", "db", "cache", "app", "a", "b.c", "x-y", "_u", "1"]
service_names = st.one_of(st.sampled_from(NAMES), st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,8}", fullmatch=True))
resource_names = st.one_of(st.sampled_from(["data", "front", "back", "s1", "c1", "default"]),
                           st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,8}", fullmatch=True))
ODD_TEXT = ["", " ", "\u202e", "\u200d", "\u00a0", "\u2028", "\u0085", "\U0001f47b", "e\u0301", "\uff21",
            "\t", "\\", "'", '"', "#", "&a", "*a", "!tag", "%", "@", "`", "|", ">", "{}", "[]", ": ", "- ",
            "~", "null", "yes", "0x1F", "1e3", "0777", "2001-02-03", "-", ".inf", "<<", "\x00", "\x1b[31m", "\r",
            "\x7f", "\ufffe", "$(id)", "`id`", ";", "\n", "..", "../x", "/"]
odd_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(st.characters(blacklist_categories=("Cs",)), max_size=8))
DOLLAR = ["${A}", "${A:-dflt}", "$$escaped", "${UNSET}", "${A:?needed}", "$A", "${B:+alt}", "${A-x}"]
dollar_text = st.sampled_from(DOLLAR)

# Realistic values for the string keys where the loader parses the text.
POOLS: dict[str, list[str]] = {
    "image": ["nginx", "redis:7", "registry.example.com:5000/team/app:1.2", "busybox@sha256:" + "a" * 64,
              "${IMAGE:-alpine}"],
    "ports": ["80", "8080:80", "127.0.0.1:8080:80/udp", "3000-3005:3000-3005", "[::1]:80:80", "9090:9090/tcp",
              "${PORT:-80}:80", "0:80", "70000:80"],
    "expose": ["80", "8000-8010/tcp", "9000/udp"],
    "volumes": ["./data:/data", "data:/var/lib/data:ro", "/abs/path:/abs:rw", "~/x:/x", "tmp:/tmp:nocopy",
                "/only/target", "./rel:/rel:z", "data:/d:ro,z"],
    "command": ["echo hi", "sh -c 'echo $$HOME'", "${CMD:-run}", "", "a 'b c' \"d\""],
    "entrypoint": ["/entry.sh", "sh -c", ""],
    "interval": ["10s", "1m30s", "1h", "500ms", "0s", "1.5s"],
    "timeout": ["10s", "2m", "0"], "start_period": ["5s"], "start_interval": ["1s"],
    "stop_grace_period": ["1m", "10s"], "delay": ["5s"], "window": ["2m"], "monitor": ["30s"],
    "mem_limit": ["512m", "1g", "1024", "2gb", "100k"], "memswap_limit": ["1g", "-1"],
    "mem_reservation": ["256m"], "shm_size": ["64m"], "size": ["1g"], "memory": ["512M", "1G"],
    "cpus": ["0.5", "2", "1.25"], "pids": ["100"],
    "restart": ["no", "always", "on-failure:3", "unless-stopped", "on-failure"],
    "network_mode": ["host", "bridge", "none", "service:web", "service:db", "container:x"],
    "user": ["1000:1000", "root", "nobody"],
    "extra_hosts": ["host:1.2.3.4", "other=::1", "h:host-gateway"],
    "dns": ["8.8.8.8", "1.1.1.1"],
    "devices": ["/dev/null:/dev/null:rwm", "/dev/fuse"],
    "tmpfs": ["/run", "/tmp:size=64m"],
    "env_file": [".env", "missing.env", "./envs/app.env"],
    "context": [".", "./app", "https://github.com/docker/compose.git"],
    "dockerfile": ["Dockerfile", "build/Dockerfile.dev"],
    "file": ["./secret.txt", "./config.txt", "/etc/hostname", "missing-file"],
    "content": ["hello", "line1\nline2", "${A:-c}"],
    "environment": ["SECRET_VAR", "A"],
    "working_dir": ["/app", "/"],
    "platform": ["linux/amd64", "linux/arm64/v8"],
    "pull_policy": ["always", "never", "missing", "build", "if_not_present", "every_12h"],
    "stop_signal": ["SIGTERM", "SIGKILL"],
    "hostname": ["host1"], "domainname": ["example.com"],
    "container_name": ["my-app", "web_1"],
    "test": ["CMD true", "curl -f http://localhost", "NONE"],
    "driver": ["local", "overlay", "bridge", "json-file"],
    "target": ["/data", "/run/secrets/x", "80", "prod"],
    "source": ["data", "./src", "/abs", "s1", "c1"],
    "published": ["8080", "80-81"],
    "mode": ["ingress", "host", "0444", "replicated", "global"],
    "condition": ["service_started", "service_healthy", "service_completed_successfully"],
    "path": ["other.yaml", "./sub/compose.yaml", "missing.yaml"],
    "project_directory": [".", "sub"],
    "name": ["myproj", "shared-net", "data_vol"],
    "subnet": ["172.28.0.0/16", "2001:db8::/64"],
    "ipv4_address": ["172.28.1.4"],
    "cgroup_parent": ["m-executor-abcd"],
    "isolation": ["default", "process"],
    "mac_address": ["02:42:ac:11:65:43"],
    "ipc": ["host", "shareable", "service:web"],
    "pid": ["host"],
    "userns_mode": ["host"],
    "runtime": ["runc"],
    "init": ["true"],
    "scale": ["2"],
    "replicas": ["3"],
    "profiles": ["debug", "prod"],
    "depends_on": NAMES, "links": ["web", "db:database"], "volumes_from": ["web", "container:x:ro"],
    "secrets": ["s1", "s2"], "configs": ["c1"], "networks": ["front", "back", "default"],
    "labels": ["a=b", "com.example.x"], "aliases": ["alias1"],
}


class SchemaStrategies:
    """Hypothesis strategies for documents the schema accepts (in spirit: values are realistic)."""

    def __init__(self, max_keys: int = 4) -> None:
        self.max_keys = max_keys
        self._refs: dict[str, st.SearchStrategy] = {}

    def document(self) -> st.SearchStrategy:
        services = st.dictionaries(service_names, self.ref("service"), min_size=1, max_size=3)
        top = {
            "networks": st.dictionaries(resource_names, st.one_of(st.none(), self.ref("network")), max_size=2),
            "volumes": st.dictionaries(resource_names, st.one_of(st.none(), self.ref("volume")), max_size=2),
            "secrets": st.dictionaries(resource_names, self.ref("secret"), max_size=2),
            "configs": st.dictionaries(resource_names, self.ref("config"), max_size=2),
            "name": st.sampled_from(["proj", "my-app", "${NAME:-fuzz}"]),
            "x-ext": json_values,
        }
        return st.fixed_dictionaries({"services": services}, optional=top)

    def ref(self, name: str) -> st.SearchStrategy:
        if name not in self._refs:
            self._refs[name] = st.deferred(lambda: self.node(DEFS[name], name))
        return self._refs[name]

    def node(self, node: Any, key: str) -> st.SearchStrategy:
        if node is True or node == {}:
            return json_values
        if "$ref" in node:
            return self.ref(node["$ref"].rsplit("/", 1)[-1])
        if "oneOf" in node:
            return st.one_of([self.node(sub, key) for sub in node["oneOf"]])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        types = node.get("type")
        if isinstance(types, list) and key in CAST_KEYS and len(types) > 1:
            types = [t for t in types if t != "string"]  # a string there must read as a number or boolean
            node = {**node, "type": types}
        if isinstance(types, list):
            return st.one_of([self.node({**node, "type": t}, key) for t in types])
        if types == "object":
            return self._object(node, key)
        if types == "array":
            items = self.node(node.get("items", {}), key) if "items" in node else json_scalars
            lists = st.lists(items, max_size=3)
            if node.get("uniqueItems"):
                lists = st.lists(items, max_size=3, unique_by=lambda v: json.dumps(v, sort_keys=True))
            return lists
        if types == "string":
            if "pattern" in node:
                return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: "\x00" not in s)
            return self._string(key)
        if types == "integer":
            low, high = node.get("minimum", -5), node.get("maximum", 100_000)
            return st.integers(min_value=low, max_value=high)
        if types == "number":
            low, high = node.get("minimum", -5), node.get("maximum", 100_000)
            return st.one_of(st.integers(low, high), st.integers(low, high), st.integers(low, high),
                             st.floats(low, high, allow_nan=False))
        if types == "boolean":
            return st.booleans()
        if types == "null":
            return st.none()
        return json_scalars

    def _string(self, key: str) -> st.SearchStrategy:
        pool = POOLS.get(key)
        if pool:
            return st.sampled_from(pool)
        return st.one_of(st.from_regex(r"[a-z0-9][a-z0-9._/:-]{0,10}", fullmatch=True), st.sampled_from(DOLLAR[:3]))

    def _object(self, node: dict, key: str) -> st.SearchStrategy:
        props: dict[str, Any] = node.get("properties", {})
        required = [k for k in node.get("required", []) if k in props]
        optional = sorted(k for k in props if k not in required)
        fixed = {k: self.node(props[k], k) for k in required}
        parts: list[st.SearchStrategy] = []
        if optional:
            strategies = {k: self.node(props[k], k) for k in optional}
            chosen = st.lists(st.sampled_from(optional), max_size=self.max_keys, unique=True)
            parts.append(chosen.flatmap(lambda ks: st.fixed_dictionaries({k: strategies[k] for k in ks})))
        for pattern, sub in node.get("patternProperties", {}).items():
            if pattern == "^x-":
                parts.append(st.dictionaries(st.sampled_from(["x-a", "x-b"]), json_values, max_size=1))
            elif "a-zA-Z0-9._-" in pattern:
                parts.append(st.dictionaries(resource_names, self.node(sub, key), max_size=2))
            else:
                parts.append(st.dictionaries(st.sampled_from(["k", "KEY", "a.b", "x y"]), self.node(sub, key),
                                             max_size=2))
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            parts.append(st.dictionaries(st.sampled_from(["k", "VAR", "a.b", "net"]), self.node(extra, key),
                                         max_size=2))

        def combine(dicts: Sequence[dict]) -> dict:
            out: dict = {}
            for d in dicts:
                out.update(d)
            return out
        return st.tuples(st.fixed_dictionaries(fixed), *parts).map(combine)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.sampled_from(["a", "b", "1.5"]))
json_values = st.recursive(json_scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                              st.dictionaries(st.sampled_from(["k", "v", "x"]), c,
                                                                              max_size=3)), max_leaves=6)

_STRATEGIES = SchemaStrategies()
# keys whose strings Compose casts to numbers or booleans after interpolation
CAST_KEYS = frozenset(path[-1] for path, _ in CAST_PATHS if path[-1] not in ("*", "[]")) | {"ulimits"}


def _names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(v.get("source") if isinstance(v, dict) else v).split(":")[0] for v in value]
    return []


def repair(doc: dict) -> dict:
    """Make a schema-generated document meet the rules the schema cannot express (image or build,
    one source per secret, references to things that exist), so that most of them load."""
    services = doc.get("services") or {}
    top = {kind: doc.get(kind) or {} for kind in ("networks", "volumes", "secrets", "configs")}
    for kind, allowed in (("secrets", ("file", "environment")), ("configs", ("file", "environment", "content"))):
        for key, obj in list(top[kind].items()):
            if not isinstance(obj, dict):
                continue
            if obj.get("external") is True:
                for k in allowed + ("content",):
                    obj.pop(k, None)
                continue
            obj.pop("external", None)
            source = next((k for k in allowed if k in obj), "file")
            for k in ("file", "environment", "content"):
                if k != source:
                    obj.pop(k, None)
            obj.setdefault(source, {"file": "./secret.txt", "environment": "SECRET_VAR", "content": "c"}[source])
    for net in top["networks"].values():
        if isinstance(net, dict) and isinstance(net.get("external"), dict):
            net.pop("external")
    for name, svc in services.items():
        if not isinstance(svc, dict):
            continue
        svc.pop("extends", None)
        svc.pop("models", None)
        if "image" not in svc and "build" not in svc:
            svc["image"] = "busybox"
        for key, pool in (("depends_on", services), ("links", services), ("volumes_from", services),
                          ("networks", {**top["networks"], "default": None}), ("secrets", top["secrets"]),
                          ("configs", top["configs"])):
            value = svc.get(key)
            if value is None:
                continue
            if any(n not in pool or (pool is services and n == name) for n in _names(value)):
                svc.pop(key)
        for key in ("network_mode", "ipc", "pid"):
            mode = svc.get(key)
            if isinstance(mode, str) and mode.startswith(("service:", "container:")):
                target = mode.split(":", 1)[1]
                if target not in services or target == name:
                    svc.pop(key)
        for gpu in svc.get("gpus") or []:
            if isinstance(gpu, dict) and "count" in gpu:
                gpu.pop("device_ids", None)
        deploy = svc.get("deploy")
        if isinstance(deploy, dict):
            for dev in ((deploy.get("resources") or {}).get("reservations") or {}).get("devices") or []:
                if isinstance(dev, dict) and "count" in dev:
                    dev.pop("device_ids", None)
        for i, vol in enumerate(svc.get("volumes") or []):
            if isinstance(vol, dict) and vol.get("type") == "volume" and vol.get("source") not in top["volumes"]:
                vol.pop("source", None)
            elif isinstance(vol, str) and vol.split(":")[0] and vol[0] not in "./~" and ":" in vol:
                top["volumes"].setdefault(vol.split(":")[0], None)
                doc["volumes"] = top["volumes"]
    doc.pop("models", None)
    return doc


def compose_documents() -> st.SearchStrategy:
    """Documents the schema accepts, with realistic values where the loader parses strings."""
    return _STRATEGIES.document().map(repair)


# ---------------------------------------------------------------- nearly valid documents

HUGE = [2**63, 2**64, -(2**63) - 1, 10**30, -1, 0, 1e308, -0.0, 2**31]
SWAPS: list[Any] = [None, True, 0, 1.5, "text", [], {}, ["a", 1], {"k": "v"}, "", "${", 10**20]
TYPOS = {"image": "imgae", "ports": "port", "volumes": "volume", "environment": "enviroment",
         "depends_on": "depend_on", "healthcheck": "helthcheck", "services": "service", "command": "commmand"}
MUTATIONS = ("delete", "typo", "swap", "huge", "odd", "duplicate", "dollar", "empty", "deep")


def _paths(doc: Any, path: tuple = ()) -> Iterable[tuple]:
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, path + (i,))


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutate_document(doc: dict, ops: Sequence[tuple[str, int]]) -> dict:
    """A copy of doc with each (mutation, seed) applied at a place the seed picks."""
    doc = copy.deepcopy(doc)
    for op, seed in ops:
        rnd = random.Random(seed)
        paths = [p for p in _paths(doc) if p]
        if not paths:
            continue
        path = rnd.choice(paths)
        parent, last = _get(doc, path[:-1]), path[-1]
        if op == "delete":
            del parent[last]
        elif op == "typo" and isinstance(parent, dict):
            value = parent.pop(last)
            parent[TYPOS.get(str(last), str(last) + "_")] = value
        elif op == "swap":
            parent[last] = copy.deepcopy(rnd.choice(SWAPS))
        elif op == "huge":
            parent[last] = rnd.choice(HUGE)
        elif op == "odd":
            parent[last] = rnd.choice(ODD_TEXT) + str(parent[last]) + rnd.choice(ODD_TEXT)
        elif op == "duplicate" and isinstance(parent, dict):
            parent[str(last) + rnd.choice(["2", "-copy", ".1"])] = copy.deepcopy(parent[last])
        elif op == "dollar":
            parent[last] = rnd.choice(DOLLAR) + (str(parent[last]) if not isinstance(parent[last], (dict, list))
                                                else "")
        elif op == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], (dict, list, str)) else None
        elif op == "deep":
            value: Any = "leaf"
            for _ in range(rnd.randint(20, 190)):
                value = {"k": value} if rnd.random() < 0.5 else [value]
            parent[last] = value
    return doc


def nearly_valid_documents() -> st.SearchStrategy:
    ops = st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32)), min_size=1, max_size=3)
    return st.tuples(compose_documents(), ops).map(lambda t: mutate_document(*t))


def dump_document(doc: Any, style: int = 0) -> bytes:
    """YAML (block or flow style) or JSON text of a generated document."""
    if style == 2:
        return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=style == 1, width=4096)
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- mutations of the corpus

def corpus_cases() -> list[str]:
    """Every case of the shared corpus (paths relative to cases/), loadable or not."""
    index = CORPUS / "index.tsv"
    if not index.exists():
        return []
    lines = index.read_text(encoding="utf-8").splitlines()[1:]
    return sorted(line.split("\t", 1)[0] for line in lines if line.strip())


PAYLOADS = [b"\x00", b"\t", b"\r\n", b"\r", "\u202e".encode(), "\ufeff".encode(), b"\xff\xfe", b"\xed\xa0\x80",
            b"\xc3", "\U0001f47b".encode(), "\u2028".encode(), "\u0085".encode(), b"&a ", b"*a", b"<<: *a\n",
            b"!!python/object/apply:os.system ['true'] ", b"!!python/name:os.system ", b"!reset ", b"!override ",
            b"!custom ", b"${", b"$${", b"${A:?}", b"${A:-${B:-${C}}}", b"{", b"[", b"'", b'"', b": ", b"- ",
            b"? ", b"%YAML 1.1\n", b"---\n", b"...\n", b"#", b"|", b">", b"0x" + b"f" * 30, b"9" * 400, b"1e400",
            b".inf", b"~", b"\\", b"%TAG ! tag:example.com,2000:\n", b"!!binary aGVsbG8=", b"&x [*x]"]
VALUES = [b"[]", b"{}", b"true", b"null", b"1e999", b"-1", b"18446744073709551616", b"'text'", b"\"\\x00\"",
          b"[a, [b, [c]]]", b"{a: {b: {c: d}}}", b"0o777", b"2001-12-14t21:59:43.10-05:00", b"!!binary AAAA",
          b"*nope", b"&anchor value", b"|\n  block\n", b"'${A:-x}'", b"\"$$\""]
BYTE_OPS = ("truncate", "flip", "insert", "delete", "dup_line", "del_line", "swap_value", "huge_number", "crlf",
            "cr", "bom", "tabs", "repeat", "indent")


def mutate_bytes(data: bytes, ops: Sequence[tuple[str, int]]) -> bytes:
    """data with each (mutation, seed) applied; the seed picks the place and the payload."""
    for op, seed in ops:
        rnd = random.Random(seed)
        n = len(data)
        pos = rnd.randint(0, n) if n else 0
        if op == "truncate":
            data = data[:pos]
        elif op == "flip" and n:
            i = min(pos, n - 1)
            data = data[:i] + bytes([data[i] ^ rnd.randint(1, 255)]) + data[i + 1:]
        elif op == "insert":
            data = data[:pos] + rnd.choice(PAYLOADS) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + rnd.randint(1, 16):]
        elif op in ("dup_line", "del_line", "swap_value", "huge_number", "indent"):
            lines = data.split(b"\n")
            i = rnd.randrange(len(lines))
            line = lines[i]
            if op == "dup_line":
                lines.insert(i, line)
            elif op == "del_line":
                del lines[i]
            elif op == "swap_value":
                key, sep, _ = line.partition(b": ")
                lines[i] = (key + b": " if sep else line.rstrip(b"-").rstrip() + b" ") + rnd.choice(VALUES)
            elif op == "huge_number":
                lines[i] = re.sub(rb"\d+", lambda m: rnd.choice([b"9" * 40, b"18446744073709551616",
                                                                 b"-9223372036854775809", b"1e400"]), line, count=1)
            else:
                lines[i] = b" " * rnd.choice([1, 3, 7]) + line
            data = b"\n".join(lines)
        elif op == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif op == "cr":
            data = data.replace(b"\n", b"\r")
        elif op == "bom":
            which = rnd.randrange(4)
            if which == 0:
                data = b"\xef\xbb\xbf" + data
            elif which == 1:
                data = data.decode("utf-8", "replace").encode("utf-16")  # with its BOM
            elif which == 2:
                data = data.decode("utf-8", "replace").encode("utf-32")
            else:
                data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
        elif op == "tabs":
            data = re.sub(rb"(?m)^(  )+", lambda m: b"\t" * (len(m.group(0)) // 2), data, count=rnd.randint(1, 5))
        elif op == "repeat" and n:
            end = min(n, pos + rnd.randint(1, 200))
            data = data[:end] + data[pos:end] * rnd.randint(2, 20) + data[end:]
    return data


def corpus_mutations(cases: Sequence[str] | None = None) -> st.SearchStrategy:
    """(corpus case, byte mutations) pairs."""
    cases = list(cases if cases is not None else corpus_cases())
    ops = st.lists(st.tuples(st.sampled_from(BYTE_OPS), st.integers(0, 2**32)), min_size=1, max_size=4)
    return st.tuples(st.sampled_from(cases), ops)


# ---------------------------------------------------------------- hostile names

HOSTILE = ["..", "../..", "../../etc/passwd", "/etc/passwd", "a/b", "a/../../b", ".", "...", "-rf", "--help",
           "$(touch pwned)", "`touch pwned`", "a;b", "a|b", "a&&b", "a b", "a\tb", "a\nb", "'", '"', "\\",
           "*", "?", "[x]", "{a,b}", "~", "~root", "$HOME", "${HOME}", "#c", "a: b", "- a", "&a", "*a", "!t",
           "%x", "@x", "<<", "NUL\x00", "\u202e", "con", "a/", "/", "..\\..\\x", "x-", ".hidden", "Ünïcödé"]
hostile_names = st.one_of(st.sampled_from(HOSTILE),
                          st.text(st.sampled_from(list("./\\$`;|&*?[]{}~'\" \t\n#:!%@<>-aZ0")), min_size=1,
                                  max_size=10))


# ---------------------------------------------------------------- the invariant


class InvariantBroken(AssertionError):
    """An input made composeconv break one of its promises."""


# Open bugs in code this tier does not own, by a pattern of the failure message. Each one is reproduced
# by the named test, which is marked xfail(strict=True): when the bug is fixed that test passes, the
# strict marker turns it into a failure, and the entry here has to go. Until then the fuzz tests
# record inputs that hit a listed bug instead of failing on them again.
# Failure messages of bugs that are known and not fixed yet -> the strict xfail test reproducing
# each (test_hardening_fuzz.py); empty when every bug the fuzzer found is fixed.
KNOWN_BUGS: dict[str, str] = {}


def known_bug(message: str) -> str | None:
    """The test that reproduces the known bug a failure message shows, if it shows one."""
    return next((test for pattern, test in KNOWN_BUGS.items() if re.search(pattern, message, re.S)), None)


@dataclasses.dataclass
class Outcome:
    """What one input did: loaded or not, the error codes, and how long it took."""

    loaded: bool = False
    codes: list[str] = dataclasses.field(default_factory=list)
    converted: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


def _layouts() -> dict[str, Callable]:
    """The packagings of the Kubernetes output that exist in this checkout."""
    from composeconv.packaging import LAYOUTS

    out = {}
    for name, layout in LAYOUTS.items():
        if name == "plain":
            continue
        try:
            out[name] = layout.load()
        except ModuleNotFoundError:
            continue
    return out


def check_error(error: ComposeError, where: str) -> list[str]:
    """A ComposeError must carry diagnostics, and each error among them must name a position."""
    if not error.diagnostics:
        raise InvariantBroken(f"{where}: ComposeError without diagnostics")
    codes = []
    for d in error.diagnostics:
        if not isinstance(d, Diagnostic):
            raise InvariantBroken(f"{where}: not a Diagnostic: {d!r}")
        d.render()
        json.dumps(d.to_dict())
        if d.level >= Level.ERROR and (d.position is None or not d.position.file):
            raise InvariantBroken(f"{where}: error without a position: {d.render()}")
        codes.append(d.code)
    if not any(d.level >= Level.ERROR for d in error.diagnostics):
        raise InvariantBroken(f"{where}: ComposeError without an error: {error}")
    return codes


def check_result(result: ConvertResult, where: str) -> None:
    """What a backend returns: files with safe, distinct names, text that can be written and parsed."""
    if not isinstance(result, ConvertResult):
        raise InvariantBroken(f"{where}: returned {type(result).__name__}")
    seen = set()
    for f in result.files:
        try:
            norm = safe_relpath(f.path)
        except ComposeError as e:
            raise InvariantBroken(f"{where}: unsafe output file name {f.path!r}: {e}") from None
        if norm != f.path or norm in seen:
            raise InvariantBroken(f"{where}: output file name {f.path!r} is not normalized or repeated")
        seen.add(norm)
        if not isinstance(f.content, str):
            raise InvariantBroken(f"{where}: {f.path} content is {type(f.content).__name__}")
        try:
            f.content.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvariantBroken(f"{where}: {f.path} cannot be written as UTF-8: {e}") from None
        if f.path.endswith((".yaml", ".yml")) and not f.path.startswith(("templates/", "secrets/", "configs/")):
            try:
                list(yaml.load_all(f.content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
            except yaml.YAMLError as e:
                raise InvariantBroken(f"{where}: {f.path} is not valid YAML: {e}") from None
        elif f.path.endswith(".json"):
            try:
                json.loads(f.content)
            except ValueError as e:
                raise InvariantBroken(f"{where}: {f.path} is not valid JSON: {e}") from None
    for d in result.diagnostics:
        d.render()
        if d.level >= Level.ERROR and (d.position is None or not d.position.file) and d.path:
            raise InvariantBroken(f"{where}: error about {d.path_text} without a position: {d.render()}")


def _crash(where: str, exc: BaseException) -> InvariantBroken:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
    return InvariantBroken(f"{where} raised {type(exc).__name__}: {exc}\n{tb}")


def check_project(files: Sequence[str], *, working_dir: str | None = None, environ: dict[str, str] | None = None,
                  deadline: float = DEADLINE, layouts: bool = True) -> Outcome:
    """Load files and convert them with every target (plain, split, layouts); check the invariant."""
    out = Outcome()
    start = time.perf_counter()
    env = dict(environ if environ is not None else {"A": "va", "HOME": "/home/fuzz"})
    try:
        loaded = load_project(list(files), environ=env, working_dir=working_dir)
        out.loaded = True
    except ComposeError as e:
        out.codes = check_error(e, "load")
        loaded = None
    except RecursionError as e:  # before Exception: it would be one too
        raise _crash("load", e) from None
    except Exception as e:  # noqa: BLE001 - the invariant is that nothing else escapes
        raise _crash("load", e) from None
    if loaded is not None:
        packagings = _layouts() if layouts else {}
        for target in targets():
            for opts in (ConvertOptions(), ConvertOptions(split=True, inline_secrets=True)):
                where = f"convert {target} split={opts.split}"
                try:
                    result = convert(loaded, target, opts)
                except ComposeError as e:
                    out.codes += check_error(e, where)
                    continue
                except Exception as e:  # noqa: BLE001
                    raise _crash(where, e) from None
                check_result(result, where)
                out.converted.append(target)
                if target == "kubernetes" and opts.split:
                    for name in packagings:
                        try:
                            check_result(convert(loaded, target, opts, layout=name), f"layout {name}")
                        except ComposeError as e:
                            out.codes += check_error(e, f"layout {name}")
                        except Exception as e:  # noqa: BLE001
                            raise _crash(f"layout {name}", e) from None
    out.seconds = time.perf_counter() - start
    if out.seconds > deadline:
        raise InvariantBroken(f"took {out.seconds:.1f} s, more than {deadline} s")
    return out


_POSITIONED = re.compile(r"^(?!<input>)(\S[^\n]*?): error: ", re.M)


def cli_commands(files: Sequence[str], folder: str, out_dir: str) -> list[list[str]]:
    """The command lines the CLI invariant is checked with (every command, target and layout)."""
    fargs = [a for f in files for a in ("-f", f)]
    cmds = [["config", *fargs], ["config", "--format", "json", *fargs], ["validate", *fargs],
            ["validate", "--format", "json", *fargs]]
    for target in targets():
        cmds.append(["convert", "--to", target, *fargs, "--project-directory", folder])
    for name in _layouts():
        cmds.append(["convert", "--to", "kubernetes", "--layout", name, "-o", os.path.join(out_dir, name) + "/",
                     *fargs, "--project-directory", folder])
    return cmds


def check_cli_output(args: Sequence[str], code: int, stdout: str, stderr: str) -> None:
    text = stdout + stderr
    if code not in (0, 1):
        raise InvariantBroken(f"{' '.join(args)}: exit code {code}\n{stderr[-2000:]}")
    if "Traceback (most recent call last)" in text or "internal error" in text:
        raise InvariantBroken(f"{' '.join(args)}: traceback or internal error\n{text[-3000:]}")
    if code == 1 and not _POSITIONED.search(stderr if args[0] != "validate" else stdout + stderr):
        if not (args[0] == "validate" and "--format" in args and '"file": "' in stdout):
            raise InvariantBroken(f"{' '.join(args)}: exit 1 without a positioned error\n{text[-2000:]}")


def check_cli(files: Sequence[str], folder: str, *, environ: dict[str, str] | None = None,
              deadline: float = DEADLINE) -> int:
    """Run every command in-process through the CLI (composeconv.cli.run); returns how many ran."""
    env = {"COMPOSE_PROFILES": None, "COMPOSE_FILE": None, "COMPOSE_PROJECT_NAME": None,
           **(environ or {"A": "va"})}
    with tempfile.TemporaryDirectory() as out_dir:
        cmds = cli_commands(files, folder, out_dir)
        for args in cmds:
            start = time.perf_counter()
            try:
                code, stdout, stderr = invoke_cli(args, env)
            except Exception as e:  # noqa: BLE001 - any escape from the CLI is the finding
                raise _crash(" ".join(args), e)
            elapsed = time.perf_counter() - start
            check_cli_output(args, code, stdout, stderr)
            if elapsed > deadline:
                raise InvariantBroken(f"{' '.join(args)}: took {elapsed:.1f} s")
    return len(cmds)


def invoke_cli(args: Sequence[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    """composeconv.cli.run(args) in this process with env applied (None unsets) and both streams captured."""
    import contextlib
    import io

    from composeconv.cli import run

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def run_subprocess(args: Sequence[str], cwd: str, env: dict[str, str] | None = None,
                   deadline: float = SUBPROCESS_DEADLINE) -> subprocess.CompletedProcess:
    """`python -m composeconv ARGS` in a fresh interpreter, checked like check_cli."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cwd, **(env or {})}
    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-m", "composeconv", *args], cwd=cwd, env=e, capture_output=True,
                             text=True, timeout=deadline * 3)
    except subprocess.TimeoutExpired:
        raise InvariantBroken(f"{' '.join(args)}: did not finish in {deadline * 3} s") from None
    elapsed = time.perf_counter() - start
    check_cli_output(list(args), out.returncode, out.stdout, out.stderr)
    if elapsed > deadline:
        raise InvariantBroken(f"{' '.join(args)}: took {elapsed:.1f} s")
    return out


# ---------------------------------------------------------------- inputs on disk

class Workspace:
    """Temporary project folders. A mutated corpus file is written under its own name; load it with
    the case's folder as working directory (see project_dir) so that what it refers to is found."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="composeconv-fuzz-"))
        self.count = 0

    def write(self, data: bytes, case: str | None = None) -> Path:
        """A fresh folder holding data as its compose file (named as the case's)."""
        self.count += 1
        folder = self.root / str(self.count)
        folder.mkdir()
        if case is None:
            (folder / "secret.txt").write_text("s3cret\n")
            (folder / ".env").write_text("FROM_DOTENV=1\n")
        path = folder / (Path(case).name if case else "compose.yaml")
        path.write_bytes(data)
        return path

    def clean(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def project_dir(case: str | None, path: Path) -> str:
    """The working directory for an input: the corpus case's own folder, else the input's."""
    return str((CORPUS / "cases" / case).parent if case else path.parent)


def corpus_bytes(case: str) -> bytes:
    return (CORPUS / "cases" / case).read_bytes()


# ---------------------------------------------------------------- the long run

class Recorder:
    """Counts inputs and keeps each distinct failure (with the input that caused it) instead of stopping."""

    def __init__(self, failures_dir: Path | None) -> None:
        self.inputs: dict[str, int] = {}
        self.failures: dict[str, dict[str, Any]] = {}
        self.failures_dir = failures_dir
        self.slowest: tuple[float, str] = (0.0, "")

    def run(self, family: str, data: bytes, fn: Callable[[], Any]) -> None:
        self.inputs[family] = self.inputs.get(family, 0) + 1
        start = time.perf_counter()
        try:
            fn()
        except InvariantBroken as e:
            self._record(family, data, str(e))
        except Exception as e:  # noqa: BLE001 - a bug in the harness is a finding too
            self._record(family, data, f"harness: {type(e).__name__}: {e}")
        elapsed = time.perf_counter() - start
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, family)

    def _record(self, family: str, data: bytes, message: str) -> None:
        first = message.splitlines()[0]
        signature = re.sub(r"/tmp/\S+|\d+(\.\d+)? s\b", "…", first)[:200]
        entry = self.failures.setdefault(signature, {"count": 0, "family": family, "message": message[:4000],
                                                     "known": known_bug(message)})
        entry["count"] += 1
        if entry["count"] == 1 and self.failures_dir is not None:
            self.failures_dir.mkdir(parents=True, exist_ok=True)
            stem = f"{family}-{len(self.failures):03d}"
            (self.failures_dir / f"{stem}.yaml").write_bytes(data)
            (self.failures_dir / f"{stem}.txt").write_text(message)


def _long_run(minutes: float, seed: int, failures_dir: Path | None, cli_every: int, sub_every: int) -> dict:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    rec = Recorder(failures_dir)
    ws = Workspace()
    cases = corpus_cases()
    stop = time.monotonic() + minutes * 60
    counter = [0]

    def one(family: str, data: bytes, case: str | None) -> None:
        def fn() -> None:
            path = ws.write(data, case)
            folder = project_dir(case, path)
            check_project([str(path)], working_dir=folder)
            counter[0] += 1
            if cli_every and counter[0] % cli_every == 0:
                check_cli([str(path)], folder)
            if sub_every and counter[0] % sub_every == 0:
                for t in targets():
                    run_subprocess(["convert", "--to", t, "-f", str(path), "--project-directory", folder],
                                   str(path.parent))
        rec.run(family, data, fn)
        if counter[0] % 200 == 0:
            ws.clean()

    conf = settings(max_examples=500, deadline=None, database=None, derandomize=False,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))

    @conf
    @given(compose_documents(), st.integers(0, 2))
    def valid(doc: dict, style: int) -> None:
        one("schema-valid", dump_document(doc, style), None)

    @conf
    @given(nearly_valid_documents(), st.integers(0, 2))
    def nearly(doc: dict, style: int) -> None:
        one("schema-nearly-valid", dump_document(doc, style), None)

    @conf
    @given(corpus_mutations(cases))
    def mutated(pair: tuple[str, list]) -> None:
        case, ops = pair
        one("corpus-bytes", mutate_bytes(corpus_bytes(case), ops), case)

    @conf
    @given(st.sampled_from(cases), st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32)),
                                            min_size=1, max_size=3))
    def tree(case: str, ops: list) -> None:
        try:
            from composeconv.yamlsource import parse_yaml

            doc = parse_yaml(corpus_bytes(case), case).data
        except ComposeError:
            return
        if isinstance(doc, dict):
            one("corpus-tree", dump_document(mutate_document(doc, ops)), case)

    families = [valid, nearly, mutated, tree]
    started = time.monotonic()
    rounds = 0
    try:
        while time.monotonic() < stop:
            for i, family in enumerate(families):
                if time.monotonic() >= stop:
                    break
                hseed(seed + rounds * len(families) + i)(family)()
            rounds += 1
    finally:
        ws.close()
    return {"minutes": round((time.monotonic() - started) / 60, 1), "seed": seed, "rounds": rounds,
            "inputs": rec.inputs, "total_inputs": sum(rec.inputs.values()),
            "cli_every": cli_every, "subprocess_every": sub_every,
            "slowest_input_seconds": round(rec.slowest[0], 2), "slowest_family": rec.slowest[1],
            "distinct_failures": len(rec.failures),
            "new_failures": sum(1 for f in rec.failures.values() if not f["known"]), "failures": rec.failures}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=25.0, help="how long to run (default 25)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="first Hypothesis seed")
    parser.add_argument("--report", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--failures", type=Path, default=Path("out/fuzz-failures"),
                        help="folder for the inputs that broke the invariant (default out/fuzz-failures/)")
    parser.add_argument("--cli-every", type=int, default=10, help="also run the CLI in-process every N inputs")
    parser.add_argument("--subprocess-every", type=int, default=500,
                        help="also run `python -m composeconv` every N inputs")
    args = parser.parse_args(argv)
    report = _long_run(args.minutes, args.seed, args.failures, args.cli_every, args.subprocess_every)
    text = json.dumps(report, indent=2, sort_keys=True)
    if args.report:
        args.report.write_text(text + "\n")
    print(text)
    return 1 if report["new_failures"] else 0


__all__ = ["DEADLINE", "KNOWN_BUGS", "InvariantBroken", "known_bug", "Outcome", "Workspace", "check_cli", "check_cli_output", "check_error",
           "check_project", "check_result", "compose_documents", "corpus_bytes", "corpus_cases",
           "corpus_mutations", "dump_document", "hostile_names", "mutate_bytes", "mutate_document",
           "nearly_valid_documents", "project_dir", "run_subprocess", "ROOT"]

if __name__ == "__main__":
    sys.exit(main())
