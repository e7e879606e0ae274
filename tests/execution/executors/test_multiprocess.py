"""The multiprocess executor: long-lived worker processes, dependencies respected,
independent steps in parallel up to max_concurrent, events written by the workers."""

from __future__ import annotations

import os
import time

import pytest

import freshet as fr
from freshet.storage.records import EventType

TWO = fr.multiprocess_executor(max_concurrent=2)


def _slow(name: str, seconds: float = 0.3):
    @fr.asset(name=name)
    def _asset() -> int:
        time.sleep(seconds)
        return 1

    return _asset


@fr.asset
def upstream() -> int:
    return 20


@fr.asset
def downstream(upstream: int) -> int:
    return upstream + 1


@fr.asset
def broken() -> int:
    raise ValueError("no data today")


@fr.asset
def after_broken(broken: int) -> int:
    return broken


def _events(instance: fr.Instance, run_id: str) -> list:
    return [r.event for r in instance.get_event_records(run_id=run_id)]


def _step_times(events, step_key: str) -> tuple[float, float]:
    start = next(
        e for e in events if e.event_type is EventType.STEP_START and e.step_key == step_key
    )
    end = next(
        e for e in events if e.event_type is EventType.STEP_SUCCESS and e.step_key == step_key
    )
    return start.timestamp, end.timestamp


def test_independent_steps_overlap_and_at_most_max_concurrent_run_at_once(sqlite_instance):
    assets = [_slow(f"s{i}") for i in range(4)]
    defs = fr.Definitions(assets=assets, executor=TWO)
    result = fr.materialize(defs, instance=sqlite_instance)
    events = _events(sqlite_instance, result.run_id)
    spans = [_step_times(events, f"s{i}") for i in range(4)]
    # at every step start, count the steps running: two at once, never three
    running_at_starts = [
        sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans
    ]
    assert max(running_at_starts) == 2
    pids = {e.data["pid"] for e in events if e.event_type is EventType.STEP_START}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_a_step_runs_after_its_upstream_and_reads_its_output_through_the_io_manager(
    sqlite_instance,
):
    defs = fr.Definitions(assets=[upstream, downstream], executor=TWO)
    result = fr.materialize(defs, instance=sqlite_instance)
    events = _events(sqlite_instance, result.run_id)
    assert _step_times(events, "upstream")[1] <= _step_times(events, "downstream")[0]
    status = sqlite_instance.get_asset_status(["downstream"])
    assert status[fr.AssetKey("downstream")].latest_data_event is not None
    loaded = fr.FilesystemIOManager().load_input(
        fr.InputContext(
            name="x",
            asset_key=fr.AssetKey("downstream"),
            upstream_output=fr.OutputContext(
                run_id=None, step_key="downstream", asset_key=fr.AssetKey("downstream")
            ),
            base_dir=str(sqlite_instance.storage_dir),
        )
    )
    assert loaded == 21


def test_a_failed_step_skips_its_downstream_and_fails_the_run(sqlite_instance):
    defs = fr.Definitions(assets=[broken, after_broken, upstream], executor=TWO)
    result = fr.materialize(defs, instance=sqlite_instance, raise_on_error=False)
    assert not result.success
    assert result.step_outcomes == {
        "broken": "FAILURE",
        "after_broken": "SKIPPED",
        "upstream": "SUCCESS",
    }
    events = _events(sqlite_instance, result.run_id)
    failure = next(e for e in events if e.event_type is EventType.STEP_FAILURE)
    assert "ValueError: no data today" in failure.message
    skipped = next(e for e in events if e.event_type is EventType.STEP_SKIPPED)
    assert skipped.step_key == "after_broken"
    assert sqlite_instance.get_run(result.run_id).status is fr.RunStatus.FAILURE


def _shape(events) -> list[tuple[str, str | None]]:
    """Each event's type and step, in a stable order (steps run in any order)."""
    return sorted((e.event_type.value, e.step_key) for e in events)


def test_the_events_of_a_multiprocess_run_are_complete(home_instance):
    assets = [upstream, downstream, broken, after_broken, _slow("s0", 0.0)]
    in_process = fr.materialize(assets, raise_on_error=False)
    defs = fr.Definitions(assets=assets, executor=TWO)
    result = fr.materialize(defs, instance=home_instance, raise_on_error=False)
    stored = _events(home_instance, result.run_id)
    # resources start per worker process: compare everything else
    engine = {EventType.RESOURCE_INIT, EventType.ENGINE_EVENT}

    def shape(events):
        return _shape([e for e in events if e.event_type not in engine])

    assert shape(stored) == shape(in_process.all_events)
    assert stored[-1].event_type is EventType.RUN_FAILURE
    # no event stored twice (events may share a clock tick, and each worker process starts
    # its own resources: compare all of an event but those per-worker ones)
    identities = {
        (e.timestamp, e.event_type, e.step_key, e.asset_key, e.partition, e.message)
        for e in stored
        if e.event_type not in engine
    }
    assert len(identities) == len([e for e in stored if e.event_type not in engine])
    assert shape(result.all_events) == shape(stored)


