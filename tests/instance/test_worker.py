"""The run worker, called in this process: it loads the run's code from its origin, resolves
the stored selection, runs it as the queued run, and fails the run with the reason when the
code or the selection is wrong."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from freshet.instance.instance import Instance
from freshet.instance.worker import execute_launched_run
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import EventType, RunStatus
from freshet.storage.state_records import HeartbeatKind
from freshet.workspace.origin import CodeLocationOrigin

DEFS = """
    import freshet as fr

    @fr.asset
    def a():
        return 1

    @fr.asset
    def b(a):
        return a + 1

    @fr.asset
    def c(b):
        return b + 1

    defs = fr.Definitions(assets=[a, b, c])
"""


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    monkeypatch.setattr(sys, "path", list(sys.path))
    with Instance.from_home(tmp_path / "home") as opened:
        yield opened
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def origin_of(tmp_path: Path, source: str, name: str = "worker_defs") -> dict:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return CodeLocationOrigin(
        location_name=name, python_file=path, working_directory=tmp_path
    ).to_json_dict()


def test_worker_runs_the_queued_selection_as_that_run(instance: Instance, tmp_path: Path) -> None:
    run_id = enqueue(
        instance.storage, LaunchRequest(origin=origin_of(tmp_path, DEFS), selection="+b")
    )
    assert execute_launched_run(instance, run_id) == 0
    run = instance.get_run(run_id)
    assert run is not None and run.status is RunStatus.SUCCESS
    materialized = instance.get_event_records(EventType.ASSET_MATERIALIZATION, run_id=run_id)
    assert sorted(r.asset_key.to_user_string() for r in materialized) == ["a", "b"]
    assert instance.get_runs() == [run]
    assert instance.storage.get_heartbeats(HeartbeatKind.RUN_WORKER) == []


def test_code_that_does_not_import_fails_the_run_with_the_users_traceback(
    instance: Instance, tmp_path: Path
) -> None:
    broken = "import freshet as fr\n\nraise RuntimeError('no warehouse credentials')\n"
    run_id = enqueue(
        instance.storage, LaunchRequest(origin=origin_of(tmp_path, broken, "broken"), selection="*")
    )
    assert execute_launched_run(instance, run_id) == 1
    run = instance.get_run(run_id)
    assert run is not None and run.status is RunStatus.FAILURE
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=run_id)
    assert "no warehouse credentials" in failure.event.message
    assert "broken.py" in failure.event.message


def test_selection_of_unknown_assets_fails_the_run(instance: Instance, tmp_path: Path) -> None:
    run_id = enqueue(
        instance.storage, LaunchRequest(origin=origin_of(tmp_path, DEFS), selection="nope")
    )
    assert execute_launched_run(instance, run_id) == 1
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=run_id)
    assert "nope" in failure.event.message


def test_worker_leaves_a_run_that_is_not_queued_alone(instance: Instance, tmp_path: Path) -> None:
    run_id = enqueue(
        instance.storage, LaunchRequest(origin=origin_of(tmp_path, DEFS), selection="*")
    )
    instance.cancel_run(run_id)
    assert execute_launched_run(instance, run_id) == 0
    assert instance.get_event_records(EventType.STEP_START, run_id=run_id) == []
