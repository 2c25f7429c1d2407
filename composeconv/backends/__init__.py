"""The table of conversion targets and the types every backend shares."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping

from ..diagnostics import Diagnostic
from ..model import Project
from ..records import field, record


@record
class OutputFile:
    """One file a backend wants written: a relative POSIX path inside the output folder."""

    path: str
    content: str
    mode: int = 0o644


@record
class ConvertOptions:
    """Options every backend reads; backend-specific ones live in `extra` under documented names.

    split: one file per object (an output folder) rather than one stream;
    format: "yaml" or "json" for manifest-like output;
    inline_secrets: write secret values into the output instead of references.
    """

    split: bool = False
    format: str = "yaml"
    namespace: str | None = None
    inline_secrets: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@record
class ConvertResult:
    """What a backend returns: the files to write, the objects they hold, and what it had to say."""

    files: tuple[OutputFile, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    objects: tuple[Any, ...] = ()


Backend = Callable[[Project, ConvertOptions], ConvertResult]


@record
class Target:
    """A registered backend: imported only when used, to keep start-up short."""

    name: str
    module: str
    summary: str

    def load(self) -> Backend:
        return importlib.import_module(self.module).convert


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("kubernetes", "composeconv.backends.kubernetes", "Kubernetes manifests"),
        Target("swarm", "composeconv.backends.swarm", "a Docker Swarm stack file for docker stack deploy"),
        Target("docker-run", "composeconv.backends.dockerrun", "a bash script of plain docker commands"),
    )
}
