"""The first schema (libraries at version 1 or later already have it)."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0001"
down_revision = None


def upgrade() -> None:
    steps.initial_schema(op.get_bind())
