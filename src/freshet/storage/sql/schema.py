"""The SQL schema of an instance, as SQLAlchemy Core tables: one schema for SQLite and PostgreSQL.

Timestamps are float epoch seconds, asset keys their user string ("a/b"); `body` columns hold
the versioned JSON of `storage.serde`, the other columns exist to be filtered and indexed.
The migrations in `migrations/versions/` build exactly this schema (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from freshet.storage.records import MAX_KEY_LENGTH, MAX_PARTITION_LENGTH

SCHEMA_VERSION = 5
"""The newest migration's number: its Alembic revision id is this number as 4 digits.

A database at a higher number is refused (upgrade freshet), at a lower one too (migrate)."""

ALEMBIC_VERSION_TABLE = "alembic_version"

INSTANCE_MARKER_KEY = "freshet"
INSTANCE_MARKER_VALUE = "instance"
SCHEMA_VERSION_KEY = "schema_version"
"""Mirrors the Alembic revision in instance_info, so that builds from before Alembic (which
read only this row) refuse a newer database too."""

NO_PARTITION = ""
"""`asset_check_status.partition` of an unpartitioned evaluation (a primary key can't be NULL)."""

_KEY = String(MAX_KEY_LENGTH)
_ID = String(MAX_PARTITION_LENGTH)
_PARTITION = String(MAX_PARTITION_LENGTH)
# SQLite only aliases the rowid (and autoincrements) for exactly "INTEGER PRIMARY KEY".
_STORAGE_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", _ID, primary_key=True),
    Column("job_name", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("partition", _PARTITION),
    Column("parent_run_id", _ID),
    Column("root_run_id", _ID),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float),
    Column("started_at", Float),
    Column("ended_at", Float),
    Index("ix_runs_status", "status"),
    Index("ix_runs_job_name", "job_name"),
    Index("ix_runs_created_at", "created_at", "run_id"),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", _ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_run_tags_key_value", "key", "value"),
)

