"""PostgreSQL search's best page without ranking every match: the words' score lists (``search_tsvector.py``
uses them for a search with a limit: ``photoscribe search``, ``Library.search``; the app's grid and search by
meaning still rank every match).

Ranking every match is what a page cost: at a million photos "dog" matches 250,000 photos, and reading them through
the GIN index and the heap and ranking each with ``ts_rank_cd`` took 150-220 ms. So each word of each search row
also has a row in ``photo_search_terms``: (word, score, photo), the score being what ``ts_rank_cd`` gives that
photo for that word alone (the weights of its places over the row's length, in tsrank.c's arithmetic: equal to the
last bit). The rows of a photo are replaced right after its search row is written and go with it. A btree on
(word, score DESC, photo) lists each word's photos best first; a page reads the first W rows of the lists of the
words that rank the query (W: :data:`WINDOW` pages' worth), keeps the photos whose search row matches the whole
query (``document @@``, read by primary key), and is kept only when proven to be the full ranking's page:

- a query ranked by one word (one word, a phrase: ranked by its longest word, a word with exclusions, a prefix
  only one word of the library starts with) is ranked by that word's list, in its order (equal scores by id, as
  the full ranking): proven when W rows gave a page, or the list was read to its end;
- a query ranked by several words (several words, a prefix that several words start with: ``sun*``) is ranked by
  the SUM of their scores (``ts_rank_cd`` of an OR query), found with ``ts_rank_cd`` for the photos read. A photo
  left unread is past the W-th row of every list, so it scores at most the sum over the query's terms of the
  largest W-th score of their words (Fagin's threshold; the photos that hold two words of one prefix are read
  first, so that a prefix adds one word's score), and scores that much only with an id above the W-th rows' (in
  each list, equal scores are by id): proven when the page's last photo scores more, or as much with a smaller id,
  or when one term's lists were read to their end (every match was read). Scores within a millionth of each
  other count as equal (float4 sums);
- otherwise (or for a prefix that more than :data:`MAX_WORDS` words start with) the caller ranks every match as
  before. That is where a page of several common words still costs what it did: their matches score alike (a
  caption's length decides), so no list's first rows bound the rest ("dog beach" at a million photos: 31,000
  matches, ~130 ms).

Costs at a million photos (10.5 million rows): about 1 GB (the table 450 MB, its two btrees 450 and 130 MB, beside
the search table's 300 MB); writing search rows takes about twice as long (the benchmark's fill: 56-58 s to 107-112
s; storing a batch of 32 captions, p50: 22-24 ms to 29-36 ms); migration 0010 makes them in about a minute.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from photoscribe.library.search_fts5 import TABLE as SEARCH_TABLE  # (both implementations name it alike)

TABLE = "photo_search_terms"
#: The rows read of each word's list: this many pages' worth (W). Reading 8 times more proved few more pages of
#: several words on a million photos (their scores are flat: a caption's length decides them) and cost 5 ms.
WINDOW = 4
#: The longest page read from the lists (a longer one would read more of them than ranking every match).
MAX_PAGE = 1_000
#: The most words of the library a query's prefixes may expand to.
MAX_WORDS = 8
#: The most photos holding two words of one prefix read (see the module's docstring), and the most pairs of words
#: looked for: the GIN index reads each pair's lists ("st*", 5 words, 10 pairs: 45 ms at a million photos).
MAX_SHARED = 2_000
MAX_PAIRS = 6
#: Scores are float4 sums: a bound is raised by this much so that rounding never proves a page wrongly.
_SLACK = 1e-6


def create_table(conn: Connection, *, filled: str | None = None) -> None:
    """The score table and its two btrees (the lists by word, and the rows of a photo), unless there; ``filled``:
    SQL filling the table (:func:`fill_sql`), run before the btrees are made (sorted once, not row by row)."""
    conn.execute(
        text(
            f'CREATE TABLE IF NOT EXISTS {TABLE} (lexeme text COLLATE "C" NOT NULL, score real NOT NULL, '
            f"photo_id integer NOT NULL REFERENCES {SEARCH_TABLE} (photo_id) ON DELETE CASCADE)"
        )
    )
    if filled is not None:
        conn.execute(text(f"TRUNCATE {TABLE}"))  # (a table made by hand before)
        conn.execute(text(filled))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {TABLE}_lists ON {TABLE} (lexeme, score DESC, photo_id)"))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {TABLE}_photo_id ON {TABLE} (photo_id)"))


def replacing(ids: str, weights: Sequence[float]) -> str:
    """SQL replacing the score rows of the photos ``ids`` (an integer[] parameter) by those of their search rows,
    run after the search rows are written in the same transaction: its own statement, so that its snapshot comes
    after the search rows' row locks (a writer of the same photo that committed meanwhile has its score rows
    seen and deleted, not left beside the new ones). ``weights``: ts_rank_cd's, D to A."""
    return (
        f"WITH gone AS (DELETE FROM {TABLE} WHERE photo_id = ANY({ids})) INSERT INTO {TABLE} (lexeme, score, "
        f"photo_id) {_scores(SEARCH_TABLE, weights, f'r.photo_id = ANY({ids})')}"
    )


