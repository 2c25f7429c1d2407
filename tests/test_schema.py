"""The Compose JSON schema and its validator: corpus agreement with Compose, wording, positions, hints, speed."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composeconv.diagnostics import Level, Position
from composeconv.schema import SCHEMA_PATH, is_valid, load_schema, validate
from composeconv.sourcemap import SourceMap
from composeconv.suggest import did_you_mean, suggest
from support import CORPUS, ROOT, SHARED, compose_binary, need

# ---------------------------------------------------------------------------------------------
# Reading documents the way Compose does before it validates them
# ---------------------------------------------------------------------------------------------


class _GoYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Plain scalars resolved like go-yaml v3 (YAML 1.2 booleans, Go integers), which Compose uses."""


_GoYamlLoader.yaml_implicit_resolvers = {}
for _tag, _rx, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("timestamp", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
                  r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$", "0123456789"),
    ("merge", r"^<<$", "<"),
]:
    _GoYamlLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_rx), list(_first))


def _go_int(loader: yaml.Loader, node: yaml.Node) -> int | float:
    text = loader.construct_scalar(node).replace("_", "")
    sign, body = (-1 if text.startswith("-") else 1), text.lstrip("+-")
    try:
        if body[:2] in ("0b", "0o", "0x"):
            return sign * int(body, 0)
        return sign * int(body, 8 if len(body) > 1 and body.startswith("0") else 10)
    except ValueError:  # "09": not a Go integer, but a float
        return float(text)


_RESET = object()
_GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _go_int)
_GoYamlLoader.add_constructor("!reset", lambda loader, node: _RESET)
_GoYamlLoader.add_constructor("!override", lambda loader, node: (
    loader.construct_mapping(node, deep=True) if isinstance(node, yaml.MappingNode)
    else loader.construct_sequence(node, deep=True) if isinstance(node, yaml.SequenceNode)
    else loader.construct_scalar(node)))


def _drop_reset(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_reset(v) for k, v in value.items() if v is not _RESET}
    if isinstance(value, list):
        return [_drop_reset(v) for v in value if v is not _RESET]
    return value


def load_documents(path: Path) -> list[Any]:
    """Each YAML document of a file, with `!reset` entries removed as Compose does before validating."""
    with open(path, encoding="utf-8") as fh:
        return [_drop_reset(d) for d in yaml.load_all(fh, Loader=_GoYamlLoader) if d is not None]


class _InterpolationError(Exception):
    """Compose would stop before validating (missing required variable, failed type cast)."""


def _substitute(text: str, env: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
        elif text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i + 1] == "{":
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += (text.startswith("${", j)) - (text[j] == "}")
                j += 1 + text.startswith("${", j)
            if depth:
                raise _InterpolationError(f"invalid interpolation format in {text!r}")
            body = text[i + 2:j - 1]
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?(.*)", body, re.S)
            if not m:
                raise _InterpolationError(f"invalid interpolation {body!r}")
            name, op, arg = m.group(1), m.group(2) or "", m.group(3)
            value = env.get(name)
            unset = value is None or (op.startswith(":") and value == "")
            if op in (":-", "-"):
                value = _substitute(arg, env) if unset else value
            elif op in (":?", "?"):
                if unset:
                    raise _InterpolationError(f"required variable {name} is missing a value")
            elif op in (":+", "+"):
                value = "" if unset else _substitute(arg, env)
            out.append(value or "")
            i = j
        else:
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i + 1:])
            out.append(env.get(m.group(0), "") if m else "$")
            i += 1 + (len(m.group(0)) if m else 0)
    return "".join(out)


# Compose casts interpolated strings at these paths (loader/interpolate.go); "*" is any key, "[]" any index.
_CASTS: dict[tuple[str, ...], str] = {}
for _k in ("cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
           "oom_score_adj", "pids_limit", "scale", "deploy.replicas", "deploy.update_config.parallelism",
           "deploy.rollback_config.parallelism", "deploy.restart_policy.max_attempts",
           "deploy.placement.max_replicas_per_node", "healthcheck.retries", "ports.[].target", "ulimits.*",
           "ulimits.*.hard", "ulimits.*.soft"):
    _CASTS[("services", "*", *_k.split("."))] = "int"
