"""Environment precedence, env_file, profiles, project name and file discovery."""

from __future__ import annotations

import pytest

from composeconv.diagnostics import ComposeError
from composeconv.finalize import apply_profiles
from composeconv.loader import normalize_project_name
from composeconv.loader.options import LoadOptions
from composeconv.model import decode_project

from test_loader_support import load, load_typed
from support import FIXTURES

ENVFILES = FIXTURES / "loader" / "envfiles"


def test_dotenv_feeds_interpolation_name_and_profiles(tmp_path):
    project = load(ENVFILES, environ={"HOME": str(tmp_path)}, interpolate=True)
    assert project.name == "fromdotenv"
    assert project.profiles == ("dev",)
    assert project.data["services"]["app"]["image"] == "busybox:2"
    assert project.env_files == (str(ENVFILES / ".env"),)
    assert project.environment["FROM_DOTENV"] == "dot"


def test_process_environment_wins_over_dotenv(tmp_path):
    environ = {"HOME": str(tmp_path), "VERSION": "3", "COMPOSE_PROJECT_NAME": "proc"}
    project = load(ENVFILES, environ=environ, interpolate=True)
    assert project.data["services"]["app"]["image"] == "busybox:3"
    assert project.name == "proc"


def test_env_file_option_replaces_dotenv(tmp_path):
    (tmp_path / "alt.env").write_text("VERSION=9\n")
    project = load(ENVFILES, environ={"HOME": str(tmp_path)}, interpolate=True,
                   env_files=(str(tmp_path / "alt.env"),))
    assert project.data["services"]["app"]["image"] == "busybox:9"
    assert project.name == "envfiles"


def test_no_interpolate_keeps_variables_and_env_file_long_syntax(tmp_path):
    project = load(ENVFILES, environ={"HOME": str(tmp_path)})
    app = project.data["services"]["app"]
    assert app["image"] == "busybox:${VERSION:-1}"
    assert app["env_file"][1] == {"path": str(ENVFILES / "missing.env"), "required": False}
    # without interpolation Compose resolves `environment` from nothing but COMPOSE_PROJECT_NAME
    assert app["environment"] == {"FROM_DOTENV": None, "FROM_PROCESS": None, "LITERAL": "x"}


def test_env_files_folded_into_environment(tmp_path):
    environ = {"HOME": str(tmp_path), "FROM_PROCESS": "p"}
    app = load_typed(ENVFILES, environ=environ).project.services["app"]
    assert app.environment == {"A": "1", "B": "1-b", "RAW": "${NOT_EXPANDED}", "FROM_DOTENV": "dot",
                               "FROM_PROCESS": "p", "LITERAL": "x"}
    assert app.env_file == ()


