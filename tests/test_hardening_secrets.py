"""Secret values never reach stdout, diagnostics or error messages, and reach output files only when
the user asked for them (--inline-secrets), and then only the files that carry secrets.

fixtures/secrets plants a unique marker in every source of a secret: a secret file, an
`environment:` secret (its variable comes from .env), and service environment variables that the
option secret_env marks as secrets (set from .env through interpolation, from an env_file, and
written in the Compose file itself). The library tests add a `content:` secret to the model and give
the backends the file's contents, so that every source reaches them with its value.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from composeconv import records
from composeconv.api import convert, load_project
from composeconv.backends import ConvertOptions
from composeconv.model import types as T

from support import FIXTURES

FIXTURE = FIXTURES / "secrets"
SECRET_ENV = "*PASSWORD*,*TOKEN*"
# marker -> where its value comes from
ENV_MARKERS = {"MARKER-DOTENV-9b27f1": "environment variable, interpolated from .env",
               "MARKER-ENV-FILE-71c6d2": "environment variable from an env_file",
               "MARKER-INLINE-ENV-c41d8e": "environment variable written in the Compose file"}
OBJECT_MARKERS = {"MARKER-FILE-SECRET-2d94b0": "secret file",
                  "MARKER-ENV-SOURCE-5e0a33": "secret with an environment: source",
                  "MARKER-CONTENT-SOURCE-e83f17": "secret with a content: source (library only)"}
MARKERS = {**ENV_MARKERS, **OBJECT_MARKERS}

# The files that carry secrets, per output: (for environment markers, for secret-object markers).
CARRIERS = {
    "kubernetes": (r"[a-z0-9-]+-env-secret\.yaml", r"[a-z0-9-]+-secret\.yaml"),
    "helm": (r"values\.yaml", r"values\.yaml"),
    "kustomize": (r"[a-z0-9-]+-env-secret\.yaml", r"secrets/[^/]+/[^/]+"),
    "swarm": (r"docker-stack\.yml", r"secrets/[^/]+"),
    "docker-run": (r"run\.sh", r"secrets/[^/]+"),
}
OUTPUTS = [("kubernetes", None), ("kubernetes", "helm"), ("kubernetes", "kustomize"), ("swarm", None),
           ("docker-run", None)]


def forms(marker: str) -> list[bytes]:
    """How a value can show in output: as it is, or base64-encoded (Kubernetes Secret data)."""
    raw = marker.encode()
    return [raw] + [base64.b64encode(v) for v in (raw, raw + b"\n")]


def found(data: bytes | str) -> set[str]:
    blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return {m for m in MARKERS if any(f in blob for f in forms(m))}


def check_files(files: dict[str, bytes | str], output: str, inline: bool) -> set[str]:
    """Every marker in every file must be allowed there; returns the markers seen."""
    env_ok, obj_ok = CARRIERS[output]
    seen: set[str] = set()
    for rel, data in files.items():
        for marker in found(data):
            seen.add(marker)
            assert inline, f"{MARKERS[marker]} ({marker}) written to {rel} without --inline-secrets"
            allowed = env_ok if marker in ENV_MARKERS else obj_ok
            assert re.fullmatch(allowed, rel), f"{MARKERS[marker]} ({marker}) written to {rel}, which is not " \
                                               f"a file that carries secrets ({allowed})"
    return seen


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "composeconv", *args], cwd=tmp_path, env=env, capture_output=True,
                          timeout=120)


def _params():
    for target, layout in OUTPUTS:
        name = layout or target
        for inline in (False, True):
            for folder in (False, True):
                if layout and not folder:
                    continue
                yield pytest.param(target, layout, inline, folder,
                                   id=f"{name}-{'inline' if inline else 'referenced'}-{'folder' if folder else 'stdout'}")


@pytest.mark.parametrize(("target", "layout", "inline", "folder"), list(_params()))
def test_cli_prints_and_writes_secrets_only_when_asked(tmp_path: Path, target: str, layout: str | None,
                                                        inline: bool, folder: bool) -> None:
    out = tmp_path / "out"
    args = ["convert", "--to", target, "-f", str(FIXTURE / "compose.yaml"), "-O", f"secret_env={SECRET_ENV}"]
    args += ["--layout", layout] if layout else []
    args += ["--inline-secrets"] if inline else []
    args += ["-o", f"{out}/"] if folder else []
    run = cli(tmp_path, *args)
    assert run.returncode == 0, run.stderr.decode()
    assert found(run.stderr) == set(), run.stderr.decode()
    if folder:
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert files and found(run.stdout) == set()
        seen = check_files(files, layout or target, inline)
    else:
        seen = found(run.stdout)
        assert inline or seen == set(), f"{sorted(seen)} on stdout without --inline-secrets"
    if inline:
        # the test means something only if the values reached the output where they may
        assert set(ENV_MARKERS) <= seen, f"inlined environment secrets missing: {set(ENV_MARKERS) - seen}"


def test_cli_validate_prints_no_secret(tmp_path: Path) -> None:
    bad = tmp_path / "project"
    shutil.copytree(FIXTURE, bad)
    text = (bad / "compose.yaml").read_text().replace("PLAIN_SETTING: visible-value", "PLAIN_SETTING: ${NOPE:?missing}")
    (bad / "compose.yaml").write_text(text)
    for folder in (FIXTURE, bad):
        for fmt in ("text", "json"):
            run = cli(tmp_path, "validate", "-f", str(folder / "compose.yaml"), "--format", fmt)
            assert found(run.stdout + run.stderr) == set()
    assert b"required variable NOPE is missing a value" in run.stdout


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_cli_config_prints_no_secret_value(tmp_path: Path, fmt: str) -> None:
    # `config` prints the project as `docker compose config` does: service environment values are part
    # of it; the contents of secret files and the values of environment-sourced secrets are not.
    run = cli(tmp_path, "config", "-f", str(FIXTURE / "compose.yaml"), "--format", fmt)
    assert run.returncode == 0
    assert found(run.stdout + run.stderr) & set(OBJECT_MARKERS) == set()


# ---------------------------------------------------------------- the library, every source


def _project():
    loaded = load_project([str(FIXTURE / "compose.yaml")], environ={})
    project = loaded.project
    secrets = dict(project.secrets)
    secrets["content_secret"] = T.FileObject(name="vault_content_secret", content="MARKER-CONTENT-SOURCE-e83f17")
    app = project.services["app"]
    app = records.replace(app, secrets=app.secrets + (T.FileReference(source="content_secret"),))
    project = records.replace(project, secrets=secrets, services={**project.services, "app": app})
    return records.replace(loaded, project=project)


def _extra() -> dict:
    secret_file = str(FIXTURE / "file_secret.txt")
    return {"secret_env": SECRET_ENV.split(","), "file_contents": {secret_file: (FIXTURE / "file_secret.txt").read_text()},
            "environment": {"SECRET_FROM_ENV": "MARKER-ENV-SOURCE-5e0a33"}}


def _lib_params():
    for target, layout in OUTPUTS:
        for inline in (False, True):
            yield pytest.param(target, layout, inline,
                               id=f"{layout or target}-{'inline' if inline else 'referenced'}")


@pytest.mark.parametrize(("target", "layout", "inline"), list(_lib_params()))
def test_library_keeps_every_secret_source_out_of_the_output(target: str, layout: str | None, inline: bool) -> None:
    loaded = _project()
    extra = _extra()
    if target != "kubernetes":
        extra.pop("file_contents")  # an option of the kubernetes target only
    for split in (True, False):
        options = ConvertOptions(split=split, inline_secrets=inline, extra=extra)
        if layout and not split:
            continue
        result = convert(loaded, target, options, layout=layout or "plain")
        for d in result.diagnostics:
            assert found(d.render()) == set(), d.render()
            assert found(repr(d.to_dict())) == set()
        files = {f.path: f.content for f in result.files}
        if split:
            seen = check_files(files, layout or target, inline)
        else:
            seen = found("".join(files.values()))
            assert inline or seen == set()
        if inline and target == "kubernetes" and layout is None:
            assert seen == set(ENV_MARKERS) | {"MARKER-FILE-SECRET-2d94b0", "MARKER-CONTENT-SOURCE-e83f17"}
        if inline and target == "swarm" and split:
            assert seen == set(ENV_MARKERS) | {"MARKER-ENV-SOURCE-5e0a33", "MARKER-CONTENT-SOURCE-e83f17"}


def test_secret_env_names_and_patterns() -> None:
    from composeconv.backends.kubernetes.options import read_options

    for value in ("*password*, API_TOKEN", ["*PASSWORD*", "api_token"]):
        opts, diags = read_options(ConvertOptions(extra={"secret_env": value}))
        assert diags == []
        assert opts.is_secret_env("DB_PASSWORD") and opts.is_secret_env("API_TOKEN")
        assert not opts.is_secret_env("API_TOKENS") and not opts.is_secret_env("PLAIN")
    opts, diags = read_options(ConvertOptions(extra={"secret_env": 3}))
    assert [d.code for d in diags] == ["k8s-bad-option"] and opts.secret_env == ()


def test_swarm_takes_secret_variables_from_the_deploying_shell() -> None:
    import yaml

    result = convert(_project(), "swarm", ConvertOptions(split=True, extra=_extra()))
    stack = yaml.safe_load(result.files[0].content)
    env = stack["services"]["app"]["environment"]
    assert env["DB_PASSWORD"] == "${DB_PASSWORD}" and env["API_TOKEN"] == "${API_TOKEN}"
    assert env["PLAIN_SETTING"] == "visible-value"
    assert stack["secrets"]["env_secret"] == {"file": "./secrets/env_secret"}
    assert {d.code for d in result.diagnostics} >= {"swarm-secret-env", "swarm-secret-not-inlined"}
    assert [f.path for f in result.files if not f.path.startswith("configs/")] == ["docker-stack.yml"]
