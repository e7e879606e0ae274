"""SQLite specifics: refusing files that are not ours untouched, WAL, pragmas, the writer lock
file, and rollback of a failed batch. Multi-process writers: test_concurrency.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from freshet.errors import SchemaVersionError, StorageError
from freshet.storage.records import Event, EventType, RunRecord, RunStatus
from freshet.storage.sql import status_writes
from freshet.storage.sql.schema import SCHEMA_VERSION
from freshet.storage.sqlite import SqliteStorage


def make_freshet_db(path: Path) -> None:
    storage = SqliteStorage(path)
    storage.add_run(RunRecord(run_id="r1", job_name="job", status=RunStatus.QUEUED))
    storage.close()


def set_schema_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()


def write_foundation_db(path: Path) -> None:
    """A database as freshet wrote it before migrations: no Alembic table."""
    make_freshet_db(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE alembic_version")
    conn.close()


def write_foreign_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()


def write_random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def write_corrupt_freshet_db(path: Path) -> None:
    make_freshet_db(path)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * 3996 + data[4096:])  # page 1: the schema


def write_newer_freshet_db(path: Path) -> None:
    make_freshet_db(path)
    set_schema_revision(path, f"{SCHEMA_VERSION + 1:04d}")


def write_unknown_revision_db(path: Path) -> None:
    make_freshet_db(path)
    set_schema_revision(path, "ae1027a6acf")


@pytest.mark.parametrize(
    ("write", "error", "message"),
    [
        (write_random_bytes, StorageError, "is not a SQLite database"),
        (write_foreign_db, StorageError, r"not a freshet instance \(its tables: users\)"),
        (write_corrupt_freshet_db, StorageError, "is corrupt or unreadable"),
        (write_newer_freshet_db, SchemaVersionError, "newer than this freshet.*upgrade freshet"),
        (write_unknown_revision_db, SchemaVersionError, "does not know.*upgrade freshet"),
        (write_foundation_db, SchemaVersionError, "version 0, older.*freshet instance migrate"),
    ],
    ids=["random-bytes", "foreign-db", "corrupt", "newer-schema", "unknown-revision", "older"],
)
def test_refused_file_is_left_untouched(
    tmp_path: Path,
    write: Callable[[Path], None],
    error: type[Exception],
    message: str,
) -> None:
    path = tmp_path / "freshet.db"
    write(path)
    before = path.read_bytes()
    files = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(error, match=message) as raised:
        SqliteStorage(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a directory"):
        SqliteStorage(tmp_path)


@pytest.mark.parametrize(
    "prepare",
    [
        lambda path: None,
        lambda path: path.write_bytes(b""),
        lambda path: sqlite3.connect(path).close(),
    ],
    ids=["missing-file", "empty-file", "empty-sqlite-db"],
)
def test_new_database_is_created_in_wal_mode_with_marker(
    tmp_path: Path, prepare: Callable[[Path], object]
) -> None:
    path = tmp_path / "freshet.db"
    prepare(path)
    SqliteStorage(path).close()
    conn = sqlite3.connect(path)
    info = dict(conn.execute("SELECT key, value FROM instance_info"))
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert info["freshet"] == "instance"
    assert info["schema_version"] == str(SCHEMA_VERSION)
    assert revision == [(f"{SCHEMA_VERSION:04d}",)]
    assert journal_mode == "wal"


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "freshet.db"
    make_freshet_db(path)
    storage = SqliteStorage(path)
    ids = storage.store_events([Event(event_type=EventType.RUN_START, run_id="r1")])
    storage.close()
    reopened = SqliteStorage(path)
    assert reopened.get_run("r1").status is RunStatus.STARTED
    assert [r.storage_id for r in reopened.get_event_records()] == ids
    assert reopened.schema_info()["location"] == str(path)
    reopened.close()


def test_connections_use_the_documented_pragmas(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "freshet.db")
    with storage.engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("busy_timeout", "synchronous", "foreign_keys", "journal_mode")
        }
    storage.close()
    assert pragmas == {
        "busy_timeout": 30000,
        "synchronous": 1,
        "foreign_keys": 1,
        "journal_mode": "wal",
    }


def test_failure_inside_the_transaction_rolls_back_the_whole_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SqliteStorage(tmp_path / "freshet.db")
    storage.store_events([Event(event_type=EventType.LOG, run_id="r0")])

    def explode(*_args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    # Fails after the events were inserted, while the status indexes are being updated.
    monkeypatch.setattr("freshet.storage.sql.store.plan_status_writes", explode)
    with pytest.raises(StorageError, match="disk I/O error"):
        storage.store_events([Event(event_type=EventType.LOG, run_id="r1")] * 3)
    monkeypatch.setattr(
        "freshet.storage.sql.store.plan_status_writes", status_writes.plan_status_writes
    )
    assert [r.run_id for r in storage.get_event_records()] == ["r0"]
    (next_id,) = storage.store_events([Event(event_type=EventType.LOG, run_id="r2")])
    assert [r.storage_id for r in storage.get_event_records()][-1] == next_id
    storage.close()


def test_writers_take_the_lock_file_beside_the_database(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "freshet.db")
    storage.store_events([Event(event_type=EventType.LOG, run_id="r1")])
    assert storage.write_lock_path == tmp_path / "freshet.db-writer.lock"
    assert storage.write_lock_path.is_file()
    storage.close()
    assert SqliteStorage(":memory:").write_lock_path is None


def test_schema_info_reports_the_schema_version(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "freshet.db")
    assert storage.schema_info()["schema_version"] == SCHEMA_VERSION
    storage.close()


def test_read_only_storage_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "freshet.db"
    writer = SqliteStorage(path)
    writer.add_run(RunRecord(run_id="r1", job_name="job", status=RunStatus.SUCCESS))
    writer.close()
    before = path.read_bytes()
    reader = SqliteStorage(path, read_only=True)
    try:
        assert [run.run_id for run in reader.get_runs()] == ["r1"]
        with pytest.raises(StorageError, match="opened read-only"):
            reader.add_run(RunRecord(run_id="r2", job_name="job", status=RunStatus.QUEUED))
    finally:
        reader.close()
    assert path.read_bytes() == before