def test_run_config_execution_wins_over_the_definitions_executor(sqlite_instance):
    defs = fr.Definitions(assets=[upstream, downstream], executor=fr.in_process_executor)
    result = fr.materialize(
        defs,
        instance=sqlite_instance,
        run_config={"execution": {"multiprocess": {"max_concurrent": 2}}},
    )
    start = next(e for e in result.all_events if e.event_type is EventType.RUN_START)
    assert start.data["executor"] == "multiprocess"
    plain = fr.materialize(defs, instance=sqlite_instance)
    assert (
        next(e for e in plain.all_events if e.event_type is EventType.RUN_START).data["executor"]
        == "in_process"
    )


def test_an_ephemeral_instance_gets_the_workers_events_back(tmp_path):
    defs = fr.Definitions(assets=[upstream, downstream], executor=TWO)
    instance = fr.Instance.ephemeral()
    result = fr.materialize(defs, instance=instance)
    stored = _events(instance, result.run_id)
    kinds = [e.event_type for e in stored]
    assert kinds.count(EventType.ASSET_MATERIALIZATION) == 2
    assert kinds[-1] is EventType.RUN_SUCCESS
    instance.close()


def test_resources_start_once_per_worker_process_and_are_torn_down(tmp_path):
    log = tmp_path / "resource.log"

    @fr.resource
    def counter(_context):
        with log.open("a") as f:
            f.write(f"init {os.getpid()}\n")
        try:
            yield "ready"
        finally:
            with log.open("a") as f:
                f.write(f"teardown {os.getpid()}\n")

    def user(name: str):
        @fr.asset(name=name, required_resource_keys={"counter"})
        def _asset(context) -> str:
            return context.resources.counter

        return _asset

    defs = fr.Definitions(
        assets=[user(f"u{i}") for i in range(6)], resources={"counter": counter}, executor=TWO
    )
    instance = fr.Instance.from_home(tmp_path / "home")
    fr.materialize(defs, instance=instance)
    instance.close()
    lines = log.read_text().split()
    inits = [lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "init"]
    teardowns = [lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "teardown"]
    assert 1 <= len(inits) <= 2
    assert sorted(inits) == sorted(teardowns)
    assert str(os.getpid()) not in inits


@fr.op(out=fr.DynamicOut())
def fan_out():
    for i in range(3):
        yield fr.DynamicOutput(i, mapping_key=f"k{i}")


@fr.op
def double(item: int) -> int:
    return item * 2


@fr.op
def total(values: list) -> int:
    return sum(values)


@fr.job(executor_def=TWO)
def dynamic_job():
    total(fan_out().map(double).collect())


def test_an_op_job_with_dynamic_outputs_runs_on_worker_processes(sqlite_instance):
    result = dynamic_job.execute_in_process(instance=sqlite_instance)
    assert result.success
    events = _events(sqlite_instance, result.run_id)
    successes = {e.step_key for e in events if e.event_type is EventType.STEP_SUCCESS}
    assert successes == {"fan_out", "double[k0]", "double[k1]", "double[k2]", "total"}


@fr.asset
def dies() -> int:
    os._exit(3)


def test_a_worker_that_dies_fails_its_step_and_the_run_ends(sqlite_instance):
    defs = fr.Definitions(assets=[dies, upstream], executor=TWO)
    result = fr.materialize(defs, instance=sqlite_instance, raise_on_error=False)
    assert result.step_outcomes["dies"] == "FAILURE"
    failure = next(e for e in result.all_events if e.event_type is EventType.STEP_FAILURE)
    assert "exited unexpectedly with exit code 3" in failure.message
    assert sqlite_instance.get_run(result.run_id).status is fr.RunStatus.FAILURE


def test_spawned_workers_need_a_code_location(sqlite_instance):
    defs = fr.Definitions(
        assets=[upstream], executor=fr.multiprocess_executor(start_method="spawn")
    )
    with pytest.raises(fr.ExecutionError, match="start_method 'spawn' for a run without a code"):
        fr.materialize(defs, instance=sqlite_instance)


PROJECT = """
import os

import freshet as fr

@fr.asset
def first() -> int:
    return os.getpid()

@fr.asset
def second(first: int) -> int:
    return first

defs = fr.Definitions(assets=[first, second])
"""


@pytest.mark.slow
def test_spawned_workers_load_the_code_location_from_its_origin(tmp_path, sqlite_instance):
    from freshet.instance.inprocess import run_assets
    from freshet.instance.run_loader import OriginRunLoader
    from freshet.workspace.loader import load_definitions
    from freshet.workspace.origin import CodeLocationOrigin

    file = tmp_path / "project" / "defs.py"
    file.parent.mkdir()
    file.write_text(PROJECT)
    origin = CodeLocationOrigin(
        location_name="project", python_file=file, working_directory=file.parent
    )
    defs = load_definitions(origin)
    result = run_assets(
        defs,
        [fr.AssetKey("first"), fr.AssetKey("second")],
        instance=sqlite_instance,
        run_config={"execution": {"multiprocess": {"start_method": "spawn"}}},
        loader=OriginRunLoader.of(origin),
    )
    assert result.success
    events = _events(sqlite_instance, result.run_id)
    pids = {e.data["pid"] for e in events if e.event_type is EventType.STEP_START}
    assert os.getpid() not in pids
    assert [e.event_type for e in events].count(EventType.ASSET_MATERIALIZATION) == 2
