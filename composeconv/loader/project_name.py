"""Project name rules: -p, then COMPOSE_PROJECT_NAME, then `name:` in the files, then the directory."""

from __future__ import annotations

import re

_VALID = re.compile(r"[a-z0-9_-]")


def normalize_project_name(name: str) -> str:
    """Lowercase, keep only [a-z0-9_-], and drop leading '_' and '-' (as Compose does)."""
    return "".join(_VALID.findall(name.lower())).lstrip("_-")


def invalid_project_name_message(name: str) -> str:
    return (f'invalid project name "{name}": must consist only of lowercase alphanumeric characters, '
            "hyphens, and underscores as well as start with a letter or number")


def is_valid_project_name(name: str) -> bool:
    return normalize_project_name(name) == name
