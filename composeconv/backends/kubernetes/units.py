"""Kubernetes quantities for CPU counts and byte sizes, written the way people write them."""

from __future__ import annotations


def memory_quantity(n: int) -> str:
    """Bytes as the shortest exact binary quantity: 536870912 -> 512Mi."""
    for suffix, size in (("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20),
                         ("Ki", 1 << 10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def cpu_quantity(cpus: float) -> str:
    """CPUs in whole cores or millicores (at least 1m): 0.5 -> 500m, 2.0 -> 2."""
    milli = max(1, round(cpus * 1000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
