"""Queue leases, metadata pending, own writes; paths as the file system's bytes."""

from alembic import op

from photoscribe.library.schema import steps

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    steps.leases_and_path_bytes(op.get_bind())
