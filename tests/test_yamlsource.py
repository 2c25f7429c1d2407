"""yamlsource reads YAML as Docker Compose does; expected values are what Compose v2.40.3 printed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeconv.diagnostics import ComposeError, Position
from composeconv.yamlsource import (Limits, Override, Reset, Timestamp, apply_resets, parse_yaml, parse_yaml_all,
                                    strip_markers)

from support import CORPUS, SHARED, compose_binary, need

HEAD = "services:\n  web:\n    image: x\n"

# Plain scalars as Compose printed them under an `x-foo:` extension (`config --format json`).
SCALARS: list[tuple[str, object]] = [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("True", True), ("TRUE", True),
    ("FALSE", False), ("False", False), ("fAlse", "fAlse"), ("~", None), ("Null", None), ("NULL", None),
    ("nUll", "nUll"), ("0755", 493), ("0o755", 493), ("00", 0), ("08", 8), ("1_000", 1000), ("1_", 1),
    ("_1", "_1"), ("1__0", 10), ("0x1F", 31), ("0X1F", 31), ("0x_1F", 31), ("-0x1F", -31), ("+0x1F", 31),
    ("0x", "0x"), ("0b101", 5), ("-0b101", -5), ("0b2", "0b2"), ("0b1_0", 2), ("-0b1_0", -2), ("0o8", "0o8"),
    ("-0o17", -15), ("0o_17", 15), ("+12", 12), ("1e3", 1000), ("1E3", 1000), ("1e+3", 1000), ("1.0e+3", 1000),
    ("1.0", 1), ("+1.5", 1.5), (".5", 0.5), ("5.", 5), ("-.5", -0.5), ("1.", 1), ("+.5", 0.5), ("-0", 0),
    ("0.", 0), ("1_000.5", 1000.5), ("1_0e1_0", 100000000000), (".1_0", 0.1), ("1.5e-7", 1.5e-07),
    ("0.1", 0.1), ("1e21", 1e21), ("1e-400", 0), ("1e400", "1e400"), ("-1e400", "-1e400"),
    ("3.14159265358979323846", 3.141592653589793), ("12:30:00", "12:30:00"), ("+", "+"),
    ("<<", "<<"), ("9223372036854775807", 9223372036854775807), ("9223372036854775808", 9223372036854775808),
    ("18446744073709551615", 18446744073709551615), ("0x8000000000000000", 9223372036854775808),
    ("0xFFFFFFFFFFFFFFFF", 18446744073709551615), ("0x10000000000000000", "0x10000000000000000"),
    ("-9223372036854775809", -9223372036854775808.0), ("012345678901234567890", 1.2345678901234567e19),
    ("123456789012345678901234", 1.2345678901234569e23),
]

# Timestamps go-yaml decodes as time.Time (Compose prints them in RFC 3339); other look-alikes stay strings.
TIMESTAMPS: list[tuple[str, str]] = [
    ("2001-12-14", "2001-12-14T00:00:00Z"), ("2001-1-2", "2001-01-02T00:00:00Z"),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.1-05:00"),
    ("2001-12-14 21:59:43.10", "2001-12-14T21:59:43.1Z"), ("2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"),
    ("2001-12-14T21:59:43+05:00", "2001-12-14T21:59:43+05:00"),
    ("2001-12-14T21:59:43.123456789123Z", "2001-12-14T21:59:43.123456789Z"),
]
NOT_TIMESTAMPS = ["2001-12-14 21:59:43.10 -5", "2001-13-14", "2001-12-14T25:00:00Z", "20011-12-14", "2001-02-30"]

# Explicit tags under x-foo: value printed, or the error Compose reported ("yaml: ..." after the file name).
TAGGED: list[tuple[str, object]] = [
    ("!foo bar", "bar"), ("!!python/object bar", "bar"), ("!!python/object:foo.Bar {x: 1}", {"x": 1}),
    ("!foo [1, 2]", [1, 2]), ("!!binary aGVsbG8=", "hello"), ("!!timestamp 2001-12-14", "2001-12-14T00:00:00Z"),
    ("!!str {x: 1}", {"x": 1}), ("!!seq {x: 1}", {"x": 1}), ("!<tag:yaml.org,2002:int> \"5\"", 5),
    ('!!float "1e3"', 1000), ("!!str", ""), ('!!bool "true"', True), ("! 12", 12), ('! "12"', "12"),
    ("!!str 1", "1"), ('!!int "12"', 12), ("!!float 1", 1), ('!!null ""', None), ("!!set {x, y}", {"x": None, "y": None}),
    ("!!omap [a: 1]", [{"a": 1}]), ("!override 0755", "0755"), ("!override {x: 1}", {"x": 1}),
    ("!!bool yes", "cannot decode !!str `yes` as a !!bool"), ("!!int abc", "cannot decode !!str `abc` as a !!int"),
    ("!!null x", "cannot decode !!str `x` as a !!null"), ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"),
    ("!!float abc", "cannot decode !!str `abc` as a !!float"),
    ('!!binary "aGVs bG8="', "!!binary value contains invalid base64 data"),
]


def _same(got: object, want: object) -> bool:
    if isinstance(got, Timestamp):
        return str(got) == want
    if isinstance(want, (bool, type(None), str)) or isinstance(got, (bool, type(None), str)):
        return type(got) is type(want) and got == want
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    if isinstance(got, float) or isinstance(want, float):
        return float(got) == float(want)  # Compose prints a float64 in its shortest form
    return got == want


def _xfoo(value: str) -> object:
    return parse_yaml(f"{HEAD}x-foo:\n  a: {value}\n", "f.yaml").data["x-foo"]["a"]


@pytest.mark.parametrize("text,expected", SCALARS)
def test_plain_scalars_resolve_like_go_yaml(text: str, expected: object) -> None:
    assert _same(_xfoo(text), expected), (text, _xfoo(text))


def test_value_types_follow_go_yaml() -> None:
    assert type(_xfoo("0755")) is int and type(_xfoo("08")) is float and type(_xfoo("1.0")) is float
    assert math.isinf(_xfoo(".inf")) and _xfoo("-.Inf") == -math.inf and math.isnan(_xfoo(".NaN"))
    assert _xfoo(".iNf") == ".iNf"  # Compose printed "+Inf", "-Inf", "NaN" in environment for the others


@pytest.mark.parametrize("text,expected", TIMESTAMPS)
def test_timestamps(text: str, expected: str) -> None:
    value = _xfoo(text)
    assert isinstance(value, Timestamp) and str(value) == expected


@pytest.mark.parametrize("text", NOT_TIMESTAMPS)
def test_timestamp_lookalikes_stay_strings(text: str) -> None:
    assert _xfoo(text) == text


def test_quoted_and_block_scalars_are_strings() -> None:
    data = parse_yaml(f"{HEAD}x-foo:\n  a: \"0755\"\n  b: '1e3'\n  c: |\n    block\n  d: >-\n    folded\n    text\n",
                      "f.yaml").data["x-foo"]
    assert data == {"a": "0755", "b": "1e3", "c": "block\n", "d": "folded text"}


@pytest.mark.parametrize("text,expected", TAGGED)
def test_tags(text: str, expected: object) -> None:
    if isinstance(expected, str) and ("cannot decode" in expected or "base64" in expected):
        with pytest.raises(ComposeError) as info:
            _xfoo(text)
        assert info.value.diagnostics[0].message == expected
        assert info.value.diagnostics[0].position.line == 5
    else:
        assert _same(_xfoo(text), expected), _xfoo(text)


def test_unknown_tag_is_a_warning_with_position() -> None:
    doc = parse_yaml(f"{HEAD}x-foo: !foo bar\n", "f.yaml")
    assert doc.data["x-foo"] == "bar"
    assert [(w.code, w.position) for w in doc.warnings] == [("yaml-unknown-tag", Position("f.yaml", 4, 8))]


def test_merge_keys() -> None:
    data = parse_yaml(HEAD + "x-b: &b {p: 1, q: 2}\nx-c: &c {q: 3, r: 4}\nx-a:\n  <<: [*b, *c]\n  r: 5\n"
                      "x-d:\n  r: 5\n  <<: *b\n  p: 7\nx-e: &e {p: 1, <<: {z: 1}}\nx-f:\n  <<: *e\n"
                      "x-g:\n  <<: []\nx-h:\n  \"<<\": {a: 1}\n", "f.yaml").data
    assert data["x-a"] == {"p": 1, "q": 2, "r": 5}
    assert data["x-d"] == {"p": 7, "q": 2, "r": 5}
    assert data["x-f"] == {"p": 1, "z": 1} and data["x-g"] == {} and data["x-h"] == {"<<": {"a": 1}}


@pytest.mark.parametrize("value", ["1", "[1]", "~", "[[a]]"])
def test_merge_of_a_non_mapping_fails(value: str) -> None:
    with pytest.raises(ComposeError) as info:
        parse_yaml(f"{HEAD}x-a:\n  <<: {value}\n", "f.yaml")
    d = info.value.diagnostics[0]
    assert (d.code, d.message) == ("yaml-merge", "map merge requires map or sequence of maps as the value")


ERRORS: list[tuple[str, str, str, tuple[int, int] | None]] = [
    # (document after HEAD, code, message Compose printed after "failed to parse <file>: [yaml: ]", line/column)
    ("x-foo:\n  a: 1\n  a: 2\n", "yaml-duplicate-key", 'mapping key "a" already defined at line 5', (6, 3)),
    ("x-foo:\n  \"1\": a\n  1: b\n", "yaml-duplicate-key", 'mapping key "1" already defined at line 5', (6, 3)),
    ("x-foo:\n  a: {b: 1, b: 2}\n", "yaml-duplicate-key", 'mapping key "b" already defined at line 5', (5, 13)),
    ("x-b: &b {a: 1}\nx-foo:\n  <<: *b\n  <<: *b\n", "yaml-duplicate-key",
     'mapping key "<<" already defined at line 6', (7, 3)),
    ("x-foo:\n  1: a\n", "yaml-non-string-key", "non-string key in x-foo: 1", (5, 3)),
    ("x-foo:\n  ~: a\n", "yaml-non-string-key", "non-string key in x-foo: <nil>", (5, 3)),
    ("x-foo:\n  1.5: a\n", "yaml-non-string-key", "non-string key in x-foo: 1.5", (5, 3)),
    ("x-foo:\n  - 1: a\n", "yaml-non-string-key", "non-string key in x-foo[0]: 1", (5, 5)),
    ("x-foo:\n  2001-01-01: a\n", "yaml-non-string-key",
     "non-string key in x-foo: time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC)", (5, 3)),
    ("x-foo:\n  !!int 7: 2\n", "yaml-non-string-key", "non-string key in x-foo: 7", (5, 3)),
    ("x-foo: *nope\n", "yaml-alias", "unknown anchor 'nope' referenced", (4, 8)),
    ("x-a: &a [*a]\n", "yaml-alias", "cycle detected: node at path x-a.0.0 references node at path x-a.0", None),
    ("x-a: &a {b: *a}\n", "yaml-alias", "cycle detected: node at path x-a.b.b references node at path x-a.b", None),
]


@pytest.mark.parametrize("body,code,message,where", ERRORS)
def test_structural_errors(body: str, code: str, message: str, where: tuple[int, int] | None) -> None:
    with pytest.raises(ComposeError) as info:
        parse_yaml(HEAD + body, "f.yaml")
    d = info.value.diagnostics[0]
    assert (d.code, d.message) == (code, message)
    if where:
        assert (d.position.file, d.position.line, d.position.column) == ("f.yaml", *where)


def test_non_string_key_at_top_level() -> None:
    with pytest.raises(ComposeError, match="non-string key at top level: 1"):
        parse_yaml("1: x\n" + HEAD, "f.yaml")


@pytest.mark.parametrize("source,code,message,line,column", [
    ("services:\n\tweb:\n", "yaml-syntax", "found character that cannot start any token", 2, 1),
    (HEAD + "x-t:\n  e8: -\n", "yaml-syntax", "block sequence entries are not allowed in this context", 5, 7),
    ("a: [\n", "yaml-syntax", "did not find expected node content", 2, 1),
    ('a: "\\ud800"\n', "yaml-syntax", "found invalid Unicode character escape code", 1, 7),
    ("%YAML 1.3\n---\na: 1\n", "yaml-syntax", "found incompatible YAML document", 1, 1),
    (b"a: \xff\n", "yaml-encoding", "invalid leading UTF-8 octet", 1, 4),
    (b"a: x\n\x00", "yaml-encoding", "control characters are not allowed", 2, 1),
    (b'a: "x\x00"', "yaml-encoding", "control characters are not allowed", 1, 6),
    (b"a: \x01\n", "yaml-encoding", "control characters are not allowed", 1, 4),
])
def test_syntax_and_encoding_errors(source: str | bytes, code: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ComposeError) as info:
        parse_yaml(source, "f.yaml")
    d = info.value.diagnostics[0]
    assert (d.code, d.message, d.position) == (code, message, Position("f.yaml", line, column))


def test_streams_and_documents() -> None:
    # Compose: no document -> "empty compose file"; an empty document -> "top-level object must be a mapping"
    assert parse_yaml("", "f").empty and parse_yaml("\n# only comment\n", "f").empty
    assert parse_yaml_all("---\n", "f")[0].data is None
    docs = parse_yaml_all(HEAD + "---\nservices:\n  web:\n    environment: {A: 1}\n", "f")
    assert [d.index for d in docs] == [0, 1] and docs[1].data["services"]["web"]["environment"] == {"A": 1}
    first = parse_yaml(HEAD + "---\n~\n", "f")
    assert len(first.more) == 1 and first.more[0].data is None
    assert parse_yaml("\ufeff" + HEAD, "f").data == {"services": {"web": {"image": "x"}}}
    assert parse_yaml(b"\xef\xbb\xbf" + HEAD.encode(), "f").data == {"services": {"web": {"image": "x"}}}
    assert parse_yaml("%YAML 1.1\n---\na: yes\n", "f").data == {"a": "yes"}


def test_reset_and_override() -> None:
    source = (HEAD + "x-a: [1e-400, !reset 3, x]\nx-b:\n  <<: !reset {a: 1}\n  b: 1\n"
              "x-base: &base {ports: [1], keep: !override {z: 1}}\nx-svc:\n  <<: *base\n  ports: !reset []\n")
    doc = parse_yaml(source, "f.yaml")
    assert doc.data["x-a"] == [0.0, "x"] and doc.data["x-b"] == {"b": 1}
    assert doc.data["x-svc"] == {"ports": [1], "keep": {"z": 1}}  # the merge fills a key dropped by !reset
    assert doc.reset_paths == (("x-a", "1"), ("x-b",), ("x-base", "keep"), ("x-svc", "keep"), ("x-svc", "ports"))
    marked = parse_yaml(source, "f.yaml", keep_markers=True).data
    assert isinstance(marked["x-a"][1], Reset) and isinstance(marked["x-base"]["keep"], Override)
    assert strip_markers(marked) == doc.data


def test_reset_through_an_alias_is_recorded_at_each_use() -> None:
    text = (CORPUS / "cases/compose-go/inline/reset_test__TestDirectAliasWithReset__1.yaml").read_text()
    doc = parse_yaml(text, "f.yaml")
    assert doc.data == {"services": {"svc1": {}, "svc2": {}}}
    assert doc.reset_paths == (("x-reset",), ("services", "svc1", "ports"), ("services", "svc2", "ports"))


def test_apply_resets_follows_compose_go() -> None:
    target = {"services": {"a": {"ports": [1], "image": "x"}, "b": {"ports": [2]}}, "x": ["0", {"k": 1}]}
    apply_resets(target, [("services", "*", "ports"), ("x", "0"), ("x", "[1]")])
    assert target == {"services": {"a": {"image": "x"}, "b": {}}, "x": ["0", {"k": 1}]}  # list items stay


def test_compose_go_cycle_check_quirk() -> None:
    # Compose 2.40.3 mistakes "test.other" for a child of "test" (it splits paths on dots)
    text = (CORPUS / "cases/compose-go/inline/reset_test__TestResetCycle__4.yaml").read_text()
    with pytest.raises(ComposeError, match="cycle detected: node at path services.test.other references node at "
                                           "path services.test"):
        parse_yaml(text, "f.yaml")
    ok = parse_yaml((CORPUS / "cases/compose-go/inline/reset_test__TestResetCycle__3.yaml").read_text(), "f")
    assert ok.data["services"]["backend"] == {"restart": "unless-stopped", "image": "alpine:latest"}


@pytest.mark.parametrize("name", ["reset_test__TestAliasBombPrevented__1.yaml", "reset_test__TestAliasBombPrevented__2.yaml",
                                  "reset_test__TestAliasNodePreservation__1.yaml"])
def test_alias_bombs_fail_fast(name: str) -> None:
    path = CORPUS / "cases/compose-go/inline" / name
    need(path.exists(), "corpus not available")
    start = time.perf_counter()
    with pytest.raises(ComposeError) as info:
        parse_yaml(path.read_bytes(), name)
    assert time.perf_counter() - start < 20  # a hang bound (docs/reliability.md): refused before expanding
    assert info.value.diagnostics[0].code == "yaml-alias-bomb"


def test_limits() -> None:
    big = "x: &a [" + ", ".join(["k"] * 50) + "]\ny: [" + ", ".join(["*a"] * 50) + "]\n"
    with pytest.raises(ComposeError) as info:
        parse_yaml(big, "f", limits=Limits(max_nodes=1000))
    assert info.value.diagnostics[0].code == "yaml-alias-bomb"
    with pytest.raises(ComposeError) as info:
        parse_yaml("a: " + "[" * 300 + "]" * 300, "f")
    assert info.value.diagnostics[0].code == "yaml-too-deep"
    with pytest.raises(ComposeError) as info:
        parse_yaml(b"a: 1\n" * 100, "f", limits=Limits(max_bytes=100))
    assert info.value.diagnostics[0].code == "yaml-too-large"


def test_sourcemap_positions() -> None:
    doc = parse_yaml(HEAD + "    ports:\n      - 80\n      - target: 81\nx-base: &b {k: v}\nx-use:\n  <<: *b\n"
                     "  own: 1\nx-alias: *b\n", "f.yaml")
    sm = doc.sourcemap
    assert sm.get(("services", "web", "image")) == Position("f.yaml", 3, 5)
    assert sm.get(("services", "web", "ports", 0)) == Position("f.yaml", 5, 9)
    assert sm.get(("services", "web", "ports", 1, "target")) == Position("f.yaml", 6, 9)
    assert sm.get(("x-use", "k")) == Position("f.yaml", 7, 13)  # where the merged key was written
    assert sm.get(("x-use", "own")) == Position("f.yaml", 10, 3)
    assert sm.get(("x-alias", "k")) == Position("f.yaml", 7, 13)
    assert sm.get(("services", "web", "nope")) == Position("f.yaml", 2, 3)
    later = parse_yaml(HEAD + "---\nb: 1\n", "f").more[0]
    assert later.sourcemap.get(("b",)) == Position("f", 5, 1)


def test_sourcemap_skips_reset_items() -> None:
    doc = parse_yaml("a: [!reset 1, x, y]\n", "f")
    assert doc.data == {"a": ["x", "y"]} and doc.sourcemap.get(("a", 1)) == Position("f", 1, 18)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1))
def test_decimal_integers_round_trip(value: int) -> None:
    assert _xfoo(str(value)) == value


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                                      blacklist_characters="\ufeff\ufffe\uffff"), max_size=30))
def test_double_quoted_strings_stay_strings(value: str) -> None:
    assert _xfoo(json.dumps(value, ensure_ascii=False)) == value


@pytest.mark.slow
def test_benchmark_file_parses() -> None:
    """The benchmark's 1000-service file (its speed is measured by bench/run.py, not here)."""
    gen = SHARED / "bench" / "gen_compose.py"
    need(gen.exists(), "benchmark generator not available")
    data = subprocess.run([sys.executable, str(gen), "1000"], capture_output=True, check=True).stdout
    doc = parse_yaml(data, "big.yaml")
    assert len(doc.data["services"]) == 1000 and doc.sourcemap.get(("services", "svc999")) is not None


