"""Near-miss suggestions for misspelt keys and names ("did you mean ...?")."""

from __future__ import annotations

from typing import Iterable

# difflib's ratio for a one-letter slip in a short word ("imgae" vs "image" is 0.8);
# lower cut-offs start proposing unrelated keys for short words like "ipc" or "pid".
_CUTOFF = 0.75


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to word, or None when nothing is close enough.

    Case and '-'/'_' slips are matched first ("DNS" -> "dns", "stop-signal" ->
    "stop_signal"), then a one-letter slip ("wbe" -> "web"), then difflib similarity;
    ties go to the alphabetically first candidate so the answer never depends on the
    order candidates come in.
    """
    pool = sorted({c for c in candidates if isinstance(c, str) and c != word})
    if not pool or not isinstance(word, str) or not word:
        return None
    folded = _fold(word)
    for cand in pool:
        if _fold(cand) == folded:
            return cand
    best: tuple[bool, float, str] | None = None
    import difflib  # here: only a misspelt key needs it

    matcher = difflib.SequenceMatcher(b=folded, autojunk=False)
    for cand in pool:
        other = _fold(cand)
        matcher.set_seq1(other)
        # One slip (a letter missing, extra, wrong or two swapped) counts even where the ratio of a
        # short word is low ("wbe" vs "web" is 0.67); very short words would match almost anything.
        close = len(folded) >= 3 and _one_edit(folded, other)
        # The cheap upper bounds first: most candidates are rejected without the full ratio.
        if not close and (matcher.real_quick_ratio() < _CUTOFF or matcher.quick_ratio() < _CUTOFF):
            continue
        score = matcher.ratio()
        if (close or score >= _CUTOFF) and (best is None or (close, score) > best[:2]):
            best = (close, score, cand)
    return best[2] if best else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ready-to-show hint such as "did you mean `healthcheck`?", or None."""
    match = suggest(word, candidates)
    return f"did you mean `{match}`?" if match else None


def _one_edit(a: str, b: str) -> bool:
    """Whether b is a with one letter inserted, deleted, replaced, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def _fold(text: str) -> str:
    return text.lower().replace("-", "_")
