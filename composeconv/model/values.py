"""Typed scalar values of the Compose format: durations, byte sizes, CPU counts, file modes."""

from __future__ import annotations

import math
import re
import struct

from ..records import record

_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
       "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000, "w": 604_800_000_000_000}
_DURATION_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h|d|w)")


class ValueError_(ValueError):
    """A scalar that does not parse as the type Compose expects."""


@record(order=True)
class Duration:
    """A time span in nanoseconds, printed the way Go prints time.Duration ("1m30s")."""

    nanoseconds: int

    @classmethod
    def parse(cls, value: object) -> "Duration":
        """Parse Compose's duration syntax (Go durations plus d and w units)."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool):
            raise ValueError_(f"invalid duration {value!r}")
        if isinstance(value, int):
            # a bare number is not a valid Go duration string unless it is 0
            if value == 0:
                return cls(0)
            raise ValueError_(f'time: missing unit in duration "{value}"')
        text = str(value)
        s = text
        sign = 1
        if s and s[0] in "+-":
            sign = -1 if s[0] == "-" else 1
            s = s[1:]
        if s == "0":
            return cls(0)
        if not s:
            raise ValueError_(f'time: invalid duration "{text}"')
        total = 0.0
        pos = 0
        while pos < len(s):
            m = _DURATION_PART.match(s, pos)
            if not m or m.group(1) in ("", "."):
                if re.match(r"\d*\.?\d*$", s[pos:]):
                    raise ValueError_(f'time: missing unit in duration "{text}"')
                raise ValueError_(f'time: invalid duration "{text}"')
            total += float(m.group(1)) * _NS[m.group(2)]
            pos = m.end()
        return cls(sign * int(round(total)))

    @property
    def seconds(self) -> float:
        return self.nanoseconds / 1e9

    def __str__(self) -> str:
        return go_duration_string(self.nanoseconds)


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits = f"{v % 10**prec:0{prec}d}".rstrip("0")
    return (("." + digits) if digits else ""), v // 10**prec


def go_duration_string(ns: int) -> str:
    """Format nanoseconds exactly like Go's time.Duration.String()."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1_000_000_000:
        if u < 1_000:
            out = f"{u}ns"
        elif u < 1_000_000:
            frac, whole = _fmt_frac(u, 3)
            out = f"{whole}{frac}µs"
        else:
            frac, whole = _fmt_frac(u, 6)
            out = f"{whole}{frac}ms"
    else:
        frac, secs = _fmt_frac(u, 9)
        out = f"{secs % 60}{frac}s"
        mins = secs // 60
        if mins:
            out = f"{mins % 60}m" + out
            hours = mins // 60
            if hours:
                out = f"{hours}h" + out
    return ("-" if neg else "") + out


_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_BYTES_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)([iI]?[bB]?)$")


def parse_bytes(value: object) -> int:
    """Parse a byte size as docker/go-units RAMInBytes does ("512M", "1g", "1.5kb"): binary units."""
    if isinstance(value, bool):
        raise ValueError_(f"invalid size: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    m = _BYTES_RE.match(text)
    if not m:
        raise ValueError_(f"invalid size: '{value}'")
    num, unit, _suffix = m.groups()
    return int(float(num) * _BYTE_UNITS[unit.lower()])


def format_bytes(n: int) -> str:
    """Canonical short form for a byte count: the largest binary unit that divides it exactly."""
    for suffix, size in (("p", 1024**5), ("t", 1024**4), ("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def to_float32(x: float) -> float:
    """Round a float to the nearest IEEE single, as Go's float32 fields store it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def float32_repr(x: float) -> float | int:
    """The value Go's JSON encoder prints for a float32: shortest decimal that round-trips."""
    f = to_float32(x)
    if math.isinf(f) or math.isnan(f):
        return f
    for prec in range(1, 10):
        s = f"{f:.{prec}g}"
        if to_float32(float(s)) == f:
            v = float(s)
            return int(v) if v.is_integer() else v
    return f
