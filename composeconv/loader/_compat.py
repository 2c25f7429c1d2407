"""Temporary stand-ins for sibling modules that are not available yet (removed once they are)."""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml

from ..diagnostics import ComposeError, Diagnostic, Level, Position
from ..sourcemap import SourceMap

try:  # pragma: no cover - chooses the real module when present
    from ..yamlsource import Override, Reset, parse_yaml  # type: ignore
except ImportError:  # pragma: no cover
    class Reset:  # type: ignore[no-redef]
        """A value tagged !reset."""

        __slots__ = ("value",)

        def __init__(self, value: Any = None):
            self.value = value

    class Override:  # type: ignore[no-redef]
        """A value tagged !override."""

        __slots__ = ("value",)

        def __init__(self, value: Any = None):
            self.value = value

    class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore
        pass

    _Loader.yaml_implicit_resolvers = {
        k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:bool"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))

    def _reset(loader: Any, node: Any) -> Any:
        return Reset(None)

    def _override(loader: Any, node: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            return Override(loader.construct_mapping(node, deep=True))
        if isinstance(node, yaml.SequenceNode):
            return Override(loader.construct_sequence(node, deep=True))
        return Override(loader.construct_scalar(node))

    _Loader.add_constructor("!reset", _reset)
    _Loader.add_constructor("!override", _override)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)

    class _Document:
        def __init__(self, data: Any, filename: str):
            self.data = data
            self.sourcemap = SourceMap({(): Position(filename, 1, 1)})

    def parse_yaml(data: bytes | str, filename: str):  # type: ignore[no-redef]
        try:
            docs = list(yaml.load_all(data, Loader=_Loader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            pos = Position(filename, mark.line + 1, mark.column + 1) if mark else Position(filename)
            raise ComposeError(Diagnostic("yaml-syntax", Level.ERROR, f"failed to parse {filename}: {exc}",
                                          (), pos)) from None
        return [_Document(d, filename) for d in docs]

try:  # pragma: no cover
    from ..interpolation import interpolate_tree  # type: ignore
except ImportError:  # pragma: no cover
    _VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")

    def _sub(text: str, lookup: Callable[[str], str | None]) -> str:
        def repl(m: re.Match) -> str:
            if m.group(0) == "$$":
                return "$"
            name = m.group(1) or m.group(4)
            op, arg = m.group(2), m.group(3)
            val = lookup(name)
            if op in (":-", "-"):
                if val is None or (op == ":-" and val == ""):
                    return arg or ""
            elif op in (":+", "+"):
                return (arg or "") if (val is not None and (op == "+" or val != "")) else ""
            elif op in (":?", "?"):
                if val is None or (op == ":?" and val == ""):
                    raise ComposeError(Diagnostic("interpolation", Level.ERROR,
                                                  f"required variable {name} is missing a value: {arg}"))
            return val or ""
        return _VAR.sub(repl, text)

    def interpolate_tree(data: Any, lookup: Callable[[str], str | None], sourcemap: Any = None) -> Any:  # type: ignore
        if isinstance(data, dict):
            return {k: interpolate_tree(v, lookup) for k, v in data.items()}
        if isinstance(data, list):
            return [interpolate_tree(v, lookup) for v in data]
        if isinstance(data, str):
            return _sub(data, lookup)
        return data

try:  # pragma: no cover
    from ..dotenv import parse_env_file  # type: ignore
except ImportError:  # pragma: no cover
    def parse_env_file(text: str, filename: str, lookup: Callable[[str], str | None]):  # type: ignore
        out: dict[str, str | None] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[7:].strip()
            if "=" not in line:
                out[line] = lookup(line)
                continue
            key, value = line.split("=", 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif " #" in value:
                value = value.split(" #", 1)[0].rstrip()
            out[key.strip()] = value
        return out

try:  # pragma: no cover
    from ..schema import validate as schema_validate  # type: ignore
except ImportError:  # pragma: no cover
    def schema_validate(data: Any, sourcemap: Any, filename: str) -> list:  # type: ignore
        return []
