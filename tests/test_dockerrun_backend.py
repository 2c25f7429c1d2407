"""The docker-run backend as a function: shellcheck on its goldens, key coverage, diagnostics, determinism."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from composeconv import records
from composeconv.backends import ConvertOptions
from composeconv.backends.dockerrun import DIAGNOSTIC_CODES, convert
from composeconv.backends.dockerrun.flags import cpus_text, create_args, nano_cpus
from composeconv.backends.dockerrun.context import Context
from composeconv.backends.dockerrun.networking import networks_by_priority
from composeconv.backends.dockerrun.unsupported import SERVICE_KEYS
from composeconv.model.types import (BlkioConfig, Network, Project, Service, ServiceNetwork, ThrottleDevice)
from support import FIXTURES, need

PACKAGE = Path(__file__).resolve().parents[1] / "composeconv" / "backends" / "dockerrun"
GOLDEN_SCRIPTS = sorted((FIXTURES / "golden" / "docker-run").glob("*/expected/run.sh"))


def shellcheck(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(["shellcheck", "--shell=bash", "--severity=style", *map(str, paths)],
                          capture_output=True, text=True)


def test_goldens_pass_shellcheck():
    need(shutil.which("shellcheck"), "shellcheck (apt-get install shellcheck)")
    assert GOLDEN_SCRIPTS, "no golden scripts"
    out = shellcheck(GOLDEN_SCRIPTS)
    assert out.returncode == 0, out.stdout


def test_every_service_key_has_a_handling():
    fields = {f.name for f in records.fields(Service)}
    assert fields == set(SERVICE_KEYS), (fields ^ set(SERVICE_KEYS))


def test_every_code_used_is_documented():
    used = set()
    for source in PACKAGE.glob("*.py"):
        used |= set(re.findall(r'"(dockerrun-[a-z-]+)"', source.read_text()))
    assert used - set(DIAGNOSTIC_CODES) == set()
    assert set(DIAGNOSTIC_CODES) - used == set(), "documented codes nobody emits"


def _project(**service) -> Project:
    svc = Service(name="s", image="i", networks={"default": None}, **service)
    return Project(name="p", services={"s": svc}, networks={"default": Network(name="p_default")})


def _flags(**service) -> list[str]:
    project = _project(**service)
    ctx = Context(project, {}, False)
    return [a.render() for a in create_args(ctx, project.services["s"])]


def test_output_is_deterministic():
    project = _project(environment={"B": "2", "A": "1"}, labels={"x": "y"})
    first = convert(project, ConvertOptions())
    assert convert(project, ConvertOptions()) == first
    assert len(first.files) == 1 and first.files[0].path == "run.sh" and first.files[0].mode == 0o755


def test_blkio_throttles():
    flags = _flags(blkio_config=BlkioConfig(weight=10, device_read_bps=(ThrottleDevice(path="/dev/sda", rate=1024),)))
    assert "--blkio-weight=10" in flags and "--device-read-bps=/dev/sda:1024" in flags


@pytest.mark.parametrize(("cpus", "text"), [(0.5, "0.5"), (1.1, "1.1"), (2.0, "2"), (0.001, "0.001")])
def test_cpus_round_trip_as_compose_computes_them(cpus, text):
    assert cpus_text(nano_cpus(cpus)) == text


def test_network_priority_order_is_composes():
    svc = Service(name="s", networks={"b": None, "a": ServiceNetwork(priority=0), "c": ServiceNetwork(priority=5)})
    assert networks_by_priority(svc) == ["c", "a", "b"]


def test_entrypoint_words_keep_the_argv():
    project = _project(entrypoint=("sh", "-c"), command=("echo hi; exit 0",))
    text = convert(project, ConvertOptions()).files[0].content
    assert "--entrypoint=sh \\\n" in text
    assert "-- i -c 'echo hi; exit 0' >/dev/null" in text


def test_unsupported_keys_are_reported_and_commented():
    from composeconv.model.types import Hook

    project = _project(pre_start=(Hook(command=("true",)),))
    result = convert(project, ConvertOptions())
    assert [(d.code, d.path) for d in result.diagnostics] == [("dockerrun-unsupported", ("services", "s", "pre_start"))]
    assert "# not applied: pre_start:" in result.files[0].content


def test_bad_wait_timeout_is_an_error():
    result = convert(_project(), ConvertOptions(extra={"wait_timeout": "soon"}))
    assert [d.code for d in result.diagnostics] == ["dockerrun-bad-option"]


def test_empty_entrypoint_resets_the_images():
    flags = _flags(entrypoint=(), command=None)
    assert "--entrypoint=" in flags
    assert not any(f.startswith("--entrypoint") for f in _flags(entrypoint=None))


def test_nul_anywhere_is_an_error_at_its_path():
    """A NUL cannot reach docker through argv: every place that holds one is reported (the quick scan
    that skips the search on ordinary projects must not miss a nested one)."""
    from composeconv.model.types import Healthcheck

    clean = Project(name="p", services={"a": Service(name="a", image="busybox", labels={"k": "v"})})
    assert not [d for d in convert(clean, ConvertOptions()).diagnostics if d.code == "dockerrun-nul"]
    nested = Service(name="a", image="busybox", labels={"k\x00": "v"},
                     healthcheck=Healthcheck(test=("CMD", "a\x00b")), extensions={"x-e": [{"deep": "\x00"}]})
    result = convert(Project(name="p", services={"a": nested}), ConvertOptions())
    paths = {d.path for d in result.diagnostics if d.code == "dockerrun-nul"}
    assert ("services", "a", "labels", "k\x00") in paths
    assert ("services", "a", "healthcheck", "test", 1) in paths
    assert ("services", "a", "x-e", 0, "deep") in paths
    assert result.files == ()
