"""Diagnostics reports: text lines, JSON, and SARIF 2.1.0 for code hosts."""

from __future__ import annotations

import json
from typing import Sequence

from .diagnostics import Diagnostic, Level

FORMATS = ("text", "json", "sarif")

_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}


def render(diags: Sequence[Diagnostic], fmt: str) -> str:
    """The diagnostics in one of FORMATS; empty text for no diagnostics in text form."""
    if fmt == "json":
        return json.dumps([d.to_dict() for d in diags], indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(diags), indent=2, ensure_ascii=False) + "\n"
    return "".join(d.render() + "\n" for d in diags)


def sarif(diags: Sequence[Diagnostic]) -> dict:
    """A SARIF 2.1.0 log with one run; rules are the diagnostic codes."""
    from . import __version__

    codes = sorted({d.code for d in diags})
    results = []
    for d in diags:
        result: dict = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.level],
            "message": {"text": d.message + (f" ({d.hint})" if d.hint else "")},
        }
        if d.path:
            result["properties"] = {"keyPath": d.path_text}
        pos = d.position
        if pos is not None and pos.file:
            region = {}
            if pos.line:
                region["startLine"] = pos.line
                if pos.column:
                    region["startColumn"] = pos.column
            loc: dict = {"physicalLocation": {"artifactLocation": {"uri": pos.file}}}
            if region:
                loc["physicalLocation"]["region"] = region
            result["locations"] = [loc]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "composeconv", "version": __version__,
                                "rules": [{"id": c} for c in codes]}},
            "results": results,
        }],
    }