for _k in ("cpu_percent", "cpus", "deploy.update_config.max_failure_ratio", "deploy.rollback_config.max_failure_ratio"):
    _CASTS[("services", "*", *_k.split("."))] = "float"
for _k in ("init", "oom_kill_disable", "privileged", "read_only", "stdin_open", "tty", "healthcheck.disable",
           "volumes.[].read_only", "volumes.[].volume.nocopy"):
    _CASTS[("services", "*", *_k.split("."))] = "bool"
for _k in ("external", "internal", "attachable", "enable_ipv4", "enable_ipv6"):
    _CASTS[("networks", "*", _k)] = "bool"
for _top in ("volumes", "secrets", "configs"):
    _CASTS[(_top, "*", "external")] = "bool"


def _cast(kind: str, text: str) -> Any:
    if kind == "int" and re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if kind == "float" and re.fullmatch(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", text):
        return float(text)
    if kind == "bool" and text.lower() in ("true", "false", "y", "yes", "on", "n", "no", "off"):
        return text.lower() in ("true", "y", "yes", "on")
    raise _InterpolationError(f"failed to cast {text!r} to {kind}")


def _matches(pattern: tuple[str, ...], path: tuple) -> bool:
    return len(pattern) == len(path) and all(
        p == x or (p == "*" and isinstance(x, str)) or (p == "[]" and isinstance(x, int)) for p, x in zip(pattern, path))


def interpolate(value: Any, env: dict[str, str], path: tuple = ()) -> Any:
    """value with ${...} substituted and Compose's type casts applied, as Compose has it when validating."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, path + (i,)) for i, v in enumerate(value)]
    if isinstance(value, str):
        value = _substitute(value, env)
        for pattern, kind in _CASTS.items():
            if _matches(pattern, path):
                return _cast(kind, value)
    return value


def _dotenv(directory: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    path = directory / ".env"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.removeprefix("export ").split("=", 1)
                value = value.strip()
                if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                env[key.strip()] = value
    return env


# ---------------------------------------------------------------------------------------------
# Corpus agreement with Docker Compose v2.40.3
# ---------------------------------------------------------------------------------------------

# Compose's schema errors are the ones it prefixes with "validating <file>: "; a few schema-shaped
# messages ("services must be a mapping") come from an earlier check but mean the same.
_SCHEMA_ERROR = re.compile(r"^validating |^services(\.[^ ]+)? must be a mapping$")

# Cases Compose rejects with a schema error that this validator does not also reject: none.
REJECT_EXCEPTIONS: dict[str, str] = {}
# Cases Compose loads that this validator rejects: none.
ACCEPT_EXCEPTIONS: dict[str, str] = {}


def _corpus_rows() -> list[dict[str, str]]:
    with open(CORPUS / "index.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _compose_messages(error_line: str) -> set[str]:
    """Compose's message split per unknown key, since this validator reports each unknown key on its own."""
    message = error_line.split(": ", 1)[1] if error_line.startswith("validating ") else error_line
    message = message.strip()
    m = re.fullmatch(r"(.*?) ?additional properties (.*) not allowed", message)
    if not m:
        return {message}
    prefix = f"{m.group(1)} " if m.group(1) else ""
    return {f"{prefix}additional properties {key} not allowed" for key in re.findall(r"'(?:[^'\\]|\\.)*'", m.group(2))}


def _case_documents(path: str, unreadable: dict[str, str]) -> list[tuple[Any, Any]]:
    """(as written, as interpolated) for each document of a corpus case; unreadable cases are recorded."""
    case = CORPUS / "cases" / path
    try:
        docs = load_documents(case)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        unreadable[path] = str(exc).splitlines()[0]
        return []
    env, out = _dotenv(case.parent), []
    for doc in docs:
        try:
            out.append((doc, interpolate(doc, env)))
        except _InterpolationError:
            # Compose got past interpolation (it loaded the file or failed later), this helper did not:
            # only the document as written can be checked.
            out.append((doc, doc))
    return out


@pytest.mark.slow
def test_corpus_accepts_every_file_compose_loads():
    need(CORPUS.exists(), f"corpus not found at {CORPUS}")
    rows = [r for r in _corpus_rows() if r["config_ok"] == "1"]
    rejected: dict[str, list[str]] = {}
    unreadable: dict[str, str] = {}
    for row in rows:
        for raw, interpolated in _case_documents(row["path"], unreadable):
            # As written (what `--no-interpolate` validates) and interpolated with the case's .env
            # plus type casts (what Compose validates by default): both must pass.
            found = validate(raw) + validate(interpolated)
            if found:
                rejected[row["path"]] = [d.message for d in found]
    unexpected = {k: v for k, v in rejected.items() if k not in ACCEPT_EXCEPTIONS}
    rate = 1 - len(rejected) / len(rows)
    print(f"schema accepts {len(rows) - len(rejected)}/{len(rows)} files Compose loads ({rate:.1%})")
    assert len(rows) >= 600
    assert not unexpected
    # This YAML reader only approximates go-yaml; a rare file it cannot read is no schema problem.
    assert len(unreadable) <= len(rows) // 50, unreadable


@pytest.mark.slow
def test_corpus_rejects_every_schema_error_compose_reports():
    need(CORPUS.exists(), f"corpus not found at {CORPUS}")
    rows = [r for r in _corpus_rows() if r["config_ok"] == "0" and _SCHEMA_ERROR.search(r["error_first_line"])]
    missed: dict[str, str] = {}
    wording: dict[str, tuple[set[str], list[str]]] = {}
    unreadable: dict[str, str] = {}
    for row in rows:
        docs = _case_documents(row["path"], unreadable)
        found = [d for _, doc in docs for d in validate(doc, None, row["path"])]
        if not found:
            missed[row["path"]] = row["error_first_line"]
            continue
        assert all(d.level is Level.ERROR and d.code.startswith("schema-") for d in found)
        expected, mine = _compose_messages(row["error_first_line"]), [d.message for d in found]
        if not expected <= set(mine):
            wording[row["path"]] = (expected, mine)
    rate = 1 - len(missed) / len(rows)
    print(f"schema rejects {len(rows) - len(missed)}/{len(rows)} files Compose rejects as invalid ({rate:.1%})")
    assert len(rows) >= 50
    assert {k: v for k, v in missed.items() if k not in REJECT_EXCEPTIONS and k not in unreadable} == {}
    assert len(unreadable) <= max(1, len(rows) // 50), unreadable
    # Compose's own error is among ours, word for word.
    assert wording == {}


@pytest.mark.slow
def test_container_name_error_needs_interpolation():
    """The one corpus schema error that only shows after interpolation: an unset ${FIXED_NAME} becomes ''."""
    need(CORPUS.exists(), f"corpus not found at {CORPUS}")
    case = CORPUS / "cases" / "compose/pkg/e2e/testdata/TestUpContainerNameConflict/compose.yaml"
    need(case.exists(), "case missing from corpus")
    (doc,) = load_documents(case)
    assert validate(doc) == []  # as `--no-interpolate` sees it
    messages = [d.message for d in validate(interpolate(doc, {}))]
    assert "services.test.container_name '' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'" in messages


# ---------------------------------------------------------------------------------------------
# The schema file
# ---------------------------------------------------------------------------------------------


def test_schema_is_a_valid_draft7_schema_with_its_comment():
    schema = load_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert "composeconv" in schema["$comment"] and "v2.40.3" in schema["$comment"]
    assert set(schema["properties"]) == {"version", "name", "include", "services", "networks", "volumes",
                                         "secrets", "configs", "models"}


def test_schema_file_at_repo_root_is_the_packaged_one():
    top = ROOT / "schemas" / "compose.schema.json"
    assert top.resolve() == SCHEMA_PATH.resolve()
    assert SCHEMA_PATH.parent.name == "schemas" and SCHEMA_PATH.parent.parent.name == "composeconv"


def test_every_service_key_compose_knows():
    keys = set(load_schema()["definitions"]["service"]["properties"])
    for key in ("build", "image", "healthcheck", "deploy", "develop", "provider", "models", "gpus", "post_start",
                "pre_stop", "use_api_socket", "label_file", "attach", "annotations", "pull_refresh_after"):
        assert key in keys
    assert "pre_start" not in keys  # newer than Compose v2.40.3


# ---------------------------------------------------------------------------------------------
# Wording, positions, hints
# ---------------------------------------------------------------------------------------------


def _messages(doc: Any) -> list[str]:
    return [d.message for d in validate(doc)]


def _svc(**fields: Any) -> dict:
    return {"services": {"web": {"image": "nginx", **fields}}}


def test_valid_documents_have_no_diagnostics():
    assert validate(_svc(ports=["80:80", {"target": 80, "published": "8080"}], environment={"A": 1, "B": None},
                         healthcheck={"test": ["CMD", "true"], "retries": 3}, deploy=None,
                         **{"x-custom": {"anything": [1]}})) == []
    assert validate({"services": {}, "x-anchors": 1, "version": "3.8", "name": "p"}) == []
    assert is_valid({"services": {"web": {"image": "x", "scale": 2.0}}})  # integral floats are integers


def test_unknown_key_with_suggestion():
    (d,) = validate(_svc(helthcheck={}))
    assert d.code == "schema-additional-property" and d.level is Level.ERROR
    assert d.message == "services.web additional properties 'helthcheck' not allowed"
    assert d.path == ("services", "web", "helthcheck")
    assert d.hint == "did you mean `healthcheck`?"


def test_hints_for_other_unknown_keys():
    hints = {d.path[-1]: d.hint for d in validate(_svc(DNS=[], wrongField=1, pre_start=[]))}
    assert hints == {"DNS": "did you mean `dns`?", "wrongField": "custom keys must start with `x-`",
                     "pre_start": "`pre_start` needs a Compose release newer than v2.40.3"}
    (legacy,) = validate({"web": {"image": "nginx"}})
    assert legacy.message == "additional properties 'web' not allowed" and "legacy" in (legacy.hint or "")
    (name,) = validate({"services": {"my web": {"image": "x"}}})
    assert name.message == "services additional properties 'my web' not allowed"
    assert name.hint == "names here must match ^[a-zA-Z0-9._-]+$"


def test_wrong_types_in_compose_wording():
    assert _messages(_svc(image=1)) == ["services.web.image must be a string"]
    assert _messages(_svc(environment="A=1")) == ["services.web.environment must be a mapping"]
    assert _messages(_svc(environment={"A": [1]})) == ["services.web.environment.A must be a boolean, null, number or string"]
    assert _messages(_svc(ports="80")) == ["services.web.ports must be a array"]
    assert _messages(_svc(healthcheck={"retries": True})) == ["services.web.healthcheck.retries must be a number or string"]
    assert _messages(_svc(ulimits={"nofile": {"soft": 1}})) == ["services.web.ulimits.nofile must be a integer or string"]
    assert _messages({"services": None}) == ["services must be a mapping"]
    assert _messages([]) == ["top-level object must be a mapping"]
    (stamp,) = validate(_svc(environment={"DAY": date(2024, 1, 2)}))
    assert stamp.message == "services.web.environment.DAY invalid jsonType time.Time" and stamp.hint


def test_other_constraints_in_compose_wording():
    assert _messages(_svc(cgroup="x")) == ["services.web.cgroup value must be one of 'host', 'private'"]
    assert _messages(_svc(container_name="a")) == [
        "services.web.container_name 'a' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'"]
    assert _messages(_svc(depends_on={"db": {}})) == ["services.web.depends_on.db missing property 'condition'"]
    assert _messages(_svc(ulimits={"nofile": {}})) == ["services.web.ulimits.nofile must be a integer or string"]
    assert _messages(_svc(volumes=[{"type": "tmpfs", "target": "/t", "tmpfs": {"size": -1}}])) == [
        "services.web.volumes.0.tmpfs.size must be greater than or equal to 0"]
    assert _messages(_svc(oom_score_adj="x", cpu_percent=101)) == ["services.web.cpu_percent must be a string"]
    assert _messages(_svc(security_opt=["a", "a"])) == ["services.web.security_opt items at 0 and 1 are equal"]
    assert _messages({"models": {"m": {}}}) == ["models.m missing property 'model'"]
    # Lists that Compose de-duplicates before validating accept duplicates.
    assert _messages(_svc(ports=["80:80", "80:80"], labels=["a=1", "a=1"], cap_add=["X", "X"])) == []


def test_deepest_alternative_is_reported_as_compose_does():
    # build is a string or a mapping: an unknown key inside the mapping is the error, not "must be a string".
    assert _messages(_svc(build={"context": ".", "dockerfle": "x"})) == [
        "services.web.build additional properties 'dockerfle' not allowed"]
    # On a tie Compose reports the first alternative: cpu_count is a string or an integer >= 0.
    assert _messages(_svc(cpu_count=-1)) == ["services.web.cpu_count must be a string"]


def test_all_errors_are_reported_in_path_order():
    doc = {"services": {"b": {"image": 1, "helthcheck": {}}, "a": {"image": "x", "ports": [{"target": "80", "bogus": 1}]}},
           "volumes": {"v": {"driver": 2}}, "bogus": 1}
    found = validate(doc)
    assert [d.path for d in found] == [
        ("bogus",), ("services", "a", "ports", 0, "bogus"), ("services", "b", "helthcheck"),
        ("services", "b", "image"), ("volumes", "v", "driver")]
    assert len({(d.code, d.path, d.message) for d in found}) == len(found)
    assert validate(doc) == found  # deterministic


def test_positions_come_from_the_source_map_or_nearest_ancestor():
    sm = SourceMap()
    sm.set(("services", "web"), Position("compose.yaml", 2, 3))
    sm.set(("services", "web", "helthcheck"), Position(None, 4, 5))
    doc = _svc(helthcheck={}, ports=[{"target": 1, "bogus": 2}])
    by_key = {d.path[-1]: d.position for d in validate(doc, sm, "compose.yaml")}
    assert by_key["helthcheck"] == Position("compose.yaml", 4, 5)  # file filled in from filename
    assert by_key["bogus"] == Position("compose.yaml", 2, 3)  # nearest mapped ancestor
    (d,) = validate(_svc(image=1), None, "other.yaml")
    assert d.position == Position("other.yaml")
    assert validate(_svc(image=1))[0].position is None


def test_non_string_keys_are_reported():
    (d,) = validate({"services": {"web": {"image": "x", "environment": {1: "a"}}}})
    assert d.code == "schema-key-type" and d.message == "non-string key in services.web.environment: 1"


def test_suggest():
    keys = list(load_schema()["definitions"]["service"]["properties"])
    assert suggest("helthcheck", keys) == "healthcheck"
    assert suggest("enviroment", keys) == "environment"
    assert suggest("stop-signal", keys) == "stop_signal"
    assert suggest("DNS", keys) == "dns"
    assert suggest("wrongField", keys) is None
    assert suggest("web", ["wbe", "db"]) == "wbe"  # service names, network names, ...
    assert suggest("frontend", ["front-end", "backend"]) == "front-end"
    assert suggest("x", []) is None and suggest("", keys) is None
    assert suggest("ab", ["ac", "ab_"]) == suggest("ab", ["ab_", "ac"])  # independent of candidate order
    assert did_you_mean("imgae", keys) == "did you mean `image`?"
    assert did_you_mean("zzz", keys) is None


# ---------------------------------------------------------------------------------------------
# Same verdict as a reference JSON Schema implementation on generated documents
# ---------------------------------------------------------------------------------------------

_SCHEMA = load_schema()
_TEXT = st.text(alphabet="abcxyz-_=:./ 0", max_size=5)
_ANY = st.recursive(st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([1.5, 2.0]) | _TEXT,
                    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_TEXT, inner, max_size=2),
                    max_leaves=4)
_NAMES = {"^x-": "x-ext", "^[a-zA-Z0-9._-]+$": "web", "^[a-z]+$": "nofile", "^.+$": "KEY", ".+": "KEY"}


@st.composite
def _near_valid(draw: st.DrawFn, node: Any = _SCHEMA, depth: int = 0) -> Any:
    """Documents shaped by the schema, with random wrong turns everywhere."""
    while isinstance(node, dict) and "$ref" in node:
        node = _SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
    if not isinstance(node, dict) or not node or depth > 7 or draw(st.integers(0, 15)) == 0:
        return draw(_ANY)
    if "oneOf" in node:
        return draw(_near_valid(draw(st.sampled_from(node["oneOf"])), depth + 1))
    if "enum" in node:
        return draw(st.sampled_from(node["enum"] + ["other"]))
    types = node.get("type", "object")
    kind = draw(st.sampled_from(types if isinstance(types, list) else [types]))
    if kind == "object":
        props, out = node.get("properties", {}), {}
        for name in draw(st.lists(st.sampled_from(sorted(props)), max_size=3, unique=True)) if props else []:
            out[name] = draw(_near_valid(props[name], depth + 1))
        for name in node.get("required", []):
            if name in props and draw(st.integers(0, 5)):
                out[name] = draw(_near_valid(props[name], depth + 1))
        for pattern, sub in node.get("patternProperties", {}).items():
            if draw(st.booleans()):
                out[_NAMES[pattern]] = draw(_near_valid(sub, depth + 1))
        if draw(st.integers(0, 10)) == 0:
            out[draw(st.sampled_from(["bogus", "a b", ""]))] = draw(_ANY)
        return out
    if kind == "array":
        items = draw(st.lists(_near_valid(node.get("items", {}), depth + 1), max_size=3))
        return items + items[:1] if items and draw(st.integers(0, 4)) == 0 else items
    if kind == "string":
        return draw(st.sampled_from(["", "a", "ab", "always", "every_1d", "host"]) if "pattern" in node else _TEXT)
    if kind in ("integer", "number"):
        return draw(st.sampled_from([-1001, -1, 0, 1, 2.0, 1.5, 100, 101]))
    return draw(st.booleans()) if kind == "boolean" else None


_REFERENCE = jsonschema.Draft7Validator(_SCHEMA)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_near_valid())
def test_same_verdict_as_reference_implementation(doc):
    verdict = is_valid(doc)
    assert verdict == _REFERENCE.is_valid(doc)
    assert (validate(doc) == []) == verdict


