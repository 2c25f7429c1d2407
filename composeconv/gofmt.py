"""Go's formatting of decoded YAML values (%v and %T), which Compose's messages and outputs use."""

from __future__ import annotations

import math
from typing import Any


def go_type(value: Any) -> str:
    """The Go type name Compose prints (%T) for a decoded YAML value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__


def go_float(f: float) -> str:
    """Go's %v for a float64: shortest digits, exponent form when exp < -4 or >= 21."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0"
    r = repr(f)
    mant, _, exp = r.partition("e")
    digits = mant.replace("-", "").replace(".", "").lstrip("0") or "0"
    # decimal exponent of the leading digit
    e = math.floor(math.log10(abs(f)))
    if float(f"{abs(f):.17g}") < 10 ** e:
        e -= 1
    if e < -4 or e >= 21:
        d = digits.rstrip("0") or "0"
        m = d[0] + ("." + d[1:] if len(d) > 1 else "")
        return f"{'-' if f < 0 else ''}{m}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if f.is_integer():
        return str(int(f))
    return f"{f:.17g}" if "e" in r else r


def go_sprint(value: Any) -> str:
    """fmt.Sprint of a decoded YAML value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    return str(value)