run_assets = Table(
    "run_assets",
    metadata,
    Column("run_id", _ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("asset_key", _KEY, primary_key=True),
    Index("ix_run_assets_asset_key", "asset_key", "run_id"),
)

_ASSET_EVENTS_ONLY = text("asset_key IS NOT NULL")

event_logs = Table(
    "event_logs",
    metadata,
    Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
    Column("run_id", _ID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("step_key", _KEY),
    Column("asset_key", _KEY),
    Column("partition", _PARTITION),
    Column("timestamp", Float, nullable=False),
    Column("level", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_event_logs_run_id", "run_id", "id"),
    # Partial: most events have no asset, and an index they don't touch is one page less
    # to write per commit on the hot path. `asset_key = ?` implies the condition. (Its
    # PostgreSQL spelling is added by `add_postgresql_options`.)
    Index(
        "ix_event_logs_asset_key",
        "asset_key",
        "event_type",
        "id",
        sqlite_where=_ASSET_EVENTS_ONLY,
    ),
    Index("ix_event_logs_event_type", "event_type", "id"),
    # Storage ids are never reused, even after the newest run is deleted: readers tail the
    # log with `after_storage_id`.
    sqlite_autoincrement=True,
)


def _status_columns() -> list[Column[object]]:
    return [
        Column("last_materialization_id", _STORAGE_ID),
        Column("last_observation_id", _STORAGE_ID),
        Column("last_run_id", _ID),
        Column("last_failed_run_id", _ID),
        Column("in_progress_run_id", _ID),
        Column("updated_at", Float),
        # Copied from the latest materialization / observation (storage.batch.version_columns)
        # so that staleness of 100k+ partitions reads no event body (schema version 2).
        Column("data_version", Text),
        Column("data_version_at", Float),
        Column("code_version", Text),
        Column("provenance", Text),
        # The data time the latest materialization recorded, so that freshness reads no
        # event body either (schema version 5).
        Column("data_time", Float),
    ]


asset_status = Table(
    "asset_status",
    metadata,
    Column("asset_key", _KEY, primary_key=True),
    *_status_columns(),
    # A finished run clears the in-progress marks it left, by this column.
    Index("ix_asset_status_in_progress", "in_progress_run_id"),
)

asset_partition_status = Table(
    "asset_partition_status",
    metadata,
    Column("asset_key", _KEY, primary_key=True),
    Column("partition", _PARTITION, primary_key=True),
    *_status_columns(),
    Index("ix_asset_partition_status_in_progress", "in_progress_run_id"),
)

asset_check_status = Table(
    "asset_check_status",
    metadata,
    Column("asset_key", _KEY, primary_key=True),
    Column("check_name", String(255), primary_key=True),
    Column("partition", _PARTITION, primary_key=True),
    Column("last_evaluation_id", _STORAGE_ID),
)

instance_info = Table(
    "instance_info",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- state of the daemon's duties ------------------------------------------------------------

instigator_state = Table(
    "instigator_state",
    metadata,
    Column("instigator_type", String(32), primary_key=True),
    Column("name", _KEY, primary_key=True),
    Column("status", String(32), nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("body", Text, nullable=False),
)

instigator_ticks = Table(
    "instigator_ticks",
    metadata,
    Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
    Column("instigator_type", String(32), nullable=False),
    Column("name", _KEY, nullable=False),
    Column("status", String(32), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_instigator_ticks_instigator", "instigator_type", "name", "timestamp"),
    Index("ix_instigator_ticks_timestamp", "timestamp"),
    sqlite_autoincrement=True,
)

automation_evaluations = Table(
    "automation_evaluations",
    metadata,
    Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
    Column("tick_id", _STORAGE_ID, nullable=False),
    Column("asset_key", _KEY, nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("num_requested", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_automation_evaluations_asset", "asset_key", "tick_id"),
    Index("ix_automation_evaluations_tick", "tick_id"),
    sqlite_autoincrement=True,
)

backfills = Table(
    "backfills",
    metadata,
    Column("backfill_id", _ID, primary_key=True),
    Column("status", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_backfills_status", "status"),
    Index("ix_backfills_created_at", "created_at", "backfill_id"),
)

dynamic_partitions = Table(
    "dynamic_partitions",
    metadata,
    # The id orders a definition's partitions as they were added.
    Column("id", _STORAGE_ID, primary_key=True, autoincrement=True),
    Column("partitions_def_name", _ID, nullable=False),
    Column("partition", _PARTITION, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("partitions_def_name", "partition", name="uq_dynamic_partitions_key"),
)

concurrency_pools = Table(
    "concurrency_pools",
    metadata,
    Column("pool", _ID, primary_key=True),
    Column("slot_limit", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

concurrency_slots = Table(
    "concurrency_slots",
    metadata,
    Column("pool", _ID, primary_key=True),
    Column("run_id", _ID, primary_key=True),
    Column("step_key", _KEY, primary_key=True),
    Column("claimed_at", Float, nullable=False),
    Index("ix_concurrency_slots_run_id", "run_id"),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    # kind: a daemon duty or a run worker; name: the duty's name or the run id (version 3)
    Column("kind", String(32), primary_key=True),
    Column("name", _KEY, primary_key=True),
    Column("timestamp", Float, nullable=False),
    Column("body", Text, nullable=False),
)

kv_cursors = Table(
    "kv_cursors",
    metadata,
    Column("name", _KEY, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

ALL_TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)

version_metadata = MetaData()
"""Alembic's own table, kept apart: migrations compare `metadata` with a database and must
not see it as one of ours."""

alembic_version = Table(
    ALEMBIC_VERSION_TABLE,
    version_metadata,
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def revision_id(version: int) -> str:
    """The Alembic revision id of schema version `version`."""
    return f"{version:04d}"


def version_of_revision(revision: str) -> int | None:
    """The schema version an Alembic revision id stands for; None if it is not one of ours."""
    return int(revision) if len(revision) == 4 and revision.isdigit() else None


def add_postgresql_options() -> None:
    """Add to the declared schema what only PostgreSQL reads: the partial index's condition,
    in its spelling. Naming a dialect's option imports SQLAlchemy's dialect to check it (the
    PostgreSQL one costs ~30 ms), so it is added only where a PostgreSQL schema is created,
    migrated or compared; the call is idempotent."""
    index = next(i for i in event_logs.indexes if i.name == "ix_event_logs_asset_key")
    options = index.dialect_options["postgresql"]
    if options["where"] is None:
        options["where"] = _ASSET_EVENTS_ONLY
