"""`!reset` and `!override`: strip the tags from a parsed document and apply them to the base.

A `!reset` value is dropped from the document it is written in and removes the same key from
what it is merged onto; an `!override` value is kept and also removes the key from the base,
so the merge replaces instead of combining. Only mapping keys are removed from the base
(Compose does not remove list items from the base), list items tagged `!reset` are simply
dropped from their own list.
"""

from __future__ import annotations

from typing import Any

from ._compat import Override, Reset

ResetPaths = list[tuple[str, ...]]


def strip_tags(data: Any) -> tuple[Any, ResetPaths]:
    """Remove Reset/Override markers from data (in place where possible); return the paths."""
    paths: ResetPaths = []
    if isinstance(data, (Reset, Override)):
        if isinstance(data, Reset):
            return None, [()]
        data = data.value
        paths.append(())
    _strip(data, (), paths)
    return data, paths


def _strip(node: Any, path: tuple, paths: ResetPaths) -> None:
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if isinstance(value, Reset):
                paths.append(path + (key,))
                del node[key]
                continue
            if isinstance(value, Override):
                paths.append(path + (key,))
                value = value.value
                node[key] = value
            if isinstance(value, (dict, list)):
                _strip(value, path + (key,), paths)
    elif isinstance(node, list):
        kept = []
        changed = False
        for index, value in enumerate(node):
            if isinstance(value, Reset):
                changed = True
                continue
            if isinstance(value, Override):
                value = value.value
                changed = True
            if isinstance(value, (dict, list)):
                _strip(value, path + (str(index),), paths)
            kept.append(value)
        if changed:
            node[:] = kept


def has_tags(data: Any) -> bool:
    """Quick check whether a tree holds any marker (so the common case costs one walk)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, (Reset, Override)):
            return True
        if isinstance(node, dict):
            stack.extend(v for v in node.values() if isinstance(v, (dict, list, Reset, Override)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list, Reset, Override)))
    return False


def apply_resets(target: Any, paths: ResetPaths) -> None:
    """Delete from target every mapping key found at one of the recorded paths."""
    for path in paths:
        if not path:
            continue
        node = target
        for key in path[:-1]:
            if not isinstance(node, dict):
                node = None
                break
            node = node.get(key)
        if isinstance(node, dict):
            node.pop(path[-1], None)
