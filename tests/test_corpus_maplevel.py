"""Map-level agreement with Docker Compose v2.40.3 over the shared corpus.

For every case that `config --no-interpolate` accepts, the map-level dict must equal the
recorded output; every case it rejects must raise ComposeError (and nothing else). In
interpolated mode, with the steps Compose runs on its typed project (composeconv.api.load_project),
every rejected case must raise ComposeError too, except the ones the library knowingly accepts
(test_corpus_config.ACCEPTED_BUT_COMPOSE_FAILS).
"""

from __future__ import annotations

import csv
import json
import os
from typing import Any

import pytest

from composeconv.api import load_project
from composeconv.diagnostics import ComposeError
from composeconv.loader import LoadOptions, load_dict, printable

from support import CORPUS, need
from test_corpus_config import ACCEPTED_BUT_COMPOSE_FAILS

CASES = CORPUS / "cases"
EXPECTED = CORPUS / "expected"

# Known differences: path -> why. Keep this the only place that names corpus files.
KNOWN_DIFFERENCES: dict[str, str] = {}

# Cases Compose could not finish (alias bombs); we only require a ComposeError or a result.
TIMEOUT_CASES_NOTE = "TIMEOUT"


def corpus_rows() -> list[dict[str, str]]:
    index = CORPUS / "index.tsv"
    if not index.exists():
        return []
    with open(index, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def substitute(value: Any, cases: str, home: str) -> Any:
    if isinstance(value, str):
        return value.replace("@CASES@", cases).replace("@HOME@", home)
    if isinstance(value, list):
        return [substitute(v, cases, home) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, cases, home) for k, v in value.items()}
    return value


