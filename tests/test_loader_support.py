"""Helpers shared by the loader tests (no tests here): write a small project to a temp dir and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from composeconv.api import Loaded, load_project
from composeconv.loader import LoadOptions, load_dict


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def load(root: Path, content: dict[str, str] | None = None, *, environ: dict[str, str] | None = None,
         **options: Any):
    """Write content under root and load the project from root (no interpolation unless asked)."""
    if content:
        write(root, content)
    options.setdefault("interpolate", False)
    env = {"HOME": str(root / "home")} if environ is None else environ
    return load_dict(LoadOptions(cwd=str(root), environ=env, **options))


def load_typed(root: Path, content: dict[str, str] | None = None, *, environ: dict[str, str] | None = None,
               files: tuple[str, ...] = (), **options: Any) -> Loaded:
    """Write content under root and load it as the library does: load_project, with Compose's project steps."""
    if content:
        write(root, content)
    env = {"HOME": str(root / "home")} if environ is None else environ
    return load_project(list(files), cwd=str(root), environ=env, **options)
