"""Regular expressions compiled on first use: many serve rare inputs, and compiling them all costs every run."""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """Stands for re.compile(pattern, flags) and compiles it when first used."""

    __slots__ = ("_pattern", "_flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self._pattern, self._flags)
        return c

    def match(self, *args: Any) -> re.Match[str] | None:
        return self.compiled().match(*args)

    def fullmatch(self, *args: Any) -> re.Match[str] | None:
        return self.compiled().fullmatch(*args)

    def search(self, *args: Any) -> re.Match[str] | None:
        return self.compiled().search(*args)

    def sub(self, *args: Any, **kwargs: Any) -> str:
        return self.compiled().sub(*args, **kwargs)

    def split(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self.compiled().split(*args, **kwargs)

    def finditer(self, *args: Any) -> Any:
        return self.compiled().finditer(*args)

    def findall(self, *args: Any) -> list[Any]:
        return self.compiled().findall(*args)

    def __getattr__(self, name: str) -> Any:  # pattern, flags, groupindex, ...
        return getattr(self.compiled(), name)


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    """re.compile, deferred until the pattern is first used."""
    return LazyPattern(pattern, flags)
