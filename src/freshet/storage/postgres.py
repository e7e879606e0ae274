"""The PostgreSQL backend (psycopg 3): one database shared by every process and machine of a
team's instance. Same schema and statements as SQLite; what differs lives in `sql.dialects`.

Secrets stay out of every message: locations are shown as postgresql://user@host:port/db.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time
from collections.abc import Callable
from types import ModuleType

from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from freshet.errors import StorageError
from freshet.storage.sql.dialects import EVENTS_CHANNEL
from freshet.storage.sql.schema import SCHEMA_VERSION
from freshet.storage.sql.schema_check import create_schema, read_schema_version, require_current
from freshet.storage.sql.store import SqlStorage

DRIVER = "postgresql+psycopg"
CONNECT_TIMEOUT_SECONDS = 10
_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_URL_SHAPE = "postgresql://user:password@host:5432/database"
# psycopg prefixes the server's reason with the address, which our message already names.
_ADDRESS_PREFIX = re.compile(
    r'^(connection failed: )?(connection to server at "[^"]*"( \([^)]*\))?, port \d+ failed: )?'
)


class PostgresStorage(SqlStorage):
    """`Storage` in a PostgreSQL database; the schema is created in an empty database.

    `require_current_schema=False` opens an older schema too: for `freshet instance migrate`.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        require_current_schema: bool = True,
        pool_size: int = 5,
    ) -> None:
        parsed = parse_postgres_url(url)
        location = describe_url(parsed)
        if importlib.util.find_spec("psycopg") is None:
            raise StorageError(
                f"PostgreSQL storage ({location}) needs the psycopg driver, which is not "
                "installed; install it with: pip install 'freshet[postgres]'"
            )
        engine = create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            pool_recycle=3600,
            # A pooled connection may have outlived a server restart or failover.
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": "freshet",
            },
        )
        version = _first_contact(engine, parsed, location)
        super().__init__(engine, backend="postgresql", location=location)
        self._url = parsed
        self._listener: _EventListener | None = None
        if version is None:
            version = self._create()
        if require_current_schema:
            require_current(location, version)

    @property
    def url(self) -> URL:
        """The database URL; its str() and repr() hide the password."""
        return self._url

    def wait_for_events(self, after_storage_id: int | None, timeout: float) -> bool:
        """Wakes on NOTIFY from the committing writer; polls if listening is impossible."""
        with self._write_lock:
            if self._listener is None:
                driver = self._engine.dialect.loaded_dbapi
                self._listener = _EventListener(driver, _libpq_url(self._url))
        listener = self._listener
        if listener.failed:
            return super().wait_for_events(after_storage_id, timeout)
        return listener.wait(after_storage_id, timeout, self.get_max_storage_id)

    def close(self) -> None:
        with self._write_lock:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None
        super().close()

    def __repr__(self) -> str:
        return f"PostgresStorage({self._location!r})"

    def _create(self) -> int:
        """The schema in an empty database, unless another process created it meanwhile."""
        with self.write_transaction(ordered=True) as conn:
            version = read_schema_version(conn, self._location)
            if version is None:
                create_schema(conn)
                return SCHEMA_VERSION
        return version


def parse_postgres_url(url: str | URL) -> URL:
    """A PostgreSQL URL for SQLAlchemy's psycopg driver; raises without echoing a password."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"the PostgreSQL url is not a valid URL; write it as {_URL_SHAPE}"
        ) from None
    if parsed.drivername not in _SCHEMES:
        raise StorageError(
            f"the PostgreSQL url starts with {parsed.drivername}://; write it as {_URL_SHAPE}"
        )
    if not parsed.database:
        raise StorageError(
            f"the PostgreSQL url {describe_url(parsed)} names no database; write it as {_URL_SHAPE}"
        )
    return parsed.set(drivername=DRIVER)


def describe_url(url: URL) -> str:
    """postgresql://user@host:port/database: where, without the password."""
    user = f"{url.username}@" if url.username else ""
    return f"postgresql://{user}{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _first_contact(engine: Engine, url: URL, location: str) -> int | None:
    """Connect once to report an unreachable server in one line; the schema version."""
    try:
        with engine.connect() as conn:
            return read_schema_version(conn, location)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = _server_reason(exc, url)
        raise StorageError(
            f"cannot connect to PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}, "
            f"database {url.database!r}"
            + (f" as user {url.username!r}" if url.username else "")
            + f": {reason}; check storage.postgres in freshet.yaml and that the server is "
            "running and reachable"
        ) from None


def _server_reason(exc: SQLAlchemyError, url: URL) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = _ADDRESS_PREFIX.sub("", "; ".join(lines))
    if url.password:
        # the password where it stands alone (`password=...`, `user:...@host`), not inside
        # words: a short password must not garble the server's message
        alone = rf"(?<!\w){re.escape(str(url.password))}(?!\w)"
        reason = re.sub(alone, "***", reason)
    return reason


class _EventListener:
    """LISTENs on the events channel in a daemon thread and wakes waiters on each NOTIFY."""

    def __init__(self, driver: ModuleType, conninfo: str) -> None:
        # `driver` is psycopg as SQLAlchemy loaded it; a module import here would cost every
        # SQLite user its load time.
        self._driver = driver
        self._conninfo = conninfo
        self._newest: int | None = None
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self.failed = False
        self._thread = threading.Thread(target=self._run, name="freshet-pg-listen", daemon=True)
        self._thread.start()
        self._ready.wait(CONNECT_TIMEOUT_SECONDS)

    def wait(
        self, after: int | None, timeout: float, newest_in_db: Callable[[], int | None]
    ) -> bool:
        # The database first: events stored before this listener started sent no NOTIFY.
        newest = newest_in_db()
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                seen = max((n for n in (newest, self._newest) if n is not None), default=None)
                if seen is not None and (after is None or seen > after):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.failed:
                    return False
                self._changed.wait(remaining)
                newest = None

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            with self._driver.connect(self._conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                self._ready.set()
                while not self._stopping.is_set():
                    for notice in conn.notifies(timeout=0.5):
                        self._saw(int(notice.payload))
        except Exception:  # a lost listener falls back to polling; it must not kill the thread
            with self._changed:
                self.failed = True
                self._changed.notify_all()
        finally:
            self._ready.set()

    def _saw(self, storage_id: int) -> None:
        with self._changed:
            if self._newest is None or storage_id > self._newest:
                self._newest = storage_id
            self._changed.notify_all()
