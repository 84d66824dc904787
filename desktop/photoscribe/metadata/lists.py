"""Keyword lists in a file: which entries are the photographer's, which are PhotoScribe's, and the list to write.

Keywords keep the case they were written with; whether an entry is ours or theirs is decided case-insensitively.
An entry the photographer already has is never recorded as ours (so a later re-caption never removes it), even
when the model suggests the same word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def folded(words: Iterable[str]) -> set[str]:
    """The case-insensitive forms of ``words``."""
    return {w.casefold() for w in words}


def theirs(existing: Sequence[str], ours_before: Sequence[str]) -> list[str]:
    """The entries of a file's list that PhotoScribe did not write."""
    ours = folded(ours_before)
    return [e for e in existing if e.casefold() not in ours]


def recorded(keywords: Sequence[str], lists: Iterable[Sequence[str]], ours_before: Sequence[str]) -> list[str]:
    """Which of ``keywords`` to record as PhotoScribe's: those no list of the file holds as the photographer's."""
    photographers = folded(e for existing in lists for e in theirs(existing, ours_before))
    unique: dict[str, str] = {}
    for word in keywords:
        if word.casefold() not in photographers:
            unique.setdefault(word.casefold(), word)
    return list(unique.values())


def merged(existing: Sequence[str], ours_before: Sequence[str], keywords: Sequence[str]) -> list[str]:
    """``existing`` with our stale entries removed and ``keywords`` added where missing; order and case kept."""
    stale = folded(ours_before) - folded(keywords)
    kept = [e for e in existing if e.casefold() not in stale]
    present = folded(kept)
    added: list[str] = []
    for word in keywords:
        if word.casefold() not in present:
            present.add(word.casefold())
            added.append(word)
    return kept + added
