"""Captions found in the photos' own metadata."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    steps.file_captions(op.get_bind())