# ---------------------------------------------------------------------------------------------
# Against the real Compose binary
# ---------------------------------------------------------------------------------------------

ORACLE_DOCS = [
    "services: {web: {image: x, helthcheck: {}}}",
    "services: {web: {image: x, security_opt: [a, a]}}",
    "services: {web: {image: x, cpu_count: -1}}",
    "services: {web: {image: x, cpu_percent: 50.0, scale: 2.0}}",
    "services: {web: {image: x, cgroup: 1}}",
    "services: {web: {image: x, container_name: '-'}}",
    "services: {web: {image: x, depends_on: {db: {required: 'yes', condition: service_started}}}, db: {image: y}}",
    "services: {web: {image: x, ulimits: {nofile: {soft: 1}}}}",
    "services: {web: {image: x, environment: {A: 2001-12-14}}}",
    "services: {web: {image: x, blkio_config: {x-foo: 1}}}",
    "services: {web: {image: x, env_file: [{path: a, x-foo: 1}]}}",
    "services: {web: {image: x, gpus: [{driver: x, anything: 1}]}}",
    "services: {web: {image: x, gpus: some}}",
    "services: {web: {image: x, networks: [a, a]}}\nnetworks: {a: {}}",
    "services: {web: {image: x, extra_hosts: {h: [1.2.3.4, 1.2.3.4]}}}",
    "services: {web: {image: x, pull_policy: xalwaysx, volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1.5}}]}}",
    "services: {web: {image: x, models: {m: {bogus: 1}}}}\nmodels: {m: {model: ai/x}}",
    "services: {web: {image: x}}\nsecrets: {s: {file: ./s, external: {name: n, other: 1}}}",
    "services: {web: {image: x}}\nvolumes: {v: {external: {name: n, other: 1}}}",
    "services: {web: {image: x, deploy: {resources: {reservations: {devices: [{driver: x}]}}}}}",
    "services: {web: {image: x, develop: {watch: [{path: ., action: sync, initial_sync: 'yes'}]}}}",
    "services: {web: {image: x, use_api_socket: 1}}",
    "services: {web: {image: x, storage_opt: {a: [1]}, sysctls: [a=1, a=1], x-y: 2001-01-01}}",
    "services: {web: {image: x, logging: {options: {a: [1]}}}}",
    "web: {image: x}",
]


