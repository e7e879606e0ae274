"""Version columns on the status rows: data version (and when it was set), code version and
compact provenance, copied from the latest materialization / observation, so that staleness
of 100k+ partitions reads no event body.

Revision 0002, after 0001. Existing rows are filled from the events they point at. A frozen
copy of the rules in `storage.batch.version_columns` and `storage.base.encode_provenance`
as they were at version 2: later changes there come as new revisions, never as edits here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = {"asset_status": ("asset_key",), "asset_partition_status": ("asset_key", "partition")}
_COLUMNS = (
    ("data_version", sa.Text),
    ("data_version_at", sa.Float),
    ("code_version", sa.Text),
    ("provenance", sa.Text),
)
_BATCH = 5000
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def upgrade() -> None:
    bind = op.get_bind()
    for table, primary_key in _TABLES.items():
        existing = {c["name"] for c in sa.inspect(bind).get_columns(table)}
        for name, column_type in _COLUMNS:
            # A database written before migrations existed may hold them already.
            if name not in existing:
                op.add_column(table, sa.Column(name, column_type))
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
            f"SELECT {keys}, s.last_materialization_id, m.body, s.last_observation_id, o.body "
            f"FROM {table} s "
            "LEFT JOIN event_logs m ON m.id = s.last_materialization_id "
            "LEFT JOIN event_logs o ON o.id = s.last_observation_id"
        )
    ).all()
    assignments = ", ".join(f"{name} = :{name}" for name, _ in _COLUMNS)
    where = " AND ".join(f"{name} = :key_{name}" for name in primary_key)
    update = sa.text(f"UPDATE {table} SET {assignments} WHERE {where}")
    width = len(primary_key)
    params = []
    for row in rows:
        values = _row_columns(*row[width:])
        values.update({f"key_{name}": row[i] for i, name in enumerate(primary_key)})
        params.append(values)
    for start in range(0, len(params), _BATCH):
        bind.execute(update, params[start : start + _BATCH])


def _row_columns(
    mat_id: int | None, mat_body: str | None, obs_id: int | None, obs_body: str | None
) -> dict[str, Any]:
    columns: dict[str, Any] = dict.fromkeys(name for name, _ in _COLUMNS)
    events = [(i, b) for i, b in ((mat_id, mat_body), (obs_id, obs_body)) if i is not None and b]
    for _, body in sorted(events, key=lambda item: item[0]):
        doc = json.loads(body)
        data = doc.get("data") or {}
        version = data.get("data_version")
        columns["data_version"] = None if version is None else str(version)
        columns["data_version_at"] = doc.get("timestamp")
        if doc.get("type") == "ASSET_MATERIALIZATION":
            code_version = data.get("code_version")
            columns["code_version"] = None if code_version is None else str(code_version)
            columns["provenance"] = _provenance(data.get("provenance"))
    return columns


def _provenance(provenance: object) -> str | None:
    if not isinstance(provenance, list):
        return None
    by_key: dict[str, list[list[Any]]] = {}
    for entry in provenance:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            continue
        item = [entry.get("partition"), entry.get("data_version")]
        if entry.get("partition_count") is not None:
            item.append(entry["partition_count"])
        by_key.setdefault(entry["key"], []).append(item)
    return _ENCODER.encode(by_key)
