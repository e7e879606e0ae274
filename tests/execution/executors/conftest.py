"""Instances for executor tests: a home on SQLite, or on a fresh PostgreSQL database."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import freshet as fr


def load_postgres_server() -> ModuleType:
    """tests/storage/postgres_server.py, loaded once by path (tests/ is not a package)."""
    name = "freshet_tests_postgres_server"
    if name not in sys.modules:
        path = Path(__file__).parents[2] / "storage" / "postgres_server.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


pg = load_postgres_server()


def _postgres_home(tmp_path: Path, url) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    rendered = url.render_as_string(hide_password=False)
    (home / "freshet.yaml").write_text(f"storage:\n  postgres:\n    url: '{rendered}'\n")
    return home


@pytest.fixture(params=["sqlite", "postgres"], ids=["sqlite", "postgres"])
def home_instance(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[fr.Instance]:
    """A persistent instance (its worker processes open it again by its home)."""
    if request.param == "sqlite":
        instance = fr.Instance.from_home(tmp_path / "home")
        yield instance
        instance.close()
        return
    scratch = pg.scratch_database()
    url = next(scratch)
    instance = fr.Instance.from_home(_postgres_home(tmp_path, url))
    try:
        yield instance
    finally:
        instance.close()
        scratch.close()


@pytest.fixture
def sqlite_instance(tmp_path: Path) -> Iterator[fr.Instance]:
    instance = fr.Instance.from_home(tmp_path / "home")
    yield instance
    instance.close()
