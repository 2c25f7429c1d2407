"""The docker-run script against the real thing: what it creates must match what `docker compose up` creates.

For each fixture in fixtures/e2e/docker-run: Compose brings the project up, every container is
inspected, Compose takes it down; then the generated script does the same. The two inspections
must agree on everything listed in `summary`, apart from the documented exceptions in EXCEPTIONS.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engines import _run, unique_name, wait_for
from support import FIXTURES

E2E = FIXTURES / "e2e" / "docker-run"
CASES = sorted(p.name for p in E2E.iterdir() if (p / "compose.yaml").is_file()) if E2E.is_dir() else []

# What cannot match, and why. Every entry is applied in `summary` and nowhere else.
EXCEPTIONS = {
    "label:com.docker.compose.config-hash": "Compose hashes its own service model; the script hashes its commands",
    "label:com.docker.compose.depends_on": "Compose joins the entries in Go map order (random); compared as a set",
    "entrypoint-split": "--entrypoint takes one word: the rest of a longer entrypoint is put before the command, "
                        "so Entrypoint+Cmd (the process argv) is compared when the entrypoint has several words",
    "healthcheck-exec-form": "--health-cmd only takes a shell command: a CMD test becomes CMD-SHELL with quoted words",
    "namespace-ids": "Compose names shared namespaces container:<id>, the script container:<name>; both are resolved to names",
    "expose-protocol": "Compose exposes a port given without protocol as-is ('7000'), docker create adds '/tcp'",
    "restart-default": "without restart, Compose leaves the policy name empty and docker create says 'no': the same policy",
    "links": "Compose links the containers that exist when it creates the dependent; compared as sets",
}


def _inspect(engine, project: str) -> dict[str, dict]:
    ids = engine.run(["ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"]).stdout.split()
    if not ids:
        return {}
    data = json.loads(engine.run(["inspect", *ids]).stdout)
    names = {c["Id"]: c["Name"].lstrip("/") for c in data}
    return {c["Name"].lstrip("/"): summary(c, names) for c in data}


def _resolve(mode: str, names: dict[str, str]) -> str:
    if mode.startswith("container:"):
        ref = mode[len("container:"):]
        for cid, name in names.items():
            if cid.startswith(ref):
                return "container:" + name
    return mode


def summary(c: dict, names: dict[str, str]) -> dict:
    """The parts of `docker inspect` that the script must reproduce, normalized as EXCEPTIONS says."""
    cfg, host, res = c["Config"], c["HostConfig"], c["HostConfig"]
    labels = dict(cfg.get("Labels") or {})
    labels.pop("com.docker.compose.config-hash", None)
    deps = labels.pop("com.docker.compose.depends_on", "")
    entry, cmd = cfg.get("Entrypoint") or [], cfg.get("Cmd") or []
    argv = {"entrypoint": entry, "cmd": cmd, "argv": entry + cmd}
    health = cfg.get("Healthcheck")
    if health and health.get("Test", [None])[0] == "CMD":
        import shlex

        health = dict(health, Test=["CMD-SHELL", shlex.join(health["Test"][1:])])
    networks = {
        net: {
            "aliases": sorted(a for a in ep.get("Aliases") or [] if a != c["Id"][:12]),
            "ip": (ep.get("IPAMConfig") or {}).get("IPv4Address", ""),
        }
        for net, ep in (c["NetworkSettings"].get("Networks") or {}).items()
    }
    mounts = sorted(
        (m["Type"], m.get("Name") or m.get("Source"), m["Destination"], m["RW"]) for m in c.get("Mounts") or []
        if m["Type"] != "volume" or m.get("Name") and len(m["Name"]) != 64  # anonymous volumes: random names
    )
    anonymous = sorted(m["Destination"] for m in c.get("Mounts") or [] if m["Type"] == "volume" and len(m.get("Name", "")) == 64)
    return {
        "labels": labels,
        "depends_on": sorted(filter(None, deps.split(","))),
        **argv,
        "env": sorted(cfg.get("Env") or []),
        "user": cfg.get("User"),
        "workdir": cfg.get("WorkingDir"),
        "hostname": next((f"<id of {n}>" for i, n in names.items() if i[:12] == cfg.get("Hostname")), cfg.get("Hostname")),
        "domainname": cfg.get("Domainname"),
        "tty": cfg.get("Tty"),
        "stdin": cfg.get("OpenStdin"),
        "stop_signal": cfg.get("StopSignal"),
        "stop_timeout": cfg.get("StopTimeout"),
        "exposed": sorted(p if "/" in p else p + "/tcp" for p in cfg.get("ExposedPorts") or {}),
        "healthcheck": health,
        "image": cfg.get("Image"),
        "mounts": mounts,
        "anonymous_volumes": anonymous,
        "tmpfs": host.get("Tmpfs"),
        "networks": networks,
        "network_mode": _resolve(host.get("NetworkMode", ""), names),
        "ipc": _resolve(host.get("IpcMode", ""), names),
        "pid": _resolve(host.get("PidMode", ""), names),
        "ports": {k: sorted((b["HostIp"], b["HostPort"]) for b in v or []) for k, v in (host.get("PortBindings") or {}).items()},
        "restart": {**host.get("RestartPolicy", {}), "Name": host.get("RestartPolicy", {}).get("Name") or "no"},
        "cap_add": sorted(host.get("CapAdd") or []),
        "cap_drop": sorted(host.get("CapDrop") or []),
        "privileged": host.get("Privileged"),
        "read_only": host.get("ReadonlyRootfs"),
        "init": host.get("Init"),
        "links": sorted(host.get("Links") or []),
        "volumes_from": [names.get(v, v) for v in host.get("VolumesFrom") or []],
        "resources": {k: res.get(k) for k in ("NanoCpus", "Memory", "MemoryReservation", "PidsLimit", "ShmSize",
                                               "OomScoreAdj", "CpuShares", "CpuQuota", "CpuPeriod", "BlkioWeight")},
        "ulimits": sorted((u["Name"], u["Soft"], u["Hard"]) for u in host.get("Ulimits") or []),
        "sysctls": host.get("Sysctls"),
        "extra_hosts": sorted(host.get("ExtraHosts") or []),
        "dns": [host.get("Dns") or None, host.get("DnsSearch") or None, host.get("DnsOptions") or None],
        "group_add": host.get("GroupAdd"),
        "security_opt": host.get("SecurityOpt"),
        "log": host.get("LogConfig"),
    }


def _resolve_volumes_from(engine, data: dict[str, dict]) -> None:
    # VolumesFrom holds a container id under Compose and a name under the script
    ids = engine.run(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]).stdout.split("\n")
    by_id = dict(line.split(" ", 1) for line in ids if " " in line)
    for c in data.values():
        c["volumes_from"] = [by_id.get(v, v) for v in c["volumes_from"]]


def _owned(engine, project: str) -> list[str]:
    out = []
    for kind in ("ps -a", "network ls", "volume ls"):
        res = engine.run([*kind.split(), "-q", "--filter", f"label=com.docker.compose.project={project}"])
        out += [f"{kind}: {x}" for x in res.stdout.split()]
    return out


def _wait_healthy(engine, names: list[str]) -> None:
    for name in names:
        fmt = "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
        wait_for(lambda: engine.run(["inspect", "--format", fmt, name]).stdout.strip() in ("healthy", "none"),
                 60, 0.5, f"{name} to be healthy")


def _fetch(engine, container: str, url: str, accept_404: bool = False) -> str:
    """The body of url fetched from inside container; retried for a while, because a container
    answers on its network only some moments after it reports running."""
    def attempt():
        out = engine.run(["exec", container, "wget", "-q", "-O-", url], check=False)
        ok = out.returncode == 0 or (accept_404 and "404" in out.stderr)
        return (out.stdout or "ok") if ok else None

    return wait_for(attempt, 30, 1.0, f"{url} from {container}")


def _behaviour(engine, case: str, project: str) -> None:
    """What the containers must do, not only look like."""
    if case == "web-db":
        web, api = f"{project}-web-1", f"{project}-api-1"
        _wait_healthy(engine, [web, api])
        assert "api" in _fetch(engine, web, "http://backend:8080/")
        assert "hello" in _fetch(engine, api, "http://web/")
        assert "hello" in _fetch(engine, web, "http://www/")
    elif case == "oneshot":
        worker = f"{project}-worker-2"
        assert engine.run(["exec", worker, "cat", "/run/secrets/token"]).stdout == "s3cr3t\n"
        assert engine.run(["exec", worker, "cat", "/run/secrets/inline.txt"]).stdout == "from the environment"
        assert engine.run(["exec", worker, "cat", "/motd"]).stdout == "welcome to the worker"
        mode = engine.run(["exec", worker, "stat", "-c", "%a", "/run/secrets/inline.txt"]).stdout.strip()
        assert mode == "440"
        state = engine.run(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", f"{project}-migrate-1"])
        assert state.stdout.split() == ["exited", "0"]
    elif case == "mounts":
        _wait_healthy(engine, [f"{project}-writer-1"])
        assert engine.run(["exec", f"{project}-reader-1", "cat", "/shared/sub/file"]).stdout == "shared\n"
    elif case == "netshare":
        _fetch(engine, f"{project}-client-1", "http://legacy:8000/bin/", accept_404=True)
        _fetch(engine, f"{project}-sidecar-1", "http://127.0.0.1:8000/bin/", accept_404=True)


def _options(case_dir: Path) -> dict:
    f = case_dir / "options.json"
    return json.loads(f.read_text()) if f.exists() else {}


@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.parametrize("case", CASES)
def test_script_matches_compose(case, docker_compose_plugin, busybox_docker_image, tmp_path):
    from composeconv.backends import ConvertOptions
    from composeconv.backends.dockerrun import convert

    engine = docker_compose_plugin
    project = unique_name(f"dr-{case}")
    work = tmp_path / case
    shutil.copytree(E2E / case, work)
    environ = {"COMPOSE_PROJECT_NAME": project, **_options(work).get("environ", {})}
    env = dict(environ)
    try:
        engine.compose(["-p", project, "up", "-d", "--wait", "--wait-timeout", "120"], cwd=work, env=env, timeout=240)
        _behaviour(engine, case, project)
        compose_view = _inspect(engine, project)
        _resolve_volumes_from(engine, compose_view)
    finally:
        engine.compose(["-p", project, "down", "-v", "--timeout", "2"], cwd=work, env=env, check=False, timeout=120)
    assert compose_view, "Compose created no containers"
    assert _owned(engine, project) == [], "docker compose down left something behind"

    # composeconv's own loader: the Compose binary's `config` output doubles every `$`
    from composeconv.api import load

    model = load([str(work / "compose.yaml")], environ={"PATH": "/usr/bin:/bin", **environ}, working_dir=str(work))
    result = convert(model, ConvertOptions(split=True, extra={"environment": environ}))
    for f in result.files:
        (work / f.path).parent.mkdir(parents=True, exist_ok=True)
        (work / f.path).write_text(f.content)
        (work / f.path).chmod(f.mode)
    script = str(work / "run.sh")
    # the script runs in the same environment as `docker compose up` did: environment-sourced
    # secrets are read from it when the script runs, not written into the output
    script_env = {**engine.env, **environ}
    try:
        # engine.env puts the fixture's docker client first on PATH, which is what the script runs
        _run(["bash", script, "up"], script_env, timeout=240)
        _behaviour(engine, case, project)
        script_view = _inspect(engine, project)
        _resolve_volumes_from(engine, script_view)
        # a second `up` keeps every container: the same ids afterwards
        before = engine.run(["ps", "-aq", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}"]).stdout
        _run(["bash", script, "up"], script_env, timeout=240)
        after = engine.run(["ps", "-aq", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}"]).stdout
        assert sorted(before.split()) == sorted(after.split()), "a second up replaced containers"
    finally:
        down = _run(["bash", script, "down", "-v"], script_env, check=False, timeout=120)
    assert down.returncode == 0, down.stderr
    assert _owned(engine, project) == [], "the script's down -v left something behind"

    assert sorted(script_view) == sorted(compose_view)
    for name in sorted(compose_view):
        want, got = compose_view[name], script_view[name]
        skip = {"entrypoint", "cmd"} if len(want["entrypoint"]) > 1 else set()  # EXCEPTIONS["entrypoint-split"]
        diffs = {k: (want[k], got.get(k)) for k in want if k not in skip and want[k] != got.get(k)}
        assert not diffs, f"{name} differs from what Compose created:\n" + json.dumps(diffs, indent=1, default=str)
