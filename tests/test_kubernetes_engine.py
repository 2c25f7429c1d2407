"""Runtime tier: converted manifests run under `podman kube play`, and the container sees what the Compose
file says it should: command, environment, working directory, mounts, config and secret files, healthcheck.

Podman 4.3 runs Kubernetes YAML with a few differences from a cluster, which the checks allow for and name:
it mounts a ConfigMap or Secret volume as a folder even with subPath (the file is then inside it, under its
key), it ignores item modes, it writes a Secret's data without decoding its base64, it does not undo `$$` escapes, and it turns an exec liveness probe into a
shell healthcheck by joining the argv with spaces (so the fixture uses a CMD healthcheck whose arguments
have no spaces)."""

from __future__ import annotations

import base64
import json

import pytest

from composeconv.backends import ConvertOptions
from composeconv.backends.kubernetes import convert
from engines import unique_name, wait_for
from support import load_fixture

pytestmark = [pytest.mark.engine, pytest.mark.slow]

COMPOSE = """\
name: {project}
services:
  app:
    image: {image}
    entrypoint: ["/bin/sh", "-c"]
    command: ['echo "started $$0" > /data/started; exec sleep 3600']
    environment:
      GREETING: hello world
      EMPTY: ""
    working_dir: /data
    configs:
      - source: conf_{sfx}
        target: /etc/app.conf
    secrets:
      - pw_{sfx}
    volumes:
      - data_{sfx}:/data
    tmpfs:
      - /scratch
    healthcheck:
      test: ["CMD", "test", "-f", "/data/started"]
      interval: 2s
      timeout: 1s
      retries: 3
configs:
  conf_{sfx}:
    content: |
      mode=test
secrets:
  pw_{sfx}:
    file: ./pw.txt
volumes:
  data_{sfx}: {{}}
"""


def _read_mounted(podman, container: str, target: str, key: str) -> str:
    # a file at the target under Kubernetes; a folder holding the key under podman 4.3 (subPath ignored)
    out = podman.run(["exec", container, "sh", "-c", f'if [ -d "{target}" ]; then cat "{target}/{key}"; '
                                                      f'else cat "{target}"; fi'])
    return out.stdout


def test_deployment_with_configmap_secret_and_claim_runs_like_compose(podman_engine, busybox_podman_image, tmp_path):
    podman = podman_engine
    project = unique_name("k8s")
    sfx = project.replace("-", "_")
    (tmp_path / "compose.yaml").write_text(COMPOSE.format(project=project, image=busybox_podman_image, sfx=sfx))
    (tmp_path / "pw.txt").write_text("s3cret\n")
    model = load_fixture(tmp_path)
    result = convert(model, ConvertOptions(inline_secrets=True,
                                           extra={"file_contents": {str(tmp_path / "pw.txt"): "s3cret\n"}}))
    manifest = tmp_path / "kubernetes.yaml"
    manifest.write_text(result.files[0].content)
    kinds = [o["kind"] for o in result.objects]
    assert {"ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment"} <= set(kinds)
    secret_name = next(o["metadata"]["name"] for o in result.objects if o["kind"] == "Secret")
    try:
        podman.run(["kube", "play", str(manifest)], timeout=120)
        container = "app-pod-0-app"
        ps = podman.run(["ps", "--format", "{{.Names}}", "--filter", f"label=app.kubernetes.io/instance={project}"])
        names = [n for n in ps.stdout.split() if n.endswith("-app")]
        assert names, ps.stdout
        container = names[0]
        # the command ran (exec form: $0 is the shell) and then exec'd into sleep
        wait_for(lambda: podman.ok(["exec", container, "test", "-f", "/data/started"]), 60, what="the command")
        assert podman.run(["exec", container, "cat", "/data/started"]).stdout == "started /bin/sh\n"
        assert podman.run(["exec", container, "cat", "/proc/1/cmdline"]).stdout.split("\0")[:2] == ["sleep", "3600"]
        env = podman.run(["exec", container, "env"]).stdout.splitlines()
        assert "GREETING=hello world" in env and "EMPTY=" in env
        assert podman.run(["exec", container, "pwd"]).stdout.strip() == "/data"
        assert _read_mounted(podman, container, "/etc/app.conf", f"conf_{sfx}") == "mode=test\n"
        secret = _read_mounted(podman, container, f"/run/secrets/pw_{sfx}", "pw.txt")
        assert secret in ("s3cret\n", base64.b64encode(b"s3cret\n").decode())  # the latter: podman 4.3
        mounts = podman.run(["exec", container, "cat", "/proc/mounts"]).stdout
        assert " /data " in mounts and " /scratch " in mounts
        assert podman.ok(["exec", container, "sh", "-c", "echo x > /data/w && echo y > /scratch/w"])
        inspect = json.loads(podman.run(["inspect", container]).stdout)[0]
        assert inspect["Config"]["Healthcheck"]["Retries"] == 3
        wait_for(lambda: podman.ok(["healthcheck", "run", container]), 30, what="the healthcheck to pass")
        # and it fails when its file is gone, so it checks what the Compose healthcheck checks
        podman.run(["exec", container, "rm", "/data/started"])
        assert not podman.ok(["healthcheck", "run", container])
    finally:
        podman.run(["kube", "down", str(manifest)], check=False, timeout=120)
        # kube down leaves the volumes it made for the claim, ConfigMaps and Secrets, and the secret
        for o in result.objects:
            if o["kind"] in ("PersistentVolumeClaim", "ConfigMap", "Secret"):
                podman.run(["volume", "rm", "-f", o["metadata"]["name"]], check=False)
        podman.run(["secret", "rm", secret_name], check=False)
