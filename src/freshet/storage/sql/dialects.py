"""What differs between SQL backends, kept in one place: upsert constructs, how the storage
ids of a batch of inserted events are read back, long lists of values as one parameter, and
how writes that append events are kept in storage id order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Executable,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects import sqlite

from freshet.errors import StorageError
from freshet.storage.sql.schema import dynamic_partitions, event_logs

WRITE_OPTION = "freshet_write"
"""Execution option marking a write transaction (SQLite begins those with BEGIN IMMEDIATE)."""

INLINE_LIST_LIMIT = 500
"""Up to this many values, `IN (...)` binds one parameter per value; longer lists travel as
one parameter (a JSON array on SQLite, an array on PostgreSQL), so no list of any length hits
a backend's bound-parameter limit ("too many SQL variables")."""

EVENT_ORDER_LOCK_ID = 0x66726573  # "fres"
"""PostgreSQL advisory lock held by every transaction that appends events (see DialectTraits)."""

EVENTS_CHANNEL = "freshet_events"
"""PostgreSQL NOTIFY channel: a payload of the newest storage id after each committed batch."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DialectTraits:
    """Per-backend behaviour of the write path.

    `order_writes` runs first in a transaction that appends events or rewrites status rows.
    On PostgreSQL it takes a transaction-scoped advisory lock, so such transactions commit in
    the order their storage ids were drawn: a reader tailing the log after id N never skips
    an id that commits later, and the latest-materialization pointers never move backwards.
    SQLite has a single writer at a time already.
    """

    name: str
    order_writes: Callable[[Connection], None] | None
    notify_events: Callable[[Connection, int], None] | None


def dialect_traits(dialect: Dialect) -> DialectTraits:
    if dialect.name == "postgresql":
        return DialectTraits(
            name=dialect.name, order_writes=_pg_order_writes, notify_events=_pg_notify_events
        )
    return DialectTraits(name=dialect.name, order_writes=None, notify_events=None)


def _pg_order_writes(conn: Connection) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SELECT pg_advisory_xact_lock({EVENT_ORDER_LOCK_ID})")


def _pg_notify_events(conn: Connection, last_id: int) -> None:
    # Delivered at commit, only if the transaction commits.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"NOTIFY {EVENTS_CHANNEL}, '{int(last_id)}'")


def in_values(column: Any, values: Sequence[str], dialect_name: str) -> ColumnElement[bool]:
    """`column IN values` for a list of any length."""
    if len(values) <= INLINE_LIST_LIMIT:
        return column.in_(list(values))
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql  # start-up time: see schema.py

        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
    rows = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    )
    return column.in_(rows.scalar_subquery())


class UpsertInsert(Protocol):
    """An INSERT construct with ON CONFLICT support (SQLite and PostgreSQL share this API)."""

    excluded: Any

    def on_conflict_do_update(self, *, index_elements: Sequence[Any], set_: Any) -> Any: ...

    def on_conflict_do_nothing(self) -> Any: ...


def upsert_factory(dialect_name: str) -> Callable[[Table], UpsertInsert]:
    if dialect_name == "sqlite":
        return sqlite.insert
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql  # start-up time: see schema.py

        return postgresql.insert
    raise StorageError(
        f"freshet storage does not support the {dialect_name!r} database; use SQLite or PostgreSQL"
    )


class PreparedStatement:
    """A statement compiled once for one dialect, executed on the DBAPI cursor.

    This is the event hot path: SQLAlchemy does not cache dialect-specific upserts (ON
    CONFLICT) and its per-execute bookkeeping costs more than SQLite's own work, so each
    statement is compiled once and its parameter rows (keyed by bind name) go straight to the
    driver, in the driver's paramstyle. It is compiled on first use, so that opening a storage
    (every CLI command does) compiles only the statements its work runs.
    """

    __slots__ = ("_dialect", "_order", "_sql", "_statement")

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        self._statement = statement
        self._dialect = dialect
        self._order: Callable[[Mapping[str, Any]], Any] | None = None
        self._sql: str | None = None

    @property
    def sql(self) -> str:
        return self._sql if self._sql is not None else self._compile()

    def _compile(self) -> str:
        # Two threads may both compile: they reach the same result, and `_order` is set before
        # `_sql`, so a thread that sees the SQL sees its parameter order too.
        dialect = self._dialect
        compiled = self._statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ()) if dialect.positional else None
        if names is not None and len(names) > 1:
            self._order = itemgetter(*names)
        elif names:
            name = names[0]
            self._order = lambda row: (row[name],)
        self._sql = sql = compiled.string
        return sql

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Execute once per row (executemany when several); returns the DBAPI cursor."""
        sql = self._sql if self._sql is not None else self._compile()
        order = self._order
        params: list[Any] = list(rows) if order is None else [order(row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if len(params) == 1:
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)
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


DynamicPartitionsInserter = Callable[[Connection, str, Sequence[str], float], None]

DYNAMIC_PARTITIONS_PER_STATEMENT = 10_000


def dynamic_partitions_inserter(dialect: Dialect) -> DynamicPartitionsInserter:
    """A function adding partition keys of one definition in order, skipping existing ones."""
    if dialect.name == "postgresql":
        return _unnest_partitions_insert
    upsert = upsert_factory(dialect.name)
    names = ("partitions_def_name", "partition", "created_at")
    statement = PreparedStatement(
        upsert(dynamic_partitions).values(bound_values(names)).on_conflict_do_nothing(), dialect
    )

    def insert_rows(conn: Connection, name: str, keys: Sequence[str], at: float) -> None:
        # executemany binds 3 parameters per row, however many rows: no variable limit.
        rows = [{"partitions_def_name": name, "partition": key, "created_at": at} for key in keys]
        statement.run(conn, rows)

    return insert_rows


_UNNEST_INSERT = (
    "INSERT INTO dynamic_partitions (partitions_def_name, partition, created_at) "
    "SELECT %(name)s, t.key, %(at)s FROM unnest(%(keys)s::text[]) WITH ORDINALITY AS t(key, n) "
    "ORDER BY t.n ON CONFLICT DO NOTHING"
)


def _unnest_partitions_insert(conn: Connection, name: str, keys: Sequence[str], at: float) -> None:
    # One array parameter per statement; ORDER BY draws the ids in the given order.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for start in range(0, len(keys), DYNAMIC_PARTITIONS_PER_STATEMENT):
        chunk = list(keys[start : start + DYNAMIC_PARTITIONS_PER_STATEMENT])
        cursor.execute(_UNNEST_INSERT, {"name": name, "at": at, "keys": chunk})
