"""Short syntax expansion, structural checks, consistency checks with positions, and load time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from composeconv.diagnostics import Collector, ComposeError
from composeconv.finalize import check_consistency, find_cycle
from composeconv.loader.shortsyntax import SyntaxProblem, parse_port, parse_volume
from composeconv.model import decode_project

from test_loader_support import load, load_typed
from support import SHARED


@pytest.mark.parametrize("spec,expected", [
    ("80", [{"mode": "ingress", "target": 80, "protocol": "tcp"}]),
    ("8080:80/udp", [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "udp"}]),
    ("127.0.0.1:8080:80", [{"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8080",
                            "protocol": "tcp"}]),
    ("[::1]:53:53/udp", [{"mode": "ingress", "host_ip": "::1", "target": 53, "published": "53", "protocol": "udp"}]),
    ("9000-9001:80", [{"mode": "ingress", "target": 80, "published": "9000-9001", "protocol": "tcp"}]),
    ("99-100:99-100", [{"mode": "ingress", "target": 100, "published": "100", "protocol": "tcp"},
                       {"mode": "ingress", "target": 99, "published": "99", "protocol": "tcp"}]),
])
def test_ports(spec, expected):
    assert parse_port(spec) == expected


@pytest.mark.parametrize("spec,message", [
    ("80/xyz", "invalid proto: xyz"),
    ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ("80-81:90-95", "invalid ranges specified for container and host Ports: 90-95 and 80-81"),
    ("abc", "invalid containerPort: abc"),
])
def test_port_errors(spec, message):
    with pytest.raises(SyntaxProblem, match=message):
        parse_port(spec)


@pytest.mark.parametrize("spec,expected", [
    ("/data", {"type": "volume", "target": "/data", "volume": {}}),
    ("db:/var/lib/db:ro", {"type": "volume", "source": "db", "target": "/var/lib/db", "read_only": True,
                           "volume": {}}),
    ("./a:/b:z,rshared", {"type": "bind", "source": "./a", "target": "/b",
                          "bind": {"selinux": "z", "propagation": "rshared", "create_host_path": True}}),
    ("data:/d:nocopy", {"type": "volume", "source": "data", "target": "/d", "volume": {"nocopy": True}}),
    ("C:\\data:/data", {"type": "bind", "source": "C:\\data", "target": "/data", "bind": {"create_host_path": True}}),
    ("${SRC}:/data", {"type": "volume", "source": "${SRC}", "target": "/data", "volume": {}}),
])
def test_volumes(spec, expected):
    assert parse_volume(spec) == expected


def test_volume_errors():
    with pytest.raises(SyntaxProblem, match="empty section between colons"):
        parse_volume(":/text_file.txt")
    with pytest.raises(SyntaxProblem, match="too many colons"):
        parse_volume("ab:/b:ro:extra")


def test_unparsable_short_syntax_is_kept_without_interpolation(tmp_path):
    files = {"compose.yaml": "services:\n  a:\n    image: x\n    ports: ['${P}x:80']\n"}
    assert load(tmp_path, files).data["services"]["a"]["ports"] == ["${P}x:80"]
    with pytest.raises(ComposeError) as info:
        load(tmp_path, interpolate=True)
    assert info.value.diagnostics[0].message == "invalid hostPort: x"


def test_consistency_reports_every_problem_with_positions(tmp_path):
    with pytest.raises(ComposeError) as info:
        load_typed(tmp_path, {"compose.yaml": """
            services:
              web:
                image: nginx
                networks: [nope]
                volumes: [data:/data]
                secrets: [token]
              bare:
                command: run
            """})
    by_code = {d.code: d for d in info.value.diagnostics}
    assert set(by_code) >= {"undefined-network", "undefined-volume", "undefined-secret", "service-no-image"}
    assert by_code["service-no-image"].message == \
        'service "bare" has neither an image nor a build context specified: invalid compose project'
    assert by_code["undefined-volume"].position.line == 6
    assert by_code["undefined-volume"].path == ("services", "web", "volumes", 0)


def test_network_mode_with_networks_and_healthcheck():
    doc = {"services": {"s": {"image": "x", "network_mode": "host", "networks": {"default": None},
                              "healthcheck": {"test": ["WRONG"]}}}, "networks": {"default": {}}}
    out = Collector()
    check_consistency(decode_project(doc), {}, None, out)
    messages = [d.message for d in out.items]
    assert "service s declares mutually exclusive `network_mode` and `networks`: invalid compose project" in messages
    assert 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"' in messages


def test_dependency_cycle_message_is_deterministic():
    doc = {"services": {n: {"image": "x", "depends_on": {d: {"condition": "service_started", "required": True}}}
                        for n, d in (("c", "a"), ("a", "b"), ("b", "c"))}}
    out = Collector()
    check_consistency(decode_project(doc), {}, None, out)
    assert [d.message for d in out.items] == ["dependency cycle detected: a -> b -> c -> a"]
    chain = {"services": {f"s{i}": {"image": "x", "depends_on": {f"s{i - 1}": {}}} if i else {"image": "x"}
                          for i in range(3000)}}
    out = Collector()
    check_consistency(decode_project(chain), {}, None, out)
    assert out.items == [] and find_cycle(decode_project(chain)) is None


def test_schema_errors_are_positioned(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    wrongField: 1\n"})
    d = info.value.diagnostics[0]
    assert d.position is not None and d.position.file.endswith("compose.yaml")


@pytest.mark.slow
def test_thousand_services_load(tmp_path):
    """The benchmark's 1000-service file loads (bench/run.py measures the speed)."""
    gen = SHARED / "bench" / "gen_compose.py"
    if not gen.exists():
        pytest.skip("benchmark generator not found")
    text = subprocess.run([sys.executable, str(gen), "1000"], capture_output=True, text=True, check=True).stdout
    (tmp_path / "compose.yaml").write_text(text)
    project = load(tmp_path, interpolate=True)
    assert len(project.data["services"]) == 1000


def test_positions_come_from_the_file_that_set_the_key(tmp_path):
    files = {
        "base.yaml": "services:\n  web:\n    image: nginx\n    networks: [front]\nnetworks:\n  front: {}\n",
        "over.yaml": "services:\n  web:\n    volumes:\n      - data:/data\n",
    }
    with pytest.raises(ComposeError) as info:
        load_typed(tmp_path, files, files=("base.yaml", "over.yaml"))
    d = info.value.diagnostics[0]
    assert d.code == "undefined-volume"
    assert d.position.file == str(tmp_path / "over.yaml") and d.position.line == 4
    project = load(tmp_path, files=("base.yaml", "over.yaml"))
    assert project.sourcemap.get(("services", "web", "image")).file == str(tmp_path / "base.yaml")
    assert project.sourcemap.get(("services", "web", "volumes")).file == str(tmp_path / "over.yaml")


def test_extended_keys_point_into_the_base_file(tmp_path):
    files = {
        "compose.yaml": "services:\n  web:\n    extends: {file: base.yaml, service: app}\n    command: run\n",
        "base.yaml": "services:\n  app:\n    image: nginx\n    user: nobody\n",
    }
    project = load(tmp_path, files, files=("compose.yaml",))
    pos = project.sourcemap.get(("services", "web", "user"))
    assert (pos.file, pos.line) == (str(tmp_path / "base.yaml"), 4)
    pos = project.sourcemap.get(("services", "web", "command"))
    assert (pos.file, pos.line) == (str(tmp_path / "compose.yaml"), 4)
