"""composeconv: load Compose files exactly as Docker Compose does, and convert them."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Imported lazily so that `import composeconv` and the CLI start fast.
_EXPORTS = {
    "load": "composeconv.api",
    "load_project": "composeconv.api",
    "convert": "composeconv.api",
    "targets": "composeconv.api",
    "Loaded": "composeconv.api",
    "ConvertOptions": "composeconv.backends",
    "ConvertResult": "composeconv.backends",
    "OutputFile": "composeconv.backends",
    "ComposeError": "composeconv.diagnostics",
    "Diagnostic": "composeconv.diagnostics",
    "Level": "composeconv.diagnostics",
    "Project": "composeconv.model",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'composeconv' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = sorted(_EXPORTS)
