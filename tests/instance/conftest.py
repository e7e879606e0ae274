"""Fixtures for instance tests: PostgreSQL (the helper shared with tests/storage), and a code
location started from source text with its code servers."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import URL

import freshet as fr
from freshet.workspace.host import WorkspaceHost
from freshet.workspace.origin import CodeLocationOrigin


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


@pytest.fixture
def hosted_location(
    tmp_path: Path,
) -> Iterator[Callable[[str, str], tuple[fr.Instance, WorkspaceHost]]]:
    """Start code location "project" from definitions source text (written to `file_name`) with
    an instance in tmp_path; its code servers are stopped, and killed, after the test."""
    started: list[tuple[fr.Instance, WorkspaceHost]] = []

    def start(source: str, file_name: str) -> tuple[fr.Instance, WorkspaceHost]:
        path = tmp_path / "project" / file_name
        path.parent.mkdir()
        path.write_text(textwrap.dedent(source))
        home = tmp_path / "home"
        instance = fr.Instance.from_home(home)
        origin = CodeLocationOrigin(
            location_name="project", python_file=path, working_directory=path.parent
        )
        host = WorkspaceHost([origin], instance_home=home).start()
        started.append((instance, host))
        return instance, host

    yield start
    for instance, host in started:
        pids = [entry.pid for entry in host if entry.pid is not None]
        host.close()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        instance.close()
