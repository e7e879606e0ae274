"""PostgreSQL specifics: one-line connection errors without secrets, URL forms, and the live
tail woken by NOTIFY from another connection."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
from sqlalchemy import URL, make_url

from freshet.errors import StorageError
from freshet.storage.postgres import PostgresStorage, describe_url, parse_postgres_url
from freshet.storage.records import Event, EventType

SECRET = "s3cr3t-Pa55"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_one_line_naming_host_port_and_database() -> None:
    port = free_port()
    with pytest.raises(StorageError) as raised:
        PostgresStorage(f"postgresql://freshet:{SECRET}@127.0.0.1:{port}/prod")
    message = str(raised.value)
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}, database 'prod'" in message
    assert "Connection refused" in message
    assert "\n" not in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("password", "said", "shown"),
    [
        (SECRET, f"invalid dsn: password={SECRET} host=x", "invalid dsn: password=*** host=x"),
        ("p", "is the server accepting TCP/IP connections", "accepting TCP/IP connections"),
        ("p", "connection to u:p@db failed", "connection to u:***@db failed"),
    ],
)
def test_a_server_message_hides_the_password_where_it_stands_alone(
    password: str, said: str, shown: str
) -> None:
    from sqlalchemy.exc import OperationalError

    from freshet.storage.postgres import _server_reason

    error = OperationalError("connect", {}, Exception(said))
    reason = _server_reason(error, make_url(f"postgresql://u:{password}@db/prod"))
    assert shown in reason


def test_missing_driver_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import freshet.storage.postgres as postgres

    real = postgres.importlib.util.find_spec
    monkeypatch.setattr(
        postgres.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "psycopg" else real(name, *args),
    )
    with pytest.raises(StorageError, match=r"pip install 'freshet\[postgres\]'"):
        PostgresStorage("postgresql://someone@127.0.0.1:5432/db")


def test_unknown_database_reports_the_servers_reason(postgres_url: URL) -> None:
    url = postgres_url.set(database="freshet_no_such_database", password=SECRET)
    with pytest.raises(StorageError, match='database "freshet_no_such_database" does not exist'):
        PostgresStorage(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "starts with mysql://"),
        (f"postgresql://u:{SECRET}@h:notaport/db", "not a valid URL"),
        (f"postgresql://u:{SECRET}@h:5432", "names no database"),
    ],
    ids=["other-database", "bad-port", "no-database"],
)
def test_bad_url_is_refused_without_echoing_it(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as raised:
        parse_postgres_url(url)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "scheme", ["postgresql", "postgres", "postgresql+psycopg"], ids=lambda s: s
)
def test_url_schemes_map_to_the_psycopg_driver(scheme: str) -> None:
    parsed = parse_postgres_url(f"{scheme}://u:{SECRET}@db.internal/freshet")
    assert parsed.drivername == "postgresql+psycopg"
    assert describe_url(parsed) == "postgresql://u@db.internal:5432/freshet"


def test_location_and_repr_hide_the_password(clean_postgres_url: URL) -> None:
    storage = PostgresStorage(clean_postgres_url)
    try:
        assert storage.schema_info()["backend"] == "postgresql"
        assert storage.location == describe_url(make_url(clean_postgres_url))
        assert "***" in str(storage.url.set(password=SECRET))
        assert SECRET not in repr(storage)
    finally:
        storage.close()


def test_waiting_reader_wakes_on_another_connections_commit(clean_postgres_url: URL) -> None:
    reader = PostgresStorage(clean_postgres_url)
    writer = PostgresStorage(clean_postgres_url)
    try:
        (first,) = writer.store_events([Event(event_type=EventType.LOG, run_id="r1")])
        assert reader.wait_for_events(first, timeout=0.1) is False
        later = threading.Timer(
            0.2, lambda: writer.store_events([Event(event_type=EventType.LOG, run_id="r1")])
        )
        later.start()
        assert reader.wait_for_events(first, timeout=30) is True
        later.join()
        assert [r.storage_id > first for r in reader.get_event_records(after_storage_id=first)] == [
            True
        ]
    finally:
        reader.close()
        writer.close()


@pytest.mark.parametrize(
    ("required", "outcome"),
    [("1", pytest.fail.Exception), ("", pytest.skip.Exception)],
    ids=["required-fails", "optional-skips"],
)
def test_missing_server_skips_unless_required(
    monkeypatch: pytest.MonkeyPatch, required: str, outcome: type[BaseException]
) -> None:
    pg = sys.modules["freshet_tests_postgres_server"]
    monkeypatch.setenv(pg.REQUIRE_ENV, required)
    monkeypatch.setenv(pg.URL_ENV, f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    with pytest.raises(outcome, match=r"no PostgreSQL server at 127\.0\.0\.1"):
        pg.admin_connection(pg.server_url())


NEW_DATABASE_PROBE = """
import sys
from sqlalchemy import make_url, text
from freshet.storage.postgres import PostgresStorage
storage = PostgresStorage(make_url(sys.argv[1]))
with storage.engine.connect() as conn:
    print(conn.scalar(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_event_logs_asset_key'"
    )))
storage.close()
"""


def test_a_new_database_gets_the_partial_asset_index_in_a_fresh_process(
    empty_postgres_url: URL,
) -> None:
    # a fresh process: the PostgreSQL spelling of the index condition is added on first use
    url = empty_postgres_url.render_as_string(hide_password=False)
    out = subprocess.run(
        [sys.executable, "-c", NEW_DATABASE_PROBE, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip().endswith("WHERE (asset_key IS NOT NULL)")
