"""File kinds, RAW+JPEG pairs, files left out."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    steps.file_kinds_pairs_and_left_out(op.get_bind())
