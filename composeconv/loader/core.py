"""The loading pipeline of one project: files -> merged, canonical, normalized map (loader/loader.go)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..diagnostics import ComposeError, Diagnostic, KeyPath, Level, Position
from .deps import apply_resets, interpolate_tree, schema_validate
from ._util import diagnostic, unshare
from .checks import validate_structure
from .environment import resolve_environment
from .extends import CycleTracker, ExtendsResolver
from .files import DocumentSourceMap, LayeredSourceMap, documents, read_file
from .include import apply_include
from .merge import enforce_unicity, merge
from .normalize import normalize
from .paths import resolve_relative_paths
from .transform import canonical, omit_empty, set_default_values
from ..records import record
from .. import records

REMOTE_PREFIXES = ("oci://", "git@", "git://", "ssh://", "https://", "http://")


def is_remote(path: str) -> bool:
    """Whether a path names a remote resource (Compose's git and OCI loaders)."""
    return path.startswith(REMOTE_PREFIXES)


@record(slots=False)
class Parsed:
    """A file already read and parsed."""

    raw: bytes | str
    docs: list


@record(slots=False)
class LoaderOptions:
    """Options of one (possibly nested) load, as compose-go's loader.Options."""

    interpolate: bool
    environment: Mapping[str, str]
    loader_dir: str
    resolve_paths: bool = True
    skip_validation: bool = False
    skip_normalization: bool = False
    skip_extends: bool = False
    skip_include: bool = False
    skip_default_values: bool = False

    def clone(self, **changes: Any) -> "LoaderOptions":
        return records.replace(self, **changes)


class Loader:
    """Holds what a whole load shares: the source map, the warnings, the files read."""

    def __init__(self, environ: Mapping[str, str], cwd: str):
        self.environ = environ
        self.cwd = cwd
        self.sourcemap = LayeredSourceMap()
        self.warnings: list[Diagnostic] = []
        self.files_read: list[str] = []
        self.is_remote: Callable[[str], bool] = is_remote
        self._warned_version: set[str] = set()

    # ------------------------------------------------------------------ one file

    def load_yaml_file(self, filename: str, opts: LoaderOptions, working_dir: str,
                       environment: Mapping[str, str] | None, tracker: CycleTracker, acc: dict,
                       included: tuple[str, ...], content: bytes | str | Parsed | None = None,
                       referrer: KeyPath | None = None, register: bool = False,
                       low: bool = False) -> tuple[dict, list, list]:
        """Parse a file and merge each of its documents into acc; returns (acc, resets, source maps)."""
        if content is None:
            content = read_file(filename, self.sourcemap, referrer)
        if filename not in self.files_read:
            self.files_read.append(filename)
        resets: list = []
        layers: list = []
        if isinstance(content, Parsed):
            content, docs = content.raw, content.docs
        else:
            docs = documents(content, filename)
        may_alias = (b"*" in content) if isinstance(content, bytes) else ("*" in content)
        for doc in docs:
            data = doc.data
            if may_alias and isinstance(data, (dict, list)):
                data = unshare(data)
            sm = DocumentSourceMap(doc)
            layers.append(sm)
            if register:
                self.sourcemap.add_layer(sm, low=low)
            resets = list(doc.reset_paths)
            if not isinstance(data, dict):
                raise ComposeError(Diagnostic("invalid-type", Level.ERROR, "top-level object must be a mapping", (),
                                              Position(filename, 1, 1)))
            if opts.interpolate:
                env = opts.environment
                data = interpolate_tree(data, env.get, sm, warnings=self.warnings, filename=filename)
            if not opts.skip_extends:
                ExtendsResolver(self, filename, opts, sm).apply(data, tracker, [resets])
            apply_resets(acc, resets)
            if not opts.skip_include:
                included = included + (filename,)
                apply_include(self, working_dir, environment or {}, data, opts, included)
            acc = merge(acc, data)
            enforce_unicity(acc)
            if not opts.skip_validation:
                problems = schema_validate(acc, self.sourcemap, filename)
                if problems:
                    raise ComposeError(problems)
                if "version" in acc:
                    if filename not in self._warned_version:
                        self._warned_version.add(filename)
                        self.warnings.append(Diagnostic(
                            "obsolete-version", Level.WARNING,
                            f"{filename}: the attribute `version` is obsolete, it will be ignored, "
                            "please remove it to avoid potential confusion", ("version",),
                            self.sourcemap.get(("version",))))
                    del acc["version"]
            canonical(acc, not opts.interpolate)
            omit_empty(acc)
            enforce_unicity(acc)
        return acc, resets, layers

    # ------------------------------------------------------------------ several files

    def load_yaml_model(self, files: list[str], working_dir: str, environment: Mapping[str, str],
                        opts: LoaderOptions, tracker: CycleTracker, included: tuple[str, ...],
                        contents: Mapping[str, Any] | None = None,
                        referrer: KeyPath | None = None, nested: bool = False) -> dict:
        acc: dict = {}
        for filename in files:
            content = contents.get(filename) if contents else None
            acc, _, _ = self.load_yaml_file(filename, opts, working_dir, environment, tracker, acc, included,
                                            content=content, referrer=referrer, register=True, low=nested)
        if not opts.skip_default_values:
            set_default_values(acc)
        if not opts.skip_validation:
            problems = validate_structure(acc, self.sourcemap)
            if problems:
                raise ComposeError(problems)
        if opts.resolve_paths:
            resolve_relative_paths(acc, working_dir, self.environ, self.is_remote)
        resolve_environment(acc, environment)
        return acc

    def load(self, files: list[str], working_dir: str, environment: Mapping[str, str], opts: LoaderOptions,
             project_name: str, contents: Mapping[str, Any] | None = None) -> dict:
        doc = self.load_yaml_model(files, working_dir, environment, opts, CycleTracker(), (), contents)
        if not doc:
            raise ComposeError(diagnostic("empty-file", "empty compose file",
                                          position=Position(files[0]) if files else None))
        if not opts.skip_validation and not project_name:
            raise ComposeError(diagnostic("empty-project-name", "project name must not be empty"))
        if not opts.skip_normalization:
            doc["name"] = project_name
            normalize(doc, environment)
        return doc
