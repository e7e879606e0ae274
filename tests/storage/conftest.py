"""The backends the storage conformance suite runs on; add one entry per new backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freshet.storage.base import Storage
from freshet.storage.memory import MemoryStorage
from freshet.storage.sqlite import SqliteStorage

BACKENDS: dict[str, Callable[[Path], Storage]] = {
    "memory": lambda _tmp: MemoryStorage(),
    "sqlite_file": lambda tmp: SqliteStorage(tmp / "freshet.db"),
    "sqlite_memory": lambda _tmp: SqliteStorage(":memory:"),
}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()
