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


def test_steps_are_dask_tasks_that_overlap_and_respect_dependencies(cluster, origin, home_instance):
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


OP_PROJECT = textwrap.dedent(
    """
    from pathlib import Path

    import freshet as fr

    HERE = Path(__file__).parent


    @fr.op(out=fr.DynamicOut())
    def split():
        for i in (3, 1, 2):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")


    @fr.op
    def square(x):
        (HERE / f"squared_{x}").write_text("")
        return x * x


    @fr.op
    def listing(values):
        if (HERE / "broken").exists():
            raise RuntimeError("listing is broken")
        (HERE / "listing").write_text(repr(values))


    @fr.job
    def fan():
        listing(split().map(square).collect())


    defs = fr.Definitions(jobs=[fan])
    """
)


def test_an_op_job_re_executed_from_failure_on_dask_reads_the_stored_fan_out(
    cluster, tmp_path, sqlite_instance
):
    # Imported here: only this test launches op-job runs.
    from freshet.instance.worker import execute_launched_run
    from freshet.runs.launch import LaunchRequest, enqueue
    from freshet.runs.reexecution import reexecution_request

    project = tmp_path / "ops"
    project.mkdir()
    (project / "defs.py").write_text(OP_PROJECT)
    (project / "broken").write_text("")
    origin = CodeLocationOrigin(
        location_name="ops", python_file=project / "defs.py", working_directory=project
    ).to_json_dict()
    dask = {"execution": {"dask": {"address": cluster.scheduler_address}}}

    def run(request: LaunchRequest) -> fr.RunRecord:
        run_id = enqueue(sqlite_instance.storage, request)
        execute_launched_run(sqlite_instance, run_id)
        record = sqlite_instance.get_run(run_id)
        assert record is not None
        return record

    parent = run(LaunchRequest(origin=origin, job_name="fan", run_config=dask))
    assert parent.status is fr.RunStatus.FAILURE
    (project / "broken").unlink()
    for path in project.glob("squared_*"):
        path.unlink()

    child = run(reexecution_request(sqlite_instance.storage, parent, from_failure=True))

    assert child.status is fr.RunStatus.SUCCESS
    started = sqlite_instance.get_event_records(EventType.STEP_START, run_id=child.run_id)
    assert [r.event.step_key for r in started] == ["listing"]
    assert not list(project.glob("squared_*"))  # the fan-out did not run again
    assert (project / "listing").read_text() == "[9, 1, 4]"
