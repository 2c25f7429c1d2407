"""Behaviour of the Swarm backend on hand-built models, with expected values written out by hand."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from composeconv import records
from composeconv.backends import TARGETS, ConvertOptions
from composeconv.backends.swarm import STACK_FILE, convert
from composeconv.diagnostics import Level
from composeconv.model import types as T
from composeconv.model.values import Duration


def project(*services: T.Service, **kw) -> T.Project:
    return T.Project(name="shop", services={s.name: s for s in services}, working_dir="/p", **kw)


def svc(**kw) -> T.Service:
    return T.Service(**{"name": "web", "image": "busybox", **kw})


def run(p: T.Project, split: bool = True, inline_secrets: bool = False, **extra):
    result = convert(p, ConvertOptions(split=split, inline_secrets=inline_secrets, extra=extra))
    stack = yaml.safe_load(result.files[0].content)
    [named] = [d for d in result.diagnostics if d.code == "swarm-stack-name"]
    assert named.level == Level.INFO and f"{STACK_FILE} {p.name}" in named.message
    # the other diagnostics are what the tests look at
    result = records.replace(result, diagnostics=tuple(d for d in result.diagnostics if d is not named))
    return result, stack


def codes(result, level: Level | None = None) -> list[str]:
    return [d.code for d in result.diagnostics if level is None or d.level == level]


def test_registered_as_the_swarm_target():
    assert TARGETS["swarm"].load() is convert


def test_minimal_project_is_version_3_0():
    result, stack = run(project(svc()))
    assert [f.path for f in result.files] == [STACK_FILE]
    assert stack == {"version": "3.0", "services": {"web": {"image": "busybox"}}}


@pytest.mark.parametrize(("service", "version"), [
    (svc(init=True), "3.7"),
    (svc(healthcheck=T.Healthcheck(test=("CMD", "true"), start_interval=Duration(10**9))), "3.12"),
    (svc(oom_score_adj=5), "3.13"),
    (svc(ports=(T.Port(target=80),)), "3.2"),
    (svc(isolation="process"), "3.5"),
    (svc(deploy=T.Deploy(placement=T.Placement(max_replicas_per_node=1))), "3.8"),
    (svc(pids_limit=10), "3.9"),
])
def test_version_is_the_lowest_that_holds_the_keys(service, version):
    _, stack = run(project(service))
    assert stack["version"] == version


def test_dollars_are_escaped_in_every_value_but_not_in_keys():
    s = svc(environment={"PRICE": "$5", "RAW": "${HOME}"}, command=("sh", "-c", "echo $HOME"),
            labels={"a$b": "$x"}, healthcheck=T.Healthcheck(test=("CMD-SHELL", "test $$ -gt 0")))
    result, _ = run(project(s, extensions={"x-note": "costs $1"}))
    text = result.files[0].content
    stack = yaml.safe_load(text)
    web = stack["services"]["web"]
    assert web["environment"] == {"PRICE": "$$5", "RAW": "$${HOME}"}
    assert web["command"] == ["sh", "-c", "echo $$HOME"]
    assert web["labels"] == {"a$b": "$$x"}
    assert web["healthcheck"]["test"] == ["CMD-SHELL", "test $$$$ -gt 0"]
    assert stack["x-note"] == "costs $$1"


@pytest.mark.parametrize(("restart", "policy"), [
    ("no", {"condition": "none"}),
    ("always", {"condition": "any"}),
    ("unless-stopped", {"condition": "any"}),
    ("on-failure", {"condition": "on-failure"}),
    ("on-failure:5", {"condition": "on-failure", "max_attempts": 5}),
])
def test_restart_becomes_a_restart_policy(restart, policy):
    result, stack = run(project(svc(restart=restart)))
    assert stack["services"]["web"]["deploy"]["restart_policy"] == policy
    assert "restart" not in stack["services"]["web"]
    assert result.diagnostics == (), "a translated restart needs no diagnostic"


def test_deploy_restart_policy_wins_over_restart_and_says_so():
    s = svc(restart="always", deploy=T.Deploy(restart_policy=T.RestartPolicy(condition="none")))
    result, stack = run(project(s))
    assert stack["services"]["web"]["deploy"]["restart_policy"] == {"condition": "none"}
    assert [d.path for d in result.diagnostics] == [("services", "web", "restart")]


def test_ports_become_long_syntax_and_host_ip_is_reported():
    ports = (T.Port(mode="ingress", host_ip="127.0.0.1", target=80, published="8080", protocol="tcp"),
             T.Port(mode="host", target=53, published="5353", protocol="udp"),
             T.Port(target=9000, published="9000-9001"),
             T.Port(target=7000))
    result, stack = run(project(svc(ports=ports)))
    assert stack["services"]["web"]["ports"] == [
        {"target": 80, "published": 8080, "protocol": "tcp", "mode": "ingress"},
        {"target": 53, "published": 5353, "protocol": "udp", "mode": "host"},
        {"target": 9000, "published": 9000, "protocol": "tcp", "mode": "ingress"},
        {"target": 9000, "published": 9001, "protocol": "tcp", "mode": "ingress"},
        {"target": 7000, "protocol": "tcp", "mode": "ingress"},
    ]
    [d] = result.diagnostics
    assert (d.code, d.level, d.path) == ("swarm-host-ip", Level.WARNING, ("services", "web", "ports", 0, "host_ip"))


def test_container_resources_move_to_deploy():
    s = svc(cpus=1.5, mem_limit=512 * 2**20, mem_reservation=2**30, pids_limit=50, cpu_quota=50000, scale=2)
    result, stack = run(project(s))
    deploy = stack["services"]["web"]["deploy"]
    assert deploy["replicas"] == 2
    assert deploy["resources"] == {"limits": {"cpus": "1.5", "memory": "512m", "pids": 50},
                                   "reservations": {"memory": "1g"}}
    # cpu_quota 50000/100000 = 0.5 differs from cpus 1.5: the first one set wins, the other is reported
    assert [(d.code, d.path[-1]) for d in result.diagnostics] == [("swarm-conflict", "cpu_quota")]


def test_cpu_quota_alone_becomes_a_cpu_limit():
    _, stack = run(project(svc(cpu_quota=25000, cpu_period=50000)))
    assert stack["services"]["web"]["deploy"]["resources"] == {"limits": {"cpus": "0.5"}}


def test_build_without_image_is_an_error_unless_a_policy_names_the_image():
    s = svc(image=None, build=T.Build(context="/p/app"))
    result, stack = run(project(s))
    assert codes(result, Level.ERROR) == ["swarm-no-image"]
    assert "image" not in stack["services"]["web"]
    result, stack = run(project(s), image_for_build="reg.example/{project}-{service}:1")
    assert codes(result, Level.ERROR) == []
    assert stack["services"]["web"] == {"image": "reg.example/shop-web:1"}
    assert codes(result) == ["swarm-image-from-build"]


def test_networks_are_overlay_external_kept_and_attachable_on_request():
    nets = {"default": T.Network(name="shop_default"), "front": T.Network(driver="bridge", name="shop_front"),
            "corp": T.Network(external=True, name="corp-net"), "named": T.Network(name="custom-name")}
    s = svc(networks={"default": None, "front": T.ServiceNetwork(aliases=("www",)), "corp": None})
    result, stack = run(project(s, networks=nets), attachable=True)
    assert stack["networks"] == {
        "corp": {"external": True, "name": "corp-net"},
        "default": {"driver": "overlay", "attachable": True},
        "front": {"driver": "overlay", "attachable": True},
        "named": {"name": "custom-name", "driver": "overlay", "attachable": True},
    }
    assert stack["services"]["web"]["networks"] == {"default": None, "front": {"aliases": ["www"]}, "corp": None}
    assert stack["version"] == "3.5"
    assert codes(result) == ["swarm-translated"]  # bridge -> overlay


def test_network_mode_host_joins_the_swarm_host_network():
    _, stack = run(project(svc(network_mode="host")))
    assert stack["services"]["web"]["networks"] == ["host"]
    assert stack["networks"] == {"host": {"external": True}}


def test_bind_paths_are_relative_to_stack_dir_only_inside_it():
    vols = (T.Mount(type="bind", source="/p/data", target="/data"),
            T.Mount(type="bind", source="/var/run/docker.sock", target="/var/run/docker.sock"))
    _, absolute = run(project(svc(volumes=vols)))
    assert [v["source"] for v in absolute["services"]["web"]["volumes"]] == ["/p/data", "/var/run/docker.sock"]
    _, relative = run(project(svc(volumes=vols)), stack_dir=".")
    assert [v["source"] for v in relative["services"]["web"]["volumes"]] == ["./data", "/var/run/docker.sock"]
    _, nested = run(project(svc(volumes=vols)), stack_dir="/p/out")
    assert [v["source"] for v in nested["services"]["web"]["volumes"]] == ["/p/data", "/var/run/docker.sock"]


SECRET_VALUE = "hunter2-do-not-print"


def _secret_project(**secret) -> T.Project:
    s = svc(secrets=(T.FileReference(source="pw"),))
    return project(s, secrets={"pw": T.FileObject(name="shop_pw", **secret)})


def _assert_secret_not_printed(result):
    assert SECRET_VALUE not in result.files[0].content
    assert all(SECRET_VALUE not in d.render() for d in result.diagnostics)


def test_content_secret_becomes_a_file_next_to_the_stack_file():
    result, stack = run(_secret_project(content=SECRET_VALUE), inline_secrets=True)
    files = {f.path: f for f in result.files}
    assert sorted(files) == [STACK_FILE, "secrets/pw"]
    assert files["secrets/pw"].content == SECRET_VALUE and files["secrets/pw"].mode == 0o600
    assert stack["secrets"] == {"pw": {"file": "./secrets/pw"}}
    assert result.diagnostics == ()
    _assert_secret_not_printed(result)


def test_content_secret_in_one_stream_is_referenced_and_warned_about():
    result, stack = run(_secret_project(content=SECRET_VALUE), split=False, inline_secrets=True)
    assert [f.path for f in result.files] == [STACK_FILE]
    assert stack["secrets"] == {"pw": {"file": "./secrets/pw"}}
    assert codes(result) == ["swarm-needs-folder"]
    assert max(d.level for d in result.diagnostics) == Level.WARNING
    _assert_secret_not_printed(result)


def test_environment_secret_takes_its_value_from_extra_environment():
    result, stack = run(_secret_project(environment="PW"), inline_secrets=True, environment={"PW": SECRET_VALUE})
    assert {f.path: f.content for f in result.files}["secrets/pw"] == SECRET_VALUE
    assert stack["secrets"]["pw"] == {"file": "./secrets/pw"}
    _assert_secret_not_printed(result)


def test_environment_secret_without_a_value_is_declared_external():
    result, stack = run(_secret_project(environment="PW"))
    assert stack["secrets"]["pw"] == {"external": True, "name": "shop_pw"}
    assert codes(result) == ["swarm-external-object"]


def test_hash_names_follow_the_content():
    def name_for(content: bytes) -> str:
        _, stack = run(_secret_project(file="/p/pw.txt"), hash_names=True, file_contents={"/p/pw.txt": content})
        return stack["secrets"]["pw"]["name"]

    expected = "shop_pw_" + hashlib.sha256(b"one").hexdigest()[:8]
    assert name_for(b"one") == expected
    assert name_for(b"two") != expected
    result, stack = run(_secret_project(file="/p/pw.txt"), hash_names=True)
    assert "name" not in stack["secrets"]["pw"]
    assert codes(result) == ["swarm-hash-no-content"]


def test_external_secret_and_file_config_are_kept():
    p = project(svc(configs=(T.FileReference(source="conf", target="/etc/app.conf", mode=0o440),)),
                secrets={"tls": T.FileObject(external=True, name="tls")},
                configs={"conf": T.FileObject(file="/p/app.conf", name="shop_conf")})
    result, stack = run(p, stack_dir="/p")
    assert stack["secrets"] == {"tls": {"external": True}}
    assert stack["configs"] == {"conf": {"file": "./app.conf"}}
    assert stack["services"]["web"]["configs"] == [{"source": "conf", "target": "/etc/app.conf", "mode": 0o440}]
    assert stack["version"] == "3.3"


def test_jobs_and_global_modes():
    job = svc(name="job", deploy=T.Deploy(mode="replicated-job", replicas=2))
    glob = svc(name="agent", deploy=T.Deploy(mode="global", replicas=3))
    result, stack = run(project(job, glob))
    assert stack["services"]["job"]["deploy"] == {"mode": "replicated-job", "replicas": 2}
    assert stack["services"]["agent"]["deploy"] == {"mode": "global"}
    assert sorted(codes(result)) == ["swarm-invalid-value", "swarm-requires-cli"]


def test_depends_on_is_reported_with_its_condition():
    s = svc(depends_on={"db": T.Dependency(condition="service_healthy", restart=True)})
    result, stack = run(project(s, svc(name="db")))
    assert "depends_on" not in stack["services"]["web"]
    [d] = result.diagnostics
    assert d.code == "swarm-depends-on" and d.path == ("services", "web", "depends_on", "db")
    assert "service_healthy" in d.message and "restart: true" in d.message


def test_tmpfs_and_shm_size_become_tmpfs_mounts():
    _, stack = run(project(svc(tmpfs=("/run:size=1m", "/tmp"), shm_size=2**26)))
    assert stack["services"]["web"]["volumes"] == [
        {"type": "tmpfs", "target": "/run", "tmpfs": {"size": 2**20}},
        {"type": "tmpfs", "target": "/tmp"},
        {"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": 2**26}},
    ]
    assert stack["version"] == "3.6"


def test_output_is_deterministic():
    p = project(svc(environment={"B": "2", "A": "1"}, ports=(T.Port(target=80, published="80"),)),
                secrets={"s": T.FileObject(content="x")})
    first = convert(p, ConvertOptions(split=True))
    second = convert(p, ConvertOptions(split=True))
    assert first == second
