"""What differs between SQL backends, kept in one place: upsert constructs and how the storage
ids of a batch of inserted events are read back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import Connection, Dialect, Executable, Table, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite

from freshet.errors import StorageError
from freshet.storage.sql.schema import event_logs

WRITE_OPTION = "freshet_write"
"""Execution option marking a write transaction (SQLite begins those with BEGIN IMMEDIATE)."""


class UpsertInsert(Protocol):
    """An INSERT construct with ON CONFLICT support (SQLite and PostgreSQL share this API)."""

    excluded: Any

    def on_conflict_do_update(self, *, index_elements: Sequence[Any], set_: Any) -> Any: ...


def upsert_factory(dialect_name: str) -> Callable[[Table], UpsertInsert]:
    if dialect_name == "sqlite":
        return sqlite.insert
    if dialect_name == "postgresql":
        return postgresql.insert
    raise StorageError(
        f"freshet storage does not support the {dialect_name!r} database; use SQLite or PostgreSQL"
    )


class PreparedStatement:
    """A statement compiled once for one dialect, executed on the DBAPI cursor.

    This is the event hot path: SQLAlchemy does not cache dialect-specific upserts (ON
    CONFLICT) and its per-execute bookkeeping costs more than SQLite's own work, so each
    statement is compiled once and its parameter rows (keyed by bind name) go straight to the
    driver, in the driver's paramstyle.
    """

    __slots__ = ("_order", "sql")

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        names = tuple(compiled.positiontup or ()) if dialect.positional else None
        if names is not None and len(names) > 1:
            self._order: Callable[[Mapping[str, Any]], Any] | None = itemgetter(*names)
        elif names:
            name = names[0]
            self._order = lambda row: (row[name],)
        else:
            self._order = None

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Execute once per row (executemany when several); returns the DBAPI cursor."""
        order = self._order
        params: list[Any] = list(rows) if order is None else [order(row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if len(params) == 1:
            cursor.execute(self.sql, params[0])
        else:
            cursor.executemany(self.sql, params)
        return cursor


def bound_values(names: Sequence[str]) -> dict[str, Any]:
    """`.values()` for an INSERT whose parameters are bound by column name."""
    return {name: bindparam(name) for name in names}


EVENT_COLUMNS = (
    "run_id",
    "event_type",
    "step_key",
    "asset_key",
    "partition",
    "timestamp",
    "level",
    "body",
)

EventInserter = Callable[[Connection, list[dict[str, Any]]], list[int]]


def event_inserter(dialect: Dialect) -> EventInserter:
    """A function inserting event rows in order and returning their storage ids."""
    if dialect.name == "sqlite":
        return _SqliteEventInserter(dialect)
    return _ReturningEventInserter(dialect)


class _SqliteEventInserter:
    def __init__(self, dialect: Dialect) -> None:
        self._insert = PreparedStatement(
            insert(event_logs).values(bound_values(EVENT_COLUMNS)), dialect
        )

    def __call__(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        # The write transaction holds SQLite's only write lock, so one executemany allocates
        # consecutive ids ending at last_insert_rowid(): no RETURNING round trip needed.
        cursor = self._insert.run(conn, rows)
        if len(rows) == 1:
            return [cursor.lastrowid]
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
        return list(range(last - len(rows) + 1, last + 1))


class _ReturningEventInserter:
    def __init__(self, dialect: Dialect) -> None:
        self._insert = (
            insert(event_logs)
            .values(bound_values(EVENT_COLUMNS))
            .returning(event_logs.c.id, sort_by_parameter_order=True)
        )

    def __call__(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        # Concurrent sessions may interleave sequence values, so ask for the ids, in row order.
        return list(conn.execute(self._insert, rows).scalars())