def normalize_json(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


def case_environ(home: str) -> dict[str, str]:
    """The environment Compose was run with: only PATH and HOME."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}


def load_case(rel: str, home: str, interpolate: bool) -> dict:
    """Load one case's map-level model as Compose was run on it: from its directory."""
    path = CASES / rel
    options = LoadOptions(files=(str(path),), cwd=str(path.parent), environ=case_environ(home),
                          interpolate=interpolate)
    return printable(load_dict(options).data)


def load_case_with_project_steps(rel: str, home: str) -> None:
    """Load one case as the library does: interpolated, then Compose's steps on the typed project."""
    path = CASES / rel
    load_project([str(path)], cwd=str(path.parent), environ=case_environ(home))


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{path or '.'}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                return f"{path}.{k}: missing (expected {json.dumps(b[k])[:120]})"
            if k not in b:
                return f"{path}.{k}: unexpected {json.dumps(a[k])[:120]}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: list length {len(a)} != {len(b)}: {json.dumps(a)[:200]} vs {json.dumps(b)[:200]}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if a != b:
        return f"{path or '.'}: {json.dumps(a)[:160]} != {json.dumps(b)[:160]}"
    return None


def run_nointerp(rows: list[dict[str, str]], home: str) -> tuple[int, int, dict[str, str]]:
    """Return (agreeing, total, failures) over all cases, no-interpolate mode."""
    cases = str(CASES)
    failures: dict[str, str] = {}
    ok = 0
    for row in rows:
        rel = row["path"]
        expect_ok = row["config_ok_nointerp"] == "1"
        try:
            got = load_case(rel, home, interpolate=False)
        except ComposeError as exc:
            if expect_ok:
                failures[rel] = "unexpected ComposeError: " + str(exc).splitlines()[0][:300]
            else:
                ok += 1
            continue
        except Exception as exc:  # noqa: BLE001 - any other exception is a failure
            failures[rel] = f"crash {type(exc).__name__}: {exc}"[:300]
            continue
        if not expect_ok:
            if row["error_first_line"].startswith("TIMEOUT"):
                ok += 1
            else:
                failures[rel] = "loaded but Compose rejects it: " + row["error_first_line"][:200]
            continue
        expected = json.loads((EXPECTED / (rel + ".nointerp.json")).read_text())
        expected = substitute(expected, cases, home)
        got = normalize_json(got)
        diff = first_difference(got, expected)
        if diff:
            failures[rel] = diff
        else:
            ok += 1
    return ok, len(rows), failures


def run_interp_errors(rows: list[dict[str, str]], home: str) -> tuple[int, int, dict[str, str]]:
    """Interpolated mode with the project steps on: rejected cases raise, accepted ones do not."""
    failures: dict[str, str] = {}
    ok = total = 0
    for row in rows:
        rel = row["path"]
        total += 1
        if row["config_ok"] == "1":
            try:
                load_case_with_project_steps(rel, home)
                ok += 1
            except ComposeError as exc:
                failures[rel] = "unexpected ComposeError: " + str(exc).splitlines()[0][:200]
            except Exception as exc:  # noqa: BLE001
                failures[rel] = f"crash {type(exc).__name__}: {exc}"[:300]
            continue
        try:
            load_case_with_project_steps(rel, home)
        except ComposeError:
            ok += 1
            continue
        except Exception as exc:  # noqa: BLE001
            failures[rel] = f"crash {type(exc).__name__}: {exc}"[:300]
            continue
        if row["error_first_line"].startswith("TIMEOUT"):
            ok += 1
            continue
        failures[rel] = "no error; Compose says: " + row["error_first_line"][:200]
    return ok, total, failures


def run_interp_without_dollar(rows: list[dict[str, str]], home: str) -> tuple[int, int, dict[str, str]]:
    """Cases without `$`: the interpolated map level must equal the no-interpolate output."""
    failures: dict[str, str] = {}
    ok = total = 0
    for row in rows:
        if row["config_ok_nointerp"] != "1":
            continue
        rel = row["path"]
        if "$" in (CASES / rel).read_text(errors="replace"):
            continue
        total += 1
        expected = substitute(json.loads((EXPECTED / (rel + ".nointerp.json")).read_text()), str(CASES), home)
        try:
            got = load_case(rel, home, interpolate=True)
        except ComposeError as exc:
            failures[rel] = "ComposeError: " + str(exc).splitlines()[0][:200]
            continue
        except Exception as exc:  # noqa: BLE001
            failures[rel] = f"crash {type(exc).__name__}: {exc}"[:300]
            continue
        # project steps are off when comparing with the map level
        diff = first_difference(normalize_json(got), expected)
        if diff:
            failures[rel] = diff
        else:
            ok += 1
    return ok, total, failures


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    need((CORPUS / "index.tsv").exists(), f"corpus not found at {CORPUS}")
    return corpus_rows()


@pytest.mark.slow
def test_nointerp_map_level_matches_compose(rows, tmp_path):
    home = str(tmp_path / "home")
    os.makedirs(home)
    ok, total, failures = run_nointerp(rows, home)
    unexplained = {k: v for k, v in failures.items() if k not in KNOWN_DIFFERENCES}
    rate = ok / total if total else 1.0
    print(f"\nno-interpolate map level: {ok}/{total} agree ({rate:.1%})")
    for rel, why in sorted(failures.items()):
        print(f"  {rel}: {why}")
    assert rate >= 0.95
    assert not unexplained, f"{len(unexplained)} unexplained differences"


@pytest.mark.slow
def test_interpolated_errors_raise_compose_error(rows, tmp_path):
    home = str(tmp_path / "home")
    os.makedirs(home)
    ok, total, failures = run_interp_errors(rows, home)
    unexplained = {k: v for k, v in failures.items() if k not in ACCEPTED_BUT_COMPOSE_FAILS}
    print(f"\ninterpolated mode, project steps on: {ok}/{total} accepted/rejected as Compose does")
    for rel, why in sorted(failures.items()):
        print(f"  {rel}: {why}")
    assert not unexplained


@pytest.mark.slow
def test_interpolated_map_level_without_variables(rows, tmp_path):
    home = str(tmp_path / "home")
    os.makedirs(home)
    rows = [r for r in rows if r["config_ok"] == "1"]
    failures: dict[str, str] = {}
    ok = total = 0
    for row in rows:
        rel = row["path"]
        expected_text = (EXPECTED / (rel + ".nointerp.json")).read_text()
        if "$" in (CASES / rel).read_text(errors="replace") or "$" in expected_text:
            continue
        total += 1
        try:
            got = load_case(rel, home, interpolate=True)
        except ComposeError as exc:
            failures[rel] = "ComposeError: " + str(exc).splitlines()[0][:200]
            continue
        expected = substitute(json.loads(expected_text), str(CASES), home)
        diff = first_difference(normalize_json(got), expected)
        if diff:
            failures[rel] = diff
        else:
            ok += 1
    print(f"\ninterpolated map level (files without $): {ok}/{total} agree")
    for rel, why in sorted(failures.items()):
        print(f"  {rel}: {why}")
    unexplained = {k: v for k, v in failures.items() if k not in KNOWN_DIFFERENCES}
    assert not unexplained
