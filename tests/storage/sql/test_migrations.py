"""Versioned migrations: the scripts build exactly the declared schema on both backends, a
database from before migrations is upgraded with its data, and a failed or refused migration
leaves the database as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import URL, Engine, create_engine, inspect

from freshet.core.keys import AssetKey
from freshet.errors import SchemaVersionError, StorageError
from freshet.storage.postgres import PostgresStorage
from freshet.storage.records import Event, EventType, RunRecord, RunStatus
from freshet.storage.sql import migrate as migrate_module
from freshet.storage.sql import schema as s
from freshet.storage.sql.migrate import alembic_config, head_revision, migrate_database
from freshet.storage.sqlite import SqliteStorage

FOUNDATION_TABLES = {
    "runs",
    "run_tags",
    "run_assets",
    "event_logs",
    "asset_status",
    "asset_partition_status",
    "asset_check_status",
    "instance_info",
}


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), s.metadata)


def run_every_migration(engine: Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def test_newest_script_is_the_schema_version() -> None:
    assert head_revision() == s.revision_id(s.SCHEMA_VERSION)


def test_migrations_build_the_declared_schema_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    run_every_migration(engine)
    assert schema_differences(engine) == []
    engine.dispose()


def test_migrations_build_the_declared_schema_on_postgres(empty_postgres_url: URL) -> None:
    engine = create_engine(empty_postgres_url.set(drivername="postgresql+psycopg"))
    run_every_migration(engine)
    assert schema_differences(engine) == []
    engine.dispose()


def test_a_new_database_gets_the_declared_schema_without_migrating(tmp_path: Path) -> None:
    SqliteStorage(tmp_path / "new.db").close()
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert schema_differences(engine) == []
    engine.dispose()


def write_foundation_db(path: Path) -> None:
    """A database as freshet wrote it before migrations existed, holding one run."""
    storage = SqliteStorage(path)
    storage.add_run(RunRecord(run_id="r1", job_name="job", status=RunStatus.QUEUED))
    storage.store_events(
        [Event(event_type=EventType.ASSET_MATERIALIZATION, run_id="r1", asset_key=AssetKey("a"))]
    )
    storage.close()
    conn = sqlite3.connect(path)
    with conn:
        for table in {t.name for t in s.ALL_TABLES} - FOUNDATION_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute(f"DROP TABLE {s.ALEMBIC_VERSION_TABLE}")
    conn.close()


def test_database_from_before_migrations_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    write_foundation_db(path)
    with pytest.raises(SchemaVersionError, match="freshet instance migrate"):
        SqliteStorage(path)
    storage = SqliteStorage(path, require_current_schema=False)
    result = migrate_database(storage)
    storage.close()
    assert (result.from_version, result.to_version, result.changed) == (0, s.SCHEMA_VERSION, True)
    assert "upgraded" in result.describe()
    upgraded = SqliteStorage(path)
    assert upgraded.get_run("r1") is not None
    assert upgraded.get_latest_materialization(AssetKey("a")) is not None
    upgraded.add_dynamic_partitions("new-table", ["works"])
    upgraded.close()
    engine = create_engine(f"sqlite:///{path}")
    assert schema_differences(engine) == []
    engine.dispose()


def test_migrating_a_current_database_changes_nothing(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "current.db")
    result = migrate_database(storage)
    storage.close()
    assert not result.changed
    assert "up to date" in result.describe()


def test_migrating_an_empty_database_creates_it(empty_postgres_url: URL) -> None:
    storage = PostgresStorage(empty_postgres_url, require_current_schema=False)
    try:
        # Opening created the schema already; a second migration has nothing left to do.
        assert not migrate_database(storage).changed
        assert storage.schema_info()["schema_version"] == s.SCHEMA_VERSION
    finally:
        storage.close()


def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    write_foundation_db(path)
    real_upgrade = command.upgrade

    def upgrade_then_fail(*args: object, **kwargs: object) -> None:
        real_upgrade(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrate_module.command, "upgrade", upgrade_then_fail)
    storage = SqliteStorage(path, require_current_schema=False)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate_database(storage)
    storage.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == FOUNDATION_TABLES
    engine.dispose()


def test_newer_postgres_database_is_refused_untouched(clean_postgres_url: URL) -> None:
    PostgresStorage(clean_postgres_url).close()
    engine = create_engine(clean_postgres_url.set(drivername="postgresql+psycopg"))
    newer = s.revision_id(s.SCHEMA_VERSION + 1)
    with engine.begin() as conn:
        conn.execute(s.alembic_version.update().values(version_num=newer))
    try:
        for require in (True, False):
            with pytest.raises(SchemaVersionError, match=r"newer than this freshet.*upgrade"):
                PostgresStorage(clean_postgres_url, require_current_schema=require)
        with engine.connect() as conn:
            assert conn.scalar(s.alembic_version.select()) == newer
    finally:
        with engine.begin() as conn:
            conn.execute(
                s.alembic_version.update().values(version_num=s.revision_id(s.SCHEMA_VERSION))
            )
        engine.dispose()


def test_postgres_database_of_another_application_is_refused(empty_postgres_url: URL) -> None:
    engine = create_engine(empty_postgres_url.set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customers (id integer primary key)")
    try:
        with pytest.raises(StorageError, match=r"not a freshet instance \(its tables: customers\)"):
            PostgresStorage(empty_postgres_url)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == ["customers"]
    finally:
        engine.dispose()
