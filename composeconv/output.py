"""Writing conversion results: stdout, one file, or a folder, never outside the folder."""

from __future__ import annotations

import os
import posixpath
import tempfile
from pathlib import Path
from typing import Sequence

from .backends import OutputFile
from .diagnostics import ComposeError, Diagnostic, Level


def _error(code: str, message: str) -> ComposeError:
    return ComposeError(Diagnostic(code, Level.ERROR, message))


def safe_relpath(path: str) -> str:
    """Check that a backend's file name stays inside the output folder; return it normalized."""
    if not path or "\x00" in path or path.startswith("/") or "\\" in path:
        raise _error("output-path", f"refusing to write file with unsafe name {path!r}")
    norm = posixpath.normpath(path)
    if norm.startswith("../") or norm == ".." or norm == ".":
        raise _error("output-path", f"refusing to write outside the output folder: {path!r}")
    return norm


def write_atomic(target: Path, content: str, mode: int = 0o644) -> None:
    """Write through a temporary file and rename, so an interrupted run leaves no half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_folder(root: Path, files: Sequence[OutputFile]) -> list[Path]:
    """Write every file below root; refuses names or symlinks that lead outside root."""
    root.mkdir(parents=True, exist_ok=True)
    real_root = root.resolve()
    written = []
    for f in files:
        rel = safe_relpath(f.path)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        real_parent = target.parent.resolve()
        if real_parent != real_root and real_root not in real_parent.parents:
            raise _error("output-path", f"refusing to follow a link out of the output folder: {f.path!r}")
        if target.is_symlink():
            raise _error("output-path", f"refusing to overwrite a symbolic link: {f.path!r}")
        write_atomic(target, f.content, f.mode)
        written.append(target)
    return written


def join_stream(files: Sequence[OutputFile]) -> str:
    """The content of a one-stream result (stdout or a single file)."""
    if len(files) == 1:
        return files[0].content
    return "".join(f.content if f.content.endswith("\n") else f.content + "\n" for f in files)
