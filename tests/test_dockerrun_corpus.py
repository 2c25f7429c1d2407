"""Every corpus case that Docker Compose loads converts without an exception; a sample passes shellcheck."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from composeconv.backends import ConvertOptions
from composeconv.backends.dockerrun import convert
from support import CORPUS, corpus_loadable, corpus_project, need

# Corpus cases whose conversion may raise, with the reason. Empty: none may.
KNOWN_EXCEPTIONS: dict[str, str] = {}
SHELLCHECK_SAMPLE = 60  # every n-th case is shellchecked: about a minute on 2 cores for the whole corpus / n


@pytest.mark.slow
def test_corpus_converts_and_samples_pass_shellcheck():
    need((CORPUS / "index.tsv").is_file(), f"the corpus at {CORPUS}")
    cases = corpus_loadable()
    failures: dict[str, str] = {}
    scripts: list[str] = []
    for i, case in enumerate(cases):
        try:
            result = convert(corpus_project(case), ConvertOptions())
        except Exception as exc:  # noqa: BLE001 - every failure is listed below
            failures[case] = f"{type(exc).__name__}: {exc}"
            continue
        if i % max(1, len(cases) // SHELLCHECK_SAMPLE) == 0:
            scripts.append(result.files[0].content)
    assert {k: v for k, v in failures.items() if k not in KNOWN_EXCEPTIONS} == {}
    need(shutil.which("shellcheck"), "shellcheck (apt-get install shellcheck)")
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, text in enumerate(scripts):
            p = Path(tmp) / f"run{n}.sh"
            p.write_text(text)
            paths.append(str(p))
        out = subprocess.run(["shellcheck", "--shell=bash", *paths], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-5000:]
