"""The status rows' version columns: schema version 2 adds the data and code versions and the
provenance, version 5 the recorded data time. Migrating an older database fills them from the
events the rows point at, so staleness and freshness read the same as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, text

from freshet.core.keys import AssetKey
from freshet.storage.base import Storage, decode_provenance
from freshet.storage.postgres import PostgresStorage
from freshet.storage.records import Event, EventType
from freshet.storage.sql import schema as s
from freshet.storage.sql.migrate import migrate_database
from freshet.storage.sqlite import SqliteStorage

A = AssetKey("a")
NEW_COLUMNS = ("data_version", "data_version_at", "code_version", "provenance")


def history() -> list[Event]:
    provenance = [{"key": "up", "partition": "p1", "data_version": "u1"}]
    return [
        Event(
            event_type=EventType.ASSET_MATERIALIZATION,
            run_id="r1",
            timestamp=10.0,
            asset_key=A,
            partition="p1",
            data={"data_version": "v1", "code_version": "1", "provenance": provenance},
        ),
        Event(
            event_type=EventType.ASSET_OBSERVATION,
            run_id="r1",
            timestamp=20.0,
            asset_key=A,
            partition="p2",
            data={"data_version": "o2"},
        ),
    ]


def downgrade_to_version_1(url: str) -> None:
    """What a version-1 database looks like: no version columns, revision 0001."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("asset_status", "asset_partition_status"):
            for column in NEW_COLUMNS:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(s.alembic_version.update().values(version_num=s.revision_id(1)))
        conn.execute(text("UPDATE instance_info SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Callable[..., Storage]]:
    path = tmp_path / "old.db"
    return f"sqlite:///{path}", lambda **kw: SqliteStorage(path, **kw)


def _postgres(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Callable[..., Storage]]:
    url: URL = request.getfixturevalue("empty_postgres_url")
    rendered = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return rendered, lambda **kw: PostgresStorage(url, **kw)


def migrated_from(
    version: int,
    url: str,
    open_storage: Callable[..., Storage],
    events: list[Event],
    downgrade: Callable[[str], None],
) -> Storage:
    """A database holding `events`, taken back to `version` by `downgrade`, then migrated:
    the upgraded storage, open."""
    storage = open_storage()
    storage.store_events(events)
    storage.close()
    downgrade(url)
    old = open_storage(require_current_schema=False)
    result = migrate_database(old)
    old.close()
    assert (result.from_version, result.to_version) == (version, s.SCHEMA_VERSION)
    return open_storage()


@pytest.mark.parametrize("backend", [_sqlite, _postgres], ids=["sqlite", "postgres"])
def test_migration_fills_the_version_columns_from_the_events(
    backend: Callable[..., tuple[str, Callable[..., Storage]]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url, open_storage = backend(tmp_path, request)
    upgraded = migrated_from(1, url, open_storage, history(), downgrade_to_version_1)
    try:
        [rows] = upgraded.get_partition_versions([A]).values()
        at = {p: i for i, p in enumerate(rows.partitions)}
        p1, p2 = at["p1"], at["p2"]
        assert (rows.data_versions[p1], rows.code_versions[p1]) == ("v1", "1")
        assert decode_provenance(rows.provenances[p1]) == {"up": [["p1", "u1"]]}
        assert (rows.data_versions[p2], rows.data_version_times[p2]) == ("o2", 20.0)
        [asset_rows] = upgraded.get_asset_versions([A]).values()
        assert asset_rows.data_versions == ("o2",)
        assert asset_rows.code_versions == ("1",)
        assert upgraded.schema_info()["schema_version"] == s.SCHEMA_VERSION
    finally:
        upgraded.close()


def downgrade_to_version_4(url: str) -> None:
    """What a version-4 database looks like: no recorded data time, revision 0004."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("asset_status", "asset_partition_status"):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN data_time"))
        conn.execute(s.alembic_version.update().values(version_num=s.revision_id(4)))
        conn.execute(text("UPDATE instance_info SET value = '4' WHERE key = 'schema_version'"))
    engine.dispose()


@pytest.mark.parametrize("backend", [_sqlite, _postgres], ids=["sqlite", "postgres"])
def test_migration_fills_the_recorded_data_time_from_the_materializations(
    backend: Callable[..., tuple[str, Callable[..., Storage]]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url, open_storage = backend(tmp_path, request)
    b = AssetKey("b")
    upgraded = migrated_from(
        4,
        url,
        open_storage,
        [
            *history(),
            # b: data up to 5.0 (its root data was read then), rebuilt at 30.0
            Event(
                event_type=EventType.ASSET_MATERIALIZATION,
                run_id="r2",
                timestamp=30.0,
                asset_key=b,
                data={"data_version": "b1", "data_time": 5.0},
            ),
        ],
        downgrade_to_version_4,
    )
    try:
        [rows] = upgraded.get_partition_versions([A]).values()
        at = {p: i for i, p in enumerate(rows.partitions)}
        # p1: a materialization without a recorded data time (its own time); p2: observed only
        assert rows.data_times[at["p1"]] == 10.0
        assert rows.data_times[at["p2"]] is None
        [b_rows] = upgraded.get_asset_versions([b]).values()
        assert (b_rows.data_times, b_rows.data_version_times) == ((5.0,), (30.0,))
    finally:
        upgraded.close()
