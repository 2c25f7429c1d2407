"""Writing conversion results: stdout, one file, or a folder, never outside the folder."""

from __future__ import annotations

import os
import posixpath
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


def _create_temporary(target: Path) -> tuple[int, str]:
    """A new file beside target, opened for writing; only this process can have created it."""
    # tempfile.mkstemp does the same, but importing tempfile (and random) costs more than a small run
    for _ in range(100):
        tmp = str(target.parent / f".{target.name}.{os.urandom(6).hex()}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def write_atomic(target: Path, content: str, mode: int = 0o644) -> None:
    """Write through a temporary file and rename, so an interrupted run leaves no half-written file."""
    fd, tmp = _create_temporary(target)
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


def inside(real_root: Path, path: Path) -> bool:
    """Whether the resolved path is real_root or below it."""
    return path == real_root or real_root in path.parents


def checked_target(root: Path, rel: str, real_root: Path | None = None) -> Path:
    """root/rel for a file composeconv writes, reads or removes there: its name stays inside root, no
    folder on the way is a link that leads out of root, and the file itself is not a symbolic link."""
    real_root = real_root or root.resolve()
    rel = safe_relpath(rel)
    target = root / rel
    # a file directly in root (the common case) has no folder of its own to check
    if target.parent != root and not inside(real_root, target.parent.resolve()):
        raise _error("output-path", f"refusing to follow a link out of the output folder: {rel!r}")
    if target.is_symlink():
        raise _error("output-path", f"refusing to overwrite a symbolic link: {rel!r}")
    return target


def write_folder(root: Path, files: Sequence[OutputFile]) -> list[Path]:
    """Write every file below root; refuses, before writing anything, names or links that lead outside
    root and symbolic links in place of files."""
    root.mkdir(parents=True, exist_ok=True)
    real_root = root.resolve()
    targets = [checked_target(root, f.path, real_root) for f in files]
    written = []
    for f, target in zip(files, targets):
        if target.parent != root:
            target.parent.mkdir(parents=True, exist_ok=True)
            # checked again: a folder made just now may have been swapped for a link meanwhile
            target = checked_target(root, f.path, real_root)
        write_atomic(target, f.content, f.mode)
        written.append(target)
    return written


def join_stream(files: Sequence[OutputFile]) -> str:
    """The content of a one-stream result (stdout or a single file)."""
    if len(files) == 1:
        return files[0].content
    return "".join(f.content if f.content.endswith("\n") else f.content + "\n" for f in files)
