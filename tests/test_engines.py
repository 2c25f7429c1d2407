"""The container engines the end-to-end tests run on: Docker, Swarm mode, the Compose plugin, Podman."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from engines import COMPOSE_VERSION, DockerEngine, Engine, Swarm, unique_name, wait_for

pytestmark = pytest.mark.engine


def test_busybox_image_runs_in_docker(docker_engine: DockerEngine, busybox_docker_image: str) -> None:
    out = docker_engine.run(["run", "--rm", busybox_docker_image, "echo", "hello from busybox"])
    assert out.stdout == "hello from busybox\n"
    # The image has the users and folders that Compose files commonly rely on.
    ids = docker_engine.run(["run", "--rm", "--user", "nobody", busybox_docker_image, "sh", "-c", "id -u; test -d /tmp"])
    assert ids.stdout == "65534\n"


def test_generated_scripts_find_the_checked_docker_client(docker_engine: DockerEngine, tmp_path: Path) -> None:
    # A script that calls `docker` by name, run with the fixture's environment, reaches the engine.
    script = tmp_path / "probe.sh"
    script.write_text("#!/bin/sh\nset -e\ndocker version --format '{{.Server.Version}}'\n")
    proc = subprocess.run(["sh", str(script)], env=docker_engine.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == docker_engine.server_version


def test_swarm_service_converges(docker_swarm: Swarm, busybox_docker_image: str) -> None:
    name = unique_name("svc")
    docker_swarm.run(
        ["service", "create", "--detach", "--no-resolve-image", "--name", name, busybox_docker_image, "sleep", "300"]
    )
    try:
        docker_swarm.wait_service(name, replicas=1, timeout=90)
        assert docker_swarm.replicas(name) == (1, 1)
    finally:
        docker_swarm.run(["service", "rm", name], check=False)


@pytest.mark.slow
def test_swarm_stack_with_overlay_dns(docker_swarm: Swarm, busybox_docker_image: str, tmp_path: Path) -> None:
    # This kernel has no IPVS, so a service's virtual IP does not answer: services that are
    # reached by name use endpoint_mode dnsrr, whose name resolves to the task addresses.
    # busybox ignores SIGTERM as PID 1: a short stop_grace_period keeps `stack rm` quick.
    stack = unique_name("stk")
    compose = tmp_path / "stack.yaml"
    compose.write_text(
        textwrap.dedent(
            f"""\
            services:
              web:
                image: {busybox_docker_image}
                command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
                stop_grace_period: 1s
                deploy:
                  endpoint_mode: dnsrr
              probe:
                image: {busybox_docker_image}
                stop_grace_period: 1s
                command: ["sh", "-c", "until wget -q -O /dev/null http://web:8080/passwd; do sleep 1; done; sleep 300"]
                healthcheck:
                  test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://web:8080/passwd"]
                  interval: 2s
                  retries: 30
            """
        )
    )
    docker_swarm.deploy_stack(compose, stack)
    try:
        assert docker_swarm.stack_services(stack) == [f"{stack}_probe", f"{stack}_web"]
        docker_swarm.wait_service(f"{stack}_web", 1, timeout=90)
        docker_swarm.wait_service(f"{stack}_probe", 1, timeout=90)

        def probe_healthy() -> bool:
            ids = docker_swarm.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={stack}_probe"])
            cid = ids.stdout.split()[0] if ids.stdout.split() else ""
            if not cid:
                return False
            health = docker_swarm.run(["inspect", "--format", "{{.State.Health.Status}}", cid], check=False)
            return health.stdout.strip() == "healthy"

        wait_for(probe_healthy, 90, 1, "the probe task to reach web by its service name")
    finally:
        docker_swarm.remove_stack(stack)


def test_compose_plugin_is_the_real_compose(docker_compose_plugin: DockerEngine) -> None:
    out = docker_compose_plugin.compose(["version"])
    assert out.stdout.strip() == f"Docker Compose version v{COMPOSE_VERSION}"


def test_compose_up_runs_a_project(
    docker_compose_plugin: DockerEngine, busybox_docker_image: str, tmp_path: Path
) -> None:
    project = unique_name("proj")
    (tmp_path / "compose.yaml").write_text(
        textwrap.dedent(
            f"""\
            services:
              hello:
                image: {busybox_docker_image}
                command: ["echo", "hello from compose"]
            """
        )
    )
    compose = ["--project-directory", str(tmp_path), "--project-name", project]
    try:
        docker_compose_plugin.compose([*compose, "up", "--no-color", "--abort-on-container-exit"], timeout=120)
        logs = docker_compose_plugin.compose([*compose, "logs", "--no-color", "--no-log-prefix", "hello"])
        assert logs.stdout.strip() == "hello from compose"
    finally:
        docker_compose_plugin.compose([*compose, "down", "--volumes"], check=False)


def test_busybox_image_runs_in_podman(podman_engine: Engine, busybox_podman_image: str) -> None:
    out = podman_engine.run(["run", "--rm", busybox_podman_image, "echo", "hello from podman"])
    assert out.stdout == "hello from podman\n"


def test_podman_kube_play_starts_a_deployment(podman_engine: Engine, busybox_podman_image: str, tmp_path: Path) -> None:
    name = unique_name("dep")
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {name}-config
            data:
              greeting: hello from a configmap
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {name}
            spec:
              replicas: 1
              selector:
                matchLabels:
                  app: {name}
              template:
                metadata:
                  labels:
                    app: {name}
                spec:
                  containers:
                    - name: main
                      image: {busybox_podman_image}
                      imagePullPolicy: Never
                      command: ["sh", "-c", "echo $GREETING; exec sleep 300"]
                      env:
                        - name: GREETING
                          valueFrom:
                            configMapKeyRef:
                              name: {name}-config
                              key: greeting
                      livenessProbe:
                        exec:
                          command: ["true"]
                        periodSeconds: 5
            """
        )
    )
    podman_engine.run(["kube", "play", str(manifest)], timeout=120)
    try:
        container = f"{name}-pod-0-main"

        def running() -> bool:
            state = podman_engine.run(["inspect", "--format", "{{.State.Status}}", container], check=False)
            return state.stdout.strip() == "running"

        wait_for(running, 60, 0.5, f"container {container} to run")
        logs = wait_for(lambda: podman_engine.run(["logs", container]).stdout, 30, 0.5, "the greeting")
        assert logs.strip() == "hello from a configmap"
        # No systemd here: probes run on request. Podman 4.3 turns livenessProbe (not readinessProbe) into a healthcheck.
        assert podman_engine.run(["healthcheck", "run", container], check=False).returncode == 0
    finally:
        podman_engine.run(["kube", "down", str(manifest)], check=False, timeout=120)