@pytest.mark.slow
@pytest.mark.oracle
@pytest.mark.parametrize("text", ORACLE_DOCS)
def test_same_verdict_and_message_as_compose(text, tmp_path):
    binary = compose_binary()
    need(binary, "Docker Compose binary not available")
    (tmp_path / "compose.yaml").write_text(text + "\n", encoding="utf-8")
    run = subprocess.run([binary, "-f", "compose.yaml", "config", "--format", "json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    error = next((line for line in run.stderr.splitlines() if "level=warning" not in line), "")
    (doc,) = load_documents(tmp_path / "compose.yaml")
    mine = [d.message for d in validate(interpolate(doc, {}))]
    if error.startswith("validating "):
        assert _compose_messages(error) <= set(mine)
    else:  # loaded, or failed after the schema stage
        assert mine == []


# ---------------------------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_thousand_services_validate():
    """The benchmark's services are valid (bench/run.py measures the speed)."""
    gen = SHARED / "bench" / "gen_compose.py"
    need(gen.exists(), f"benchmark generator not found at {gen}")
    spec = importlib.util.spec_from_file_location("gen_compose", gen)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    doc = json.loads(json.dumps({"services": {f"svc{i}": module.service(i) for i in range(1000)},
                                 "volumes": {f"data{i}": {} for i in range(1000)},
                                 "networks": {"front": {}, "back": {"internal": True}}}))
    assert validate(doc) == []


def test_every_schema_node_compiles():
    """Declared keys compile on first use; compiling each node here finds an unsupported keyword before a user does."""
    from composeconv.schema import _Compiler

    root = load_schema()
    compiler = _Compiler(root)
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        if isinstance(node, dict):
            compiler.compile(node)
            count += 1
            for key in ("properties", "patternProperties", "definitions"):
                for sub in (node.get(key) or {}).values():
                    walk(sub)
            if isinstance(node.get("items"), dict):
                walk(node["items"])
            for sub in node.get("oneOf", ()):
                walk(sub)

    walk(root)
    assert count > 400


def test_validation_from_threads_agrees():
    """Schema parts compile when first used: threads that validate at once get the same verdicts."""
    import concurrent.futures

    from composeconv import schema

    schema._root_check.cache_clear()
    docs = [{"services": {f"s{i}": {"image": "x", "ports": [i], "healthcheck": {"retries": 1},
                                    "deploy": {"resources": {"limits": {"cpus": 1, **({"nope": 1} if i % 3 == 0 else {})}}}}}}
            for i in range(60)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(is_valid, docs))
    assert verdicts == [i % 3 != 0 for i in range(60)]
