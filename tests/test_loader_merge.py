"""Merge rules for several -f files (override/merge.go) and de-duplication of keyed lists."""

from __future__ import annotations

from composeconv.loader.merge import enforce_unicity, merge, to_sequence

from test_loader_support import load

BASE = """
services:
  web:
    image: nginx
    command: ["a", "b"]
    entrypoint: ["/bin/sh"]
    environment: {A: "1", B: "2"}
    labels: [x=1, y=2]
    ports: ["8080:80", "9000:9000/udp"]
    volumes: ["./data:/data", "cache:/cache"]
    expose: [80]
    depends_on: [db]
    networks: [front]
    extra_hosts: ["a:1.2.3.4"]
    logging: {driver: json-file, options: {max-size: 1m}}
    build: ./web
    dns: 8.8.8.8
    healthcheck: {test: ["CMD", "true"], interval: 5s}
  db:
    image: postgres
networks:
  front: {}
volumes:
  cache: {}
"""

OVERRIDE = """
services:
  web:
    command: c
    environment: [B=3, C=4]
    labels: {z: "1", x: "9"}
    ports: ["8080:80", "7000:70"]
    volumes: ["./other:/data", {type: tmpfs, target: /tmp}]
    expose: ["80", "81"]
    depends_on: {db: {condition: service_healthy}}
    networks: {back: {aliases: [w]}}
    extra_hosts: ["a:1.2.3.4", "b:5.6.7.8"]
    logging: {driver: syslog, options: {tag: t}}
    build: {dockerfile: Other}
    dns: [1.1.1.1]
    healthcheck: {test: "curl x"}
networks:
  back: {}
"""


def _web(tmp_path):
    project = load(tmp_path, {"base.yaml": BASE, "over.yaml": OVERRIDE}, files=("base.yaml", "over.yaml"))
    return project.data["services"]["web"]


def test_command_and_healthcheck_test_are_replaced(tmp_path):
    web = _web(tmp_path)
    assert web["command"] == "c"
    assert web["entrypoint"] == ["/bin/sh"]
    assert web["healthcheck"] == {"test": "curl x", "interval": "5s"}


def test_environment_and_labels_merge_by_name(tmp_path):
    web = _web(tmp_path)
    assert web["environment"] == ["A=1", "B=3", "C=4"]
    assert web["labels"] == ["x=9", "y=2", "z=1"]


def test_ports_and_volumes_keep_one_entry_per_key(tmp_path):
    web = _web(tmp_path)
    assert [(p.get("published"), p["target"]) for p in web["ports"]] == [("8080", 80), ("9000", 9000), ("7000", 70)]
    assert [v["target"] for v in web["volumes"]] == ["/data", "/cache", "/tmp"]
    assert web["volumes"][0]["source"] == str(tmp_path / "other")
    assert web["expose"] == ["80", "81"]  # 80 and "80" are the same port: the later one wins


def test_mappings_from_lists_merge(tmp_path):
    web = _web(tmp_path)
    assert web["depends_on"] == {"db": {"condition": "service_healthy", "required": True}}
    assert web["networks"] == {"front": None, "back": {"aliases": ["w"]}}


def test_extra_hosts_logging_build_dns(tmp_path):
    web = _web(tmp_path)
    assert web["extra_hosts"] == ["a:1.2.3.4", "b:5.6.7.8"]
    assert web["logging"] == {"driver": "syslog", "options": {"tag": "t"}}
    assert web["build"] == {"context": str(tmp_path / "web"), "dockerfile": "Other"}
    assert web["dns"] == ["8.8.8.8", "1.1.1.1"]


def test_reset_and_override_tags(tmp_path):
    files = {
        "base.yaml": """
            services:
              app:
                image: busybox
                command: ["echo", "base"]
                environment: {A: "1", B: "2"}
                ports: ["80:80"]
            """,
        "override.yaml": """
            services:
              app:
                command: !reset null
                environment: !override {C: "3"}
                ports: !override ["81:81"]
            """,
    }
    app = load(tmp_path, files, files=("base.yaml", "override.yaml")).data["services"]["app"]
    assert "command" not in app
    assert app["environment"] == {"C": "3"}
    assert [p["published"] for p in app["ports"]] == ["81"]


def test_merge_functions_directly():
    base = {"services": {"a": {"environment": {"X": "1"}, "ulimits": {"nofile": {"soft": 1, "hard": 2}}}}}
    over = {"services": {"a": {"environment": ["Y=2"], "ulimits": {"nofile": 5}}}}
    merged = merge(base, over)
    assert merged["services"]["a"]["environment"] == ["X=1", "Y=2"]
    assert merged["services"]["a"]["ulimits"] == {"nofile": 5}
    assert to_sequence({"b": None, "a": [1, 2]}) == ["a=1", "a=2", "b"]


def test_unicity_later_entry_wins_in_place():
    doc = {"services": {"s": {"environment": ["A=1", "B=2", "A=3"], "cap_add": ["X", "X"]}}}
    enforce_unicity(doc)
    assert doc["services"]["s"]["environment"] == ["A=3", "B=2"]
    assert doc["services"]["s"]["cap_add"] == ["X"]
