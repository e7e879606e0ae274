"""The embedded SQLite backend: a file in WAL mode that concurrent processes share safely, or an
in-process `:memory:` database.

A file is inspected read-only before anything is written to it: a foreign, corrupt, newer or
older database is refused untouched. Writers of every process take an exclusive file lock
(`file_lock`) before SQLite's own, so they queue instead of failing "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

from freshet.errors import StorageError
from freshet.storage.file_lock import FileWriteLock
from freshet.storage.sql import schema as s
from freshet.storage.sql.dialects import WRITE_OPTION
from freshet.storage.sql.schema_check import (
    MOVE_ASIDE,
    classify,
    create_schema,
    read_schema_version,
    require_current,
)
from freshet.storage.sql.store import SqlStorage

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"


class SqliteStorage(SqlStorage):
    """`Storage` in one SQLite file (WAL mode), or in memory with `path=":memory:"`.

    `require_current_schema=False` opens an older schema too: for `freshet instance migrate`.
    `busy_timeout_ms` bounds the wait for writers of other programs; freshet's own writers
    queue on the lock file and never reach it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        require_current_schema: bool = True,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self._path: Path | None = None
        self._file_lock: FileWriteLock | None = None
        if os.fspath(path) == MEMORY:
            engine = _memory_engine(busy_timeout_ms)
            with engine.begin() as conn:
                create_schema(conn)
            super().__init__(engine, backend="sqlite", location=MEMORY, serialize_reads=True)
            return
        file = Path(path).absolute()
        self._path = file
        version = inspect_file(file)
        if version is not None and require_current_schema:
            require_current(str(file), version)
        engine = _file_engine(file, busy_timeout_ms)
        self._file_lock = FileWriteLock(file)
        super().__init__(engine, backend="sqlite", location=str(file), process_lock=self._file_lock)
        if version is None:
            try:
                self._create(file)
            except BaseException:
                self.close()
                raise

    @property
    def path(self) -> Path | None:
        """The database file; None for `:memory:`."""
        return self._path

    def __repr__(self) -> str:
        return f"SqliteStorage({str(self._path) if self._path else MEMORY!r})"

    @property
    def write_lock_path(self) -> Path | None:
        """The lock file writers of every process take; None for `:memory:`."""
        return None if self._file_lock is None else self._file_lock.path

    def _create(self, file: Path) -> None:
        """WAL mode and the schema, unless another process got there first."""
        with self._write_lock, self._process_lock:
            _set_wal_mode(self._engine, file)
        with self.write_transaction() as conn:
            if read_schema_version(conn, str(file)) is None:
                create_schema(conn)


def inspect_file(path: Path) -> int | None:
    """The schema version of a database file, None if it is new or empty, read without
    modifying it; raise if freshet must not open it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file; {MOVE_ASIDE}")
    if size == 0:
        return None
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise StorageError(f"{path} is not a SQLite database; {MOVE_ASIDE}")
    try:
        tables, info, revisions = _read_markers(path)
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"{path} is corrupt or unreadable ({exc}); restore it from a backup, or move it "
            "away to start a new instance"
        ) from None
    return classify(str(path), tables, info, revisions)


def _read_markers(path: Path) -> tuple[list[str], dict[str, str] | None, list[str] | None]:
    """Table names, instance_info rows and Alembic revisions, opened read-only."""
    # With no -wal file beside it, everything is in the main file and "immutable" reads it
    # without creating -wal/-shm files next to a file that may not be ours.
    has_wal = path.with_name(f"{path.name}-wal").exists()
    conn = sqlite3.connect(f"{path.as_uri()}?{'mode=ro' if has_wal else 'immutable=1'}", uri=True)
    try:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        tables = [name for name in tables if not name.startswith("sqlite_")]
        info = None
        if s.instance_info.name in tables:
            rows = conn.execute("SELECT key, value FROM instance_info")
            info = {str(k): str(v) for k, v in rows}
        revisions = None
        if s.ALEMBIC_VERSION_TABLE in tables:
            rows = conn.execute(f"SELECT version_num FROM {s.ALEMBIC_VERSION_TABLE}")
            revisions = [str(row[0]) for row in rows]
        return tables, info, revisions
    finally:
        conn.close()


def _file_engine(path: Path, busy_timeout_ms: int) -> Engine:
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=20,
        connect_args={"check_same_thread": False},
    )
    _install_listeners(engine, busy_timeout_ms)
    return engine


def _memory_engine(busy_timeout_ms: int) -> Engine:
    # One shared connection: every connection to ":memory:" would be a new, empty database.
    engine = create_engine(
        "sqlite+pysqlite://",
        poolclass=StaticPool,
        connect_args={"check_same_thread": False},
    )
    _install_listeners(engine, busy_timeout_ms)
    return engine


def _install_listeners(engine: Engine, busy_timeout_ms: int) -> None:
    # SQLAlchemy's documented pysqlite recipe: turn off the driver's own BEGIN handling and
    # emit BEGIN ourselves, IMMEDIATE for writes: a write transaction never starts as a read
    # and then fails "database is locked" when it upgrades. Writers from other programs (the
    # sqlite3 shell) still meet freshet's at SQLite's lock, and wait up to busy_timeout.
    event.listen(engine, "connect", partial(_on_connect, int(busy_timeout_ms)))
    event.listen(engine, "begin", _on_begin)


def _on_connect(busy_timeout_ms: int, dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    # On the driver connection directly: this runs once per write, on the hot path.
    conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        "BEGIN IMMEDIATE" if write else "BEGIN"
    )


def _set_wal_mode(engine: Engine, file: Path) -> None:
    """WAL is a property of the file, set once; outside a transaction, as SQLite requires."""
    try:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
        finally:
            raw.close()
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open {file} ({exc}); check the path and permissions") from None
