"""Heartbeats of the daemon's duties and of run workers: the run monitor fails a run whose
worker stopped beating, and `freshet daemon status` shows each duty's last beat.

Revision 0003, after 0002. A frozen copy of the table as it was at version 3: later changes
come as new revisions, never as edits here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database built from `schema.py` by a test (or a build between releases) may hold it.
    if "heartbeats" in sa.inspect(op.get_bind()).get_table_names():
        return _record_version()
    op.create_table(
        "heartbeats",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    _record_version()


def _record_version() -> None:
    op.execute(
        "UPDATE instance_info SET value = '" + str(int(revision)) + "' WHERE key = 'schema_version'"
    )


def downgrade() -> None:
    raise NotImplementedError("freshet migrations only go forward; restore a backup instead")
