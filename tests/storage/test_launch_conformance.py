"""The storage contract that launched runs rely on: origins and selections on run records,
conditional run transitions (dequeue vs. cancel), heartbeats and pool limits. Every backend
(conftest.BACKENDS) passes it."""

from __future__ import annotations

import threading

import pytest

from freshet.errors import RunNotFoundError, StorageError
from freshet.storage.base import Storage
from freshet.storage.records import Event, EventType, RunRecord, RunsFilter, RunStatus
from freshet.storage.state_records import Heartbeat, HeartbeatKind

T0 = 1_700_000_000.0
QUEUED = (RunStatus.QUEUED,)
ORIGIN = {
    "__type__": "CodeLocationOrigin",
    "version": 1,
    "location_name": "defs",
    "python_file": "/proj/defs.py",
    "module": None,
    "package": None,
    "attribute": None,
    "working_directory": "/proj",
    "executable_path": "/usr/bin/python3",
}


def queued(run_id: str) -> RunRecord:
    return RunRecord(run_id=run_id, job_name="__asset_job", status=RunStatus.QUEUED, created_at=T0)


def run_event(event_type: EventType, run_id: str, at: float = T0 + 1) -> Event:
    return Event(event_type=event_type, run_id=run_id, timestamp=at)


def test_launched_run_keeps_its_origin_and_selection(storage: Storage) -> None:
    record = RunRecord(
        run_id="r1",
        job_name="__asset_job",
        status=RunStatus.QUEUED,
        created_at=T0,
        origin=ORIGIN,
        selection="+report and group:sales",
    )
    storage.add_run(record)
    assert storage.get_run("r1") == record


def test_transition_applies_when_the_run_is_in_an_expected_status(storage: Storage) -> None:
    storage.add_run(queued("r1"))
    storage_id = storage.transition_run(run_event(EventType.RUN_STARTING, "r1"), QUEUED)
    assert storage_id is not None
    run = storage.get_run("r1")
    assert run is not None and run.status is RunStatus.STARTING
    [record] = storage.get_event_records(run_id="r1")
    assert (record.storage_id, record.event_type) == (storage_id, EventType.RUN_STARTING)


def test_transition_is_refused_from_another_status(storage: Storage) -> None:
    storage.add_run(queued("r1"))
    assert storage.transition_run(run_event(EventType.RUN_CANCELED, "r1"), QUEUED) is not None
    assert storage.transition_run(run_event(EventType.RUN_STARTING, "r1"), QUEUED) is None
    run = storage.get_run("r1")
    assert run is not None and run.status is RunStatus.CANCELED
    assert [r.event_type for r in storage.get_event_records(run_id="r1")] == [
        EventType.RUN_CANCELED
    ]


def test_transition_of_an_unknown_run_raises(storage: Storage) -> None:
    with pytest.raises(RunNotFoundError, match="nope"):
        storage.transition_run(run_event(EventType.RUN_STARTING, "nope"), QUEUED)


def test_transition_takes_only_run_status_events(storage: Storage) -> None:
    storage.add_run(queued("r1"))
    with pytest.raises(StorageError, match="RUN_"):
        storage.transition_run(run_event(EventType.LOG, "r1"), QUEUED)
    assert storage.get_event_records(run_id="r1") == []


def test_contending_transitions_let_exactly_one_win(storage: Storage) -> None:
    storage.add_run(queued("r1"))
    wins: list[int | None] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait(timeout=10)
        wins.append(storage.transition_run(run_event(EventType.RUN_STARTING, "r1"), QUEUED))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(wins) == 8
    assert len([w for w in wins if w is not None]) == 1


def test_heartbeat_is_replaced_and_read_by_kind(storage: Storage) -> None:
    storage.set_heartbeat(Heartbeat(kind=HeartbeatKind.DAEMON_DUTY, name="run_queue", timestamp=T0))
    storage.set_heartbeat(
        Heartbeat(kind=HeartbeatKind.DAEMON_DUTY, name="run_queue", timestamp=T0 + 5, data={"n": 1})
    )
    storage.set_heartbeat(
        Heartbeat(kind=HeartbeatKind.RUN_WORKER, name="r1", timestamp=T0, data={"pid": 42})
    )
    assert storage.get_heartbeats(HeartbeatKind.DAEMON_DUTY) == [
        Heartbeat(kind=HeartbeatKind.DAEMON_DUTY, name="run_queue", timestamp=T0 + 5, data={"n": 1})
    ]
    assert storage.get_heartbeats(HeartbeatKind.RUN_WORKER, ["r1", "r2"]) == [
        Heartbeat(kind=HeartbeatKind.RUN_WORKER, name="r1", timestamp=T0, data={"pid": 42})
    ]
    assert storage.get_heartbeats(HeartbeatKind.RUN_WORKER, []) == []


def test_deleted_heartbeat_is_gone(storage: Storage) -> None:
    storage.set_heartbeat(Heartbeat(kind=HeartbeatKind.RUN_WORKER, name="r1", timestamp=T0))
    storage.delete_heartbeat(HeartbeatKind.RUN_WORKER, "r1")
    storage.delete_heartbeat(HeartbeatKind.RUN_WORKER, "never-there")
    assert storage.get_heartbeats(HeartbeatKind.RUN_WORKER) == []


def test_pool_limit_is_listed_with_its_held_slots(storage: Storage) -> None:
    storage.set_pool_limit("warehouse", 2)
    storage.set_pool_limit("api", 5)
    assert storage.claim_slot("warehouse", "r1", "a", 2)
    storage.set_pool_limit("api", 1)
    pools = {usage.pool: usage for usage in storage.get_pools()}
    assert sorted(pools) == ["api", "warehouse"]
    assert (pools["api"].limit, pools["api"].claimed) == (1, 0)
    assert (pools["warehouse"].limit, pools["warehouse"].claimed) == (2, 1)
    assert storage.get_pool_usage("api").limit == 1


@pytest.mark.parametrize("limit", [-1, "3", True], ids=["negative", "text", "bool"])
def test_bad_pool_limit_is_refused(storage: Storage, limit: object) -> None:
    with pytest.raises(StorageError, match="whole number"):
        storage.set_pool_limit("warehouse", limit)  # type: ignore[arg-type]
    assert storage.get_pools() == []


def test_runs_filter_by_id_prefix(storage: Storage) -> None:
    for run_id in ("abc12345-1", "abc12345-2", "abd00000-1", "a%c"):
        storage.add_run(queued(run_id))
    found = storage.get_runs(RunsFilter(run_id_prefix="abc12345"), ascending=True)
    assert [r.run_id for r in found] == ["abc12345-1", "abc12345-2"]
    assert [r.run_id for r in storage.get_runs(RunsFilter(run_id_prefix="a%"))] == ["a%c"]
    assert storage.count_runs(RunsFilter(run_id_prefix="ab")) == 3
