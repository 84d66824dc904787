"""Vectors for search by meaning and similar photos."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    steps.text_and_image_vectors(op.get_bind())
