"""The steps Compose runs on its typed project (composeconv.finalize), alone and through load_project.

Expected messages are Docker Compose v2.40.3's.
"""

from __future__ import annotations

import pytest

from composeconv.diagnostics import Collector, ComposeError
from composeconv.finalize import (apply_profiles, check_consistency, check_container_names, resolve_environment,
                                  resolve_labels, select_services)
from composeconv.model import Project, decode_project

from test_loader_support import load_typed

INVALID = "invalid compose project"


def files_reader(files: dict[str, str]):
    """A read_text over an in-memory file system."""
    return files.get


def labels_of(services: dict, files: dict[str, str]) -> tuple[Project, Collector]:
    out = Collector()
    return resolve_labels(decode_project({"services": services}), files_reader(files), None, out), out


# --------------------------------------------------------------------------- label_file

def test_label_files_in_order_then_the_services_labels():
    files = {"/p/one.labels": "A=1\nB=${A}-b\nC=from1\n",
             "/p/two.labels": "C=from2\nD=${C}\nE=${C}\nF=${ZZ:-dflt}\n"}
    project, out = labels_of({"a": {"image": "x", "label_file": ["/p/one.labels", "/p/two.labels"],
                                    "labels": {"D": "own"}}}, files)
    assert out.items == []
    a = project.services["a"]
    # a later file overrides an earlier one; ${VAR} looks at the files before, then earlier lines;
    # the service's own labels win
    assert a.labels == {"A": "1", "B": "1-b", "C": "from2", "D": "own", "E": "from1", "F": "dflt"}
    assert a.label_file == ()


def test_label_file_without_labels_and_empty_label_file():
    project, out = labels_of({"a": {"image": "x", "label_file": ["/p/l"]},
                              "b": {"image": "x", "label_file": ["/p/empty"], "labels": {"K": "v"}},
                              "c": {"image": "x", "labels": {"K": "v"}}},
                             {"/p/l": "X=1\n", "/p/empty": ""})
    assert out.items == []
    assert project.services["a"].labels == {"X": "1"}
    assert project.services["b"].labels == {"K": "v"} and project.services["b"].label_file == ()
    assert project.services["c"].labels == {"K": "v"}


def test_missing_label_file_is_an_error_and_other_services_are_still_read():
    project, out = labels_of({"a": {"image": "x", "label_file": ["/p/nope"]},
                              "b": {"image": "x", "label_file": ["/p/l"]}}, {"/p/l": "X=1\n"})
    [d] = out.items
    assert (d.code, d.path) == ("label-file-missing", ("services", "a", "label_file", 0))
    assert d.message == "label file /p/nope not found: stat /p/nope: no such file or directory"
    assert project.services["b"].labels == {"X": "1"}


def test_label_file_syntax_error():
    _, out = labels_of({"a": {"image": "x", "label_file": ["/p/bad"]}}, {"/p/bad": "bad line\n"})
    [d] = out.items
    assert d.message == "failed to read /p/bad: line 1: key cannot contain a space"
    assert d.path == ("services", "a", "label_file", 0)


