"""How SQL storage gets its connections: one reused write connection per process behind a
thread lock (and an inter-process lock where the backend needs one), pooled reads, and
driver errors translated into `StorageError`s that name the database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from freshet.errors import StorageError
from freshet.storage.sql.dialects import WRITE_OPTION, DialectTraits, dialect_traits


class SqlConnections:
    """The connection discipline shared by every SQL backend. Thread-safe.

    `process_lock` serializes writers of several processes (SQLite); `serialize_reads` is for
    engines sharing one connection between threads (SQLite `:memory:`), where a read must not
    interleave with a write transaction; `read_only` refuses every write.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        backend: str,
        location: str,
        serialize_reads: bool = False,
        process_lock: AbstractContextManager[Any] | None = None,
        read_only: bool = False,
    ) -> None:
        self._engine = engine
        self._read_only = read_only
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._backend = backend
        self._location = location
        self._traits: DialectTraits = dialect_traits(engine.dialect)
        # Writers in one process queue here rather than in the database's lock wait, which
        # on SQLite sleeps in coarse steps.
        self._write_lock = threading.RLock()
        self._process_lock: AbstractContextManager[Any] = process_lock or nullcontext()
        self._read_lock: AbstractContextManager[Any] = (
            self._write_lock if serialize_reads else nullcontext()
        )
        # Writes reuse one connection: checking one out of the pool per batch costs more
        # than SQLite takes to store the batch.
        self._write_conn: Connection | None = None
        self._pid = os.getpid()
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def location(self) -> str:
        """Where the database is, without secrets."""
        return self._location

    @contextmanager
    def write_transaction(self, *, ordered: bool = False) -> Iterator[Connection]:
        """A write transaction, committed on exit; `ordered` for writes that append events or
        rewrite status rows, which must commit in storage id order."""
        with self._writing(ordered=ordered) as conn:
            yield conn

    def close(self) -> None:
        with self._write_lock:
            if self._write_conn is not None and self._pid == os.getpid():
                self._write_conn.close()
            self._write_conn = None
            self._engine.dispose()
            closer = getattr(self._process_lock, "close", None)
            if closer is not None:
                closer()

    @contextmanager
    def _writing(self, *, ordered: bool = False) -> Iterator[Connection]:
        if self._read_only:
            raise StorageError(
                f"the instance database {self._location} was opened read-only (for a command "
                "that only reads); open it without read_only to write"
            )
        with self._write_lock, self._translated(), self._process_lock:
            self._check_process()
            conn = self._write_conn
            if conn is None:
                conn = self._write_conn = self._write_engine.connect()
            try:
                with conn.begin():
                    if ordered and self._traits.order_writes is not None:
                        self._traits.order_writes(conn)
                    yield conn
            except BaseException:
                if conn.invalidated or conn.closed:
                    # The server dropped the connection: the next write opens a new one.
                    self._write_conn = None
                raise

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._read_lock, self._translated():
            self._check_process()
            with self._engine.connect() as conn:
                yield conn

    def _check_process(self) -> None:
        """After a fork, leave the parent's connections alone and open our own."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._write_conn = None
            self._engine.dispose(close=False)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Driver and SQLAlchemy errors become `StorageError`s naming the database."""
        try:
            yield
        except IntegrityError:
            raise
        except (SQLAlchemyError, self._driver_error) as exc:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise StorageError(
                f"the instance database {self._location} failed: {reason}; check that it is "
                "reachable and not corrupt (`freshet instance info`)"
            ) from exc
