"""Helpers that more than one backend needs: names, ports, restart policies, dependency order."""

from __future__ import annotations

import fnmatch
import re
from functools import cache
from typing import Iterable

from ..diagnostics import Diagnostic, KeyPath, Level
from ..model import Project, Service
from ..model.types import Port


def diag(code: str, level: Level, message: str, path: KeyPath = (), hint: str | None = None) -> Diagnostic:
    """A backend diagnostic; positions are filled in later from the source map by key path."""
    return Diagnostic(code, level, message, tuple(path), None, hint)


def stable_hash(text: str, length: int = 8) -> str:
    """A short hash that is the same on every machine and Python run."""
    return bytes_hash(text.encode("utf-8"), length)


def bytes_hash(data: bytes, length: int = 8) -> str:
    """stable_hash of bytes: the first length hex digits of their SHA-256."""
    return _sha256()(data).hexdigest()[:length]


@cache  # a failed import is not remembered by Python: looked up once, not once per name
def _sha256():
    # CPython's own SHA-256 gives the same digest as hashlib's, without loading OpenSSL (~3 ms a run)
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # CPython 3.11
        except ImportError:
            from hashlib import sha256  # type: ignore[no-redef]
    return sha256


_DNS1123_INVALID = re.compile(r"[^a-z0-9-]+")


def dns1123_label(name: str, max_len: int = 63) -> str:
    """A valid DNS-1123 label for name: lowercase, [a-z0-9-], alphanumeric ends, at most max_len.

    Names that had to change in a lossy way (or were too long) get a stable hash suffix so
    that two different inputs never map to the same output by accident.
    """
    low = name.lower()
    clean = _DNS1123_INVALID.sub("-", low).strip("-")
    clean = re.sub(r"-{2,}", "-", clean)
    lossy = clean != low and clean != name.replace("_", "-").lower() or not clean
    if not clean:
        clean = "x"
    if lossy or len(clean) > max_len:
        suffix = stable_hash(name, 6)
        clean = clean[: max_len - len(suffix) - 1].rstrip("-") + "-" + suffix
        if clean.startswith("-"):
            clean = "x" + clean
    return clean


def dns1123_subdomain(name: str) -> str:
    """A valid DNS-1123 subdomain (dots allowed, at most 253 characters)."""
    parts = [dns1123_label(p) for p in name.split(".") if p]
    joined = ".".join(parts) or "x"
    if len(joined) > 253:
        joined = dns1123_label(name, 253)
    return joined


def expand_published(port: Port) -> list[tuple[int | None, int | None]]:
    """(published, target) pairs for a port; published ranges expand one by one."""
    target = port.target
    pub = port.published
    if not pub:
        return [(None, target)]
    if "-" in pub:
        lo, _, hi = pub.partition("-")
        try:
            a, b = int(lo), int(hi)
        except ValueError:
            return [(None, target)]
        return [(p, target) for p in range(a, b + 1)]
    try:
        return [(int(pub), target)]
    except ValueError:
        return [(None, target)]


def restart_policy(restart: str | None) -> tuple[str, int | None]:
    """Split Compose's restart value: ("no"|"always"|"on-failure"|"unless-stopped", max retries)."""
    if not restart:
        return "no", None
    name, _, count = restart.partition(":")
    return name, (int(count) if count.isascii() and count.isdigit() else None)


def dependency_order(project: Project) -> list[str]:
    """Service names in start order: dependencies first, ties broken by name (deterministic).

    Iterative, so that a long chain of depends_on cannot exhaust Python's recursion limit.
    """
    services = project.services
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(services):
        if root in done:
            continue
        # each frame: a service and the dependencies still to visit, in name order
        stack = [(root, iter(sorted(d for d in services[root].depends_on if d in services)))]
        on_path = {root}
        while stack:
            name, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                on_path.discard(name)
                if name not in done:
                    done.add(name)
                    order.append(name)
            elif dep not in done and dep not in on_path:  # on_path: a cycle, which the loader rejects
                on_path.add(dep)
                stack.append((dep, iter(sorted(d for d in services[dep].depends_on if d in services))))
    return order


def named_volumes(service: Service) -> Iterable[str]:
    for m in service.volumes:
        if m.type == "volume" and m.source:
            yield m.source


def secret_env_patterns(value: object) -> tuple[str, ...] | None:
    """The patterns of option secret_env (a list of strings, or one string separated by commas),
    or None when the value is not of that form."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(v.strip() for v in value if v.strip())


def is_secret_env(patterns: tuple[str, ...], name: str) -> bool:
    """Whether a service environment variable holds a secret: its name matches one of the option
    secret_env's names or shell patterns, case-insensitively."""
    return any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in patterns)
