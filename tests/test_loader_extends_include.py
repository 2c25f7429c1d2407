"""`extends` (same file, other file, chains, relative paths) and `include`."""

from __future__ import annotations

import pytest

from composeconv.diagnostics import ComposeError

from test_loader_support import load
from support import FIXTURES


def test_extends_same_file_and_reset(tmp_path):
    project = load(tmp_path, {"compose.yaml": """
        services:
          base:
            image: busybox
            environment: {A: "1"}
            ports: ["80:80"]
          child:
            extends: base
            environment: {B: "2"}
            ports: !reset []
          grandchild:
            extends: {service: child}
            command: run
        """}, files=("compose.yaml",))
    services = project.data["services"]
    assert services["child"]["image"] == "busybox"
    assert services["child"]["environment"] == ["A=1", "B=2"]
    assert "ports" not in services["child"]
    assert services["grandchild"]["command"] == "run"
    assert "extends" not in services["grandchild"]


def test_extends_other_file_resolves_paths_against_that_file(tmp_path):
    root = FIXTURES / "loader" / "extends"
    project = load(root, files=("compose.yaml",), environ={"HOME": str(tmp_path)})
    web = project.data["services"]["web"]
    assert web["image"] == "example/app"
    assert web["build"]["context"] == str(root / "sub" / "src")
    assert web["env_file"][0] == {"path": str(root / "sub" / "common.env"), "required": True}
    assert web["volumes"][0]["source"] == str(root / "sub" / "data")
    chained = project.data["services"]["chained"]
    assert chained["volumes"][0]["source"] == str(root / "shared")
    assert chained["labels"] == {"tier": "derived"}  # nothing to merge with: the mapping stays
    assert project.data["services"]["worker"].get("ports") is None


def test_extends_unknown_service_is_positioned(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": "services:\n  a:\n    extends: nope\n"}, files=("compose.yaml",))
    d = info.value.diagnostics[0]
    assert 'cannot extend service "a"' in d.message and 'service "nope" not found' in d.message
    assert d.path == ("services", "a", "extends")
    assert (d.position.line, d.position.column) == (3, 5)


def test_extends_cycle(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": """
            services:
              a: {extends: b, image: x}
              b: {extends: a}
            """}, files=("compose.yaml",))
    assert info.value.diagnostics[0].message.startswith("Circular reference:")


def test_extends_missing_file_points_at_the_key(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": """
            services:
              a:
                extends:
                  file: missing.yaml
                  service: x
            """}, files=("compose.yaml",))
    d = info.value.diagnostics[0]
    assert d.message == f"open {tmp_path / 'missing.yaml'}: no such file or directory"
    assert d.position.file.endswith("compose.yaml") and d.position.line == 5


def test_include_imports_resources_with_their_own_env(tmp_path):
    root = FIXTURES / "loader" / "include"
    project = load(root, files=("compose.yaml",), environ={"HOME": str(tmp_path)}, interpolate=True)
    services = project.data["services"]
    assert services["backend"]["image"] == "example/backend:1.2"
    assert services["backend"]["environment"] == ["FROM_INC=yes"]
    assert services["backend"]["volumes"][0]["source"] == str(root / "inc" / "data")
    assert services["other"]["image"] == "example/other:9"
    assert services["other"]["build"]["context"] == str(root / "other")
    assert set(project.data["volumes"]) == {"unused"}
    assert "include" not in project.data


def test_include_conflict_and_cycle(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": "include: [inc.yaml]\nservices:\n  a: {image: x}\n",
                        "inc.yaml": "services:\n  a: {image: y}\n"}, files=("compose.yaml",))
    assert info.value.diagnostics[0].message == "services.a conflicts with imported resource"
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"loop.yaml": "include: [loop2.yaml]\nservices: {}\n",
                        "loop2.yaml": "include: [loop.yaml]\n"}, files=("loop.yaml",))
    assert info.value.diagnostics[0].message.startswith("include cycle detected:")


def test_include_missing_file(tmp_path):
    with pytest.raises(ComposeError) as info:
        load(tmp_path, {"compose.yaml": "include:\n  - nothere/compose.yaml\n"}, files=("compose.yaml",))
    d = info.value.diagnostics[0]
    assert "no such file or directory" in d.message
    assert d.path == ("include", 0) and d.position.line == 2
