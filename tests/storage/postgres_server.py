"""The PostgreSQL server the tests use: a fresh database per test session, dropped at the end.

The server is $FRESHET_TEST_POSTGRES_URL (default: postgres on 127.0.0.1:5432). Without a
reachable server the PostgreSQL tests skip, saying why; with FRESHET_REQUIRE_POSTGRES=1 (CI)
they fail instead. Loaded by path from the conftests of tests/storage and tests/instance.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import URL, make_url

URL_ENV = "FRESHET_TEST_POSTGRES_URL"
REQUIRE_ENV = "FRESHET_REQUIRE_POSTGRES"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

_numbers = itertools.count(1)


def server_url() -> URL:
    return make_url(os.environ.get(URL_ENV) or DEFAULT_URL)


def unavailable(reason: str) -> None:
    """Skip, or fail when the PostgreSQL tests are required."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason}; set {URL_ENV} to run the PostgreSQL tests")


def admin_connection(url: URL):  # type: ignore[no-untyped-def]
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install 'freshet[postgres]')")
    target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(target, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        unavailable(f"no PostgreSQL server at {url.host}:{url.port or 5432} ({reason})")
    return None  # unreachable: unavailable() raises


def create_database(suffix: str = "") -> URL:
    """A new, empty database on the server; returns its URL."""
    url = server_url()
    name = f"freshet_test_{os.getpid()}{suffix}"
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name)


def drop_database(url: URL) -> None:
    with admin_connection(server_url()) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def session_database() -> Iterator[URL]:
    """Body of the session fixture: one database for the whole test session."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


def scratch_database() -> Iterator[URL]:
    """Body of a function fixture: an empty database for one test."""
    url = create_database(f"_{next(_numbers)}")
    try:
        yield url
    finally:
        drop_database(url)


def empty_tables(url: URL) -> None:
    """Delete every row a test left, keeping the schema and its markers."""
    with admin_connection(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('instance_info', 'alembic_version')"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
