"""Scalar formats of the stack file: durations, sizes, CPU counts, and `$` escaping."""

from __future__ import annotations

from typing import Any

from ...model.values import Duration, float32_repr, format_bytes


def duration(value: Duration) -> str:
    return str(value)


def size(value: int) -> str:
    """A byte count as the stack loader's size parser reads it ("512m", "1g", "1000")."""
    return format_bytes(value)


def cpus(value: float) -> str:
    """A CPU count as a string: the 3.x schema types deploy.resources.*.cpus as a string."""
    return str(float32_repr(value))


class FromShell(str):
    """A `${VAR}` that `docker stack deploy` is meant to replace with the deploying shell's variable."""

    __slots__ = ()


def escape_dollars(value: Any) -> Any:
    """Every `$` doubled in every string value: `docker stack deploy` interpolates the file again.

    Keys are left alone because the stack loader interpolates values only; FromShell values are kept.
    """
    if type(value) is FromShell:
        return str(value)
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value
