"""Fixtures for launch and re-execution tests: a definitions module written into the test's
folder as a code location (forgotten by the interpreter afterwards), and launched runs
executed in this process as a run worker would."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freshet.instance.instance import Instance
from freshet.instance.worker import execute_launched_run
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import RunRecord
from freshet.workspace.origin import CodeLocationOrigin


@pytest.fixture
def code_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], dict]]:
    """Write `source` (dedented) as module `name` in the test's folder; its origin."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    written: list[str] = []

    def write(name: str, source: str) -> dict:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(name)
        return CodeLocationOrigin(
            location_name=name, python_file=path, working_directory=tmp_path
        ).to_json_dict()

    yield write
    for name in written:
        sys.modules.pop(name, None)


@pytest.fixture
def run_request() -> Callable[[Instance, LaunchRequest], RunRecord]:
    """Enqueue a launch request and execute it in this process; the finished run."""

    def run(instance: Instance, request: LaunchRequest) -> RunRecord:
        run_id = enqueue(instance.storage, request)
        execute_launched_run(instance, run_id)
        record = instance.get_run(run_id)
        assert record is not None
        return record

    return run
