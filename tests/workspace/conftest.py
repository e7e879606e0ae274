"""Fixtures for workspace tests: project folders with definitions files, and hosts whose code
servers are always stopped (by pid) when a test ends."""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freshet.workspace.host import WorkspaceHost
from freshet.workspace.origin import CodeLocationOrigin


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def origin_of() -> Callable[..., CodeLocationOrigin]:
    """The origin of a definitions file, named after it unless a name is given."""

    def make(path: Path, name: str | None = None, **extra) -> CodeLocationOrigin:
        return CodeLocationOrigin(
            location_name=name or path.stem,
            python_file=path,
            working_directory=path.parent,
            **extra,
        )

    return make


@pytest.fixture
def start_host() -> Iterator[Callable[..., WorkspaceHost]]:
    """Start a host; every code server it started is stopped afterwards, killed if need be."""
    hosts: list[WorkspaceHost] = []

    def start(origins, **options) -> WorkspaceHost:
        host = WorkspaceHost(origins, **options)
        hosts.append(host)
        return host.start()

    yield start
    for host in hosts:
        pids = [entry.pid for entry in host if entry.pid is not None]
        host.close()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
