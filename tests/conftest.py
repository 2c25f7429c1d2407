"""Suite-wide fixtures and markers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The test modules import their helpers as top-level modules (`from support import need`).
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from engines import (  # noqa: E402,F401  (fixtures are found by name in this module)
    busybox_docker_image,
    busybox_podman_image,
    docker_compose_plugin,
    docker_engine,
    docker_swarm,
    podman_engine,
)

__all__ = [
    "busybox_docker_image",
    "busybox_podman_image",
    "docker_compose_plugin",
    "docker_engine",
    "docker_swarm",
    "podman_engine",
]

ENGINE_FIXTURES = frozenset(__all__)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that uses a container engine is an engine test, marked or not, so that
    # `-m "not engine"` (make test-fast) never starts one.
    for item in items:
        if ENGINE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            if item.get_closest_marker("engine") is None:
                item.add_marker(pytest.mark.engine)
