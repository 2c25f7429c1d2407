"""What every part of the docker-run backend shares: the project, naming, host paths, diagnostics."""

from __future__ import annotations

import posixpath

from ...diagnostics import Diagnostic, KeyPath, Level
from ...model import Project, Service
from ..common import diag
from .quote import Var, Word, word
from ...records import field, record

COMPOSE_VERSION = "2.40.3"
SEPARATOR = "-"

# Script variables the generated code relies on.
PROJECT_DIR = Var("project_dir")
SCRIPT_DIR = Var("script_dir")
NUMBER = Var("n")
NAME = Var("name")
IMAGE_ID = Var("image_id")


@record(frozen=False, slots=False)
class Context:
    """One conversion: the project, the caller's options, and the diagnostics said so far."""

    project: Project
    extra: dict
    split: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inline_secrets: bool = False
    secret_env: tuple[str, ...] = ()

    def report(self, code: str, level: Level, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.append(diag(code, level, message, path, hint))

    def info(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.INFO, message, path, hint)

    def warn(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.WARNING, message, path, hint)

    def error(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.report(code, Level.ERROR, message, path, hint)

    # ------------------------------------------------------------------ names

    def container_name(self, service: Service, number: int | None = None) -> Word:
        """Compose's container name: container_name, else <project>-<service>-<n> (n from $n when None)."""
        if service.container_name:
            return word(service.container_name)
        prefix = f"{self.project.name}{SEPARATOR}{service.name}{SEPARATOR}"
        return word(prefix, str(number)) if number is not None else word(prefix, NUMBER)

    def first_container(self, service_name: str) -> str:
        """The container another service means by service:<name> (Compose takes the first one)."""
        svc = self.project.services.get(service_name)
        if svc is not None and svc.container_name:
            return svc.container_name
        return f"{self.project.name}{SEPARATOR}{service_name}{SEPARATOR}1"

    def image(self, service: Service) -> str:
        """The image a container runs: `image`, else the name Compose gives a built image."""
        return service.image or f"{self.project.name}{SEPARATOR}{service.name}"

    # ------------------------------------------------------------------ host paths

    def host_path(self, path: str) -> Word:
        """A host path as the script uses it: relative to $project_dir when it lies in the project folder.

        Loading made every path absolute against the project folder; writing them relative keeps the
        script the same on every machine and lets it run from wherever the project is checked out.
        """
        base = self.project.working_dir
        if not base or not posixpath.isabs(path):
            return word(path)
        base = posixpath.normpath(base)
        norm = posixpath.normpath(path)
        if norm == base:
            return word(PROJECT_DIR)
        if norm.startswith(base.rstrip("/") + "/"):
            return word(PROJECT_DIR, "/" + norm[len(base.rstrip("/")) + 1:])
        return word(path)
