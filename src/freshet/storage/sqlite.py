"""The embedded SQLite backend: a file in WAL mode that concurrent processes share safely, or an
in-process `:memory:` database.

A file is inspected read-only before anything is written to it: a foreign, corrupt or newer
database is refused untouched.
"""

from __future__ import annotations

import os
import sqlite3
import time
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, insert, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

from freshet.errors import SchemaVersionError, StorageError
from freshet.storage.sql import schema as s
from freshet.storage.sql.dialects import WRITE_OPTION
from freshet.storage.sql.store import SqlStorage

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"
_MOVE_ASIDE = "point freshet at another file (FRESHET_HOME or freshet.yaml) or move this one away"


class _FileState(Enum):
    NEW = "new"
    FRESHET = "freshet"


class SqliteStorage(SqlStorage):
    """`Storage` in one SQLite file (WAL mode), or in memory with `path=":memory:"`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if os.fspath(path) == MEMORY:
            self._path: Path | None = None
            engine = _memory_engine()
            _create_schema(engine, MEMORY)
            super().__init__(engine, backend="sqlite", location=MEMORY, serialize_reads=True)
            return
        file = Path(path).absolute()
        self._path = file
        state = inspect_file(file)
        engine = _file_engine(file)
        if state is _FileState.NEW:
            _set_wal_mode(engine, file)
            _create_schema(engine, str(file))
        super().__init__(engine, backend="sqlite", location=str(file))

    @property
    def path(self) -> Path | None:
        """The database file; None for `:memory:`."""
        return self._path

    def __repr__(self) -> str:
        return f"SqliteStorage({str(self._path) if self._path else MEMORY!r})"


def inspect_file(path: Path) -> _FileState:
    """Classify a database file without modifying it; raise if freshet must not open it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return _FileState.NEW
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file; {_MOVE_ASIDE}")
    if size == 0:
        return _FileState.NEW
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise StorageError(f"{path} is not a SQLite database; {_MOVE_ASIDE}")
    try:
        info = _read_instance_info(path)
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"{path} is corrupt or unreadable ({exc}); restore it from a backup, or move it "
            "away to start a new instance"
        ) from None
    if info is None:
        return _FileState.NEW
    _check_instance_info(path, info)
    return _FileState.FRESHET


def _read_instance_info(path: Path) -> dict[str, str] | None:
    """The instance_info rows; None for a database without tables. Opened read-only."""
    # With no -wal file beside it, everything is in the main file and "immutable" reads it
    # without creating -wal/-shm files next to a file that may not be ours.
    has_wal = path.with_name(f"{path.name}-wal").exists()
    conn = sqlite3.connect(f"{path.as_uri()}?{'mode=ro' if has_wal else 'immutable=1'}", uri=True)
    try:
        tables = sorted(
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        if not tables:
            return None
        if s.instance_info.name not in tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise StorageError(
                f"{path} is a SQLite database but not a freshet instance (its tables: {shown}); "
                f"{_MOVE_ASIDE}"
            )
        return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM instance_info")}
    finally:
        conn.close()


def _check_instance_info(path: Path, info: dict[str, str]) -> None:
    if info.get(s.INSTANCE_MARKER_KEY) != s.INSTANCE_MARKER_VALUE:
        raise StorageError(f"{path} is a SQLite database but not a freshet instance; {_MOVE_ASIDE}")
    raw = info.get(s.SCHEMA_VERSION_KEY, "")
    if not raw.isdigit():
        raise StorageError(
            f"{path} has an unreadable schema version {raw!r}; restore it from a backup"
        )
    version = int(raw)
    if version > s.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path} has schema version {version}, newer than this freshet supports "
            f"({s.SCHEMA_VERSION}); upgrade freshet to open it"
        )
    if version < s.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path} has schema version {version}, older than this freshet's "
            f"({s.SCHEMA_VERSION}); run `freshet instance migrate` to upgrade it"
        )


def _file_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=20,
        connect_args={"check_same_thread": False},
    )
    _install_listeners(engine)
    return engine


def _memory_engine() -> Engine:
    # One shared connection: every connection to ":memory:" would be a new, empty database.
    engine = create_engine(
        "sqlite+pysqlite://",
        poolclass=StaticPool,
        connect_args={"check_same_thread": False},
    )
    _install_listeners(engine)
    return engine


def _install_listeners(engine: Engine) -> None:
    # SQLAlchemy's documented pysqlite recipe: turn off the driver's own BEGIN handling and
    # emit BEGIN ourselves, IMMEDIATE for writes so that concurrent writer processes queue
    # for the lock (busy_timeout) instead of failing with "database is locked" on upgrade.
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
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


def _create_schema(engine: Engine, location: str) -> None:
    """Create tables and the marker rows, unless another process did it first."""
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            tables = set(inspect(conn).get_table_names())
            if s.instance_info.name in tables:
                return
            if tables:
                raise StorageError(
                    f"{location} is a SQLite database but not a freshet instance; {_MOVE_ASIDE}"
                )
            s.metadata.create_all(conn)
            conn.execute(
                insert(s.instance_info),
                [
                    {"key": s.INSTANCE_MARKER_KEY, "value": s.INSTANCE_MARKER_VALUE},
                    {"key": s.SCHEMA_VERSION_KEY, "value": str(s.SCHEMA_VERSION)},
                    {"key": "created_at", "value": repr(time.time())},
                ],
            )
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageError(
            f"cannot create the freshet database {location} ({reason}); check the path and "
            "permissions"
        ) from None