def _compose_x_foo(body: str) -> tuple[dict | None, str]:
    binary = compose_binary()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "f.yaml").write_text(HEAD + body)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "COMPOSE_PROJECT_NAME": "p"}
        proc = subprocess.run([binary, "-f", "f.yaml", "config", "--format", "json"], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=30)
    if proc.returncode:
        return None, proc.stderr
    return json.loads(proc.stdout).get("x-foo"), ""


@pytest.mark.oracle
def test_scalars_against_compose() -> None:
    need(compose_binary(), "docker-compose binary not available")
    table = [(t, v) for t, v in SCALARS] + [(t, v) for t, v in TIMESTAMPS]
    body = "x-foo:\n" + "".join(f"  k{i}: {t}\n" for i, (t, _) in enumerate(table))
    printed, err = _compose_x_foo(body)
    assert printed is not None, err
    ours = parse_yaml(HEAD + body, "f.yaml").data["x-foo"]
    for i, (text, expected) in enumerate(table):
        assert _same(printed[f"k{i}"], expected), (text, printed[f"k{i}"])
        assert _same(ours[f"k{i}"], printed[f"k{i}"]), (text, ours[f"k{i}"])


@pytest.mark.oracle
@pytest.mark.parametrize("body,code,message,where", ERRORS[:4] + ERRORS[4:6])
def test_errors_against_compose(body: str, code: str, message: str, where: object) -> None:
    need(compose_binary(), "docker-compose binary not available")
    printed, err = _compose_x_foo(body)
    assert printed is None and message in err


