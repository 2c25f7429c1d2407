"""The generated script run against a stand-in `docker` that records every argument it gets."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composeconv.backends import ConvertOptions
from composeconv.backends.dockerrun import convert
from composeconv.model.types import (FileObject, Healthcheck, Mount, Network, Project, Service, Volume,
                                     VolumeBind)

# The stand-in: appends its argv as one JSON line, answers inspect/ps queries from a state folder.
STUB = r'''
import json, os, sys
state = os.environ["STUB_STATE"]
args = sys.argv[1:]
with open(os.path.join(state, "calls.jsonl"), "a", encoding="utf-8", errors="surrogateescape") as f:
    f.write(json.dumps(args) + "\n")

def path(kind, name):
    os.makedirs(os.path.join(state, kind), exist_ok=True)
    return os.path.join(state, kind, name.replace("/", "%"))

def labels_of(created):
    return dict(a[len("--label="):].split("=", 1) for a in created if a.startswith("--label="))

fmt = next((a for a in args if a.startswith("{{")), "")
if args[:1] == ["start"]:
    open(path("started", args[-1]), "w").close()
elif args[:1] == ["cp"]:
    with open(os.path.join(state, "cp-%d.tar" % len(os.listdir(state))), "wb") as f:
        f.write(sys.stdin.buffer.read())
elif args[:2] == ["image", "inspect"]:
    print("sha256:0123")
elif args[:1] == ["create"] or args[1:2] == ["create"]:
    kind = "container" if args[0] == "create" else args[0]
    name = next(a[len("--name="):] for a in args if a.startswith("--name=")) if kind == "container" else args[-1]
    with open(path(kind, name), "w") as f:
        json.dump(args, f)
elif args[1:2] == ["inspect"] and args[0] in ("container", "network", "volume"):
    p = path(args[0], args[-1])
    if not os.path.exists(p):
        sys.exit(1)
    labels = labels_of(json.load(open(p)))
    if "State" in fmt:
        print(os.environ.get("STUB_RUNNING", "running healthy 0") if os.path.exists(path("started", args[-1]))
              else "created none 0")
    elif "config-hash" in fmt:
        print(labels.get("com.docker.compose.config-hash", "") + " " + labels.get("com.docker.compose.image", ""))
    elif "index .Labels" in fmt:
        print(labels.get(fmt.split('"')[1], ""))
    else:
        print(args[-1])
elif args[:1] == ["ps"]:
    for name in sorted(os.listdir(os.path.join(state, "container")) if os.path.isdir(os.path.join(state, "container")) else []):
        labels = labels_of(json.load(open(path("container", name))))
        wanted = [a.split("=", 1)[1] for a in args if a.startswith("label=")]
        if all(labels.get(w.split("=", 1)[0]) == w.split("=", 1)[1] for w in wanted):
            print(name if "-aq" in args else name + " " + labels.get("com.docker.compose.container-number", ""))
elif args[:1] in (["rm"], ["stop"]) or args[1:2] == ["rm"]:
    kind = "container" if args[0] in ("rm", "stop") else args[0]
    if args[0] == "rm" or kind != "container":
        for name in args[args.index("--") + 1:]:
            if os.path.exists(path(kind, name)):
                os.remove(path(kind, name))
elif args[:1] == ["inspect"]:
    sys.exit(1)
'''


def run_script(tmp_path: Path, text: str, *argv: str, files: dict[str, str] | None = None,
               env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """Write the script (and its data files) to tmp_path and run it with the stand-in docker first on PATH."""
    bindir = tmp_path / "bin"
    state = tmp_path / "state"
    bindir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    stub = bindir / "docker"
    stub.write_text(f"#!{sys.executable}\n{STUB}")
    stub.chmod(0o755)
    script = tmp_path / "run.sh"
    script.write_text(text, encoding="utf-8")
    for rel, content in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    full_env = {"PATH": f"{bindir}:/usr/bin:/bin", "STUB_STATE": str(state), "LC_ALL": "C"}
    full_env.update(env or {})
    proc = subprocess.run(["bash", str(script), *argv], env=full_env, capture_output=True, timeout=60)
    calls = []
    log = state / "calls.jsonl"
    if log.exists():
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8", errors="surrogateescape").splitlines()]
    return proc, calls


def _creates(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if c[:1] == ["create"]]


def _csv(record: str) -> list[str]:
    import csv

    return next(csv.reader(io.StringIO(record, newline="")))


ARGV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
# Path parts: no NUL, no "/" (it separates parts), not "." or "..", and no CR (Go's CSV reader folds CRLF).
PATH_PART = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/\r"), min_size=1,
                    max_size=15).filter(lambda s: s not in (".", ".."))
ENV_KEY = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
LABEL_KEY = st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True).filter(lambda k: not k.startswith("com.docker"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(env=st.dictionaries(ENV_KEY, ARGV_TEXT, max_size=4), command=st.lists(ARGV_TEXT, max_size=5),
       labels=st.dictionaries(LABEL_KEY, ARGV_TEXT, max_size=3), rel=PATH_PART, absolute=PATH_PART,
       workdir=ARGV_TEXT.filter(bool), health=ARGV_TEXT.filter(bool), project_dir=PATH_PART)
def test_hostile_values_reach_docker_byte_for_byte(tmp_path_factory, env, command, labels, rel, absolute, workdir,
                                                   health, project_dir):
    tmp_path = tmp_path_factory.mktemp("run")
    svc = Service(
        name="app", image="example/app:1", environment=env, command=tuple(command), labels=labels,
        working_dir=workdir, healthcheck=Healthcheck(test=("CMD-SHELL", health)),
        volumes=(
            Mount(type="bind", source="/proj/" + rel, target="/in-project", bind=VolumeBind(create_host_path=False)),
            Mount(type="bind", source="/" + absolute, target="/absolute", read_only=True,
                  bind=VolumeBind(create_host_path=False)),
            Mount(type="bind", source="/proj/" + rel, target="/created", bind=VolumeBind(create_host_path=True)),
        ),
        networks={"default": None},
    )
    project = Project(name="p", services={"app": svc}, networks={"default": Network(name="p_default")},
                      working_dir="/proj", files=("/proj/compose.yaml",))
    result = convert(project, ConvertOptions())
    runtime_dir = str(tmp_path / project_dir)
    proc, calls = run_script(tmp_path, result.files[0].content, env={"COMPOSE_PROJECT_DIR": runtime_dir})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    (create,) = _creates(calls)
    create = create[:]
    # the positional arguments: exactly the image and the command
    dash = create.index("--")
    assert create[dash + 1:] == ["example/app:1", *command]
    flags = create[1:dash]
    for k, v in env.items():
        assert f"--env={k}={v}" in flags
    for k, v in labels.items():
        assert f"--label={k}={v}" in flags
    assert f"--label=com.docker.compose.project.working_dir={runtime_dir}" in flags
    assert f"--workdir={workdir}" in flags
    assert f"--health-cmd={health}" in flags
    mounts = [_csv(a[len("--mount="):]) for a in flags if a.startswith("--mount=")]
    assert ["type=bind", f"source={runtime_dir}/{rel}", "target=/in-project"] in mounts
    assert ["type=bind", f"source=/{absolute}", "target=/absolute", "readonly"] in mounts
    if ":" in rel:
        assert ["type=bind", f"source={runtime_dir}/{rel}", "target=/created"] in mounts
    else:
        assert f"--volume={runtime_dir}/{rel}:/created:rw" in flags
    # nothing else slipped in: every flag is one the converter meant to pass
    assert all(a.startswith("--") for a in flags), flags


def _two_services(condition: str = "service_healthy", replicas: int = 1) -> Project:
    from composeconv.model.types import Deploy, Dependency

    db = Service(name="db", image="example/db", networks={"default": None},
                 healthcheck=Healthcheck(test=("CMD-SHELL", "true")), deploy=Deploy(replicas=replicas))
    web = Service(name="web", image="example/web", networks={"default": None},
                  depends_on={"db": Dependency(condition=condition)},
                  volumes=(Mount(type="volume", source="data", target="/data"),))
    return Project(name="p", services={"db": db, "web": web}, networks={"default": Network(name="p_default")},
                   volumes={"data": Volume(name="p_data")}, working_dir="/proj", files=("/proj/compose.yaml",))


def test_up_twice_keeps_containers_and_down_removes_what_up_created(tmp_path):
    text = convert(_two_services(replicas=2), ConvertOptions()).files[0].content
    proc, calls = run_script(tmp_path, text)
    assert proc.returncode == 0, proc.stderr
    assert [c[c.index("--") + 1] for c in _creates(calls)] == ["example/db", "example/db", "example/web"]
    assert [c for c in calls if c[:1] == ["start"]] == [["start", "--", "p-db-1"], ["start", "--", "p-db-2"],
                                                          ["start", "--", "p-web-1"]]
    proc, again = run_script(tmp_path, text)
    assert proc.returncode == 0, proc.stderr
    again = again[len(calls):]
    assert not _creates(again) and not [c for c in again if c[:1] in (["start"], ["rm"])]
    proc, down = run_script(tmp_path, text, "down")
    down = down[len(calls) + len(again):]
    assert proc.returncode == 0, proc.stderr
    removed = [c for c in down if c[:1] == ["rm"] or c[1:2] == ["rm"]]
    assert removed == [["rm", "--", "p-web-1"], ["rm", "--", "p-db-1", "p-db-2"], ["network", "rm", "--", "p_default"]]
    proc, down_v = run_script(tmp_path, text, "down", "-v")
    assert proc.returncode == 0
    assert [c for c in down_v if c[:2] == ["volume", "rm"]] == [["volume", "rm", "--", "p_data"]]


def test_changed_service_is_recreated(tmp_path):
    first = convert(_two_services(), ConvertOptions()).files[0].content
    run_script(tmp_path, first)
    changed = _two_services()
    changed = Project(**{**{f: getattr(changed, f) for f in ("name", "networks", "volumes", "working_dir", "files")},
                         "services": {**changed.services,
                                      "db": Service(**{**{f: getattr(changed.services["db"], f) for f in ("name", "image", "networks", "healthcheck")},
                                                       "environment": {"NEW": "1"}})}})
    proc, calls = run_script(tmp_path, convert(changed, ConvertOptions()).files[0].content)
    assert proc.returncode == 0, proc.stderr
    assert b"Recreating container p-db-1" in proc.stderr
    assert ["rm", "--", "p-db-1"] in calls


def test_wait_for_health_is_bounded(tmp_path):
    text = convert(_two_services(), ConvertOptions()).files[0].content
    proc, calls = run_script(tmp_path, text, env={"STUB_RUNNING": "running starting 0", "WAIT_TIMEOUT": "2"})
    assert proc.returncode == 1
    assert b"timed out after 2s waiting for p-db-1 to be healthy (needed by web)" in proc.stderr
    assert ["start", "--", "p-web-1"] not in calls


def test_failed_one_shot_dependency_stops_the_start(tmp_path):
    text = convert(_two_services("service_completed_successfully"), ConvertOptions()).files[0].content
    proc, calls = run_script(tmp_path, text, env={"STUB_RUNNING": "exited none 3"})
    assert proc.returncode == 1
    assert b"didn't complete successfully: exit 3" in proc.stderr
    assert ["start", "--", "p-web-1"] not in calls


def test_content_files_are_copied_with_their_mode(tmp_path):
    from composeconv.model.types import FileReference

    svc = Service(name="app", image="x", networks={"default": None},
                  secrets=(FileReference(source="s", target="/run/secrets/s", mode=0o440, uid="7", gid="8"),),
                  configs=(FileReference(source="c"),))
    project = Project(name="p", services={"app": svc}, networks={"default": Network(name="p_default")},
                      secrets={"s": FileObject(name="p_s", environment="TOKEN")},
                      configs={"c": FileObject(name="p_c", content="a 'config'\n$x")})
    # the secret's value is written out only when asked for (without it the script reads $TOKEN)
    result = convert(project, ConvertOptions(split=True, inline_secrets=True, extra={"environment": {"TOKEN": "t0k3n"}}))
    assert sorted(f.path for f in result.files) == ["configs/c", "run.sh", "secrets/s"]
    assert all("t0k3n" not in d.message for d in result.diagnostics)
    proc, calls = run_script(tmp_path, result.files[0].content, files={f.path: f.content for f in result.files[1:]})
    assert proc.returncode == 0, proc.stderr
    assert ["cp", "--archive", "-", "p-app-1:/"] in calls and ["cp", "-", "p-app-1:/"] in calls
    members = {}
    for tar_path in sorted((tmp_path / "state").glob("cp-*.tar")):
        with tarfile.open(tar_path) as tar:
            for m in tar.getmembers():
                members[m.name] = (m.mode, m.uid, m.gid, tar.extractfile(m).read())
    assert members == {"run/secrets/s": (0o440, 7, 8, b"t0k3n"), "c": (0o444, 0, 0, b"a 'config'\n$x")}
