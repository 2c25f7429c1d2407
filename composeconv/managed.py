"""Output folders that composeconv manages: a manifest of its files, drift checks, safe updates.

The manifest (`.composeconv-manifest.json` in the output folder) lists the files composeconv wrote
there, so a later run replaces or removes only those and never touches a file it did not write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from .backends import OutputFile
from .diagnostics import ComposeError, Diagnostic, Level
from .output import checked_target, inside, safe_relpath, write_atomic, write_folder
from .records import record

MANIFEST = ".composeconv-manifest.json"


def read_manifest(root: Path) -> list[str]:
    """The files composeconv wrote in root last time (empty when there is no manifest)."""
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise ComposeError(Diagnostic("manifest-invalid", Level.ERROR, f"cannot read {path}: {e}")) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ComposeError(Diagnostic("manifest-invalid", Level.ERROR, f"{path} is not a composeconv manifest"))
    return [safe_relpath(f) for f in files]


@record
class Drift:
    """How an output folder differs from what composeconv would write."""

    changed: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    diff: str

    @property
    def clean(self) -> bool:
        return not (self.changed or self.added or self.removed)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def check(root: Path, files: Sequence[OutputFile]) -> Drift:
    """Compare the folder with the files that would be written; a unified diff of the differences.

    Like writing, it refuses to follow links out of the folder, so a diff never shows other files.
    """
    import difflib  # here: only --check needs it

    previous = set(read_manifest(root))
    wanted = {safe_relpath(f.path): f.content for f in files}
    real_root = root.resolve()
    for rel in sorted(set(wanted) | previous):
        checked_target(root, rel, real_root)
    changed, added, diff = [], [], []
    for rel in sorted(wanted):
        have = _read(root / rel)
        if have == wanted[rel]:
            continue
        (changed if have is not None else added).append(rel)
        diff.extend(difflib.unified_diff((have or "").splitlines(True), wanted[rel].splitlines(True),
                                         f"a/{rel}", f"b/{rel}"))
    removed = sorted(p for p in previous - set(wanted) if (root / p).exists())
    for rel in removed:
        diff.extend(difflib.unified_diff((_read(root / rel) or "").splitlines(True), [], f"a/{rel}", "/dev/null"))
    if set(wanted) != previous and not (changed or added or removed) and (root / MANIFEST).exists():
        added.append(MANIFEST)  # only the list of managed files is stale
    return Drift(tuple(changed), tuple(added), tuple(removed), "".join(diff))


def update(root: Path, files: Sequence[OutputFile]) -> list[Path]:
    """Write files into root, remove managed files no longer produced, and rewrite the manifest.

    Refuses (before writing anything) to overwrite a file that exists but is not in the manifest.
    """
    previous = set(read_manifest(root)) if root.exists() else set()
    wanted = [safe_relpath(f.path) for f in files]
    if MANIFEST in wanted:
        raise ComposeError(Diagnostic("output-path", Level.ERROR, f"a backend may not write {MANIFEST}"))
    foreign = [p for p in wanted if p not in previous and (root / p).exists()]
    if foreign:
        raise ComposeError([Diagnostic("foreign-file", Level.ERROR,
                                       f"{root / p} exists and was not written by composeconv; "
                                       "move it away or choose another output folder") for p in foreign])
    written = write_folder(root, files)
    real_root = root.resolve()
    for stale in sorted(previous - set(wanted)):
        target = root / stale
        # only files of the folder itself: never a link, never through a link that leads out of it
        if inside(real_root, target.parent.resolve()) and target.is_file() and not target.is_symlink():
            os.unlink(target)
    # the manifest goes last, so an interrupted run leaves the previous manifest in place
    write_atomic(root / MANIFEST, json.dumps({"generator": "composeconv", "files": sorted(wanted)}, indent=2) + "\n")
    return written
