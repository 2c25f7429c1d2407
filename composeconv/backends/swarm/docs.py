"""The Markdown table of docs/swarm.md, generated from the handling table."""

from __future__ import annotations

from .handling import HANDLING, REPORTED, WHOLE, child_class, walk_fields

BEGIN = "<!-- BEGIN GENERATED: swarm handling table -->"
END = "<!-- END GENERATED: swarm handling table -->"

_KIND_TEXT = {
    "kept": "kept",
    "translated": "translated",
    "dropped": "removed (warning)",
    "ignored": "removed (info)",
    "resolved": "applied by the loader (info)",
}


def handling_table() -> str:
    """One row per Compose key path of the model: what the stack file gets, and since which version."""
    rows = ["| Compose key | In the stack file | Since | Note |", "|---|---|---|---|"]
    for path, cls, f in walk_fields():
        h = HANDLING[f"{cls.__name__}.{f.name}"]
        code = f" `{REPORTED[h.kind][0]}`" if h.kind in REPORTED else ""
        note = h.note.replace("|", "\\|")
        child, _ = child_class(f.metadata.get("kind"))
        if child in WHOLE and not note:
            note = "with all its sub-keys"
        rows.append(f"| `{path}` | {_KIND_TEXT[h.kind]}{code} | {h.since or ''} | {note} |")
    return "\n".join(rows) + "\n"


def render_section(doc: str) -> str:
    """doc with the text between the BEGIN and END markers replaced by the current table."""
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{handling_table()}{END}{tail}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(render_section(target.read_text()))
