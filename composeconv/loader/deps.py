"""The sibling modules the loader builds on, imported in one place."""

from __future__ import annotations

from ..dotenv import read_env_file  # noqa: F401
from ..interpolation import interpolate_tree  # noqa: F401
from ..schema import validate as schema_validate  # noqa: F401
from ..yamlsource import apply_resets, parse_yaml  # noqa: F401
