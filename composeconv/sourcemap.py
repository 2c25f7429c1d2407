"""Source positions kept beside the model: key path -> file:line:column."""

from __future__ import annotations


from .diagnostics import KeyPath, Position
from .records import field, record


@record(frozen=False)
class SourceMap:
    """Maps key paths (as tuples) to where they were written; never part of model equality."""

    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def set(self, path: KeyPath, pos: Position) -> None:
        self.positions[tuple(path)] = pos

    def get(self, path: KeyPath) -> Position | None:
        """The position of path, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            pos = self.positions.get(path)
            if pos is not None or not path:
                return pos
            path = path[:-1]

    def update(self, other: "SourceMap", prefix: KeyPath = ()) -> None:
        for k, v in other.positions.items():
            self.positions.setdefault(tuple(prefix) + k, v)

    def subtree(self, prefix: KeyPath) -> "SourceMap":
        n = len(prefix)
        return SourceMap({k[n:]: v for k, v in self.positions.items() if k[:n] == tuple(prefix)})
