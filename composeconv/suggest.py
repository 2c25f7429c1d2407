"""Near-miss suggestions for misspelt keys and names ("did you mean ...?")."""

from __future__ import annotations

import difflib
from typing import Iterable

# difflib's ratio for a one-letter slip in a short word ("imgae" vs "image" is 0.8);
# lower cut-offs start proposing unrelated keys for short words like "ipc" or "pid".
_CUTOFF = 0.75


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to word, or None when nothing is close enough.

    Case and '-'/'_' slips are matched first ("DNS" -> "dns", "stop-signal" ->
    "stop_signal"), then difflib similarity decides; ties go to the alphabetically
    first candidate so the answer never depends on the order candidates come in.
    """
    pool = sorted({c for c in candidates if isinstance(c, str) and c != word})
    if not pool or not isinstance(word, str) or not word:
        return None
    folded = _fold(word)
    for cand in pool:
        if _fold(cand) == folded:
            return cand
    best: tuple[float, str] | None = None
    matcher = difflib.SequenceMatcher(b=folded, autojunk=False)
    for cand in pool:
        matcher.set_seq1(_fold(cand))
        # The cheap upper bounds first: most candidates are rejected without the full ratio.
        if matcher.real_quick_ratio() < _CUTOFF or matcher.quick_ratio() < _CUTOFF:
            continue
        score = matcher.ratio()
        if score >= _CUTOFF and (best is None or score > best[0]):
            best = (score, cand)
    return best[1] if best else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ready-to-show hint such as "did you mean `healthcheck`?", or None."""
    match = suggest(word, candidates)
    return f"did you mean `{match}`?" if match else None


def _fold(text: str) -> str:
    return text.lower().replace("-", "_")
