"""Bounded work: hostile input fails fast with a positioned error, and never makes composeconv hang,
recurse without bound or build unbounded data.

Limits: YAML alias expansion (1,000,000 nodes, and go-yaml's aliasing ratio), YAML nesting (200),
file size (16 MiB), number of services (10,000), nesting of `${...}` defaults (64). The expansion of
`${...}` and the env-file parser work in linear time; a reference copy of the earlier, recursive
implementations below checks that they still give exactly the same results.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from composeconv import dotenv, schema
from composeconv.api import convert, load_project, targets
from composeconv.backends import ConvertOptions
from composeconv.diagnostics import ComposeError
from composeconv.interpolation import (MAX_NESTING, InterpolationError, InvalidTemplateError, MissingRequiredError,
                                       NestingTooDeepError, substitute)
from composeconv.model import types as T
from composeconv.yamlsource import Limits

from support import CORPUS, ROOT, need

BOMBS = ["reset_test__TestAliasBombPrevented__1.yaml", "reset_test__TestAliasBombPrevented__2.yaml",
         "reset_test__TestAliasNodePreservation__1.yaml"]
# Generous: the point is "seconds, not minutes", on any test machine.
FAST = 20.0  # a bound that catches hangs and runaway work, not a speed target (bench/ measures speed)


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    try:
        value: object = fn()
    except ComposeError as e:
        value = e
    return value, time.perf_counter() - start


def load_text(tmp_path: Path, text: str | bytes, environ: dict | None = None):
    path = tmp_path / "compose.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return load_project([str(path)], environ=environ or {})


def load_error(tmp_path: Path, text: str | bytes, environ: dict | None = None) -> tuple[ComposeError, float]:
    error, seconds = timed(lambda: load_text(tmp_path, text, environ))
    assert isinstance(error, ComposeError), f"expected an error, loaded {error!r}"
    return error, seconds


def convert_all(loaded) -> None:
    for target in targets():
        for split in (False, True):
            convert(loaded, target, ConvertOptions(split=split))


# ---------------------------------------------------------------- the three files that hang Compose


@pytest.mark.parametrize("name", BOMBS)
def test_alias_bombs_fail_fast_when_loading(name: str, tmp_path: Path) -> None:
    path = CORPUS / "cases" / "compose-go" / "inline" / name
    need(path.exists(), "corpus not available")
    error, seconds = timed(lambda: load_project([str(path)], environ={}))
    assert isinstance(error, ComposeError)
    assert seconds < FAST, f"took {seconds:.2f} s"
    [d] = error.diagnostics
    assert d.code == "yaml-alias-bomb"
    assert d.position.file == str(path) and d.position.line and d.position.column


@pytest.mark.parametrize("name", BOMBS)
def test_alias_bombs_fail_fast_on_the_command_line(name: str, tmp_path: Path) -> None:
    path = CORPUS / "cases" / "compose-go" / "inline" / name
    need(path.exists(), "corpus not available")
    for args in (["config"], ["validate"], ["convert", "--to", "kubernetes"]):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "composeconv", *args, "-f", str(path)], cwd=tmp_path,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True, text=True,
                             timeout=60)
        seconds = time.perf_counter() - start
        assert out.returncode == 1, out.stderr
        assert seconds < FAST, f"{args[0]} took {seconds:.2f} s"
        text = out.stdout + out.stderr
        assert re.search(re.escape(str(path)) + r":\d+:\d+: error: yaml-alias-bomb", text), text
        assert "Traceback" not in text


def test_largest_alias_expansion_allowed_is_still_quick(tmp_path: Path) -> None:
    # about 1,000,000 nodes after expansion with as much aliasing as go-yaml allows at that size
    text = ("services:\n  a:\n    image: x\nx-a: &a [" + ",".join(["1"] * 1000) + "]\n"
            "x-f: [" + ",".join(["1"] * 170_000) + "]\nx-b: [" + ",".join(["*a"] * 825) + "]\n")
    loaded, seconds = timed(lambda: load_text(tmp_path, text))
    assert not isinstance(loaded, ComposeError), loaded
    assert len(loaded.project.extensions["x-b"]) == 825
    assert seconds < 3 * FAST


def test_aliases_beyond_the_node_limit_are_refused(tmp_path: Path) -> None:
    text = ("services:\n  a:\n    image: x\nx-a: &a [" + ",".join(["1"] * 1000) + "]\n"
            "x-f: [" + ",".join(["1"] * 300_000) + "]\nx-b: [" + ",".join(["*a"] * 1000) + "]\n")
    error, seconds = load_error(tmp_path, text)
    assert error.diagnostics[0].code == "yaml-alias-bomb"
    assert error.diagnostics[0].position.line == 6
    assert seconds < FAST


# ---------------------------------------------------------------- nesting, size, number of services


def test_yaml_nesting_limit(tmp_path: Path) -> None:
    error, seconds = load_error(tmp_path, "services:\n  a:\n    image: x\nx-deep: " + "[" * 250 + "]" * 250 + "\n")
    [d] = error.diagnostics
    assert d.code == "yaml-too-deep" and d.position.line == 4
    assert seconds < FAST


def test_deepest_allowed_nesting_loads_and_converts(tmp_path: Path) -> None:
    # 195 levels inside a service extension and at the top: every step, every target, no RecursionError
    deep = "{a: " * 190 + "1" + "}" * 190
    loaded = load_text(tmp_path, f"services:\n  a:\n    image: x\n    x-deep: {deep}\nx-deep: {deep}\n")
    convert_all(loaded)


def test_file_size_limit(tmp_path: Path) -> None:
    limit = Limits().max_bytes
    assert limit == 16 * 1024 * 1024
    text = b"services:\n  a:\n    image: x\n" + b"#" * limit
    error, seconds = load_error(tmp_path, text)
    [d] = error.diagnostics
    assert d.code == "yaml-too-large" and d.position.file == str(tmp_path / "compose.yaml")
    assert str(limit) in d.message
    assert seconds < FAST


def test_services_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert schema.MAX_SERVICES == 10_000
    monkeypatch.setattr(schema, "MAX_SERVICES", 5)
    body = "".join(f"  s{i}:\n    image: x\n" for i in range(5))
    load_text(tmp_path, "services:\n" + body)
    error, _ = load_error(tmp_path, "name: p\nservices:\n" + body + "  one-more:\n    image: x\n")
    [d] = error.diagnostics
    assert d.code == "too-many-services" and "6 entries" in d.message and "limit of 5" in d.message
    assert (d.position.line, d.position.column) == (2, 1)


def test_services_limit_counts_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "MAX_SERVICES", 3)
    (tmp_path / "a.yaml").write_text("services:\n  a:\n    image: x\n  b:\n    image: x\n")
    (tmp_path / "b.yaml").write_text("services:\n  c:\n    image: x\n  d:\n    image: x\n")
    with pytest.raises(ComposeError) as info:
        load_project([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")], environ={})
    assert [d.code for d in info.value.diagnostics] == ["too-many-services"]


def _services_seconds(tmp_path: Path, n: int) -> float:
    # the ways services refer to each other, so that any per-pair work shows: half of them depend on
    # the next one, the other half join the pod of the next one (network_mode: service:)
    half = n // 2
    body = "".join(f"  s{i}:\n    image: x\n    depends_on: [s{i + 1}]\n    links: [s{i + 1}]\n"
                   f"    volumes: ['v{i % 50}:/d']\n" for i in range(half))
    body += "".join(f"  c{i}:\n    image: x\n    network_mode: service:c{i + 1}\n" for i in range(half))
    text = (f"services:\n{body}  s{half}:\n    image: x\n    ports: ['80']\n  c{half}:\n    image: x\n"
            "volumes:\n" + "".join(f"  v{i}: {{}}\n" for i in range(50)))
    start = time.perf_counter()
    loaded = load_text(tmp_path, text)
    for target in ("kubernetes", "swarm"):
        convert(loaded, target, ConvertOptions(split=True))
    return time.perf_counter() - start


@pytest.mark.slow
def test_work_grows_linearly_with_services(tmp_path: Path) -> None:
    # Kubernetes conversion used to compare every service with every other one (quadratic); a chain
    # of network_mode references was walked from each service again (quadratic too).
    small = min(_services_seconds(tmp_path, 250) for _ in range(2))
    large = _services_seconds(tmp_path, 2000)
    assert large / small < 24, f"8x the services took {large / small:.1f}x the time ({small:.2f} s, {large:.2f} s)"


def test_long_dependency_chain_converts_to_docker_run(tmp_path: Path) -> None:
    # backends/common.py:dependency_order recursed once per link of the chain (RecursionError)
    body = "".join(f"  s{i}:\n    image: x\n    depends_on: [s{i + 1}]\n" for i in range(1500))
    loaded = load_text(tmp_path, "services:\n" + body + "  s1500:\n    image: x\n")
    convert(loaded, "docker-run", ConvertOptions())


def test_long_dependency_chain_converts_to_kubernetes_and_swarm(tmp_path: Path) -> None:
    body = "".join(f"  s{i}:\n    image: x\n    depends_on: [s{i + 1}]\n    network_mode: service:s{i + 1}\n"
                   for i in range(1500))
    loaded = load_text(tmp_path, "services:\n" + body + "  s1500:\n    image: x\n")
    for target in ("kubernetes", "swarm"):
        convert(loaded, target, ConvertOptions())


def test_kubernetes_survives_pod_cycles_in_a_hand_built_model() -> None:
    # The loader rejects network_mode cycles; a model built by hand may still have them.
    svc = {n: T.Service(name=n, image="busybox", network_mode=f"service:{m}")
           for n, m in (("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("e", "e"))}
    project = T.Project(name="p", services=svc)
    result, seconds = timed(lambda: convert(project, "kubernetes", ConvertOptions()))
    assert not isinstance(result, ComposeError) and seconds < FAST
    names = {o["metadata"]["name"] for o in result.objects if o["kind"] == "Deployment"}
    assert names == {"a", "e"}  # each cycle is cut at its first member; d joins a's pod


# ---------------------------------------------------------------- interpolation


def test_interpolation_nesting_limit() -> None:
    ok = "${A:-" * MAX_NESTING + "deep" + "}" * MAX_NESTING
    assert substitute(ok, {}.get) == "deep"
    too_deep = "${A:-" + ok + "}"
    with pytest.raises(NestingTooDeepError):
        substitute(too_deep, {}.get)
    (value, seconds) = timed(lambda: pytest.raises(NestingTooDeepError, substitute,
                                                   "${A:-" * 100_000 + "}" * 100_000, {}.get))
    assert seconds < FAST


def test_interpolation_nesting_limit_is_a_positioned_error(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: x\n    command: '" + "${A:-" * 70 + "}" * 70 + "'\n"
    error, seconds = load_error(tmp_path, text)
    [d] = error.diagnostics
    assert d.code == "interpolation-too-deep" and d.path == ("services", "a", "command")
    assert (d.position.line, d.position.column) == (4, 5)
    assert seconds < FAST


def test_many_substitutions_on_one_line(tmp_path: Path) -> None:
    # each `${A:-x}` used to recurse once more into the text after it: 300 of them raised RecursionError
    loaded = load_text(tmp_path, "services:\n  a:\n    image: x\n    command: '" + "${A:-x}" * 20_000 + "'\n",
                       {"A": "v"})
    assert loaded.project.services["a"].command == ("v" * 20_000,)


@pytest.mark.parametrize("template", [
    "${A:-" * 50_000,                      # unclosed: each "${" used to scan to the end of the line
    "${A:-x}" * 50_000,                    # the text after each balancing brace
    "${A:-" * 60 + "{" * 200_000 + "}" * 60,  # braces inside the deepest default
    "$" * 200_000, "${" * 100_000, "{}" * 100_000 + "${A:-}", "${A:-" + "}" * 200_000,
    ("${A:-x}\n" * 20_000), "${" + "A" * 200_000 + "}", "$A" * 100_000,
])
def test_substitution_takes_linear_time(template: str) -> None:
    result, seconds = timed(lambda: _outcome(substitute, template, {"A": "v"}))
    assert seconds < FAST, f"{seconds:.2f} s for {len(template)} characters"


# The recursive implementation this module replaced, kept as the reference for the same results.
_PATTERN = re.compile(r"\$(?:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*"
                      r"(?::?[-+?](?:.*))?)\}|(?P<invalid>)))", re.IGNORECASE)
_NAME = re.compile(r"[_a-z][_a-z0-9]*", re.IGNORECASE)


def reference_substitute(template, lookup, *, on_unset=None):
    if "$" not in template:
        return template
    first: list = []

    def replace(m):
        try:
            return _ref_replacement(m.group(0), lookup, on_unset)
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


def _ref_closing_brace(s):
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


def _ref_replacement(substring, lookup, on_unset):
    close = _ref_closing_brace(substring)
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
            arg = reference_substitute(op_text[len(op):], lookup, on_unset=on_unset)
            value = lookup(name)
            if op in (":-", "-"):
                value = arg if value is None or (op == ":-" and value == "") else value
            elif op in (":+", "+"):
                value = arg if value is not None and (op == "+" or value != "") else (value or "")
            elif value is None or (op == ":?" and value == ""):
                raise MissingRequiredError(name, arg)
            return value + reference_substitute(rest, lookup, on_unset=on_unset)
    value = lookup(name)
    if value is None:
        if on_unset:
            on_unset(name)
        return ""
    return value


def _outcome(fn, template: str, env: dict) -> tuple:
    unset: list[str] = []
    try:
        return ("ok", fn(template, env.get, on_unset=unset.append), unset)
    except NestingTooDeepError:
        raise
    except InterpolationError as err:
        return (type(err).__name__, str(err), unset)


template_chars = st.sampled_from(list("${}:-+?AB_x1 \n\"'") + ["\u212a", "${A", ":-", "${B:-", "}", "$$"])
ENVS = [{"A": "va", "B": "vb"}, {"A": "", "B": "$B"}, {}, {"A": "${B}", "B": "}"}]


@settings(max_examples=3000, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(template_chars, max_size=40).map("".join), st.sampled_from(ENVS))
@example("${A:-x}}}", {})
@example("${A:-{}}", {})
@example("${A:-${B}", {})
@example("${A:-a}${B:?e}$", {})
@example("x${A:-${B:-c}}y${", {"A": ""})
@example("${A?x}${B:-\n${}", {})
@example("${\u212a:-k}", {})
def test_substitution_matches_the_reference(template: str, env: dict) -> None:
    assert _outcome(substitute, template, env) == _outcome(reference_substitute, template, env)


# ---------------------------------------------------------------- env files


class _ReferenceEnvParser:
    """The env-file parser this module replaced (it sliced the rest of the file at each step)."""

    def __init__(self, vars, lookup, on_unset):
        self.line = 1
        self.vars, self.lookup, self.on_unset = vars, lookup or (lambda _k: None), on_unset

    _expand = dotenv._Parser._expand

    def parse(self, src):
        cut = src
        while True:
            cut = self._statement_start(cut)
            if cut == "":
                return
            key, rest, inherited = self._key_name(cut)
            if " " in key:
                raise dotenv._EnvError(f"line {self.line}: key cannot contain a space", self.line)
            if inherited:
                value = self.lookup(key)
                if value is not None:
                    self.vars[key] = value
                cut = rest
                continue
            value, cut = self._value(rest)
            self.vars[key] = value

    def _statement_start(self, src):
        while True:
            pos = -1
            for i, ch in enumerate(src):
                if ch not in dotenv._GO_SPACE:
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

    def _key_name(self, src):
        if dotenv._EXPORT.match(src):
            src = dotenv._lstrip(src[len("export"):], dotenv._BLANK)
        key, offset, inherited = "", 0, False
        for i, ch in enumerate(src):
            if ch in dotenv._BLANK:
                continue
            if ch in "=:\n":
                key, offset, inherited = src[:i], i + 1, ch == "\n"
                break
            if not dotenv._is_name_char(ch):
                raise dotenv._EnvError(f"line {self.line}: unexpected character {dotenv._go_quote(ch)} in variable "
                                       f"name {dotenv._go_quote(src.split(chr(10))[0])}", self.line)
        if src == "":
            raise dotenv._EnvError("zero length string", self.line)
        if inherited and " " not in key:
            self.line += 1
        return dotenv._rstrip(key, dotenv._GO_SPACE), dotenv._lstrip(src[offset:], dotenv._BLANK), inherited

    def _value(self, src):
        quote = src[:1]
        if quote not in ("'", '"'):
            value, _, rest = src.partition("\n")
            self.line += 1
            value = dotenv._rstrip(value.split(" #", 1)[0], dotenv._GO_SPACE)
            return self._expand(value), rest
        escaped = False
        chars = []
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
            if escaped:
                escaped = False
                chars.append(ch)
                continue
            value = "".join(chars)
            if quote == '"':
                value = self._expand(dotenv._ESCAPE.sub(dotenv._unescape, value))
            return value, src[i + 1:]
        first_line = src.split("\n", 1)[0]
        raise dotenv._EnvError(f"line {self.line}: unterminated quoted value {first_line}", self.line)


def _parse_with(parser_class, text: str) -> tuple:
    out: dict[str, str] = {}
    unset: list[str] = []
    parser = parser_class(out, {"LOOK": "os", "A": ""}.get, unset.append)
    try:
        parser.parse(text)
    except dotenv._EnvError as err:
        return ("error", err.message, err.line, unset)
    return ("ok", out, parser.line, unset)


env_chars = st.sampled_from(list("AB_=:#'\"\\ \t\n\r$.{}-x") + ["export ", "\n#c\n", "${LOOK}", "\\n", "é", "\u00a0"])


@settings(max_examples=2000, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(env_chars, max_size=40).map("".join))
@example("export A=1\nB='x\ny'\n#c\nC\n")
@example("A{=1")
@example("A")
@example('Q="open\nX=1')
@example("exportD=4\n export\tE = 5 # c\n")
@example("   \n\n")
@example("K: v\nL:w")
def test_env_parser_matches_the_reference(text: str) -> None:
    assert _parse_with(dotenv._Parser, text) == _parse_with(_ReferenceEnvParser, text)


def test_large_env_file_takes_linear_time() -> None:
    lines = 200_000
    text = "".join(f'KEY{i}="value {i}"\nexport OTHER{i}=x # c\n' for i in range(lines // 2))
    result, seconds = timed(lambda: dotenv.parse_env_file(text, "big.env"))
    assert len(result) == lines
    assert seconds < FAST, f"{seconds:.2f} s"


def test_large_env_file_through_the_loader(tmp_path: Path) -> None:
    (tmp_path / "big.env").write_text("".join(f"K{i}=v{i}\n" for i in range(100_000)))
    loaded, seconds = timed(lambda: load_text(tmp_path, "services:\n  a:\n    image: x\n    env_file: big.env\n"))
    assert not isinstance(loaded, ComposeError), loaded
    assert len(loaded.project.services["a"].environment) == 100_000
    assert seconds < 2 * FAST


# ---------------------------------------------------------------- tags construct nothing


PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def _plain(value: object) -> bool:
    from composeconv.yamlsource import Timestamp

    if isinstance(value, dict):
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return type(value) in PLAIN_TYPES or type(value) is Timestamp


TAGS = ["!!python/object:os.system", "!!python/object/apply:os.system", "!!python/object/new:os.system",
        "!!python/name:os.system", "!!python/module:os", "!!python/tuple", "!!python/unicode", "!!python/str",
        "!!python/bytes", "!!set", "!!omap", "!!pairs", "!ruby/object:Gem", "!<tag:yaml.org,2002:python/none>",
        "!!js/function", "!custom", "!reset", "!override", "!!binary", "!!timestamp", "!!merge", "!"]


@pytest.mark.parametrize("tag", TAGS)
def test_no_tag_constructs_an_object(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    payload = f"[\"touch {marker}\"]"
    text = (f"services:\n  a:\n    image: x\n    labels:\n      k: {tag} {payload}\n"
            f"x-m: {tag} {{a: {payload}}}\nx-s: {tag} \"text\"\nx-q: {tag} [1, 2]\n")
    try:
        loaded = load_text(tmp_path, text)
    except ComposeError as e:
        assert all(d.position and d.position.line for d in e.diagnostics), e
        return
    finally:
        assert not marker.exists(), "a tag ran code"
    from composeconv.model import encode_project

    assert _plain(encode_project(loaded.project))
    unknown = [d for d in loaded.diagnostics if d.code == "yaml-unknown-tag"]
    if tag.startswith(("!!python", "!ruby", "!<", "!!js", "!custom", "!!pairs")):
        assert unknown and all(d.position.line >= 5 for d in unknown)


def test_source_uses_only_safe_yaml_loading() -> None:
    # No full/unsafe loader, no yaml.load without a safe Loader, no ruamel "unsafe" type anywhere.
    bad = re.compile(r"yaml\.(?:unsafe_load|full_load|load_all?\((?![^)]*Loader=(?:yaml\.)?C?SafeLoader))|"
                     r"(?<![A-Za-z])(?:Unsafe|Full)Loader|typ\s*=\s*['\"]unsafe|yaml\.Loader\b|"
                     r"\bConstructor\b|add_constructor|python/object")
    offenders = []
    for path in sorted((ROOT / "composeconv").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if bad.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# ---------------------------------------------------------------- hostile characters in the output


@settings(max_examples=1500, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
                       st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=4))
@example({"k": "a\x85b\u2028c\u2029d\ufeffe\ufffef\x7fg\x00h\x1bi"})
@example({"\x85": "\ufffe", "- x": "# y", "": " ", "a: b": "[c]"})
def test_emitted_yaml_reads_back_as_written(data: dict) -> None:
    import yaml

    from composeconv.emit import dump

    text = dump({"x": data, "list": list(data.values())})
    assert yaml.safe_load(text) == {"x": data, "list": list(data.values())}
