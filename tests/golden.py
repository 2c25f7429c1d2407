"""Golden tests by feature: one folder per case with its Compose input and expected outputs.

Layout: fixtures/golden/<target>/<case>/compose.yaml (plus any files it references),
<case>/options.json (optional: ConvertOptions fields and `extra`), <case>/expected/ holding the
files exactly as `convert` returns them for an output folder, and <case>/diagnostics.txt with one
line per diagnostic. Set COMPOSECONV_REGEN=1 to rewrite the expected files, then review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from support import FIXTURES, load_fixture

GOLDEN = FIXTURES / "golden"
REGEN = os.environ.get("COMPOSECONV_REGEN") == "1"


def cases(target: str) -> list[Path]:
    root = GOLDEN / target
    return sorted(p for p in root.iterdir() if (p / "compose.yaml").is_file()) if root.is_dir() else []


def render_diagnostics(diags) -> str:
    return "".join(f"{d.level} {d.code} {d.path_text}: {d.message}\n" for d in diags)


def run_case(target: str, case: Path) -> None:
    from composeconv.backends import TARGETS, ConvertOptions

    opts_file = case / "options.json"
    raw = json.loads(opts_file.read_text()) if opts_file.exists() else {}
    files = tuple(raw.pop("files", ["compose.yaml"]))
    environ = raw.pop("environ", None)
    options = ConvertOptions(split=True, **raw)
    project = load_fixture(case, files, environ)
    result = TARGETS[target].load()(project, options)
    got = {f.path: f.content for f in result.files}
    got_diags = render_diagnostics(result.diagnostics)
    expected_dir = case / "expected"
    if REGEN:
        if expected_dir.exists():
            shutil.rmtree(expected_dir)
        for rel, content in got.items():
            p = expected_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        (case / "diagnostics.txt").write_text(got_diags)
        return
    want = {str(p.relative_to(expected_dir)): p.read_text() for p in sorted(expected_dir.rglob("*")) if p.is_file()}
    assert sorted(got) == sorted(want), "output file names differ"
    for rel in sorted(want):
        assert got[rel] == want[rel], f"{rel} differs from the golden file"
    assert got_diags == (case / "diagnostics.txt").read_text()
