"""The initial schema: runs, event log, status indexes, daemon state, backfills, dynamic
partitions, concurrency slots and cursors.

A frozen copy of the tables as they were at version 1: later changes to `schema.py` come as
new revisions, never as edits here. It also adopts a database written before migrations
existed (it then holds only the first eight tables): tables already present are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_KEY = sa.String(512)
_ID = sa.String(255)
_STORAGE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ASSET_EVENTS_ONLY = sa.text("asset_key IS NOT NULL")


def _runs() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", _ID, primary_key=True),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("partition", sa.String(255)),
        sa.Column("parent_run_id", _ID),
        sa.Column("root_run_id", _ID),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float),
        sa.Column("started_at", sa.Float),
        sa.Column("ended_at", sa.Float),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_job_name", "runs", ["job_name"])
    op.create_index("ix_runs_created_at", "runs", ["created_at", "run_id"])


def _run_tags() -> None:
    op.create_table(
        "run_tags",
        sa.Column(
            "run_id", _ID, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_run_tags_key_value", "run_tags", ["key", "value"])


def _run_assets() -> None:
    op.create_table(
        "run_assets",
        sa.Column(
            "run_id", _ID, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("asset_key", _KEY, primary_key=True),
    )
    op.create_index("ix_run_assets_asset_key", "run_assets", ["asset_key", "run_id"])


def _event_logs() -> None:
    op.create_table(
        "event_logs",
        sa.Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("step_key", sa.String(512)),
        sa.Column("asset_key", _KEY),
        sa.Column("partition", sa.String(255)),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_logs_run_id", "event_logs", ["run_id", "id"])
    op.create_index(
        "ix_event_logs_asset_key",
        "event_logs",
        ["asset_key", "event_type", "id"],
        sqlite_where=_ASSET_EVENTS_ONLY,
        postgresql_where=_ASSET_EVENTS_ONLY,
    )
    op.create_index("ix_event_logs_event_type", "event_logs", ["event_type", "id"])


def _status_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("last_materialization_id", _STORAGE_ID),
        sa.Column("last_observation_id", _STORAGE_ID),
        sa.Column("last_run_id", _ID),
        sa.Column("last_failed_run_id", _ID),
        sa.Column("in_progress_run_id", _ID),
        sa.Column("updated_at", sa.Float),
    ]


def _asset_status() -> None:
    op.create_table(
        "asset_status", sa.Column("asset_key", _KEY, primary_key=True), *_status_columns()
    )
    op.create_index("ix_asset_status_in_progress", "asset_status", ["in_progress_run_id"])


def _asset_partition_status() -> None:
    op.create_table(
        "asset_partition_status",
        sa.Column("asset_key", _KEY, primary_key=True),
        sa.Column("partition", sa.String(255), primary_key=True),
        *_status_columns(),
    )
    op.create_index(
        "ix_asset_partition_status_in_progress", "asset_partition_status", ["in_progress_run_id"]
    )


def _asset_check_status() -> None:
    op.create_table(
        "asset_check_status",
        sa.Column("asset_key", _KEY, primary_key=True),
        sa.Column("check_name", sa.String(255), primary_key=True),
        sa.Column("partition", sa.String(255), primary_key=True),
        sa.Column("last_evaluation_id", _STORAGE_ID),
    )


def _instance_info() -> None:
    op.create_table(
        "instance_info",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def _instigator_state() -> None:
    op.create_table(
        "instigator_state",
        sa.Column("instigator_type", sa.String(32), primary_key=True),
        sa.Column("name", _KEY, primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def _instigator_ticks() -> None:
    op.create_table(
        "instigator_ticks",
        sa.Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
        sa.Column("instigator_type", sa.String(32), nullable=False),
        sa.Column("name", _KEY, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_instigator_ticks_instigator",
        "instigator_ticks",
        ["instigator_type", "name", "timestamp"],
    )
    op.create_index("ix_instigator_ticks_timestamp", "instigator_ticks", ["timestamp"])


def _backfills() -> None:
    op.create_table(
        "backfills",
        sa.Column("backfill_id", _ID, primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_backfills_status", "backfills", ["status"])
    op.create_index("ix_backfills_created_at", "backfills", ["created_at", "backfill_id"])


def _dynamic_partitions() -> None:
    op.create_table(
        "dynamic_partitions",
        sa.Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
        sa.Column("partitions_def_name", sa.String(255), nullable=False),
        sa.Column("partition", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("partitions_def_name", "partition", name="uq_dynamic_partitions_key"),
    )


def _concurrency_pools() -> None:
    op.create_table(
        "concurrency_pools",
        sa.Column("pool", sa.String(255), primary_key=True),
        sa.Column("slot_limit", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def _concurrency_slots() -> None:
    op.create_table(
        "concurrency_slots",
        sa.Column("pool", sa.String(255), primary_key=True),
        sa.Column("run_id", _ID, primary_key=True),
        sa.Column("step_key", sa.String(512), primary_key=True),
        sa.Column("claimed_at", sa.Float, nullable=False),
    )
    op.create_index("ix_concurrency_slots_run_id", "concurrency_slots", ["run_id"])


def _kv_cursors() -> None:
    op.create_table(
        "kv_cursors",
        sa.Column("name", _KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


_TABLES: dict[str, Callable[[], None]] = {
    "runs": _runs,
    "run_tags": _run_tags,
    "run_assets": _run_assets,
    "event_logs": _event_logs,
    "asset_status": _asset_status,
    "asset_partition_status": _asset_partition_status,
    "asset_check_status": _asset_check_status,
    "instance_info": _instance_info,
    "instigator_state": _instigator_state,
    "instigator_ticks": _instigator_ticks,
    "backfills": _backfills,
    "dynamic_partitions": _dynamic_partitions,
    "concurrency_pools": _concurrency_pools,
    "concurrency_slots": _concurrency_slots,
    "kv_cursors": _kv_cursors,
}


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in _TABLES.items():
        if name not in existing:
            create()
    info = sa.table("instance_info", sa.column("key"), sa.column("value"))
    op.execute(info.delete().where(info.c.key.in_(["freshet", "schema_version"])))
    rows = [
        {"key": "freshet", "value": "instance"},
        {"key": "schema_version", "value": str(int(revision))},
    ]
    if "instance_info" not in existing:
        rows.append({"key": "created_at", "value": repr(time.time())})
    op.bulk_insert(info, rows)


def downgrade() -> None:
    raise NotImplementedError("freshet migrations only go forward; restore a backup instead")
