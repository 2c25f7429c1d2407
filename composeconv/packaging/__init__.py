"""Packagings of the Kubernetes output: a Helm chart or a Kustomize base.

A packaging is a pure function (project, kubernetes result, options) -> result with its own files.
"""

from __future__ import annotations

import importlib
from typing import Callable

from ..backends import ConvertOptions, ConvertResult
from ..model import Project
from ..records import record

Packaging = Callable[[Project, ConvertResult, ConvertOptions], ConvertResult]


@record
class Layout:
    name: str
    module: str | None

    def load(self) -> Packaging:
        if self.module is None:
            return lambda project, result, options: result
        return importlib.import_module(self.module).package

    def option_names(self) -> frozenset[str]:
        """The `extra` options this packaging reads (the backend does not get them)."""
        if self.module is None:
            return frozenset()
        return frozenset(getattr(importlib.import_module(self.module), "OPTIONS", {}))


LAYOUTS: dict[str, Layout] = {
    "plain": Layout("plain", None),
    "helm": Layout("helm", "composeconv.packaging.helm"),
    "kustomize": Layout("kustomize", "composeconv.packaging.kustomize"),
}
