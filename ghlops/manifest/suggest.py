"""Did-you-mean suggestions for misspelt keys and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "suggest"]


def suggest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``word`` (compared case-insensitively), or ``None`` if none is close.

    A candidate that differs from ``word`` only in case always wins. ``word`` itself is never suggested.
    """
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    folded = word.casefold()
    exact = by_folded.get(folded)
    if exact is not None:
        return exact if exact != word else None
    matches = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=cutoff)
    return by_folded[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""`` when there is none."""
    best = suggest(word, candidates)
    return f" (did you mean {best!r}?)" if best is not None else ""
