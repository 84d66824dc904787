"""Per-folder watching options, and a count of model captions per photo."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    steps.folder_options_and_caption_revisions(op.get_bind())
