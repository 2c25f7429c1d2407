"""The state of one Swarm conversion: options, diagnostics and the schema version the output needs."""

from __future__ import annotations

import posixpath
from typing import Any, Mapping

from ...diagnostics import Diagnostic, KeyPath, Level
from ...model import Project
from ..common import diag, is_secret_env, secret_env_patterns
from ...records import field, record

# The oldest stack file version every docker CLI with `docker stack deploy` reads.
BASE_VERSION = (3, 0)


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@record(frozen=False)
class Context:
    """What the converters of one run share; diagnostics come out in the order they were added."""

    project: Project
    extra: Mapping[str, Any]
    split: bool
    inline_secrets: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    version: tuple[int, int] = BASE_VERSION
    # why the version was raised, for the docs and for debugging: version -> first feature needing it
    version_reasons: dict[tuple[int, int], str] = field(default_factory=dict)

    def need(self, version: tuple[int, int], feature: str) -> None:
        """Record that the output uses a feature first accepted by stack file `version`."""
        self.version_reasons.setdefault(version, feature)
        if version > self.version:
            self.version = version

    def report(self, code: str, level: Level, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.append(diag(code, level, message, path, hint))

    def warn(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.WARNING, message, path, hint)

    def info(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.INFO, message, path, hint)

    def error(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.ERROR, message, path, hint)

    def is_secret_env(self, name: str) -> bool:
        """Whether the service environment variable `name` holds a secret (extra secret_env: names or
        shell patterns, case-insensitive, as a list or one string separated by commas)."""
        return is_secret_env(secret_env_patterns(self.extra.get("secret_env") or ()) or (), name)

    @property
    def stack_dir(self) -> str | None:
        """The absolute folder the stack file will be written to, when the caller gave one.

        A relative stack_dir is taken relative to the project folder, so that options files
        stay machine-independent.
        """
        raw = self.extra.get("stack_dir")
        if raw is None:
            return None
        raw = str(raw)
        if not posixpath.isabs(raw):
            base = self.project.working_dir or "/"
            raw = posixpath.join(base, raw)
        return posixpath.normpath(raw)

    def host_path(self, path: str) -> str:
        """A host path as the stack file should hold it: relative when it lies inside stack_dir.

        The docker CLI resolves relative bind sources and secret/config files against the folder
        of the first stack file, so a relative path keeps the output independent of where the
        project was converted. Paths outside that folder (/var/run/docker.sock) stay absolute.
        """
        base = self.stack_dir
        if base is None or not posixpath.isabs(path):
            return path
        path = posixpath.normpath(path)
        if path == base:
            return "."
        if not path.startswith(base.rstrip("/") + "/"):
            return path
        return "./" + posixpath.relpath(path, base)
