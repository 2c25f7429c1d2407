"""composeconv as a CI step: --check, the managed output folder, settings files, report formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from composeconv.backends import OutputFile
from composeconv.diagnostics import ComposeError
from composeconv import managed
from support import ROOT

DEMO = ROOT / "examples" / "demo"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "composeconv", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path):
    for f in DEMO.rglob("*"):
        if f.is_file():
            target = tmp_path / f.relative_to(DEMO)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    return tmp_path


def test_check_clean_then_drift_then_update(project):
    out = cli("convert", "--to", "kubernetes", "-o", "deploy/", cwd=project)
    assert out.returncode == 0, out.stderr
    assert (project / "deploy" / managed.MANIFEST).is_file()
    assert cli("convert", "--to", "kubernetes", "-o", "deploy/", "--check", cwd=project).returncode == 0
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text().replace("replicas: 2", "replicas: 3"))
    drift = cli("convert", "--to", "kubernetes", "-o", "deploy/", "--check", cwd=project)
    assert drift.returncode == 1
    assert "-  replicas: 2" in drift.stdout and "+  replicas: 3" in drift.stdout  # a unified diff
    assert cli("convert", "--to", "kubernetes", "-o", "deploy/", cwd=project).returncode == 0
    assert cli("convert", "--to", "kubernetes", "-o", "deploy/", "--check", cwd=project).returncode == 0


def test_removed_objects_are_deleted_and_foreign_files_left_alone(project):
    assert cli("convert", "--to", "kubernetes", "-o", "deploy/", cwd=project).returncode == 0
    notes = project / "deploy" / "NOTES.md"
    notes.write_text("mine\n")
    before = set(managed.read_manifest(project / "deploy"))
    web_files = {p for p in before if p.startswith("web-")}
    assert web_files
    compose = project / "compose.yaml"
    text = compose.read_text()
    start, end = text.index("\n  web:\n"), text.index("\n  api:\n")
    compose.write_text(text[:start] + text[end:])
    drift = cli("convert", "--to", "kubernetes", "-o", "deploy/", "--check", cwd=project)
    assert drift.returncode == 1
    assert cli("convert", "--to", "kubernetes", "-o", "deploy/", cwd=project).returncode == 0
    after = set(managed.read_manifest(project / "deploy"))
    assert not (after & web_files)
    assert all(not (project / "deploy" / p).exists() for p in web_files)
    assert notes.read_text() == "mine\n"  # never touched


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path):
    (tmp_path / "a.yaml").write_text("precious\n")
    with pytest.raises(ComposeError) as e:
        managed.update(tmp_path, [OutputFile("a.yaml", "new\n"), OutputFile("b.yaml", "b\n")])
    assert e.value.diagnostics[0].code == "foreign-file"
    assert (tmp_path / "a.yaml").read_text() == "precious\n"
    assert not (tmp_path / "b.yaml").exists()  # nothing written when refusing


def test_interrupted_write_keeps_the_previous_state(tmp_path, monkeypatch):
    managed.update(tmp_path, [OutputFile("a.yaml", "one\n")])
    from composeconv import output

    real = output.write_atomic
    calls = []

    def failing(target, content, mode=0o644):
        calls.append(target.name)
        if target.name == "b.yaml":
            raise KeyboardInterrupt  # the run is stopped while writing the second file
        return real(target, content, mode)

    monkeypatch.setattr(output, "write_atomic", failing)
    with pytest.raises(KeyboardInterrupt):
        managed.update(tmp_path, [OutputFile("a.yaml", "two\n"), OutputFile("b.yaml", "b\n")])
    assert calls == ["a.yaml", "b.yaml"]
    # the manifest is written last, so it still lists only what the last complete run wrote
    assert managed.read_manifest(tmp_path) == ["a.yaml"]
    assert not (tmp_path / "b.yaml").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != managed.MANIFEST]


def test_write_atomic_leaves_no_partial_file(tmp_path, monkeypatch):
    from composeconv import output

    target = tmp_path / "x.yaml"
    target.write_text("old\n")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", boom)
    with pytest.raises(OSError):
        output.write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.yaml"]


def test_settings_file_drives_the_conversion(project):
    (project / "composeconv.toml").write_text('to = "swarm"\noutput = "stack/"\nstrict = false\n'
                                              '[options]\nimage_for_build = "{project}-{service}:latest"\n')
    out = cli("convert", cwd=project)
    assert out.returncode == 0, out.stderr
    assert (project / "stack" / "docker-stack.yml").is_file()
    assert cli("convert", "--check", cwd=project).returncode == 0
    # flags win over the file
    out = cli("convert", "--to", "docker-run", "-o", "run/", cwd=project)
    assert out.returncode == 0 and (project / "run" / "run.sh").is_file()


def test_settings_in_pyproject_and_unknown_keys(project):
    (project / "pyproject.toml").write_text('[tool.composeconv]\nto = "kubernetes"\noutput = "k8s/"\n')
    assert cli("convert", cwd=project).returncode == 0
    assert (project / "k8s").is_dir()
    (project / "composeconv.toml").write_text('too = "swarm"\n')
    bad = cli("convert", cwd=project)
    assert bad.returncode == 1
    assert "did you mean 'to'" in bad.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_readable_diagnostics(project, fmt):
    out = cli("convert", "--to", "kubernetes", "--diagnostics", fmt, cwd=project)
    assert out.returncode == 0
    data = json.loads(out.stderr)
    if fmt == "json":
        assert data and set(data[0]) >= {"level", "code", "message", "file", "line", "column", "path"}
        assert any(d["file"] and d["file"].endswith("compose.yaml") and d["line"] for d in data)
    else:
        assert data["version"] == "2.1.0"
        results = data["runs"][0]["results"]
        assert results and all(r["ruleId"] for r in results)
        assert any(r.get("locations") for r in results)


def test_validate_reports_sarif_and_json(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n    prots: []\n")
    out = cli("validate", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1
    (diag,) = json.loads(out.stdout)
    assert diag["code"] == "schema-additional-property" and diag["line"] == 4 and diag["path"] == "services.web.prots"
    assert "ports" in (diag.get("hint") or "")


def test_pre_commit_hooks_are_declared():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    ids = {h["id"]: h for h in hooks}
    assert ids["composeconv-check"]["entry"] == "composeconv convert --check"
    assert ids["composeconv-check"]["pass_filenames"] is False
