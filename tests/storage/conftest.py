"""The backends the storage conformance suite runs on; add one entry per new backend."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import URL

from freshet.storage.base import Storage
from freshet.storage.memory import MemoryStorage
from freshet.storage.postgres import PostgresStorage
from freshet.storage.sqlite import SqliteStorage


def load_postgres_server() -> ModuleType:
    """The shared PostgreSQL helper, loaded once by path (tests/ is not a package)."""
    name = "freshet_tests_postgres_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("postgres_server.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


pg = load_postgres_server()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[URL]:
    """A database created for this test session (skips without a server, see pg)."""
    yield from pg.session_database()


@pytest.fixture
def clean_postgres_url(postgres_url: URL) -> URL:
    """The session database with every row of earlier tests deleted."""
    pg.empty_tables(postgres_url)
    return postgres_url


@pytest.fixture
def empty_postgres_url() -> Iterator[URL]:
    """A new, empty database for one test."""
    yield from pg.scratch_database()


def _postgres(request: pytest.FixtureRequest, _tmp: Path) -> Storage:
    url = request.getfixturevalue("postgres_url")
    pg.empty_tables(url)
    return PostgresStorage(url)


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Storage]] = {
    "memory": lambda _request, _tmp: MemoryStorage(),
    "sqlite_file": lambda _request, tmp: SqliteStorage(tmp / "freshet.db"),
    "sqlite_memory": lambda _request, _tmp: SqliteStorage(":memory:"),
    "postgres": _postgres,
}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    backend = BACKENDS[request.param](request, tmp_path)
    yield backend
    backend.close()


@pytest.fixture(params=["sqlite_file", "postgres"], ids=["sqlite_file", "postgres"])
def sql_storage_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Storage]]:
    """Opens storages on one shared database, as separate processes would (the same file,
    or the same PostgreSQL database)."""
    opened: list[Storage] = []

    def open_one() -> Storage:
        made = BACKENDS[request.param](request, tmp_path) if not opened else _reopen(opened[0])
        opened.append(made)
        return made

    yield open_one
    for made in opened:
        made.close()


def _reopen(first: Storage) -> Storage:
    if isinstance(first, SqliteStorage):
        assert first.path is not None
        return SqliteStorage(first.path)
    assert isinstance(first, PostgresStorage)
    return PostgresStorage(first.url)
