"""When someone last looked at a photo's captions."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    steps.reviewed(op.get_bind())
