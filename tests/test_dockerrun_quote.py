"""The one quoting function of the docker-run backend, checked against bash itself."""

from __future__ import annotations

import csv
import io
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from composeconv.backends.dockerrun.quote import Var, csv_field, quote, word
from composeconv.backends.dockerrun.script import HELPERS

# Any text an argv can carry: no NUL, no lone surrogates.
ARGV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
HOSTILE = ["", " ", "-", "--privileged", "'", '"', "$HOME", "$(id)", "`id`", "a;b", "a\nb", "\r", "\t", "\\",
           "\\'", "grüße ✓", "\x1b[31m", "*", "?", "[a]", "~", "!x", "#", "a=b,c", "\x7f", "${x}", "'\\''"]


def bash_argv(words: list[str], prelude: str = "") -> list[str]:
    """What bash passes to a command for these rendered words (NUL-separated, read back exactly)."""
    script = prelude + "printf '%s\\0' " + " ".join(words) + "\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True, env={"LC_ALL": "C"}).stdout
    return out.decode("utf-8", "surrogateescape").split("\x00")[:-1]


def test_hostile_literals_pass_through_bash_unchanged():
    assert bash_argv([quote(s) for s in HOSTILE]) == HOSTILE


def test_quote_forms():
    assert quote("plain") == "plain"
    assert quote("") == "''"
    assert quote("it's") == "'it'\\''s'"
    assert quote("a\nb") == "$'a\\012b'"
    assert quote("\x1b") == "$'\\033'"


@settings(max_examples=300, deadline=None)
@given(st.lists(ARGV_TEXT, min_size=1, max_size=8))
def test_any_text_survives_bash(values):
    assert bash_argv([quote(v) for v in values]) == values


@settings(max_examples=100, deadline=None)
@given(ARGV_TEXT, ARGV_TEXT, ARGV_TEXT)
def test_words_with_variables(before, value, after):
    w = word(before, Var("v"), after)
    got = bash_argv([w.render()], prelude=f"v={quote(value)}\n")
    assert got == [before + value + after]


def _csv_read(record: str) -> list[str]:
    # Python's csv module reads records the way Go's encoding/csv does for these inputs
    return next(csv.reader(io.StringIO(record, newline="")))


@settings(max_examples=200, deadline=None)
@given(st.lists(ARGV_TEXT.filter(lambda s: "\r" not in s), min_size=1, max_size=5))
def test_csv_fields_round_trip(fields):
    assert _csv_read(",".join(csv_field(f) for f in fields)) == fields


@settings(max_examples=100, deadline=None)
@given(st.lists(ARGV_TEXT.filter(lambda s: "\r" not in s), min_size=1, max_size=5))
def test_the_scripts_csv_record_matches(fields):
    words = " ".join(quote(f) for f in fields)
    out = subprocess.run(["bash", "-c", HELPERS + f"\ncsv_record {words}"], capture_output=True, check=True,
                         env={"LC_ALL": "C"}).stdout.decode("utf-8", "surrogateescape")
    assert _csv_read(out) == fields
