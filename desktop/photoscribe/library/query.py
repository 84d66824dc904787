"""The search language shared by the CLI and the GUI search bar.

- ``red wall``: photos matching every word (a plural finds its singular and vice versa);
- ``bea*``: words starting with "bea";
- ``"red wall"``: the exact phrase;
- ``-dog`` or ``-"red wall"``: leave out photos that match.

Search by meaning (see ``hybrid.py``) embeds the words a photo must match (:func:`meaning_text`); a query with a
phrase asks for those exact words, so it is answered by words only, and so is a query of only exclusions.

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
    phrase: bool = False  # written in quotes: these exact words


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
    def by_meaning(self) -> bool:
        """True when the query may also be answered by meaning: it has words to match and no quoted phrase."""
        return bool(self.included) and not any(t.phrase for t in self.included)

    @property
    def is_empty(self) -> bool:
        """True when the query has no usable term (every photo matches)."""
        return not self.terms


def parse_query(text: str) -> Query:
    """Parse what the user typed; characters that mean nothing in a search are ignored, never an error."""
    terms: list[Term] = []
    for match in TOKEN.finditer(text.replace("\x00", " ")):  # (FTS5 reads a NUL as the end of the query)
        minus, phrase, bare = match.groups()
        if phrase is not None:
            if WORD_CHARS.search(phrase):
                terms.append(Term(" ".join(phrase.split()), exclude=bool(minus), phrase=True))
            continue
        exclude = bare.startswith("-") and len(bare) > 1
        word = bare[1:] if exclude else bare
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if WORD_CHARS.search(word):
            terms.append(Term(word, prefix=prefix, exclude=exclude))
    return Query(tuple(terms))


def meaning_text(text: str) -> str | None:
    """The text to embed for a search by meaning: the query's words without exclusions and ``*``; ``None`` when
    the query is answered by words only (empty, only exclusions, or with a quoted phrase)."""
    query = parse_query(text)
    return " ".join(t.text for t in query.included) if query.by_meaning else None
