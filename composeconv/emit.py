"""A fast, deterministic YAML emitter for plain data (dicts, lists, strings, numbers, booleans, None)."""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any, Iterable

# Plain scalars that a YAML 1.1 or 1.2 reader could take for something other than a string.
_AMBIGUOUS = re.compile(
    r"""^(?:
        ~|null|Null|NULL|
        y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|
        [-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|
        [-+]?0b[01_]+|[-+]?0o?[0-7_]+|[-+]?0x[0-9a-fA-F_]+|
        [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|
        [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
        [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|
        <<|=
    )$""",
    re.X,
)
_SAFE_PLAIN = re.compile(r"^[A-Za-z0-9_./$()+^-][A-Za-z0-9 _./@$()+^,:=~;\\-]*$")
# Characters a YAML reader rejects, or reads as line breaks, inside a double-quoted scalar: written as
# \u escapes (JSON's quoting, used below, leaves them as they are).
_UNSAFE_IN_QUOTES = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _quoted(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    if _UNSAFE_IN_QUOTES.search(text):
        text = _UNSAFE_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


@lru_cache(maxsize=65536)
def _needs_quotes(s: str) -> bool:
    if not s or s != s.strip() or _AMBIGUOUS.match(s):
        return True
    if not _SAFE_PLAIN.match(s):
        return True
    return ": " in s or s.endswith(":") or " #" in s or s.startswith("- ") or s == "-"


def scalar(v: Any) -> str:
    """One scalar as YAML text."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        return repr(v)
    s = str(v)
    if _needs_quotes(s):
        return _quoted(s)
    return s


def _block_literal(s: str, indent: str) -> str | None:
    """A literal block (|) for readable multi-line text, or None when it would not round-trip."""
    if "\n" not in s or "\r" in s or s.startswith((" ", "\n", "\t")):
        return None
    if any(not (c.isprintable() or c == "\n") for c in s) or "\ufeff" in s:
        return None
    lines = s.split("\n")
    if any(line != line.rstrip() for line in lines):
        return None
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    out_lines = body.split("\n") + ([""] * (trailing - 1) if trailing > 1 else [])
    return f"|{chomp}\n" + "\n".join((indent + ln) if ln else "" for ln in out_lines)


def _emit(v: Any, indent: str, out: list[str]) -> None:
    # Appends the lines of a block collection; v is a non-empty dict or list.
    if isinstance(v, dict):
        for k, x in v.items():
            key = scalar(k) if not isinstance(k, str) or _needs_quotes(k) else k
            _emit_entry(f"{indent}{key}:", x, indent, out)
    else:
        for x in v:
            if isinstance(x, dict) and x:
                first = True
                sub: list[str] = []
                _emit(x, indent + "  ", sub)
                for line in sub:
                    if first:
                        out.append(f"{indent}- {line[len(indent) + 2:]}")
                        first = False
                    else:
                        out.append(line)
            else:
                _emit_entry(f"{indent}-", x, indent, out)


def _emit_entry(head: str, x: Any, indent: str, out: list[str]) -> None:
    if isinstance(x, dict):
        if x:
            out.append(head)
            _emit(x, indent + "  ", out)
        else:
            out.append(head + " {}")
    elif isinstance(x, (list, tuple)):
        if x:
            out.append(head)
            # lists under a mapping key are indented by two, as most Kubernetes tooling writes them
            _emit(list(x), indent + "  ", out)
        else:
            out.append(head + " []")
    elif isinstance(x, str) and "\n" in x:
        block = _block_literal(x, indent + "  ")
        out.append(f"{head} {block if block is not None else scalar(x)}")
    else:
        out.append(f"{head} {scalar(x)}")


def dump(data: Any) -> str:
    """YAML text of one document."""
    if isinstance(data, (dict, list, tuple)) and data:
        out: list[str] = []
        _emit(data if isinstance(data, dict) else list(data), "", out)
        return "\n".join(out) + "\n"
    if isinstance(data, dict):
        return "{}\n"
    if isinstance(data, (list, tuple)):
        return "[]\n"
    return scalar(data) + "\n"


def dump_all(documents: Iterable[Any]) -> str:
    """YAML text of several documents separated by ---."""
    return "".join("---\n" + dump(d) for d in documents)


def dump_json(data: Any) -> str:
    """Deterministic, indented JSON text."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
