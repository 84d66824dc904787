"""The camera that took a photo, and a one-off prompt for its next caption."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    steps.camera_and_prompt(op.get_bind())
