"""Diagnostic codes are documented: the table in docs/diagnostics.md matches the code."""

from __future__ import annotations

import re

from composeconv.codes import LOAD_CODES, markdown
from support import ROOT

# String literals in the core modules that look like codes but are not.
NOT_CODES = {"utf-8", "utf-8-sig", "read-only", "stop-signal", "e-0"}
CORE = ["composeconv/*.py", "composeconv/loader/*.py", "composeconv/model/*.py"]


def test_docs_current():
    assert (ROOT / "docs" / "diagnostics.md").read_text() == markdown(), \
        "run: python -m composeconv.codes > docs/diagnostics.md"


def test_every_core_code_is_documented():
    found = set()
    for pattern in CORE:
        for path in ROOT.glob(pattern):
            if path.name == "codes.py":
                continue
            found |= set(re.findall(r'"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"', path.read_text()))
    assert sorted(found - NOT_CODES - set(LOAD_CODES)) == []
