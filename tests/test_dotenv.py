"""Env files as Compose reads them; expected values are the `environment` Compose v2.40.3 printed."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeconv.diagnostics import ComposeError, Diagnostic
from composeconv.dotenv import parse_env_file, parse_raw_env_file, read_env_file

from support import compose_binary, need

# The process environment Compose ran with, and the service's own `environment`: both feed lookups.
OS_ENV = {"LOOK": "fromos", "A": "osA", "EMPTY": ""}
SERVICE_ENV = {"SVC": "fromsvc"}
ERR = "error"

# (env file, format, resulting variables or (ERR, message after "failed to read|parse env_file <file>: "))
CASES: list[tuple[str, str | None, object]] = [
    ("A=1\nB=2\n", None, {"A": "1", "B": "2"}),
    ("OPTION_A='1'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\nOPTION_G=\"\"\nOPTION_H=\"\\n\"\n"
     "OPTION_I = \"echo 'asd'\" # Inline comment\nOPTION_J = 'first line\nsecond line\nthird'\n"
     "OPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n", None,
     {"OPTION_A": "1", "OPTION_C": "", "OPTION_D": "\\n", "OPTION_E": "1", "OPTION_G": "", "OPTION_H": "\n",
      "OPTION_I": "echo 'asd'", "OPTION_J": "first line\nsecond line\nthird", "OPTION_K": "Let's go!",
      "OPTION_Z": "last value"}),
    ("VAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=u\nVAR-WITH-DASHES=d\nVAR[0]=br\n", None,
     {"VAR-WITH-DASHES": "d", "VAR.WITH.DOTS": "dots", "VAR[0]": "br", "VAR_WITH_UNDERSCORES": "u"}),
    ("X=1\nY=${X}\nZ=$Y\nW=${X}_${Y}\nV=${NOT_DEFINED}\nU=${X:-d}\n", None,
     {"U": "1", "V": "", "W": "1_1", "X": "1", "Y": "1", "Z": "1"}),
    # the lookup (project environment, then the service's environment) wins over earlier lines
    ("A=${A:-1}\nB=${A}\nC=$A\nLOOK=mine\nD=$LOOK\nE=${SVC}\n", None,
     {"A": "osA", "B": "osA", "C": "osA", "D": "fromos", "E": "fromsvc", "LOOK": "mine"}),
    ("O1 = \"some quoted phrase\"\nO2=first one with an unquoted phrase\nO3 = then another # comment\n"
     "O4=a#b\nO5=a #b\nO6=a\t#b\nO7=trailing   \n", None,
     {"O1": "some quoted phrase", "O2": "first one with an unquoted phrase", "O3": "then another", "O4": "a#b",
      "O5": "a", "O6": "a\t#b", "O7": "trailing"}),
    ("export OPTION_A=2\nexport OPTION_B='\\n'\nexport   C=3\nexportD=4\n", None,
     {"C": "3", "OPTION_A": "2", "OPTION_B": "\\n", "exportD": "4"}),
    ("OPTION_A='postgres://localhost:5432/database?sslmode=disable'\nB=a=b=c\nC==x\n", None,
     {"B": "a=b=c", "C": "=x", "OPTION_A": "postgres://localhost:5432/database?sslmode=disable"}),
    ("LOOK\nNOPE\nSVC\nEMPTY\nA\n", None, {"A": "osA", "EMPTY": "", "LOOK": "fromos", "SVC": "fromsvc"}),
    ("\ufeffBOM=1\n", None, {"BOM": "1"}),
    ("# comment\n  # indented comment\n\n\nK=v\n", None, {"K": "v"}),
    ("K: v\nL:w\nM : x\n", None, {"K": "v", "L": "w", "M": "x"}),
    ('D1="a\\tb\\nc\\\\d\\"e\\$f\\x\\0101\\01\\0\\c\\a"\n', None, {"D1": 'a\tb\nc\\d"e$f\\xA\\1\\\\c\x07'}),
    ("S1='a\\tb\\\\c $LOOK ${LOOK}'\nS2=\"$LOOK ${LOOK} $$LOOK \\$LOOK\"\nS3=$LOOK $$LOOK \\$LOOK\n", None,
     {"S1": "a\\tb\\\\c $LOOK ${LOOK}", "S2": "fromos fromos $LOOK $LOOK", "S3": "fromos $LOOK \\fromos"}),
    ('M="line1\nline2"\nN=after\n', None, {"M": "line1\nline2", "N": "after"}),
    ('foo="\n  a\n  multine\n  value\n"\nINVALID LINE\nzot=qix', None, (ERR, "line 6: key cannot contain a space")),
    ("A B=1\n", None, (ERR, "line 1: key cannot contain a space")),
    ("A{=1\n", None, (ERR, 'line 1: unexpected character "{" in variable name "A{=1"')),
    ('Q="unterminated\nX=1\nY=2\n', None, (ERR, 'line 4: unterminated quoted value "unterminated')),
    ("Q='unterminated\n", None, (ERR, "line 2: unterminated quoted value 'unterminated")),
    ("A=1\nLAST", None, {"": "LAST", "A": "1"}),  # a last line without "=" or newline becomes a value
    ("A=${\n", None, (ERR, 'Invalid template: "${"')),
    ('A="${B:?needed}"\n', None, (ERR, "required variable B is missing a value: needed")),
    ("A=x\r\nB=y\r\n", None, {"A": "x", "B": "y"}),
    ('A="q" trailing\nB=2\n', None, {"A": "q", "B": "2"}),
    ('A="q"junk=3\n', None, {"A": "q", "junk": "3"}),
    ("1A=digit\n", None, {"1A": "digit"}),
    ("A=1\nA=2\n", None, {"A": "2"}),
    ("export\n", None, {}),
    ("A=${LOOK:+alt}${EMPTY:-def}${UNSET-u}\n", None, {"A": "altdefu"}),
    ("A=é ü\nÜBER=1\n", None, {"A": "é ü", "ÜBER": "1"}),
    ("A=\"a\\\"b\"\nB='a\\'b'\nC=\"a'b\"\nD='a\"b'\n", None, {"A": 'a"b', "B": "a'b", "C": "a'b", "D": 'a"b'}),
    ("A = \t spaced\t\n", None, {"A": "spaced"}),
    ("  INDENT=1\n\tTAB=2\n", None, {"INDENT": "1", "TAB": "2"}),
    ("A=1\n\n\nB\tC=2\n", None, {"A": "1", "B\tC": "2"}),
    ('A=1 # c\nB="x"# c\n', None, {"A": "1", "B": "x"}),
    ('A=1\nB="2" # c\nC=3\n', "raw", {"A": "1", "B": '"2" # c', "C": "3"}),
    ('\ufeffA= x \n  B="q"\n#c\n\nLOOK\nNOPE\nC=${LOOK}\n', "raw",
     {"A": " x ", "B": '"q"', "C": "${LOOK}", "LOOK": "fromos"}),
    ("A B=1\n", "raw", (ERR, "variable 'A B' contains whitespaces")),
    ("=x\n", "raw", (ERR, "no variable name on line '=x'")),
    ("A=1\r\nB=2\r\n", "raw", {"A": "1", "B": "2"}),
    ("export A=1\n", "raw", (ERR, "variable 'export A' contains whitespaces")),
    ("A=1\n", "yaml", (ERR, 'unsupported env_file format "yaml"')),
]


def _lookup(name: str) -> str | None:
    return OS_ENV.get(name, SERVICE_ENV.get(name))


def _ours(text: str, fmt: str | None) -> object:
    try:
        return parse_env_file(text, "x.env", _lookup, fmt)
    except ComposeError as err:
        return (ERR, err.diagnostics[0].message)


@pytest.mark.parametrize("text,fmt,expected", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_env_files(text: str, fmt: str | None, expected: object) -> None:
    assert _ours(text, fmt) == expected


def test_error_positions_and_codes() -> None:
    with pytest.raises(ComposeError) as info:
        parse_env_file("A=1\nB C=2\n", "x.env")
    d = info.value.diagnostics[0]
    assert (d.code, d.position.file, d.position.line) == ("env-file-syntax", "x.env", 2)


def test_vars_carry_over_and_warnings() -> None:
    warnings: list[Diagnostic] = []
    acc = parse_env_file("A=1\n", "a.env")
    parse_env_file("B=${A}${MISSING}\n", "b.env", None, vars=acc, warnings=warnings)
    assert acc == {"A": "1", "B": "1"}
    assert [w.message for w in warnings] == ['The "MISSING" variable is not set. Defaulting to a blank string.']


def test_raw_bytes() -> None:
    with pytest.raises(ComposeError) as info:
        parse_raw_env_file(b"A=\xff\n", "x.env")
    assert info.value.diagnostics[0].message == "invalid utf8 bytes at line 1: [65 61 255]"
    assert read_env_file(b"A=\xff\n", "x.env") == {"A": "\ufffd"}  # Compose printed U+FFFD


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True),
                       st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), max_size=5))
def test_single_quoted_values_round_trip(values: dict[str, str]) -> None:
    # single quotes keep everything but backslash-escaped quotes and backslashes
    text = "".join(f"{k}='{v}'\n" for k, v in values.items() if "'" not in v and "\\" not in v)
    expected = {k: v for k, v in values.items() if "'" not in v and "\\" not in v}
    assert parse_env_file(text, "x.env") == expected


@pytest.mark.oracle
def test_env_files_against_compose() -> None:
    binary = compose_binary()
    need(binary, "docker-compose binary not available")
    for text, fmt, expected in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "x.env").write_text(text)
            entry = "      - path: x.env\n" + (f"        format: {fmt}\n" if fmt else "")
            Path(tmp, "f.yaml").write_text("services:\n  web:\n    image: x\n    environment:\n      SVC: fromsvc\n"
                                           "    env_file:\n" + entry)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "COMPOSE_PROJECT_NAME": "p",
                   **OS_ENV}
            proc = subprocess.run([binary, "-f", "f.yaml", "config", "--format", "json"], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=30)
        if isinstance(expected, tuple):
            assert proc.returncode != 0 and proc.stderr.strip().endswith(expected[1]), (text, proc.stderr)
            continue
        assert proc.returncode == 0, (text, proc.stderr)
        shown = json.loads(proc.stdout)["services"]["web"].get("environment", {})
        shown = {k: v.replace("$$", "$") for k, v in shown.items()}  # the printer doubles "$"
        assert shown == {**expected, "SVC": "fromsvc"}, text
        assert _ours(text, fmt) == expected
