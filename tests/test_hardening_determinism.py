"""Determinism: the same input gives byte-identical output whatever the machine, and the library can
load and convert in several threads at once.

The command line runs in fresh processes that differ in everything that must not matter: locale and
output encoding settings, time zone, hash seed, unrelated environment variables, the current folder
and the unrelated files in it (a compose.yaml, a .env, a pyproject.toml). Every file written, and
stdout and stderr, must be the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from composeconv.api import convert, load_project, targets
from composeconv.backends import ConvertOptions
from composeconv.diagnostics import ComposeError

from support import CORPUS, FIXTURES, ROOT, need

WIDE = """\
name: wide
x-common: &common
  restart: unless-stopped
  labels: {team: "Ünïcödé ☃", tier: back}
services:
  api:
    <<: *common
    image: registry.example.com/api:${TAG:-1.0}
    depends_on: {db: {condition: service_healthy}, cache: {condition: service_started}}
    ports: ["8080:80", "127.0.0.1:9090:9090/udp", "3000-3002:3000-3002"]
    environment: {B: "2", A: "1", Z: "zeta", DB_PASSWORD: hunter2, "ÉCLAIR": "é"}
    volumes: [data:/data, ./conf:/etc/conf:ro, "~/cache:/cache"]
    networks: [front, back]
    cap_add: [SYS_TIME, NET_ADMIN, CHOWN]
    profiles: []
    healthcheck: {test: [CMD, curl, -f, "http://localhost"], interval: 10s, retries: 3}
    deploy: {replicas: 3, resources: {limits: {cpus: "0.5", memory: 256M}}}
    secrets: [token]
    configs: [app]
  db:
    <<: *common
    image: postgres:16
    environment: [POSTGRES_DB=app, POSTGRES_USER=app]
    volumes: [pg:/var/lib/postgresql/data]
    networks: [back]
    healthcheck: {test: [CMD-SHELL, pg_isready], interval: 5s}
  cache:
    image: redis:7
    command: [redis-server, --save, "", --appendonly, "no"]
    networks: {back: {aliases: [redis, kv]}}
    sysctls: {net.core.somaxconn: 1024}
    ulimits: {nofile: {soft: 1024, hard: 2048}}
