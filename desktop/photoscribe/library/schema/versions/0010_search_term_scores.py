"""PostgreSQL search's per-word score lists (``search_terms.py``), made from the search rows already there; a
SQLite library has nothing to change."""

from alembic import op

from photoscribe.library import search_tsvector

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    search_tsvector.add_term_scores(op.get_bind())
