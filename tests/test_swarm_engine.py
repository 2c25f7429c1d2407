"""A converted stack deployed on a real single-node swarm: replicas, health, overlay DNS, secrets, configs, jobs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from composeconv.backends import ConvertOptions
from composeconv.backends.swarm import convert
from composeconv.diagnostics import Level
from engines import unique_name, wait_for
from support import FIXTURES
from test_swarm_helpers import load_stack_file, write_result

STACK_FIXTURE = FIXTURES / "e2e" / "swarm" / "stack"


def _containers(swarm, service: str) -> list[str]:
    out = swarm.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}"]).stdout
    return out.split()


def _healthy(swarm, service: str, want: int) -> bool:
    ids = _containers(swarm, service)
    if len(ids) != want:
        return False
    states = swarm.run(["inspect", "--format", "{{.State.Health.Status}}", *ids]).stdout.split()
    return states == ["healthy"] * want


def _exec(swarm, service: str, *cmd: str) -> str:
    [container, *_] = _containers(swarm, service)
    return swarm.run(["exec", container, *cmd]).stdout


@pytest.mark.engine
@pytest.mark.slow
def test_converted_stack_runs_on_swarm(docker_swarm, busybox_docker_image, tmp_path: Path):
    swarm = docker_swarm
    stack = unique_name("swarm-e2e")
    folder = tmp_path / "stack"
    shutil.copytree(STACK_FIXTURE, folder)
    project = load_stack_file(folder, stack, "compose.yaml", {"BUSYBOX_IMAGE": busybox_docker_image})
    result = convert(project, ConvertOptions(split=True, extra={"stack_dir": str(folder)}))
    assert [d for d in result.diagnostics if d.level >= Level.ERROR] == []
    write_result(result, folder)
    try:
        swarm.deploy_stack(folder / "docker-stack.yml", stack, cwd=folder)
        swarm.wait_service(f"{stack}_web", 2)
        swarm.wait_service(f"{stack}_client", 1)
        wait_for(lambda: _healthy(swarm, f"{stack}_web", 2), 120, 1, "both web tasks to be healthy")

        # the one-shot service (restart: "no" -> condition none) runs once and completes
        def once_state() -> str:
            return swarm.run(["service", "ps", "--format", "{{.CurrentState}}", f"{stack}_once"]).stdout.strip()

        state = wait_for(lambda: once_state().startswith("Complete") and once_state(), 90, 1, "the one-shot task")
        assert len(state.splitlines()) == 1, f"the one-shot service ran more than once: {state}"

        # service discovery over the overlay network: the client resolves web by its service name, and
        # reaches its tasks (tasks.web: the virtual IP needs IPVS, which this kind of host may lack)
        assert "Address" in _exec(swarm, f"{stack}_client", "nslookup", "web")
        assert _exec(swarm, f"{stack}_client", "wget", "-q", "-O-", "http://tasks.web:8080/") == "hello from the stack\n"
        # secret and config files, with the fixture's content
        assert _exec(swarm, f"{stack}_web", "cat", "/run/secrets/token") == "tok-4242\n"
        assert _exec(swarm, f"{stack}_web", "cat", "/etc/motd") == "hello from the stack\n"
        # `$$` in the Compose file is one `$` in the container, although stack deploy interpolates again
        assert _exec(swarm, f"{stack}_client", "sh", "-c", 'echo "$PRICE"') == "$5\n"
        # the named volume is shared by the tasks on this node: web sees what the client wrote
        wait_for(lambda: _exec(swarm, f"{stack}_web", "sh", "-c", "cat /data/note 2>/dev/null") == "price: $5\n",
                 30, 1, "the client's note in the shared volume")
    finally:
        swarm.remove_stack(stack)
        wait_for(lambda: not swarm.run(["ps", "-aq", "--filter", f"label=com.docker.stack.namespace={stack}"]).stdout.strip(),
                 60, 1, "the stack's containers to go")
        swarm.run(["volume", "rm", f"{stack}_data"], check=False)
        for kind in ("secret", "config"):
            swarm.run([kind, "rm", f"{stack}_token" if kind == "secret" else f"{stack}_motd"], check=False)
