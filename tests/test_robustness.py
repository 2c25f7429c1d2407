"""Arbitrary input only ever raises composeconv's own error type, never a Python traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import composeconv
from composeconv.diagnostics import ComposeError

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                    st.text(max_size=12))
keys = st.one_of(st.sampled_from(["services", "image", "ports", "volumes", "environment", "networks",
                                  "healthcheck", "deploy", "depends_on", "build", "command", "x-a",
                                  "secrets", "configs", "test", "replicas", "target", "source", "name"]),
                 st.text(max_size=6))
documents = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                      st.dictionaries(keys, c, max_size=4)), max_leaves=25)
service_docs = st.fixed_dictionaries({"services": st.dictionaries(st.text(min_size=1, max_size=5),
                                                                  st.dictionaries(keys, documents, max_size=5),
                                                                  min_size=1, max_size=3)})


def _load_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "compose.yaml"
        p.write_bytes(data)
        try:
            composeconv.load([str(p)], environ={}, working_dir=tmp)
        except ComposeError as e:
            assert e.diagnostics, "a ComposeError must carry at least one diagnostic"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    _load_text(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents, service_docs))
def test_arbitrary_yaml_documents(doc):
    _load_text(yaml.safe_dump(doc).encode())
