"""Retention on every backend: old finished runs go with their events, asset status stays."""

from __future__ import annotations

import pytest

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.storage.base import Storage
from freshet.storage.records import Event, EventType, RunRecord, RunsFilter, RunStatus

A = AssetKey("a")
B = AssetKey("b")
DAY = 86_400.0
T0 = 1_700_000_000.0


def add_run(storage: Storage, run_id: str, *, day: int, status: RunStatus | None) -> None:
    """A run created and (unless `status` is None) finished on `day`, with a log line."""
    at = T0 + day * DAY
    storage.add_run(
        RunRecord(
            run_id=run_id,
            job_name="job",
            status=RunStatus.QUEUED,
            created_at=at,
            tags={"day": str(day)},
            asset_selection=(A,),
        )
    )
    events = [Event(event_type=EventType.RUN_START, run_id=run_id, timestamp=at)]
    events.append(Event(event_type=EventType.LOG, run_id=run_id, timestamp=at, message="hi"))
    storage.store_events(events)
    if status is not None:
        storage.set_run_status(run_id, status, at + 60)


def materialize(storage: Storage, run_id: str, key: AssetKey, partition: str | None = None) -> int:
    (storage_id,) = storage.store_events(
        [
            Event(
                event_type=EventType.ASSET_MATERIALIZATION,
                run_id=run_id,
                asset_key=key,
                partition=partition,
            )
        ]
    )
    return storage_id


def status_snapshot(storage: Storage) -> object:
    check = storage.get_latest_check_evaluation(AssetCheckKey(A, "positive"))
    return (
        storage.get_asset_status([A, B]),
        storage.get_partition_status(A),
        storage.count_partition_statuses(A),
        None if check is None else check.storage_id,
    )


def test_old_finished_runs_are_deleted_with_their_events(storage: Storage) -> None:
    add_run(storage, "old-success", day=0, status=RunStatus.SUCCESS)
    add_run(storage, "old-failure", day=1, status=RunStatus.FAILURE)
    add_run(storage, "old-but-running", day=1, status=None)
    add_run(storage, "recent", day=40, status=RunStatus.SUCCESS)
    result = storage.prune_runs(finished_before=T0 + 30 * DAY)
    assert sorted(result.run_ids) == ["old-failure", "old-success"]
    assert (result.runs_deleted, result.events_deleted, result.events_kept) == (2, 4, 0)
    assert sorted(r.run_id for r in storage.get_runs()) == ["old-but-running", "recent"]
    assert storage.get_event_records(run_id="old-success") == []
    assert storage.get_runs(RunsFilter(tags={"day": "0"})) == []
    assert len(storage.get_event_records(run_id="recent")) == 2


def test_pruning_uses_the_end_time_of_a_run(storage: Storage) -> None:
    add_run(storage, "long", day=0, status=None)
    storage.set_run_status("long", RunStatus.SUCCESS, T0 + 35 * DAY)
    assert storage.prune_runs(finished_before=T0 + 30 * DAY).run_ids == ()
    assert storage.get_run("long") is not None


def test_latest_materializations_of_pruned_runs_are_kept(storage: Storage) -> None:
    add_run(storage, "old", day=0, status=None)
    superseded = materialize(storage, "old", A, "p1")
    materialize(storage, "old", A, "p2")
    latest_of_b = materialize(storage, "old", B)
    storage.store_events(
        [
            Event(
                event_type=EventType.ASSET_CHECK_EVALUATION,
                run_id="old",
                asset_key=A,
                data={"check_name": "positive", "passed": True},
            ),
            Event(event_type=EventType.RUN_SUCCESS, run_id="old", timestamp=T0 + 60),
        ]
    )
    add_run(storage, "new", day=40, status=None)
    materialize(storage, "new", A, "p1")
    before = status_snapshot(storage)
    result = storage.prune_runs(finished_before=T0 + 30 * DAY)
    assert result.run_ids == ("old",)
    assert result.events_kept == 3  # p2, b and the check evaluation
    assert status_snapshot(storage) == before
    assert storage.get_latest_materialization(B).storage_id == latest_of_b
    remaining = {r.storage_id for r in storage.get_event_records(run_id="old")}
    assert superseded not in remaining
    assert storage.get_materialized_asset_keys() == {A, B}


def test_pruning_twice_deletes_nothing_more(storage: Storage) -> None:
    add_run(storage, "old", day=0, status=RunStatus.SUCCESS)
    storage.prune_runs(finished_before=T0 + 30 * DAY)
    again = storage.prune_runs(finished_before=T0 + 30 * DAY)
    assert (again.runs_deleted, again.events_deleted) == (0, 0)


@pytest.mark.parametrize("runs", [450], ids=["several-batches"])
def test_pruning_many_runs_in_batches(storage: Storage, runs: int) -> None:
    for i in range(runs):
        add_run(storage, f"r{i:04d}", day=0, status=RunStatus.SUCCESS)
    result = storage.prune_runs(finished_before=T0 + DAY)
    assert result.runs_deleted == runs
    assert storage.count_runs() == 0
    assert storage.get_event_records() == []


def test_pruning_releases_slots_of_pruned_runs(storage: Storage) -> None:
    add_run(storage, "old", day=0, status=RunStatus.FAILURE)
    storage.claim_slot("db", "old", "step", limit=1)
    storage.prune_runs(finished_before=T0 + DAY)
    assert storage.get_pool_usage("db").claimed == 0