def test_first_pass_positions_equal_second_pass_positions(monkeypatch) -> None:
    """The map made while reading equals the one a second pass makes (used when aliases make it costly)."""
    import composeconv.yamlsource as ys

    files = sorted(p for p in (CORPUS / "cases").rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    need(files, f"the shared corpus at {CORPUS}")
    compared = 0
    for path in files:
        data = path.read_bytes()
        try:
            first = [d.sourcemap.positions for d in ys.parse_yaml_all(data, "f")]
        except ComposeError:
            continue
        with monkeypatch.context() as m:
            m.setattr(ys, "EAGER_MAP_EXPANSION", -1)  # as for a document that aliases make big
            m.setattr(ys._Reader, "_done", _without_cheap_map(ys._Reader._done))
            docs = ys.parse_yaml_all(data, "f")
            assert all(d._sourcemap is None for d in docs)  # nothing tracked yet: the second pass runs
            second = [d.sourcemap.positions for d in docs]
        assert first == second, path
        compared += 1
    assert compared > 500


def _without_cheap_map(done):
    def patched(self, root, decoded, expanded):
        return done(self, root, decoded, decoded + 1)  # more nodes through aliases than its own: costly
    return patched


def test_alias_heavy_document_defers_its_key_path_map() -> None:
    """Aliases that multiply a document leave the map to a second pass, made only when a position is asked."""
    import composeconv.yamlsource as ys

    text = "x-a: &a {" + ", ".join(f"k{i}: {i}" for i in range(200)) + "}\nl: [" + ", ".join(["*a"] * 100) + "]\n"
    doc = ys.parse_yaml(text, "f")
    assert doc._sourcemap is None
    assert doc.sourcemap.get(("l", 99, "k5")) == Position("f", 1, doc.sourcemap.get(("x-a", "k5")).column)
    small = ys.parse_yaml("a: &a {k: 1}\nb: *a\n", "f")
    assert small._sourcemap is not None and small.sourcemap.get(("b", "k")) == Position("f", 1, 8)