def fill_sql(weights: Sequence[float]) -> str:
    """The score rows of every search row (a library made before the table: its migration)."""
    return f"INSERT INTO {TABLE} (lexeme, score, photo_id) {_scores(SEARCH_TABLE, weights, 'true')}"


def _scores(rows: str, weights: Sequence[float], which: str) -> str:
    """(lexeme, score, photo_id) of every word of the search rows in ``rows`` (those ``which`` keeps): ts_rank_cd's
    sum over the word's places of 1 / (1 / weight) in double precision, over the row's places, as float4
    (tsrank.c's arithmetic)."""
    weight = " ".join(
        f"WHEN '{letter}' THEN CAST({value} AS real)" for letter, value in zip("DCBA", weights, strict=True)
    )
    place = f"1.0 / (1.0 / CAST(CASE w {weight} END AS float8))"
    return (
        f"SELECT t.lexeme, CAST((SELECT sum({place}) FROM unnest(t.weights) AS w) / n.places AS real), r.photo_id "
        f"FROM {rows} AS r CROSS JOIN LATERAL (SELECT CAST(sum(coalesce(array_length(positions, 1), 1)) AS float8) "
        "AS places FROM unnest(r.document)) AS n CROSS JOIN LATERAL unnest(r.document) AS t "
        f"WHERE {which} AND t.lexeme <> '_'"
    )


def top(
    session: Session,
    ranked: Sequence[tuple[str, bool]],
    where: str,
    rank: str,
    parameters: dict[str, str],
    limit: int,
    config: str,
) -> list[tuple[int, float]] | None:
    """The best ``limit`` photos matching ``where`` (SQL on ``document``, its text in ``parameters``) ranked by
    ``rank``, best first, equal scores by id, with their scores; ``None`` when not proven cheaply (the caller
    then ranks every match). ``ranked``: per included term, the word ranking it and whether it is a prefix."""
    if limit < 1 or limit > MAX_PAGE:
        return [] if limit < 1 else None
    words = _words(session, ranked, config)
    if words is None:
        return None
    every = sorted(set().union(*words))
    if not every:
        return []  # a required prefix no word starts with
    lists = {f"l{n}": word for n, word in enumerate(every)}
    run = session.connection().exec_driver_sql
    values = {**parameters, **lists, "window": WINDOW * limit, "limit": limit}
    rows = run(_one(where) if len(every) == 1 else _several(lists, where, rank), values).fetchall()
    found = [(int(photo_id), float(score)) for photo_id, score in rows]
    if len(every) == 1 and len(found) == limit:
        return found  # (the list's order is the ranking)
    ends = dict(zip(every, map(_end, run(_ends(lists), values).one()), strict=True))
    if _proven(found, limit, words, ends, [[word] for word in every]):
        return found
    if all(len(w) == 1 for w in words) or not _proven(found, limit, words, ends, words):
        return None
    pairs = [f"{_quoted(a)} & {_quoted(b)}" for w in words for a in w for b in w if a < b]
    if len(pairs) > MAX_PAIRS:
        return None
    shared = [row[0] for row in run(_SHARED.format(where=where), {**parameters, "pairs": " | ".join(pairs)})]
    if len(shared) > MAX_SHARED:
        return None
    more = run(_ranked(where, rank), {**parameters, "shared": shared, "limit": limit}).fetchall()
    found = sorted({*found, *((int(i), float(score)) for i, score in more)}, key=lambda hit: (-hit[1], hit[0]))
    return found[:limit] if _proven(found[:limit], limit, words, ends, words) else None


def _end(end: str | None) -> tuple[float, int] | None:
    """(score, photo id) of the last row read of a list, from ``_ends``'s text; ``None``: read to its end."""
    if end is None:
        return None
    score, photo_id = end.split()
    return float(score), int(photo_id)


def _proven(
    found: list[tuple[int, float]],
    limit: int,
    words: list[set[str]],
    ends: dict[str, tuple[float, int] | None],
    groups: Sequence[Collection[str]],
) -> bool:
    """True when no photo left unread can rank before ``found``'s last (or join a page shorter than ``limit``).

    A photo unread comes after the last row read of each list (``ends``: score, id; ``None`` for a list read to
    its end, which it is not in). ``groups``: sets of words of which it holds at most one (each word alone, or
    each term's words once the photos holding two words of one term were read): its score is at most the sum over
    the groups of their largest last score, and equal to it only with an id above each group's smallest last id."""
    if any(all(ends[word] is None for word in w) for w in words):
        return True  # a required term's lists were read to their end: every match was read
    if len(found) < limit:
        return False
    lasts = ([ends[word] for word in group if ends[word] is not None] for group in groups)
    read = [group for group in lasts if group]
    bound = sum(max(score for score, _ in group) for group in read)
    photo_id, score = found[-1]
    if score > bound * (1 + _SLACK):
        return True
    return score >= bound * (1 - _SLACK) and max(min(i for _, i in group) for group in read) >= photo_id


