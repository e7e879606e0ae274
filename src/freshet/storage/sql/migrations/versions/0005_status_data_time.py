"""The recorded data time on the status rows: the data time the latest materialization wrote
(when the root data it incorporates was read), so that freshness reads no event body.

Revision 0005, after 0004. Existing rows are filled from the materialization they point at. A
frozen copy of the rule in `storage.batch.recorded_data_time` as it was at version 5: later
changes there come as new revisions, never as edits here.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = {"asset_status": ("asset_key",), "asset_partition_status": ("asset_key", "partition")}
_BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    for table, primary_key in _TABLES.items():
        # A database created by a build that already had the column holds it.
        if "data_time" not in {c["name"] for c in sa.inspect(bind).get_columns(table)}:
            op.add_column(table, sa.Column("data_time", sa.Float))
        _fill(bind, table, primary_key)
    op.execute(
        "UPDATE instance_info SET value = '" + str(int(revision)) + "' WHERE key = 'schema_version'"
    )


def downgrade() -> None:
    raise NotImplementedError("freshet migrations only go forward; restore a backup instead")


def _fill(bind: sa.Connection, table: str, primary_key: tuple[str, ...]) -> None:
    keys = ", ".join(f"s.{name}" for name in primary_key)
    rows = bind.execute(
        sa.text(
            f"SELECT {keys}, m.body FROM {table} s "
            "JOIN event_logs m ON m.id = s.last_materialization_id "
            "WHERE s.data_time IS NULL"
        )
    )
    where = " AND ".join(f"{name} = :key_{name}" for name in primary_key)
    update = sa.text(f"UPDATE {table} SET data_time = :data_time WHERE {where}")
    width = len(primary_key)
    params = []
    for row in rows.all():
        params.append(
            {
                "data_time": _data_time(row[width]),
                **{f"key_{name}": row[i] for i, name in enumerate(primary_key)},
            }
        )
    for start in range(0, len(params), _BATCH):
        bind.execute(update, params[start : start + _BATCH])


def _data_time(body: str) -> float | None:
    doc = json.loads(body)
    value = (doc.get("data") or {}).get("data_time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    timestamp = doc.get("timestamp")
    return float(timestamp) if isinstance(timestamp, int | float) else None