def test_missing_required_env_file(tmp_path):
    with pytest.raises(ComposeError) as info:
        load_typed(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    env_file: nope.env\n"})
    d = info.value.diagnostics[0]
    assert d.message.startswith(f"env file {tmp_path / 'nope.env'} not found")
    assert d.path == ("services", "a", "env_file", 0)


PROFILES = FIXTURES / "loader" / "profiles"


def test_profiles_are_not_applied_at_map_level(tmp_path):
    project = load(PROFILES, environ={"HOME": str(tmp_path)})
    assert set(project.data["services"]) == {"web", "db", "debug", "tools"}


def test_profiles_filter_services_and_check_dependencies(tmp_path):
    project = load_typed(PROFILES, environ={"HOME": str(tmp_path)}, profiles=("backend",)).project
    # a service's own "*" profile is not a wildcard: only activating "*" enables it
    assert set(project.services) == {"web", "db"}
    everything = decode_project(load(PROFILES, environ={"HOME": str(tmp_path)}, interpolate=True).data)
    _, disabled = apply_profiles(everything, ("backend",))
    assert set(disabled) == {"debug", "tools"}
    with pytest.raises(ComposeError) as info:
        load_typed(PROFILES, environ={"HOME": str(tmp_path)})
    assert info.value.diagnostics[0].message == \
        'service "web" depends on undefined service "db": invalid compose project'


def test_compose_profiles_variable(tmp_path):
    project = load_typed(PROFILES, environ={"HOME": str(tmp_path), "COMPOSE_PROFILES": "backend, debug"}).project
    assert set(project.services) == {"web", "db", "debug"}
    everything = load_typed(PROFILES, environ={"HOME": str(tmp_path)}, profiles=("*",)).project
    assert set(everything.services) == {"web", "db", "debug", "tools"}


def test_project_name_rules(tmp_path):
    assert normalize_project_name("My_Project-X") == "my_project-x"
    assert normalize_project_name("__Ab.C d") == "abcd"
    named = FIXTURES / "loader" / "named"
    assert load(named, environ={"HOME": str(tmp_path)}).name == "my_project-suffix-x"
    assert load(named, environ={"HOME": str(tmp_path)}, interpolate=True).name == "my_project-x"
    assert load(named, environ={"HOME": str(tmp_path)}, project_name="explicit").name == "explicit"
    data = load(named, environ={"HOME": str(tmp_path)}).data
    assert data["volumes"]["data"]["name"] == "my_project-suffix-x_data"
    assert data["volumes"]["ext"]["name"] == "ext"
    assert data["networks"]["legacy"] == {"external": True, "name": "real-name"}
    with pytest.raises(ComposeError):
        load(named, environ={"HOME": str(tmp_path)}, project_name="Bad Name")


def test_discovery_walks_up_and_uses_the_override_file(tmp_path):
    nested = FIXTURES / "loader" / "discovery" / "app" / "nested"
    project = load(nested, environ={"HOME": str(tmp_path)})
    app = FIXTURES / "loader" / "discovery" / "app"
    assert project.files == (str(app / "compose.yaml"), str(app / "compose.override.yaml"))
    assert project.name == "app"
    web = project.data["services"]["web"]
    assert web["ports"][0]["published"] == "8080"
    assert web["volumes"][0]["source"] == str(app / "html")


def test_compose_file_variable_and_missing_config(tmp_path):
    (tmp_path / "a.yaml").write_text("services:\n  a: {image: x}\n")
    (tmp_path / "b.yaml").write_text("services:\n  b: {image: y}\n")
    project = load(tmp_path, environ={"HOME": str(tmp_path), "COMPOSE_FILE": "a.yaml:b.yaml"})
    assert set(project.data["services"]) == {"a", "b"}
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ComposeError) as info:
        load(empty, environ={"HOME": str(tmp_path)})
    assert "no configuration file provided" in info.value.diagnostics[0].message


def test_home_expansion_uses_the_given_environment(tmp_path):
    project = load(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    volumes: ['~/data:/data']\n"},
                   environ={"HOME": "/home/someone"})
    assert project.data["services"]["a"]["volumes"][0]["source"] == "/home/someone/data"


def test_options_accept_lists():
    options = LoadOptions(files=["a.yaml"], profiles="dev")
    assert options.files == ("a.yaml",) and options.profiles == ("dev",)


def test_stdin_and_disabled_dotenv(tmp_path):
    (tmp_path / ".env").write_text("TAG=fromdotenv\n")
    stdin = b"services:\n  s:\n    image: x:${TAG}\n    build: .\n"
    project = load(tmp_path, files=("-",), stdin=stdin, interpolate=True)
    assert project.name == normalize_project_name(tmp_path.name)
    assert project.data["services"]["s"]["image"] == "x:fromdotenv"
    assert project.data["services"]["s"]["build"]["context"] == str(tmp_path)
    project = load(tmp_path, files=("-",), stdin=stdin, interpolate=True,
                   environ={"HOME": str(tmp_path), "COMPOSE_DISABLE_ENV_FILE": "1"})
    assert project.data["services"]["s"]["image"] == "x:"


def test_project_directory_anchors_paths_and_dotenv(tmp_path):
    files = {
        "a/compose.yaml": "services:\n  web:\n    image: nginx:${TAG:-1}\n    volumes: ['./data:/data']\n",
        "b/override.yaml": "services:\n  web:\n    volumes: ['./other:/other']\n",
        "b/.env": "TAG=b\n",
        "a/.env": "TAG=a\n",
    }
    project = load(tmp_path, files, files=("a/compose.yaml", "b/override.yaml"), interpolate=True)
    web = project.data["services"]["web"]
    assert web["image"] == "nginx:a"
    assert [v["source"] for v in web["volumes"]] == [str(tmp_path / "a" / "data"), str(tmp_path / "a" / "other")]
    project = load(tmp_path, files=("a/compose.yaml", "b/override.yaml"), interpolate=True, working_dir="b")
    web = project.data["services"]["web"]
    assert web["image"] == "nginx:b" and project.name == "b"
    assert web["volumes"][1]["source"] == str(tmp_path / "b" / "other")
