"""Runs every golden case of every target (see tests/golden.py for the layout)."""

import pytest

from composeconv.backends import TARGETS
from golden import cases, run_case

PARAMS = [pytest.param(t, c, id=f"{t}/{c.name}") for t in sorted(TARGETS) for c in cases(t)]


@pytest.mark.parametrize(("target", "case"), PARAMS)
def test_golden(target, case):
    run_case(target, case)
