"""Run monitoring: a launched run whose worker went quiet longer than the timeout is failed
with the reason; what it had in progress becomes failed and its pool slots are freed. Runs
executed in-process (no origin, no worker) are left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from freshet.core.keys import AssetKey
from freshet.instance.instance import Instance
from freshet.instance.monitoring import RunMonitor, end_dead_run
from freshet.instance.queue_config import RunMonitoringConfig
from freshet.storage.compute_logs import MemoryComputeLogStore
from freshet.storage.memory import MemoryStorage
from freshet.storage.records import Event, EventType, PartitionStatusCategory, RunRecord, RunStatus
from freshet.storage.state_records import Heartbeat, HeartbeatKind

T0 = 1_700_000_000.0
ORIGIN = {"__type__": "CodeLocationOrigin", "version": 1, "location_name": "x"}
A, B = AssetKey("a"), AssetKey("b")


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    with Instance(
        storage=MemoryStorage(),
        compute_logs=MemoryComputeLogStore(),
        storage_dir=tmp_path,
        run_monitoring=RunMonitoringConfig(worker_heartbeat_timeout_seconds=10),
    ) as opened:
        yield opened


def started_run(instance: Instance, run_id: str, *, launched: bool = True) -> None:
    storage = instance.storage
    storage.add_run(
        RunRecord(
            run_id=run_id,
            job_name="__asset_job",
            status=RunStatus.QUEUED,
            created_at=T0,
            origin=ORIGIN if launched else None,
        )
    )
    storage.store_events(
        [
            Event(event_type=EventType.RUN_START, run_id=run_id, timestamp=T0),
            *(
                Event(
                    event_type=EventType.ASSET_MATERIALIZATION_PLANNED,
                    run_id=run_id,
                    timestamp=T0,
                    asset_key=key,
                    partition=partition,
                )
                for key in (A, B)
                for partition in ("p1", "p2")
            ),
            Event(
                event_type=EventType.ASSET_MATERIALIZATION,
                run_id=run_id,
                timestamp=T0,
                asset_key=A,
                partition="p1",
            ),
        ]
    )
    storage.set_heartbeat(Heartbeat(kind=HeartbeatKind.RUN_WORKER, name=run_id, timestamp=T0))
    storage.set_pool_limit("warehouse", 1)
    assert storage.claim_slot("warehouse", run_id, "b", 1)


def test_run_whose_worker_went_quiet_fails_with_the_reason(instance: Instance) -> None:
    started_run(instance, "r1")
    assert RunMonitor(instance).tick(now=T0 + 5) == []
    assert RunMonitor(instance).tick(now=T0 + 11) == ["r1"]
    run = instance.get_run("r1")
    assert run is not None and run.status is RunStatus.FAILURE
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id="r1")
    assert "stopped sending heartbeats" in failure.event.message
    assert "timeout 10 s" in failure.event.message
    storage = instance.storage
    by_status_a = storage.get_partition_keys_by_status(A)
    by_status_b = storage.get_partition_keys_by_status(B)
    assert by_status_a[PartitionStatusCategory.FAILED] == ["p2"]
    assert by_status_a[PartitionStatusCategory.MATERIALIZED] == ["p1"]
    assert sorted(by_status_b[PartitionStatusCategory.FAILED]) == ["p1", "p2"]
    assert by_status_b[PartitionStatusCategory.IN_PROGRESS] == []
    assert storage.get_pool_usage("warehouse").claimed == 0
    assert storage.get_heartbeats(HeartbeatKind.RUN_WORKER) == []


def test_canceling_run_whose_worker_died_ends_canceled(instance: Instance) -> None:
    started_run(instance, "r1")
    instance.cancel_run("r1")
    RunMonitor(instance).tick(now=T0 + 60)
    run = instance.get_run("r1")
    assert run is not None and run.status is RunStatus.CANCELED


def test_a_run_canceled_after_it_was_read_ends_canceled(instance: Instance) -> None:
    started_run(instance, "r1")
    read_before_cancel = instance.get_run("r1")
    assert read_before_cancel is not None
    instance.cancel_run("r1")
    assert end_dead_run(instance.storage, read_before_cancel, "the worker died")
    run = instance.get_run("r1")
    assert run is not None and run.status is RunStatus.CANCELED


def test_in_process_runs_have_no_worker_to_watch(instance: Instance) -> None:
    started_run(instance, "r1", launched=False)
    assert RunMonitor(instance).tick(now=T0 + 3600) == []
    run = instance.get_run("r1")
    assert run is not None and run.status is RunStatus.STARTED


def test_worker_gets_the_start_timeout_before_its_first_heartbeat(tmp_path: Path) -> None:
    with Instance(
        storage=MemoryStorage(),
        compute_logs=MemoryComputeLogStore(),
        storage_dir=tmp_path,
        run_monitoring=RunMonitoringConfig(
            worker_heartbeat_timeout_seconds=10, worker_start_timeout_seconds=100
        ),
    ) as instance:
        started_run(instance, "r1")
        instance.storage.delete_heartbeat(HeartbeatKind.RUN_WORKER, "r1")
        run = instance.get_run("r1")
        assert run is not None and run.updated_at == T0
        assert RunMonitor(instance).tick(now=T0 + 50) == []
        assert RunMonitor(instance).tick(now=T0 + 101) == ["r1"]
        [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id="r1")
        assert "did not start" in failure.event.message
