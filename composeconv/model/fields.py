"""Field declarations for the model: the Compose key, how to decode it, and when it is omitted."""

from __future__ import annotations

from typing import Any

from .. import records

MISSING = records.MISSING


def fld(key: str, kind: Any, *, default: Any = None, factory: Any = MISSING, omit: bool = True,
        ptr: bool = False, compare: bool = True, json_key: str | None = None) -> Any:
    """Declare a model field.

    key: the Compose key; kind: decoder/encoder kind (a string, or a model class, or
    ("list"|"map"|"map_nullable", class)); omit: Go's omitempty (zero values are not printed);
    ptr: the field is optional in Compose's own model, so a zero value is still printed when set;
    json_key: the name `docker compose config --format json` prints, where it differs from key.
    """
    meta = {"key": key, "kind": kind, "omit": omit, "ptr": ptr, "json_key": json_key or key}
    if factory is not MISSING:
        return records.field(default_factory=factory, metadata=meta, compare=compare)
    return records.field(default=default, metadata=meta, compare=compare)


def ext() -> Any:
    """The x-* extensions kept at this level of the document."""
    return records.field(default_factory=dict, metadata={"key": None, "kind": "extensions",
                                                             "omit": True, "ptr": False})


def field_default(f: records.Field) -> Any:
    """The value a model field has when the Compose file does not set it."""
    if f.default is not records.MISSING:
        return f.default
    if f.default_factory is not records.MISSING:
        return f.default_factory()
    return None