networks: {front: {}, back: {internal: true}}
volumes: {data: {}, pg: {labels: {b: "2", a: "1"}}}
secrets: {token: {environment: TOKEN}}
configs: {app: {content: "key = value\\n"}}
"""

OUTPUTS = [("kubernetes", None), ("swarm", None), ("docker-run", None), ("kubernetes", "helm"),
           ("kubernetes", "kustomize")]

# name -> (environment changes, current folder); PATH and HOME stay the same (HOME is read by `~`).
VARIANTS = {
    "base": ({"LANG": "C.UTF-8", "TZ": "UTC", "PYTHONHASHSEED": "0"}, "a"),
    "c-locale": ({"LANG": "C", "LC_ALL": "C", "TZ": "Asia/Kathmandu", "PYTHONHASHSEED": "1"}, "b"),
    "ascii-io": ({"LC_ALL": "POSIX", "PYTHONUTF8": "0", "PYTHONIOENCODING": "latin-1", "TZ": "America/St_Johns",
                  "PYTHONHASHSEED": "4242"}, "c"),
    "noisy": ({"LANG": "tr_TR.UTF-8", "TZ": "Pacific/Chatham", "FOO": "bar", "COLUMNS": "20", "TERM": "dumb",
               "NO_COLOR": "1", "CI": "true", "TAGS": "x", "COMPOSECONV_UNRELATED": "1", "PWD": "/nowhere"}, "d"),
}


def _projects(tmp_path: Path) -> list[tuple[str, list[str]]]:
    """(name, extra convert arguments) for each input, copied below tmp_path/projects."""
    root = tmp_path / "projects"
    shutil.copytree(ROOT / "examples" / "demo", root / "demo")
    shutil.copytree(FIXTURES / "secrets", root / "secrets")
    (root / "wide").mkdir()
    (root / "wide" / "compose.yaml").write_text(WIDE, encoding="utf-8")
    return [("demo", []), ("secrets", ["-O", "secret_env=*PASSWORD*,*TOKEN*"]), ("wide", [])]


def _unrelated_files(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text("services:\n  other:\n    image: other\n")
    (folder / ".env").write_text("TAG=from-the-current-folder\nCOMPOSE_PROJECT_NAME=wrong\nTOKEN=t\n")
    (folder / "pyproject.toml").write_text("[project]\nname = 'unrelated'\n")
    (folder / "docker-compose.override.yml").write_text("services:\n  api:\n    image: hijacked\n")


def _run_variant(tmp_path: Path, name: str, projects: list[tuple[str, list[str]]]) -> dict[str, bytes]:
    changes, cwd_name = VARIANTS[name]
    cwd = tmp_path / "cwd" / cwd_name
    _unrelated_files(cwd)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"), **changes}
    out_root = tmp_path / "out" / name
    seen: dict[str, bytes] = {}
    for project, extra in projects:
        compose = str(tmp_path / "projects" / project / "compose.yaml")
        commands = {"config": ["config", "-f", compose], "config-json": ["config", "--format", "json", "-f", compose],
                    "validate": ["validate", "-f", compose]}
        for target, layout in OUTPUTS:
            label = layout or target
            folder = out_root / project / label
            args = ["convert", "--to", target, "-f", compose, *extra, "-o", f"{folder}/"]
            commands[f"{label}-folder"] = args + (["--layout", layout] if layout else [])
            if not layout:
                commands[f"{label}-stdout"] = ["convert", "--to", target, "-f", compose, *extra]
        for key, args in commands.items():
            run = subprocess.run([sys.executable, "-m", "composeconv", *args], cwd=cwd, env=env,
                                 capture_output=True, timeout=120)
            assert run.returncode == 0, (name, project, key, run.stderr.decode("utf-8", "replace"))
            seen[f"{project}/{key}/stdout"] = run.stdout
            seen[f"{project}/{key}/stderr"] = run.stderr.replace(str(out_root).encode(), b"<out>")
        for path in sorted((out_root / project).rglob("*")):
            if path.is_file():
                seen[f"{project}/files/{path.relative_to(out_root / project)}"] = path.read_bytes()
    return seen


@pytest.mark.slow
def test_output_bytes_do_not_depend_on_the_machine(tmp_path: Path) -> None:
    projects = _projects(tmp_path)
    results = {name: _run_variant(tmp_path, name, projects) for name in VARIANTS}
    base = results.pop("base")
    assert len(base) > 100
    assert any("é".encode() in v for v in base.values()), "non-ASCII text made it into the output"
    for name, got in results.items():
        assert sorted(got) == sorted(base), f"{name}: other files"
        differ = [k for k in base if got[k] != base[k]]
        assert differ == [], f"{name}: {differ[:5]}"


def test_hash_seed_changes_nothing_in_process(tmp_path: Path) -> None:
    """Quick form of the above for the fast tier: two hash seeds, every target, one folder each."""
    projects = _projects(tmp_path)
    digests = []
    for seed in ("0", "987654"):
        code = ("import hashlib, sys\nfrom composeconv.api import convert, load_project, targets\n"
                "from composeconv.backends import ConvertOptions\nh = hashlib.sha256()\n"
                f"for p in {[str(tmp_path / 'projects' / n / 'compose.yaml') for n, _ in projects]!r}:\n"
                "    loaded = load_project([p], environ={'HOME': '/h'})\n"
                "    for t in targets():\n"
                "        for split in (False, True):\n"
                "            r = convert(loaded, t, ConvertOptions(split=split, extra={'secret_env': ['*TOKEN*']}))\n"
                "            for f in r.files: h.update(f\"{f.path}\\0{f.mode}\\0{f.content}\".encode())\n"
                "            for d in r.diagnostics: h.update(d.render().encode())\n"
                "print(h.hexdigest())\n")
        run = subprocess.run([sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed},
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        digests.append(run.stdout)
    assert digests[0] == digests[1]


# ---------------------------------------------------------------- threads


def _cases() -> list[str]:
    from support import corpus_loadable

    need((CORPUS / "index.tsv").exists(), "corpus not available")
    cases = corpus_loadable()
    # a spread over the repositories, with the big files among them
    return sorted(cases)[::max(1, len(cases) // 24)][:24]


def _fingerprint(path: str) -> str:
    """Everything loading and converting path gives, every target and layout, as one digest."""
    h = hashlib.sha256()
    try:
        loaded = load_project([path], environ={"HOME": "/home/t"})
    except ComposeError as e:
        return "error:" + "\n".join(d.render() for d in e.diagnostics)
    for d in loaded.diagnostics:
        h.update(d.render().encode())
    for target in targets():
        for options in (ConvertOptions(), ConvertOptions(split=True, inline_secrets=True)):
            layouts = ("plain", "helm", "kustomize") if target == "kubernetes" and options.split else ("plain",)
            for layout in layouts:
                try:
                    result = convert(loaded, target, options, layout=layout)
                except ComposeError as e:
                    h.update(str(e).encode())
                    continue
                for f in result.files:
                    h.update(f"{f.path}\0{f.mode}\0{f.content}\0".encode("utf-8", "surrogateescape"))
                for d in result.diagnostics:
                    h.update(d.render().encode("utf-8", "surrogateescape"))
    return h.hexdigest()


@pytest.mark.slow
def test_threads_give_the_results_of_a_sequential_run() -> None:
    cases = [str(CORPUS / "cases" / c) for c in _cases()]
    cases.append(str(FIXTURES / "secrets" / "compose.yaml"))
    sequential = {c: _fingerprint(c) for c in cases}
    work = cases * 4  # every case four times, in whatever thread picks it up
    barrier = threading.Barrier(8)

    def task(path: str) -> tuple[str, str]:
        try:
            barrier.wait(timeout=0.5)  # start the first eight together
        except threading.BrokenBarrierError:
            pass
        return path, _fingerprint(path)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that any shared state would be trampled
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(task, work))
    finally:
        sys.setswitchinterval(switch)
    assert len(results) == len(work)
    mismatched = sorted({path for path, digest in results if digest != sequential[path]})
    assert mismatched == []