def test_load_project_folds_label_files(tmp_path):
    loaded = load_typed(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    label_file: ./app.labels\n"
                                                   "    labels: [OWN=1]\n",
                                   "app.labels": "FROM_FILE=yes\nOWN=0\n"})
    a = loaded.project.services["a"]
    assert a.labels == {"FROM_FILE": "yes", "OWN": "1"} and a.label_file == ()
    with pytest.raises(ComposeError) as info:
        load_typed(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    label_file: gone.labels\n"})
    assert info.value.diagnostics[0].code == "label-file-missing"
    assert info.value.diagnostics[0].position.line == 4


# --------------------------------------------------------------------------- env_file

def env_of(service: dict, files: dict[str, str], env: dict[str, str] | None = None) -> tuple[Project, Collector]:
    out = Collector()
    project = decode_project({"services": {"a": {"image": "x", **service}}})
    return resolve_environment(project, env or {}, files_reader(files), None, out), out


def test_env_files_see_the_environment_and_earlier_files():
    project, out = env_of({"env_file": ["/p/a.env", "/p/b.env"], "environment": {"OWN": "own"}},
                          {"/p/a.env": "X=1\nW=w1\n", "/p/b.env": "Y=${X}\nZ=${OWN}\nW=w2\nV=${W}\n"})
    assert out.items == []
    assert project.services["a"].environment == {"OWN": "own", "V": "w2", "W": "w2", "X": "1", "Y": "1", "Z": "own"}


@pytest.mark.parametrize("entry,text,message", [
    ("/p/e", None, "env file /p/e not found: stat /p/e: no such file or directory"),
    ("/p/e", "bad line\n", "failed to read /p/e: line 1: key cannot contain a space"),
    ({"path": "/p/e", "format": "raw"}, "bad line=1\n",
     "failed to parse env_file /p/e: variable 'bad line' contains whitespaces"),
    ({"path": "/p/e", "format": "weird"}, "A=1\n", 'unsupported env_file format "weird"'),
])
def test_env_file_errors(entry, text, message):
    _, out = env_of({"env_file": [entry]}, {} if text is None else {"/p/e": text})
    assert [d.message for d in out.items] == [message]
    assert out.items[0].path == ("services", "a", "env_file", 0)


# --------------------------------------------------------------------------- container names

def test_container_names_must_be_unique(tmp_path):
    content = {"compose.yaml": "services:\n  a:\n    image: x\n    container_name: same\n"
                               "  b:\n    image: y\n    container_name: same\n  c:\n    image: z\n"}
    with pytest.raises(ComposeError) as info:
        load_typed(tmp_path, content)
    [d] = info.value.diagnostics
    assert (d.code, d.path) == ("duplicate-container-name", ("services", "b", "container_name"))
    assert d.message == 'services.b: container name "same" is already in use by service a"'
    assert d.position.line == 7
    # Compose checks the services left after selection
    assert set(load_typed(tmp_path, services=["a", "c"]).project.services) == {"a", "c"}


def test_distinct_and_unset_container_names_pass():
    out = Collector()
    check_container_names(decode_project({"services": {"a": {"image": "x", "container_name": "one"},
                                                        "b": {"image": "x", "container_name": "two"},
                                                        "c": {"image": "x"}, "d": {"image": "x"}}}), None, out)
    assert out.items == []


# --------------------------------------------------------------------------- select_services

SELECTION = {
    "services": {
        "web": {"image": "nginx", "networks": {"front": None},
                "depends_on": {"db": {"condition": "service_started"},
                               "opt": {"condition": "service_started", "required": False}}},
        "db": {"image": "pg"},
        "other": {"image": "o"},
        "debug": {"image": "dbg", "profiles": ["debug"], "depends_on": {"tools": {"condition": "service_started"}}},
        "tools": {"image": "t", "profiles": ["debug"]},
        "lone": {"image": "l", "profiles": ["lone", "debug"]},
        "opt": {"image": "opt", "profiles": ["optional"]},
    },
    "networks": {"front": {}},
}


def select(names, profiles=()):
    project, disabled = apply_profiles(decode_project(SELECTION), tuple(profiles))
    return select_services(project, names, disabled)


def deps(project: Project) -> dict[str, list[str]]:
    return {n: sorted(s.depends_on) for n, s in project.services.items()}


def test_selection_keeps_the_named_services_and_their_dependencies():
    assert deps(select(["web"])) == {"web": ["db"], "db": []}  # the disabled optional dependency is dropped
    assert deps(select(["web"], ["optional"])) == {"web": ["db", "opt"], "db": [], "opt": []}
    assert deps(select(["web", "other", "web"])) == {"web": ["db"], "db": [], "other": []}
    project = decode_project(SELECTION)
    assert select_services(project, [], {}) is project


def test_selecting_a_disabled_service_enables_its_profiles():
    # tools shares the debug profile, so it is enabled too and can be a dependency; lone is not selected
    assert deps(select(["debug"])) == {"debug": ["tools"], "tools": []}
    assert deps(select(["debug", "lone"])) == {"debug": ["tools"], "tools": [], "lone": []}
    assert deps(select(["opt"])) == {"opt": []}


def test_selection_patterns_match_active_services():
    assert set(select(["d*"]).services) == {"db"}
    assert set(select(["*"]).services) == {"web", "db", "other"}
    assert set(select(["[^w]*"]).services) == {"db", "other"}
    assert set(select(["[dw]*"]).services) == {"web", "db"}


@pytest.mark.parametrize("names", [["nope"], ["web", "nope"], ["tool?"]])
def test_selecting_an_unknown_service(names):
    with pytest.raises(ComposeError) as info:
        select(names)
    [d] = info.value.diagnostics
    assert (d.code, d.message) == ("no-such-service", f"no such service: {names[-1]}")


def test_a_required_dependency_must_exist_and_an_optional_one_may_not():
    doc = {"services": {"a": {"image": "x", "depends_on": {"gone": {"condition": "service_started"}}},
                        "b": {"image": "x", "depends_on": {"gone": {"condition": "service_started",
                                                                     "required": False}}}}}
    with pytest.raises(ComposeError, match="no such service: gone"):
        select_services(decode_project(doc), ["a"], {})
    assert deps(select_services(decode_project(doc), ["b"], {})) == {"b": []}


def test_load_project_selects_after_the_checks_as_compose_does(tmp_path):
    content = {"compose.yaml": """
        services:
          web: {image: nginx, depends_on: [db], env_file: [web.env]}
          db: {image: pg, volumes: [data:/d]}
          cache: {image: redis, volumes: [other:/d]}
          debug:
            image: dbg
            profiles: [debug]
            networks: [nonet]
            label_file: dbg.labels
            env_file: dbg.env
        volumes: {data: {}, other: {}}
        """, "web.env": "W=1\n", "dbg.env": "D=1\n", "dbg.labels": "L=1\n"}
    project = load_typed(tmp_path, content, services=["web"]).project
    assert set(project.services) == {"web", "db"}
    assert set(project.volumes) == {"data"}  # unused resources go after selection
    assert project.services["web"].environment == {"W": "1"}
    # a service enabled by its name skipped the consistency checks and label files, not env files
    debug = load_typed(tmp_path, services=["debug"]).project.services["debug"]
    assert set(debug.networks) == {"nonet"}
    assert debug.label_file == (str(tmp_path / "dbg.labels"),) and debug.labels == {}
    assert debug.environment == {"D": "1"} and debug.env_file == ()
    # env files of services not selected are still read
    (tmp_path / "web.env").unlink()
    with pytest.raises(ComposeError, match="env file .*web.env not found"):
        load_typed(tmp_path, services=["db"])


# --------------------------------------------------------------------------- consistency

def messages(doc: dict) -> list[str]:
    out = Collector()
    project, disabled = apply_profiles(decode_project(doc), ())
    check_consistency(project, disabled, None, out)
    return [d.message for d in out.items]


@pytest.mark.parametrize("service,extra,message", [
    ({"command": "run"}, {}, f'service "s" has neither an image nor a build context specified: {INVALID}'),
    ({"build": {"context": ".", "dockerfile": "D", "dockerfile_inline": "FROM x"}}, {},
     f'service "s" declares mutualy exclusive dockerfile and dockerfile_inline: {INVALID}'),
    ({"build": {"context": ".", "additional_contexts": {"c": "service:nope"}}}, {},
     'service "s" declares unknown service "nope" as additional contexts c'),
    ({"image": "x", "platform": "linux/arm64", "build": {"context": ".", "platforms": ["linux/amd64"]}}, {},
     f'service.build.platforms MUST include service.platform "linux/arm64": {INVALID}'),
    ({"image": "x", "network_mode": "host", "networks": {"default": None}}, {"networks": {"default": {}}},
     f"service s declares mutually exclusive `network_mode` and `networks`: {INVALID}"),
    ({"image": "x", "networks": {"nope": None}}, {}, f'service "s" refers to undefined network nope: {INVALID}'),
    ({"image": "x", "healthcheck": {"test": ["WRONG"]}}, {},
     'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"'),
    ({"image": "x", "depends_on": {"nope": {"condition": "service_started"}}}, {},
     f'service "s" depends on undefined service "nope": {INVALID}'),
    ({"image": "x", "network_mode": "service:nope"}, {}, "service \"nope\" not found for network_mode 'service:nope'"),
    ({"image": "x", "volumes": [{"type": "volume", "source": "v", "target": "/v"}]}, {},
     f'service "s" refers to undefined volume v: {INVALID}'),
    ({"build": {"context": ".", "secrets": [{"source": "k"}]}}, {},
     f'service "s" refers to undefined build secret k: {INVALID}'),
    ({"image": "x", "configs": [{"source": "c"}]}, {}, f'service "s" refers to undefined config c: {INVALID}'),
    ({"image": "x", "models": {"m": None}}, {}, f'service "s" refers to undefined model m: {INVALID}'),
    ({"image": "x", "secrets": [{"source": "k"}]}, {}, f'service "s" refers to undefined secret k: {INVALID}'),
    ({"image": "x", "scale": 2, "deploy": {"replicas": 3}}, {},
     f"services.s: can't set distinct values on 'scale' and 'deploy.replicas': {INVALID}"),
    ({"image": "x", "scale": -1}, {}, "services.s.scale: must be greater than or equal to 0"),
    ({"image": "x", "deploy": {"replicas": -1}}, {}, "services.s.deploy.replicas: must be greater than or equal to 0"),
    ({"image": "x", "cpus": 1.5, "deploy": {"resources": {"limits": {"cpus": "2"}}}}, {},
     f"services.s: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': {INVALID}"),
    ({"image": "x", "mem_limit": "1g", "deploy": {"resources": {"limits": {"memory": "2g"}}}}, {},
     f"services.s: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': {INVALID}"),
    ({"image": "x", "mem_reservation": "1g", "deploy": {"resources": {"reservations": {"memory": "2g"}}}}, {},
     f"services.s: can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory': "
     f"{INVALID}"),
    ({"image": "x", "pids_limit": 10, "deploy": {"resources": {"limits": {"pids": 20}}}}, {},
     f"services.s: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids': {INVALID}"),
    ({"image": "x", "scale": 2, "container_name": "c1"}, {},
     f"services.scale: can't set container_name and s as container name must be unique: {INVALID}"),
    ({"image": "x", "deploy": {"replicas": 2}, "container_name": "c1"}, {},
     f"services.deploy.replicas: can't set container_name and s as container name must be unique: {INVALID}"),
    ({"image": "x", "develop": {"watch": [{"path": "./src", "action": "sync"}]}}, {},
     f"services.s.develop.watch: target is required for non-rebuild actions: {INVALID}"),
    ({"image": "x", "tmpfs": ["/t"], "volumes": [{"type": "bind", "source": "/h", "target": "/t"}]}, {},
     "services.s.volumes[0]: target /t already mounted as services.s.tmpfs[0]"),
    ({"image": "x"}, {"secrets": {"k": {"name": "k"}}}, f'secret "k" must declare either `file` or `environment`: '
                                                       f'{INVALID}'),
])
def test_consistency_rule(service, extra, message):
    assert messages({"services": {"s": service}, **extra}) == [message]


def test_consistency_passes_matching_values_and_optional_disabled_dependencies():
    assert messages({"services": {
        "s": {"image": "x", "cpus": 1.5, "mem_limit": "1g", "pids_limit": 10, "scale": 2,
              "deploy": {"replicas": 2, "resources": {"limits": {"cpus": "1.5", "memory": "1g", "pids": 10}}},
              "depends_on": {"p": {"condition": "service_started", "required": False}}},
        "p": {"image": "x", "profiles": ["off"]}}}) == []
    assert messages({"services": {"s": {"image": "x", "depends_on": {"p": {"condition": "service_started"}}},
                                  "p": {"image": "x", "profiles": ["off"]}}}) == \
        [f'service "s" depends on undefined service "p": {INVALID}']


def test_consistency_reports_every_problem():
    found = messages({"services": {"a": {"command": "x", "networks": {"n": None}, "secrets": [{"source": "k"}]},
                                   "b": {"image": "x", "depends_on": {"c": {"condition": "service_started"}}},
                                   "c": {"image": "x", "depends_on": {"b": {"condition": "service_started"}}}}})
    assert found == [f'service "a" has neither an image nor a build context specified: {INVALID}',
                     f'service "a" refers to undefined network n: {INVALID}',
                     f'service "a" refers to undefined secret k: {INVALID}',
                     "dependency cycle detected: b -> c -> b"]


def test_scale_becomes_deploy_replicas():
    out = Collector()
    project = check_consistency(decode_project({"services": {"s": {"image": "x", "scale": 3, "deploy": {}}}}),
                                {}, None, out)
    assert out.items == [] and project.services["s"].deploy.replicas == 3
