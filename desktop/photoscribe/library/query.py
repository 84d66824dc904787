"""The search language shared by the CLI and the GUI search bar.

- ``red wall``: photos matching every word (a plural finds its singular and vice versa);
- ``bea*``: words starting with "bea";
- ``"red wall"``: the exact phrase;
- ``-dog`` or ``-"red wall"``: leave out photos that match.

Parsing is pure Python; turning a :class:`Query` into SQL is the job of ``search.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD_CHARS = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """One word, prefix or phrase of a query."""

    text: str
    prefix: bool = False
    exclude: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed search: terms that must match and terms that must not."""

    terms: tuple[Term, ...] = ()

    @property
    def included(self) -> tuple[Term, ...]:
        """Terms a photo must match."""
        return tuple(t for t in self.terms if not t.exclude)

    @property
    def excluded(self) -> tuple[Term, ...]:
        """Terms a photo must not match."""
        return tuple(t for t in self.terms if t.exclude)

    @property
    def is_empty(self) -> bool:
        """True when the query has no usable term (every photo matches)."""
        return not self.terms


def parse_query(text: str) -> Query:
    """Parse what the user typed; characters that mean nothing in a search are ignored, never an error."""
    terms: list[Term] = []
    for match in TOKEN.finditer(text):
        minus, phrase, bare = match.groups()
        if phrase is not None:
            if WORD_CHARS.search(phrase):
                terms.append(Term(" ".join(phrase.split()), exclude=bool(minus)))
            continue
        exclude = bare.startswith("-") and len(bare) > 1
        word = bare[1:] if exclude else bare
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if WORD_CHARS.search(word):
            terms.append(Term(word, prefix=prefix, exclude=exclude))
    return Query(tuple(terms))
