"""The Python examples in docs/api.md and README.md run and their assertions hold."""

from __future__ import annotations

import re

import pytest

from support import ROOT

BLOCK = re.compile(r"```python\n(.*?)```", re.S)
DOCS = ["docs/api.md", "README.md"]
EXAMPLES = [pytest.param(doc, i, code, id=f"{doc}#{i}")
            for doc in DOCS for i, code in enumerate(BLOCK.findall((ROOT / doc).read_text()))]


def test_there_are_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize(("doc", "index", "code"), EXAMPLES)
def test_example_runs(doc, index, code, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    exec(compile(code, f"{doc}#{index}", "exec"), {"__name__": "__example__"})
