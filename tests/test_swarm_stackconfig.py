"""The docker CLI's own stack loader accepts what the Swarm backend writes: goldens and the whole corpus."""

from __future__ import annotations

import concurrent.futures
import os
import time
from pathlib import Path

import pytest
import yaml

from composeconv.backends import ConvertOptions
from composeconv.backends.swarm import convert
from composeconv.diagnostics import Level
from golden import GOLDEN
from support import corpus_loadable, corpus_project
from test_swarm_helpers import forbidden_keys, need_stack_cli, stack_config, write_result

GOLDEN_CASES = sorted(p for p in (GOLDEN / "swarm").iterdir() if (p / "expected" / "docker-stack.yml").is_file())

# Corpus cases whose stack file is expected to be refused, with the reason. Empty: every loadable
# case converts (with extra image_for_build) into a stack file the docker CLI accepts.
CORPUS_EXCEPTIONS: dict[str, str] = {}


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[c.name for c in GOLDEN_CASES])
def test_golden_stack_files_pass_the_stack_loader(case: Path):
    cli = need_stack_cli()
    out = stack_config(cli, case / "expected")
    assert out.returncode == 0, out.stderr
    assert "unsupported" not in out.stderr.lower() and "deprecated" not in out.stderr.lower(), out.stderr
    doc = yaml.safe_load((case / "expected" / "docker-stack.yml").read_text())
    assert forbidden_keys(doc) == []


@pytest.mark.slow
def test_every_corpus_case_passes_the_stack_loader(tmp_path: Path):
    cli = need_stack_cli()
    options = ConvertOptions(split=True, extra={"image_for_build": "{project}-{service}:latest"})
    cases = corpus_loadable()
    assert len(cases) > 500
    folders: dict[str, Path] = {}
    left_in: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for i, case in enumerate(cases):
        result = convert(corpus_project(case), options)
        errors_here = [d.render() for d in result.diagnostics if d.level >= Level.ERROR]
        if errors_here:
            errors[case] = errors_here
        folder = tmp_path / str(i)
        write_result(result, folder)
        folders[case] = folder
        bad = forbidden_keys(result.objects[0])
        if bad:
            left_in[case] = bad
    assert errors == {}, "corpus cases with ERROR diagnostics"
    assert left_in == {}, "keys stack deploy ignores or refuses were left in"

    started = time.monotonic()
    workers = min(8, 2 * (os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        runs = dict(zip(folders, pool.map(lambda f: stack_config(cli, f), folders.values())))
    elapsed = time.monotonic() - started
    refused = {c: r.stderr.strip()[:500] for c, r in runs.items() if r.returncode != 0 and c not in CORPUS_EXCEPTIONS}
    warned = {c: r.stderr.strip()[:500] for c, r in runs.items() if r.returncode == 0 and r.stderr.strip()}
    unexpectedly_fine = [c for c in CORPUS_EXCEPTIONS if runs.get(c) is not None and runs[c].returncode == 0]
    assert refused == {}, f"{len(refused)} of {len(runs)} stack files refused"
    assert warned == {}, "the stack loader printed warnings"
    assert unexpectedly_fine == [], "listed as exceptions but accepted: remove them from CORPUS_EXCEPTIONS"
    assert elapsed < 120, f"docker stack config over the corpus took {elapsed:.0f} s"
