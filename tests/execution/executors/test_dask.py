"""The Dask executor: one Dask task per step on a dask.distributed cluster; the workers load
the code location from its origin and write the events themselves."""

from __future__ import annotations

import logging
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import freshet as fr
from freshet.instance.inprocess import run_assets
from freshet.instance.run_loader import OriginRunLoader
from freshet.storage.records import EventType
from freshet.workspace.loader import load_definitions
from freshet.workspace.origin import CodeLocationOrigin

distributed = pytest.importorskip("dask.distributed")

PROJECT = textwrap.dedent(
    """
    import os
    import time

    import freshet as fr

    @fr.asset
    def left() -> int:
        time.sleep(0.5)
        return os.getpid()

    @fr.asset
    def right() -> int:
        time.sleep(0.5)
        return os.getpid()

    @fr.asset
    def both(left: int, right: int) -> int:
        return left + right

    @fr.asset
    def broken() -> int:
        raise ValueError("no data today")

    @fr.asset
    def after_broken(broken: int) -> int:
        return broken

    defs = fr.Definitions(assets=[left, right, both, broken, after_broken])
    """
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A LocalCluster of two single-threaded worker processes for this module's tests."""
    local = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    try:
        yield local
    finally:
        local.close(timeout=30)


@pytest.fixture
def origin(tmp_path: Path) -> CodeLocationOrigin:
    file = tmp_path / "project" / "defs.py"
    file.parent.mkdir()
    file.write_text(PROJECT)
    return CodeLocationOrigin(
        location_name="project", python_file=file, working_directory=file.parent
    )


def _run(origin, instance, execution, select=("left", "right", "both")):
    defs = load_definitions(origin)
    return run_assets(
        defs,
        [fr.AssetKey(k) for k in select],
        instance=instance,
        run_config={"execution": {"dask": execution}},
        raise_on_error=False,
        loader=OriginRunLoader.of(origin),
    )


def _events(instance, run_id):
    return [r.event for r in instance.get_event_records(run_id=run_id)]


def test_steps_are_dask_tasks_that_overlap_and_respect_dependencies(
    cluster, origin, home_instance
):
    result = _run(origin, home_instance, {"address": cluster.scheduler_address})
    assert result.success, result.failure_message
    events = _events(home_instance, result.run_id)
    by = {(e.event_type, e.step_key): e for e in events}
    left_start = by[(EventType.STEP_START, "left")].timestamp
    right_start = by[(EventType.STEP_START, "right")].timestamp
    left_end = by[(EventType.STEP_SUCCESS, "left")].timestamp
    right_end = by[(EventType.STEP_SUCCESS, "right")].timestamp
    assert right_start < left_end and left_start < right_end  # they ran at the same time
    assert by[(EventType.STEP_START, "both")].timestamp >= max(left_end, right_end)
    pids = {by[(EventType.STEP_START, k)].data["pid"] for k in ("left", "right")}
    assert len(pids) == 2
    assert events[-1].event_type is EventType.RUN_SUCCESS
    kinds = [e.event_type for e in events]
    assert kinds.count(EventType.ASSET_MATERIALIZATION) == 3


def test_a_failed_step_skips_its_downstream(cluster, origin, sqlite_instance):
    result = _run(
        origin,
        sqlite_instance,
        {"address": cluster.scheduler_address},
        select=("broken", "after_broken", "left"),
    )
    assert not result.success
    assert result.step_outcomes == {
        "broken": "FAILURE",
        "after_broken": "SKIPPED",
        "left": "SUCCESS",
    }
    events = _events(sqlite_instance, result.run_id)
    assert [e.step_key for e in events if e.event_type is EventType.STEP_SKIPPED] == [
        "after_broken"
    ]
    assert events[-1].event_type is EventType.RUN_FAILURE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_scheduler_that_does_not_answer_fails_the_run_clearly(origin, sqlite_instance):
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(fr.ExecutionError, match="did not answer within 1 s"):
        _run(origin, sqlite_instance, {"address": address, "timeout": 1})
    (run,) = sqlite_instance.get_runs()
    assert run.status is fr.RunStatus.FAILURE


def test_a_run_without_a_code_location_is_refused(sqlite_instance):
    @fr.asset
    def alone() -> int:
        return 1

    defs = fr.Definitions(assets=[alone], executor=fr.dask_executor)
    with pytest.raises(fr.ExecutionError, match="load the run's code from its code location"):
        fr.materialize(defs, instance=sqlite_instance)


@pytest.mark.slow
def test_without_an_address_it_starts_a_local_cluster_for_the_run(origin, sqlite_instance):
    result = _run(origin, sqlite_instance, {"n_workers": 2, "threads_per_worker": 1})
    assert result.success, result.failure_message
    events = _events(sqlite_instance, result.run_id)
    assert events[-1].event_type is EventType.RUN_SUCCESS
