"""Relative paths made absolute (paths/resolve.go), `~` expanded with HOME from the given environment."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from ..diagnostics import ComposeError, Diagnostic, Level
from ..gofmt import go_type
from .shortsyntax import go_path_clean

REMOTE_CONTEXT_PREFIXES = ("https://", "http://", "git://", "ssh://", "github.com/", "git@")


def go_join(*parts: str) -> str:
    """filepath.Join: join the non-empty parts and clean the result."""
    kept = [p for p in parts if p]
    if not kept:
        return ""
    return go_path_clean("/".join(kept))


def go_abs(path: str, cwd: str) -> str:
    """filepath.Abs relative to cwd (not the process directory)."""
    if path.startswith("/"):
        return go_path_clean(path)
    return go_join(cwd, path)


def go_rel(base: str, target: str) -> str:
    """filepath.Rel for two paths of the same kind; target unchanged when they differ in kind."""
    if base.startswith("/") != target.startswith("/"):
        return target
    return os.path.relpath(target, base) if base else target


def expand_user(path: str, home: str | None) -> str:
    if path.startswith("~"):
        if not home:
            return path
        return go_join(home, path[1:])
    return path


def is_windows_abs(path: str) -> bool:
    if len(path) >= 2 and path[1] == ":":
        return len(path) > 2 and path[2] in "/\\"
    return len(path) >= 2 and path[0] in "/\\" and path[1] in "/\\"


def resolve_symbolic_link(path: str) -> str:
    """Replace the first symlinked component of an absolute path by its target."""
    current = "/" if path.startswith("/") else ""
    for part in path.split("/"):
        if not part:
            continue
        current = go_join(current, part) if current else part
        if os.path.islink(current):
            return path.replace(current, os.path.realpath(current), 1)
    return path


class PathResolver:
    """Makes the paths of a (canonical) document absolute against one directory."""

    def __init__(self, working_dir: str, home: str | None, is_remote: Callable[[str], bool] | None = None):
        self.working_dir = working_dir
        self.home = home
        self.is_remote = is_remote or (lambda _p: False)

    def abs_path(self, value: Any, path: tuple) -> Any:
        if isinstance(value, list):
            return [self.abs_path(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str):
            value = expand_user(value, self.home)
            if value.startswith("/"):
                return value
            if value:
                return go_join(self.working_dir, value)
            return value
        raise ComposeError(Diagnostic("invalid-path", Level.ERROR, f"unexpected type {go_type(value)}", path))

    def maybe_unix_path(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = expand_user(value, self.home)
        if not value.startswith("/") and not is_windows_abs(value):
            return go_join(self.working_dir, value)
        return value

    def context_path(self, value: Any, path: tuple) -> Any:
        if not isinstance(value, str):
            return value
        if "://" in value or value.startswith("service:") or value.startswith(REMOTE_CONTEXT_PREFIXES):
            return value
        return self.abs_path(value, path)

    def resolve(self, doc: dict) -> dict:
        services = doc.get("services")
        if isinstance(services, dict):
            for name, service in services.items():
                if isinstance(service, dict):
                    self._service(service, ("services", name))
        for kind in ("configs", "secrets"):
            resources = doc.get(kind)
            if isinstance(resources, dict):
                for resource in resources.values():
                    if isinstance(resource, dict) and "file" in resource:
                        resource["file"] = self.maybe_unix_path(resource["file"])
        volumes = doc.get("volumes")
        if isinstance(volumes, dict):
            for volume in volumes.values():
                if isinstance(volume, dict) and volume.get("driver") == "local":
                    opts = volume.get("driver_opts")
                    if isinstance(opts, dict) and opts.get("o") == "bind" and "device" in opts:
                        opts["device"] = self.maybe_unix_path(opts["device"])
        return doc

    def _service(self, service: dict, path: tuple) -> None:
        build = service.get("build")
        if isinstance(build, dict):
            if "context" in build:
                build["context"] = self.context_path(build["context"], path + ("build", "context"))
            contexts = build.get("additional_contexts")
            if isinstance(contexts, dict):
                for key, value in contexts.items():
                    contexts[key] = self.context_path(value, path + ("build", "additional_contexts", key))
            elif isinstance(contexts, list):
                build["additional_contexts"] = [self.context_path(v, path + ("build", "additional_contexts", i))
                                                for i, v in enumerate(contexts)]
            ssh = build.get("ssh")
            if isinstance(ssh, dict):
                for key, value in ssh.items():
                    ssh[key] = self.maybe_unix_path(value)
            elif isinstance(ssh, list):
                build["ssh"] = [self.maybe_unix_path(v) for v in ssh]
        env_files = service.get("env_file")
        if isinstance(env_files, list):
            for i, item in enumerate(env_files):
                if isinstance(item, dict) and "path" in item:
                    item["path"] = self.abs_path(item["path"], path + ("env_file", i, "path"))
        label_files = service.get("label_file")
        if isinstance(label_files, list):
            service["label_file"] = [self.abs_path(v, path + ("label_file", i)) for i, v in enumerate(label_files)]
        extends = service.get("extends")
        if isinstance(extends, dict) and "file" in extends:
            file = extends["file"]
            if not (isinstance(file, str) and self.is_remote(file)):
                extends["file"] = self.abs_path(file, path + ("extends", "file"))
        develop = service.get("develop")
        if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
            for i, watch in enumerate(develop["watch"]):
                if isinstance(watch, dict) and "path" in watch:
                    resolved = self.abs_path(watch["path"], path + ("develop", "watch", i, "path"))
                    watch["path"] = resolve_symbolic_link(resolved) if isinstance(resolved, str) else resolved
        volumes = service.get("volumes")
        if isinstance(volumes, list):
            for i, volume in enumerate(volumes):
                if isinstance(volume, dict) and volume.get("type") == "bind":
                    if "source" not in volume:
                        raise ComposeError(Diagnostic(
                            "invalid-mount", Level.ERROR,
                            'invalid mount config for type "bind": field Source must not be empty',
                            path + ("volumes", i)))
                    volume["source"] = self.maybe_unix_path(volume["source"])


def resolve_relative_paths(doc: dict, working_dir: str, environ: Mapping[str, str],
                           is_remote: Callable[[str], bool] | None = None) -> dict:
    return PathResolver(working_dir, environ.get("HOME"), is_remote).resolve(doc)
