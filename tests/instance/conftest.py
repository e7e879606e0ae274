"""PostgreSQL fixtures for instance tests: the helper shared with tests/storage."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import URL


def load_postgres_server() -> ModuleType:
    """tests/storage/postgres_server.py, loaded once by path (tests/ is not a package)."""
    name = "freshet_tests_postgres_server"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "storage" / "postgres_server.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


pg = load_postgres_server()


@pytest.fixture
def empty_postgres_url() -> Iterator[URL]:
    """A new, empty database for one test (skips without a server)."""
    yield from pg.scratch_database()