def _one(where: str) -> str:
    """The page of a query ranked by one word: its list's first rows that match, in the list's order."""
    return (
        f"SELECT c.photo_id, c.score FROM (SELECT photo_id, score FROM {TABLE} WHERE lexeme = %(l0)s ORDER BY "
        f"score DESC, photo_id LIMIT %(window)s) AS c {_ROW} WHERE {where} ORDER BY c.score DESC, c.photo_id "
        "LIMIT %(limit)s"
    )


def _several(lists: dict[str, str], where: str, rank: str) -> str:
    """The page of a query ranked by several words: the best of the photos in the first rows of their lists."""
    reads = " UNION ".join(
        f"(SELECT photo_id FROM {TABLE} WHERE lexeme = %({name})s ORDER BY score DESC, photo_id LIMIT %(window)s)"
        for name in lists
    )
    return _best_of(f"({reads})", where, rank)


def _ranked(where: str, rank: str) -> str:
    """The best of the photos ``%(shared)s`` that match, ranked."""
    return _best_of("unnest(CAST(%(shared)s AS integer[]))", where, rank)


def _best_of(photos: str, where: str, rank: str) -> str:
    """The best ``%(limit)s`` of ``photos`` (SQL of photo ids) that match ``where``, ranked by ``rank``."""
    return (
        f"SELECT c.photo_id, {rank} AS score FROM {photos} AS c(photo_id) {_ROW} WHERE {where} "
        "ORDER BY score DESC, c.photo_id LIMIT %(limit)s"
    )


#: Each photo read's search row, by its primary key: a subquery that is not flattened (OFFSET 0), so that the
#: planner, which cannot tell how many photos a tsquery parameter matches, never reads them all through the GIN
#: index instead (75 of the 80 ms of a round for "dog beach" at a million photos).
_ROW = f"CROSS JOIN LATERAL (SELECT document FROM {SEARCH_TABLE} WHERE photo_id = c.photo_id OFFSET 0) AS s"


#: The photos matching the query that hold two words of one prefix (``%(pairs)s``: 'a' & 'b' | ...), at most
#: one more than :data:`MAX_SHARED`.
_SHARED = (
    f"SELECT photo_id FROM {SEARCH_TABLE} WHERE document @@ CAST(%(pairs)s AS tsquery) AND {{where}} "
    f"LIMIT {MAX_SHARED + 1}"
)


def _ends(lists: dict[str, str]) -> str:
    """The last row read of each list, as text 'score photo_id' (NULL: the list is shorter, read to its end)."""
    return "SELECT " + ", ".join(
        f"(SELECT score || ' ' || photo_id FROM {TABLE} WHERE lexeme = %({name})s ORDER BY score DESC, photo_id "
        "OFFSET %(window)s - 1 LIMIT 1)"
        for name in lists
    )


def _words(session: Session, ranked: Sequence[tuple[str, bool]], config: str) -> list[set[str]] | None:
    """The library's words ranking each term: its word stemmed, or for a prefix every word starting with it;
    ``None`` when a word is not one lexeme or a prefix has more than :data:`MAX_WORDS`."""
    run = session.connection().exec_driver_sql
    stems = run(
        f"SELECT array(SELECT lexeme FROM unnest(to_tsvector('{config}', w))) FROM unnest(CAST(%(words)s AS text[])) "
        "WITH ORDINALITY AS x(w, n) ORDER BY n",
        {"words": [word for word, _ in ranked]},
    ).fetchall()
    words: list[set[str]] = []
    for (stem,), (_, prefix) in zip(stems, ranked, strict=True):
        if len(stem) != 1:
            return None
        if not prefix:
            words.append({stem[0]})
            continue
        found = [row[0] for row in run(_PREFIXED, {"prefix": stem[0], "most": MAX_WORDS + 1})]
        if len(found) > MAX_WORDS:
            return None
        words.append(set(found))
    return words


#: The words of the library starting with a prefix, one btree descent each (a skip scan), at most %(most)s + 1.
_PREFIXED = (
    f"WITH RECURSIVE w(lexeme, n) AS ((SELECT lexeme, 1 FROM {TABLE} WHERE lexeme >= %(prefix)s ORDER BY lexeme "
    f"LIMIT 1) UNION ALL SELECT (SELECT lexeme FROM {TABLE} WHERE lexeme > w.lexeme ORDER BY lexeme LIMIT 1), "
    "n + 1 FROM w WHERE starts_with(w.lexeme, %(prefix)s) AND n <= %(most)s) "
    "SELECT lexeme FROM w WHERE starts_with(lexeme, %(prefix)s)"
)


def _quoted(word: str) -> str:
    """``word`` as a tsquery operand."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
