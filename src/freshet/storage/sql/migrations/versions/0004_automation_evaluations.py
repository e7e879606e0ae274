"""Automation evaluations: one row per asset per automation tick with the evaluated condition
tree, so `freshet automation explain` can say why an asset was (not) requested.

Revision 0004, after 0003. A new table only; no existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# the column types of schema.py at version 4, frozen here
_KEY = sa.String(512)
_STORAGE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A database created by a build that already had the table (its schema is written whole
    # by create_all) holds it; older databases get it here.
    if "automation_evaluations" in sa.inspect(op.get_bind()).get_table_names():
        _set_version()
        return
    op.create_table(
        "automation_evaluations",
        sa.Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
        sa.Column("tick_id", _STORAGE_ID, nullable=False),
        sa.Column("asset_key", _KEY, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("num_requested", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_automation_evaluations_asset", "automation_evaluations", ["asset_key", "tick_id"]
    )
    op.create_index("ix_automation_evaluations_tick", "automation_evaluations", ["tick_id"])
    _set_version()


def _set_version() -> None:
    op.execute(
        "UPDATE instance_info SET value = '" + str(int(revision)) + "' WHERE key = 'schema_version'"
    )


def downgrade() -> None:
    raise NotImplementedError("freshet migrations only go forward; restore a backup instead")
