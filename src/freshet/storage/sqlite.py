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
    queue on the lock file and never reach it. `read_only=True` opens an existing database
    without writing anything beside it (works in a folder the user cannot write to); a file
    opened for writing is first checked to be writable, with its folder.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        require_current_schema: bool = True,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        read_only: bool = False,
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
        if read_only:
            if version is None:
                raise StorageError(f"{file} holds no freshet database yet; nothing to read")
            engine = _read_only_engine(file, busy_timeout_ms)
            super().__init__(engine, backend="sqlite", location=str(file), read_only=True)
            return
        check_writable(file)
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


def check_writable(file: Path) -> None:
    """Raise a `StorageError` saying so when the database or its folder is not writable (a
    read-only home): SQLite would otherwise fail later with 'unable to open database file'."""
    folder = file.parent
    probe = folder / f".{file.name}-write-probe-{os.getpid()}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileNotFoundError:
        return  # the folder is missing: creating the database reports that
    except OSError as exc:
        raise _not_writable(folder, folder, exc) from None
    os.close(descriptor)
    os.unlink(probe)
    # access(), not open(): closing any descriptor of the file would drop the POSIX locks that
    # SQLite connections of this process hold on it
    if file.exists() and not os.access(file, os.W_OK):
        raise _not_writable(folder, file, PermissionError(13, "Permission denied"))


def _not_writable(folder: Path, what: Path, error: OSError) -> StorageError:
    return StorageError(
        f"the instance home {folder} is not writable ({error.strerror or error}: {what}); "
        "commands that only read (runs, backfill list, assets status, instance info) still "
        "work; to write, make it writable or use another home (--home or FRESHET_HOME)"
    )


def _read_only_engine(path: Path, busy_timeout_ms: int) -> Engine:
    """Connections that never write and create nothing beside the file.

    `mode=ro` still needs the -shm file of WAL mode, which SQLite cannot create in a folder
    the user cannot write to; with no -wal file everything is in the main file, and
    `immutable=1` reads it directly."""
    uri = f"{path.as_uri()}?mode=ro"
    probe = sqlite3.connect(uri, uri=True)
    try:
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if path.with_name(f"{path.name}-wal").exists():
            raise StorageError(
                f"cannot read {path} ({exc}): its folder is not writable and recent changes "
                f"are still in {path.name}-wal, which only a process that can write there can "
                "fold in; run a freshet command with write access to the home once"
            ) from None
        uri = f"{path.as_uri()}?immutable=1"
    finally:
        probe.close()
    engine = create_engine(
        "sqlite+pysqlite://",
        creator=partial(sqlite3.connect, uri, uri=True, check_same_thread=False),
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=20,
    )
    _install_listeners(engine, busy_timeout_ms)
    return engine


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
