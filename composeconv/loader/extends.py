"""`extends`: a service built on another one, from the same file or another file (loader/extends.go)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..diagnostics import ComposeError
from ._util import deep_clone, diagnostic
from .merge import extend_service
from .paths import go_join, go_rel, resolve_relative_paths
from .deps import apply_resets
from ..records import record

ResetPaths = list

if TYPE_CHECKING:  # pragma: no cover
    from .core import Loader, LoaderOptions


@record(slots=False)
class CycleTracker:
    """The chain of (file, service) being extended, to report circular references."""

    loaded: tuple[tuple[str, str], ...] = ()

    def add(self, filename: str, service: str) -> "CycleTracker":
        ref = (filename, service)
        if ref in self.loaded:
            lines = ["Circular reference:", f"  {self.loaded[0][1]} in {self.loaded[0][0]}"]
            lines += [f"  extends {s} in {f}" for f, s in self.loaded[1:] + (ref,)]
            raise ComposeError(diagnostic("extends-cycle", "\n".join(lines)))
        return CycleTracker(self.loaded + (ref,))


def resource_dir(working_dir: str, original: str) -> str:
    """localResourceLoader.Dir: the directory of a referenced file, relative to the loader's dir."""
    path = original if original.startswith("/") else go_join(working_dir, original)
    if not os.path.isdir(path):
        parent = os.path.dirname(original) or "."
        path = parent if parent.startswith("/") else go_join(working_dir, parent)
    return go_rel(working_dir, path)


class ExtendsResolver:
    """Applies `extends` to every service of one parsed document."""

    def __init__(self, loader: "Loader", filename: str, opts: "LoaderOptions", layer: Any):
        self.loader = loader
        self.filename = filename
        self.opts = opts
        self.layer = layer  # the source map of the document being processed

    def apply(self, doc: dict, tracker: CycleTracker, posts: list[ResetPaths]) -> None:
        if "services" not in doc:
            return
        services = doc["services"]
        if not isinstance(services, dict):
            raise ComposeError(diagnostic("invalid-type", "services must be a mapping", ("services",),
                                          self.loader.sourcemap))
        for name in list(services):
            services[name] = self._service(name, services, tracker, posts, self.filename, self.layer,
                                           ("services",))

    def _where(self, name: str) -> tuple:
        return ("services", name, "extends")

    def _service(self, name: str, services: dict, tracker: CycleTracker, posts: list[ResetPaths],
                 filename: str, layer: Any, prefix: tuple) -> Any:
        filename = self.filename
        service = services.get(name)
        if service is None:
            return None
        if not isinstance(service, dict):
            raise ComposeError(diagnostic("invalid-type", f"services.{name} must be a mapping",
                                          ("services", name), self.loader.sourcemap))
        if "extends" not in service:
            return service
        extends = service["extends"]
        where = self._where(name)
        ref: Any = ""
        file = None
        if isinstance(extends, dict):
            ref = extends.get("service")
            if not isinstance(ref, str):
                raise ComposeError(diagnostic("extends-invalid", f"extends.{name}.service is required", where,
                                              self.loader.sourcemap))
            file = extends.get("file")
        elif isinstance(extends, str):
            ref = extends
        processor: ResetPaths = []
        base_layer = layer
        if file is not None:
            if not isinstance(file, str):
                raise ComposeError(diagnostic("extends-invalid", f"services.{name}.extends.file must be a string",
                                              where + ("file",), self.loader.sourcemap))
            services, processor, base_layer = self._from_file(name, ref, filename, file, tracker)
            filename = file
        elif ref not in services:
            raise ComposeError(diagnostic(
                "extends-unknown", f'cannot extend service "{name}" in {filename}: service "{ref}" not found',
                where, self.loader.sourcemap))
        try:
            tracker = tracker.add(filename, name)
        except ComposeError as exc:
            raise ComposeError(diagnostic("extends-cycle", exc.diagnostics[0].message, where,
                                          self.loader.sourcemap)) from None
        base = self._service(ref, services, tracker, [processor], filename, base_layer, prefix)
        if base is None:
            return service
        source = deep_clone(base)
        for paths in posts:
            if paths:
                apply_resets({"services": {name: source}}, paths)
        if base_layer is not None:
            self.loader.sourcemap.add_layer(base_layer, dst=("services", name), src=("services", ref), low=True)
        merged = extend_service(source, service)
        merged.pop("extends", None)
        services[name] = merged
        return merged

    def _from_file(self, name: str, ref: str, current: str, ref_path: str,
                   tracker: CycleTracker) -> tuple[dict, ResetPaths, Any]:
        loader = self.loader
        where = self._where(name) + ("file",)
        if loader.is_remote(ref_path):
            raise ComposeError(diagnostic("remote-unsupported",
                                          f"cannot extend service \"{name}\": remote resource {ref_path} is not supported",
                                          where, loader.sourcemap))
        base_dir = self.opts.loader_dir
        local = ref_path if ref_path.startswith("/") else go_join(base_dir, ref_path)
        rel_working_dir = resource_dir(base_dir, ref_path)
        opts = self.opts.clone(loader_dir=os.path.dirname(local), resolve_paths=False, skip_normalization=True,
                               skip_include=True, skip_extends=True, skip_validation=True,
                               skip_default_values=True)
        source, processor, layers = loader.load_yaml_file(local, opts, rel_working_dir, None, tracker, {}, (),
                                                          referrer=where)
        if "services" not in source:
            raise ComposeError(diagnostic("extends-unknown",
                                          f'cannot extend service "{name}" in {local}: no services section',
                                          where, loader.sourcemap))
        services = source["services"]
        if not isinstance(services, dict):
            raise ComposeError(diagnostic("extends-unknown",
                                          f'cannot extend service "{name}" in {local}: services must be a mapping',
                                          where, loader.sourcemap))
        if ref not in services:
            raise ComposeError(diagnostic(
                "extends-unknown",
                f'cannot extend service "{name}" in {current}: service "{ref}" not found in {ref_path}',
                where, loader.sourcemap))
        resolve_relative_paths(source, rel_working_dir, loader.environ, loader.is_remote)
        return services, processor, (layers[-1] if layers else None)
