"""The storage contract: every backend (see conftest.BACKENDS) must pass this suite unchanged."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.errors import RunNotFoundError, StorageError
from freshet.storage.base import (
    Storage,
    StorageReader,
    StorageWriter,
    decode_provenance,
)
from freshet.storage.records import (
    Event,
    EventType,
    PartitionStatusCategory,
    RunRecord,
    RunsFilter,
    RunStatus,
)

A = AssetKey("a")
B = AssetKey(("prefix", "b"))
T0 = 1_700_000_000.0


def run(run_id: str, **fields: Any) -> RunRecord:
    fields.setdefault("job_name", "job")
    fields.setdefault("status", RunStatus.QUEUED)
    fields.setdefault("created_at", T0)
    return RunRecord(run_id=run_id, **fields)


def event(
    event_type: EventType,
    run_id: str = "r1",
    *,
    asset: AssetKey | None = None,
    partition: str | None = None,
    at: float = T0,
    **data: Any,
) -> Event:
    return Event(
        event_type=event_type,
        run_id=run_id,
        timestamp=at,
        asset_key=asset,
        partition=partition,
        step_key=None if asset is None else asset.to_user_string(),
        data=data,
    )


def materialization(asset: AssetKey, run_id: str = "r1", **kw: Any) -> Event:
    return event(EventType.ASSET_MATERIALIZATION, run_id, asset=asset, **kw)


def planned(asset: AssetKey, run_id: str = "r1", **kw: Any) -> Event:
    return event(EventType.ASSET_MATERIALIZATION_PLANNED, run_id, asset=asset, **kw)


def test_backend_implements_both_protocols(storage: Storage) -> None:
    assert isinstance(storage, StorageReader)
    assert isinstance(storage, StorageWriter)


# -- runs -------------------------------------------------------------------------------------


def test_a_run_added_with_its_events_stores_both_or_neither(storage: Storage) -> None:
    enqueued = event(EventType.RUN_ENQUEUED, "r1")
    storage.add_run(run("r1"), events=[enqueued])
    [record] = storage.get_event_records(run_id="r1")
    assert record.event.event_type is EventType.RUN_ENQUEUED
    assert storage.get_run("r1").status is RunStatus.QUEUED
    with pytest.raises(StorageError, match="already exists"):
        storage.add_run(run("r1"), events=[event(EventType.RUN_ENQUEUED, "r1", at=T0 + 1)])
    assert len(storage.get_event_records(run_id="r1")) == 1  # the refused run's event: not stored


def test_added_run_reads_back_equal(storage: Storage) -> None:
    record = run(
        "r1",
        asset_selection=(A, B),
        partition="2024-01-01",
        tags={"team": "data", "owner": "me"},
        run_config={"ops": {"a": {"config": {"limit": 3, "names": ["x"]}}}},
        parent_run_id="r0",
        root_run_id="r0",
    )
    storage.add_run(record)
    assert storage.get_run("r1") == record


def test_unknown_run_is_none(storage: Storage) -> None:
    assert storage.get_run("nope") is None


def test_adding_a_run_twice_is_refused(storage: Storage) -> None:
    storage.add_run(run("r1"))
    with pytest.raises(StorageError, match="'r1' already exists"):
        storage.add_run(run("r1", job_name="other"))
    assert storage.get_run("r1").job_name == "job"


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        (EventType.RUN_ENQUEUED, RunStatus.QUEUED),
        (EventType.RUN_STARTING, RunStatus.STARTING),
        (EventType.RUN_START, RunStatus.STARTED),
        (EventType.RUN_SUCCESS, RunStatus.SUCCESS),
        (EventType.RUN_FAILURE, RunStatus.FAILURE),
        (EventType.RUN_CANCELING, RunStatus.CANCELING),
        (EventType.RUN_CANCELED, RunStatus.CANCELED),
    ],
    ids=lambda v: v.value,
)
def test_run_event_sets_run_status(
    storage: Storage, event_type: EventType, status: RunStatus
) -> None:
    storage.add_run(run("r1", status=RunStatus.NOT_STARTED))
    storage.store_events([event(event_type, at=T0 + 5)])
    stored = storage.get_run("r1")
    assert stored.status is status
    assert stored.updated_at == T0 + 5


def test_run_start_time_is_kept_and_end_time_set_when_finished(storage: Storage) -> None:
    storage.add_run(run("r1"))
    storage.store_events([event(EventType.RUN_START, at=T0 + 1)])
    storage.store_events([event(EventType.RUN_START, at=T0 + 2)])
    assert (storage.get_run("r1").started_at, storage.get_run("r1").ended_at) == (T0 + 1, None)
    storage.store_events([event(EventType.RUN_SUCCESS, at=T0 + 3)])
    finished = storage.get_run("r1")
    assert (finished.status, finished.started_at, finished.ended_at) == (
        RunStatus.SUCCESS,
        T0 + 1,
        T0 + 3,
    )


def test_run_events_in_one_batch_apply_in_order(storage: Storage) -> None:
    storage.add_run(run("r1"))
    storage.store_events(
        [event(EventType.RUN_START, at=T0 + 1), event(EventType.RUN_FAILURE, at=T0 + 2)]
    )
    assert storage.get_run("r1").status is RunStatus.FAILURE


def test_run_event_for_unknown_run_is_stored_without_a_run(storage: Storage) -> None:
    ids = storage.store_events([event(EventType.RUN_START, "ghost")])
    assert len(ids) == 1
    assert storage.get_run("ghost") is None


def test_set_run_status_matches_with_status(storage: Storage) -> None:
    record = run("r1")
    storage.add_run(record)
    storage.set_run_status("r1", RunStatus.STARTED, T0 + 1)
    storage.set_run_status("r1", RunStatus.CANCELED, T0 + 2)
    expected = record.with_status(RunStatus.STARTED, T0 + 1).with_status(RunStatus.CANCELED, T0 + 2)
    assert storage.get_run("r1") == expected


def test_set_status_of_unknown_run_raises(storage: Storage) -> None:
    with pytest.raises(RunNotFoundError, match="'nope'"):
        storage.set_run_status("nope", RunStatus.STARTED, T0)


@pytest.fixture
def some_runs(storage: Storage) -> Storage:
    storage.add_run(run("r1", job_name="etl", tags={"team": "a"}, asset_selection=(A,)))
    storage.add_run(
        run(
            "r2",
            job_name="etl",
            created_at=T0 + 1,
            tags={"team": "b", "env": "prod"},
            asset_selection=(A, B),
        )
    )
    storage.add_run(
        run(
            "r3",
            job_name="report",
            created_at=T0 + 2,
            tags={"team": "b"},
            asset_selection=(B,),
        )
    )
    storage.store_events([event(EventType.RUN_START, "r2"), event(EventType.RUN_SUCCESS, "r3")])
    return storage


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (None, ["r3", "r2", "r1"]),
        (RunsFilter(statuses=[RunStatus.STARTED]), ["r2"]),
        (RunsFilter(statuses=[RunStatus.QUEUED, RunStatus.SUCCESS]), ["r3", "r1"]),
        (RunsFilter(statuses=[]), []),
        (RunsFilter(job_name="etl"), ["r2", "r1"]),
        (RunsFilter(tags={"team": "b"}), ["r3", "r2"]),
        (RunsFilter(tags={"team": "b", "env": "prod"}), ["r2"]),
        (RunsFilter(tags={"team": "c"}), []),
        (RunsFilter(asset_key=A), ["r2", "r1"]),
        (RunsFilter(asset_key=B, job_name="etl"), ["r2"]),
        (RunsFilter(run_ids=["r1", "r3", "zz"]), ["r3", "r1"]),
        (RunsFilter(created_after=T0, created_before=T0 + 2), ["r2"]),
    ],
    ids=[
        "all",
        "status",
        "statuses",
        "no-statuses",
        "job",
        "tag",
        "all-tags",
        "unknown-tag",
        "asset",
        "asset-and-job",
        "run-ids",
        "created-window",
    ],
)
def test_runs_filter(some_runs: Storage, filters: RunsFilter | None, expected: list[str]) -> None:
    assert [r.run_id for r in some_runs.get_runs(filters)] == expected
    assert some_runs.count_runs(filters) == len(expected)


def test_runs_ascending_order(some_runs: Storage) -> None:
    assert [r.run_id for r in some_runs.get_runs(ascending=True)] == ["r1", "r2", "r3"]


def test_runs_created_at_the_same_time_order_by_run_id(storage: Storage) -> None:
    for run_id in ("b", "c", "a"):
        storage.add_run(run(run_id))
    assert [r.run_id for r in storage.get_runs()] == ["c", "b", "a"]
    assert [r.run_id for r in storage.get_runs(ascending=True)] == ["a", "b", "c"]


@pytest.mark.parametrize("ascending", [False, True], ids=["newest-first", "oldest-first"])
def test_cursor_pagination_visits_every_run_once(storage: Storage, ascending: bool) -> None:
    for i in range(7):
        storage.add_run(run(f"r{i}", created_at=T0 + i // 2))  # pairs share a created_at
    seen: list[str] = []
    cursor = None
    while page := storage.get_runs(limit=3, cursor=cursor, ascending=ascending):
        assert len(page) <= 3
        seen.extend(r.run_id for r in page)
        cursor = page[-1].run_id
    assert seen == [r.run_id for r in storage.get_runs(ascending=ascending)]
    assert sorted(seen) == [f"r{i}" for i in range(7)]


def test_cursor_combines_with_filters(some_runs: Storage) -> None:
    page = some_runs.get_runs(RunsFilter(job_name="etl"), cursor="r3")
    assert [r.run_id for r in page] == ["r2", "r1"]


def test_unknown_cursor_raises(some_runs: Storage) -> None:
    with pytest.raises(RunNotFoundError, match="cursor 'gone'"):
        some_runs.get_runs(cursor="gone")


def test_delete_run_removes_run_and_its_events(some_runs: Storage) -> None:
    some_runs.store_events([event(EventType.LOG, "r1"), event(EventType.LOG, "r2")])
    some_runs.delete_run("r2")
    assert some_runs.get_run("r2") is None
    assert some_runs.get_event_records(run_id="r2") == []
    assert [r.run_id for r in some_runs.get_event_records(event_type=EventType.LOG)] == ["r1"]
    assert [r.run_id for r in some_runs.get_runs(RunsFilter(tags={"team": "b"}))] == ["r3"]
    assert [r.run_id for r in some_runs.get_runs(RunsFilter(asset_key=A))] == ["r1"]


def test_delete_unknown_run_is_a_no_op(some_runs: Storage) -> None:
    some_runs.delete_run("nope")
    assert some_runs.count_runs() == 3


# -- event log --------------------------------------------------------------------------------


def test_store_events_returns_increasing_ids_in_batch_order(storage: Storage) -> None:
    first = storage.store_events([event(EventType.STEP_START)])
    batch = storage.store_events([event(EventType.LOG), event(EventType.LOG)] * 4)
    ids = first + batch
    assert len(ids) == 9
    assert ids == sorted(ids)
    assert len(set(ids)) == 9


def test_empty_batch_stores_nothing(storage: Storage) -> None:
    assert storage.store_events([]) == []
    assert storage.get_event_records() == []


def test_stored_event_reads_back_equal(storage: Storage) -> None:
    original = Event(
        event_type=EventType.ASSET_MATERIALIZATION,
        run_id="r1",
        timestamp=T0 + 0.123456,
        step_key="prefix__b",
        level=30,
        message="stored ünïcode",
        asset_key=B,
        partition="2024-01-01|eu",
        data={
            "metadata": {"rows": {"type": "int", "value": 3}},
            "data_version": "abc",
            "provenance": [{"key": "a", "partition": None, "data_version": "v1"}],
            "ratio": 0.5,
            "flag": True,
            "nothing": None,
        },
    )
    (storage_id,) = storage.store_events([original])
    (record,) = storage.get_event_records(run_id="r1")
    assert record.storage_id == storage_id
    assert record.event == original


def test_stored_event_reads_back_as_stored_when_its_writer_changes_its_data_later(
    storage: Storage,
) -> None:
    data: dict[str, Any] = {"data_version": "v1", "metadata": {"rows": 3}, "tags": ("x", "y")}
    storage.store_events([materialization(A, data_version="v1", payload=data)])
    data["data_version"] = "v2"
    data["metadata"]["rows"] = 4
    (record,) = storage.get_event_records(asset_key=A)
    # stored as JSON: the tuple reads back as a list, later changes are not seen
    assert record.event.data["payload"] == {
        "data_version": "v1",
        "metadata": {"rows": 3},
        "tags": ["x", "y"],
    }


@pytest.fixture
def event_log(storage: Storage) -> tuple[Storage, list[int]]:
    ids = storage.store_events(
        [
            event(EventType.RUN_START, "r1"),
            planned(A, "r1"),
            materialization(A, "r1"),
            materialization(A, "r1", partition="p1"),
            event(EventType.ASSET_OBSERVATION, "r2", asset=B),
            materialization(B, "r2", partition="p1"),
            event(EventType.LOG, "r2"),
            materialization(A, "r2", partition="p2"),
        ]
    )
    return storage, ids


@pytest.mark.parametrize(
    ("query", "positions"),
    [
        ({}, [0, 1, 2, 3, 4, 5, 6, 7]),
        ({"run_id": "r2"}, [4, 5, 6, 7]),
        ({"asset_key": A}, [1, 2, 3, 7]),
        ({"event_type": EventType.ASSET_MATERIALIZATION}, [2, 3, 5, 7]),
        ({"event_type": [EventType.LOG, EventType.RUN_START]}, [0, 6]),
        ({"event_type": []}, []),
        ({"partition": "p1"}, [3, 5]),
        ({"asset_key": A, "partition": "p1"}, [3]),
        ({"asset_key": A, "event_type": EventType.ASSET_MATERIALIZATION, "run_id": "r2"}, [7]),
        ({"after_storage_id": "@3"}, [4, 5, 6, 7]),
        ({"before_storage_id": "@2"}, [0, 1]),
        ({"after_storage_id": "@1", "before_storage_id": "@5", "asset_key": A}, [2, 3]),
        ({"limit": 3}, [0, 1, 2]),
        ({"ascending": False, "limit": 3}, [7, 6, 5]),
        ({"ascending": False, "run_id": "r1"}, [3, 2, 1, 0]),
        ({"asset_key": AssetKey("zzz")}, []),
        ({"run_id": "zzz"}, []),
    ],
    ids=[
        "all",
        "run",
        "asset",
        "type",
        "types",
        "no-types",
        "partition",
        "asset-partition",
        "asset-type-run",
        "tail-after",
        "before",
        "window-and-asset",
        "limit",
        "descending-limit",
        "descending-run",
        "unknown-asset",
        "unknown-run",
    ],
)
def test_read_event_records(
    event_log: tuple[Storage, list[int]], query: dict[str, Any], positions: list[int]
) -> None:
    storage, ids = event_log
    # "@n" stands for the storage id of the n-th stored event.
    resolved = {
        k: ids[int(v[1:])] if isinstance(v, str) and v.startswith("@") else v
        for k, v in query.items()
    }
    records = storage.get_event_records(**resolved)
    assert [r.storage_id for r in records] == [ids[p] for p in positions]


def test_storage_ids_are_not_reused_after_the_newest_run_is_deleted(storage: Storage) -> None:
    storage.add_run(run("r1"))
    (old,) = storage.store_events([event(EventType.LOG, "r0")])
    (deleted,) = storage.store_events([event(EventType.LOG, "r1")])
    storage.delete_run("r1")
    (new,) = storage.store_events([event(EventType.LOG, "r2")])
    assert old < deleted < new


# -- status indexes ---------------------------------------------------------------------------


def test_latest_materialization_per_asset_and_per_partition(storage: Storage) -> None:
    ids = storage.store_events(
        [
            materialization(A, "r1", partition="p1"),
            materialization(A, "r1", partition="p2"),
            materialization(A, "r2", partition="p1"),
            materialization(B, "r2"),
        ]
    )
    assert storage.get_latest_materialization(A, "p1").storage_id == ids[2]
    assert storage.get_latest_materialization(A, "p2").storage_id == ids[1]
    assert storage.get_latest_materialization(A).storage_id == ids[2]  # any partition
    assert storage.get_latest_materialization(B).storage_id == ids[3]
    assert storage.get_latest_materialization(B, "p1") is None
    assert storage.get_latest_materialization(AssetKey("never")) is None


def test_latest_observation(storage: Storage) -> None:
    observe = EventType.ASSET_OBSERVATION
    ids = storage.store_events(
        [event(observe, asset=A, data_version="1"), event(observe, asset=A, data_version="2")]
    )
    latest = storage.get_latest_observation(A)
    assert (latest.storage_id, latest.event.data["data_version"]) == (ids[1], "2")
    assert storage.get_latest_materialization(A) is None


def test_asset_status_row(storage: Storage) -> None:
    ids = storage.store_events(
        [materialization(A, "r1"), event(EventType.ASSET_OBSERVATION, "r2", asset=A)]
    )
    status = storage.get_asset_status([A, B])
    assert list(status) == [A]
    row = status[A]
    assert (row.asset_key, row.partition) == (A, None)
    assert row.last_materialization.storage_id == ids[0]
    assert row.last_observation.storage_id == ids[1]
    assert (row.last_run_id, row.last_failed_run_id, row.in_progress_run_id) == ("r1", None, None)


def test_asset_status_of_many_keys(storage: Storage) -> None:
    keys = [AssetKey(("many", f"k{i}")) for i in range(1234)]
    storage.store_events([materialization(k) for k in keys[::2]])
    status = storage.get_asset_status(keys)
    assert set(status) == set(keys[::2])
    assert storage.get_materialized_asset_keys() == set(keys[::2])


def test_partition_status_all_or_some(storage: Storage) -> None:
    storage.store_events(
        [materialization(A, partition=p) for p in ("p1", "p2", "p3")]
        + [materialization(B, partition="p1")]
    )
    assert set(storage.get_partition_status(A)) == {"p1", "p2", "p3"}
    some = storage.get_partition_status(A, ["p3", "p1", "p9"])
    assert set(some) == {"p1", "p3"}
    assert some["p3"].partition == "p3"
    assert some["p3"].last_materialization.event.partition == "p3"


@pytest.mark.parametrize("partitioned", [False, True], ids=["asset", "partition"])
def test_status_without_events_keeps_storage_ids(storage: Storage, partitioned: bool) -> None:
    partition = "p1" if partitioned else None
    ids = storage.store_events(
        [
            materialization(A, partition=partition),
            event(EventType.ASSET_OBSERVATION, asset=A, partition=partition),
        ]
    )
    if partitioned:
        lean = storage.get_partition_status(A, with_events=False)["p1"]
        full = storage.get_partition_status(A)["p1"]
    else:
        lean = storage.get_asset_status([A], with_events=False)[A]
        full = storage.get_asset_status([A])[A]
    assert (lean.last_materialization_storage_id, lean.last_observation_storage_id) == tuple(ids)
    assert (lean.last_materialization, lean.last_observation) == (None, None)
    assert (full.last_materialization.storage_id, full.last_observation.storage_id) == tuple(ids)
    assert (lean.last_run_id, lean.partition) == (full.last_run_id, full.partition)


def test_planned_marks_in_progress_and_materialization_clears_it(storage: Storage) -> None:
    storage.store_events([planned(A, "r1"), planned(A, "r1", partition="p1")])
    assert storage.get_asset_status([A])[A].in_progress_run_id == "r1"
    assert storage.get_partition_status(A)["p1"].in_progress_run_id == "r1"
    assert storage.get_asset_status([A])[A].last_materialization is None
    storage.store_events([materialization(A, "r1", partition="p1")])
    assert storage.get_partition_status(A)["p1"].in_progress_run_id is None


def test_planned_then_materialized_in_one_batch_ends_not_in_progress(storage: Storage) -> None:
    storage.store_events([planned(A, "r1"), materialization(A, "r1")])
    assert storage.get_asset_status([A])[A].in_progress_run_id is None


def test_materialization_from_another_run_keeps_in_progress(storage: Storage) -> None:
    storage.store_events([planned(A, "r2"), materialization(A, "r1")])
    row = storage.get_asset_status([A])[A]
    assert (row.in_progress_run_id, row.last_run_id) == ("r2", "r1")


def test_step_failure_marks_failed_and_clears_in_progress(storage: Storage) -> None:
    storage.store_events([planned(A, "r1", partition="p1"), planned(B, "r1", partition="p1")])
    failure = event(
        EventType.STEP_FAILURE,
        "r1",
        partition="p1",
        asset_keys=["a", "prefix/b"],
        error={"cls": "ValueError", "message": "boom", "traceback": ""},
    )
    storage.store_events([failure])
    for key in (A, B):
        row = storage.get_partition_status(key)["p1"]
        assert (row.last_failed_run_id, row.in_progress_run_id) == ("r1", None)
        assert storage.get_asset_status([key])[key].last_failed_run_id == "r1"


def test_step_failure_without_asset_keys_uses_its_asset_key(storage: Storage) -> None:
    storage.store_events([event(EventType.STEP_FAILURE, "r1", asset=A)])
    assert storage.get_asset_status([A])[A].last_failed_run_id == "r1"


def test_later_materialization_clears_failure(storage: Storage) -> None:
    storage.store_events([event(EventType.STEP_FAILURE, "r1", asset_keys=["a"])])
    storage.store_events([materialization(A, "r2")])
    row = storage.get_asset_status([A])[A]
    assert (row.last_failed_run_id, row.last_run_id) == (None, "r2")


def test_finished_run_clears_its_in_progress_marks(storage: Storage) -> None:
    storage.store_events(
        [planned(A, "r1"), planned(B, "r1", partition="p1"), planned(AssetKey("c"), "r2")]
    )
    storage.store_events([event(EventType.RUN_FAILURE, "r1")])
    status = storage.get_asset_status([A, B, AssetKey("c")])
    assert [status[k].in_progress_run_id for k in (A, B)] == [None, None]
    assert storage.get_partition_status(B)["p1"].in_progress_run_id is None
    assert status[AssetKey("c")].in_progress_run_id == "r2"


def test_latest_check_evaluation_per_check_and_partition(storage: Storage) -> None:
    evaluate = EventType.ASSET_CHECK_EVALUATION
    ids = storage.store_events(
        [
            event(evaluate, asset=A, check_name="not_null", passed=True),
            event(evaluate, asset=A, check_name="unique", passed=False),
            event(evaluate, asset=A, check_name="not_null", partition="p1", passed=False),
        ]
    )
    not_null = AssetCheckKey(A, "not_null")
    assert storage.get_latest_check_evaluation(not_null).storage_id == ids[2]
    assert storage.get_latest_check_evaluation(not_null, "p1").storage_id == ids[2]
    assert storage.get_latest_check_evaluation(AssetCheckKey(A, "unique")).storage_id == ids[1]
    assert storage.get_latest_check_evaluation(AssetCheckKey(A, "unique"), "p1") is None
    assert storage.get_latest_check_evaluation(AssetCheckKey(B, "not_null")) is None
    # many checks in one read: the same records, never-evaluated checks left out
    unique, unknown = AssetCheckKey(A, "unique"), AssetCheckKey(B, "not_null")
    many = storage.get_latest_check_evaluations([not_null, unique, unknown])
    assert {k: r.storage_id for k, r in many.items()} == {not_null: ids[2], unique: ids[1]}
    assert many[unique].event.data["passed"] is False
    assert storage.get_latest_check_evaluations([]) == {}


def test_deleting_a_run_points_status_at_earlier_events(storage: Storage) -> None:
    storage.add_run(run("r1"))
    storage.add_run(run("r2", created_at=T0 + 1))
    evaluate = EventType.ASSET_CHECK_EVALUATION
    kept = storage.store_events(
        [
            materialization(A, "r1", partition="p1"),
            event(evaluate, "r1", asset=A, check_name="c"),
        ]
    )
    storage.store_events(
        [
            materialization(A, "r2", partition="p1"),
            event(evaluate, "r2", asset=A, check_name="c"),
            materialization(B, "r2"),
            planned(AssetKey("c"), "r2"),
        ]
    )
    storage.delete_run("r2")
    assert storage.get_latest_materialization(A).storage_id == kept[0]
    assert storage.get_latest_materialization(A, "p1").storage_id == kept[0]
    assert storage.get_asset_status([A])[A].last_run_id == "r1"
    assert storage.get_latest_check_evaluation(AssetCheckKey(A, "c")).storage_id == kept[1]
    assert storage.get_asset_status([B, AssetKey("c")]) == {}
    assert storage.get_materialized_asset_keys() == {A}


def test_concurrent_threads_lose_no_events(storage: Storage) -> None:
    def write(name: str) -> None:
        for i in range(50):
            storage.store_events([event(EventType.LOG, name, i=i), materialization(A, name)])
            storage.get_asset_status([A])

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = storage.get_event_records(event_type=EventType.LOG)
    assert len({r.storage_id for r in records}) == 200
    for n in range(4):
        assert [r.event.data["i"] for r in records if r.run_id == f"t{n}"] == list(range(50))


# -- atomicity and validation -----------------------------------------------------------------


class NotJson:
    pass


@pytest.mark.parametrize(
    "bad",
    [
        materialization(A, metadata={"obj": NotJson()}),
        event(EventType.ASSET_MATERIALIZATION),
        event(EventType.ASSET_CHECK_EVALUATION, asset=A, passed=True),
        event(EventType.STEP_FAILURE, asset_keys="a"),
        event(EventType.STEP_FAILURE, asset_keys=["not a key!"]),
        materialization(A, partition="p" * 256),
        event(EventType.LOG, "r" * 256),
    ],
    ids=[
        "unserializable-payload",
        "materialization-without-asset",
        "check-without-name",
        "asset-keys-not-a-list",
        "invalid-asset-key",
        "partition-too-long",
        "run-id-too-long",
    ],
)
def test_batch_with_a_bad_event_writes_nothing(storage: Storage, bad: Event) -> None:
    storage.add_run(run("r1"))
    before = storage.store_events([materialization(B)])
    batch = [event(EventType.RUN_START), planned(A), materialization(A), bad]
    with pytest.raises(StorageError, match=r"event|payload"):
        storage.store_events(batch)
    assert [r.storage_id for r in storage.get_event_records()] == before
    assert storage.get_run("r1").status is RunStatus.QUEUED
    assert storage.get_asset_status([A]) == {}
    assert storage.schema_info()["events"] == 1


def test_schema_info_counts(some_runs: Storage) -> None:
    some_runs.store_events([materialization(A), materialization(B)])
    info = some_runs.schema_info()
    assert {"backend", "location", "schema_version"} <= set(info)
    assert (info["runs"], info["events"], info["assets"]) == (3, 4, 2)


# -- status counts and big partition sets -----------------------------------------------------


def test_partition_status_counts_follow_precedence(storage: Storage) -> None:
    observe = EventType.ASSET_OBSERVATION
    storage.store_events(
        [
            materialization(A, "r1", partition="done-1"),
            materialization(A, "r1", partition="done-2"),
            materialization(A, "r1", partition="failed-after-success"),
            event(EventType.STEP_FAILURE, "r2", partition="failed-after-success", asset_keys=["a"]),
            event(EventType.STEP_FAILURE, "r2", partition="failed", asset_keys=["a"]),
            materialization(A, "r1", partition="running"),
            planned(A, "r3", partition="running"),
            event(observe, "r4", asset=A, partition="observed"),
            materialization(B, "r1", partition="other-asset"),
        ]
    )
    assert storage.count_partition_statuses(A) == {
        "in_progress": 1,
        "materialized_latest_failed": 1,
        "failed": 1,
        "materialized": 2,
        "observed": 1,
    }
    assert storage.count_partition_statuses(AssetKey("never")) == {
        "in_progress": 0,
        "materialized_latest_failed": 0,
        "failed": 0,
        "materialized": 0,
        "observed": 0,
    }


HUNDRED_K = 100_000


def test_hundred_thousand_partitions_of_one_run(storage: Storage) -> None:
    keys = [f"p{i:06d}" for i in range(HUNDRED_K)]
    ids: list[int] = []
    for start in range(0, HUNDRED_K, 25_000):
        ids += storage.store_events(
            [materialization(A, "r1", partition=k) for k in keys[start : start + 25_000]]
        )
    storage.store_events([planned(A, "r2", partition=k) for k in keys[:10]])
    counts = storage.count_partition_statuses(A)
    assert counts == {
        "in_progress": 10,
        "materialized_latest_failed": 0,
        "failed": 0,
        "materialized": HUNDRED_K - 10,
        "observed": 0,
    }
    lean = storage.get_partition_status(A, with_events=False)
    assert len(lean) == HUNDRED_K
    assert lean[keys[-1]].last_materialization_storage_id == ids[-1]
    row = storage.get_asset_status([A])[A]
    assert (row.last_materialization.storage_id, row.last_run_id) == (ids[-1], "r1")


def test_status_of_a_long_list_of_partitions_in_one_call(storage: Storage) -> None:
    storage.store_events([materialization(A, partition=f"p{i}") for i in range(0, 6000, 3)])
    wanted = [f"p{i}" for i in range(6000)]
    assert set(storage.get_partition_status(A, wanted)) == {f"p{i}" for i in range(0, 6000, 3)}
    assert storage.get_partition_status(A, []) == {}


def test_runs_filter_by_a_long_list_of_run_ids(storage: Storage) -> None:
    for i in range(30):
        storage.add_run(run(f"r{i}", created_at=T0 + i))
    wanted = [f"r{i}" for i in range(0, 30, 2)] + [f"absent-{i}" for i in range(3000)]
    found = storage.get_runs(RunsFilter(run_ids=wanted))
    assert [r.run_id for r in found] == [f"r{i}" for i in range(28, -1, -2)]


def test_many_materializations_of_one_asset_in_a_batch_keep_the_latest(storage: Storage) -> None:
    storage.store_events([planned(A, "r1"), planned(A, "r2")])
    ids = storage.store_events(
        [materialization(A, "r1"), materialization(A, "r1"), materialization(A, "r2")]
    )
    row = storage.get_asset_status([A])[A]
    assert (row.last_materialization.storage_id, row.last_run_id) == (ids[-1], "r2")
    assert row.in_progress_run_id is None


# -- live tail --------------------------------------------------------------------------------


def test_max_storage_id_tracks_the_newest_event(storage: Storage) -> None:
    assert storage.get_max_storage_id() is None
    ids = storage.store_events([event(EventType.LOG), event(EventType.LOG)])
    assert storage.get_max_storage_id() == ids[-1]


def test_tailing_after_a_cursor_reads_each_event_once(storage: Storage) -> None:
    cursor = None
    seen: list[int] = []
    for batch in range(4):
        storage.store_events([event(EventType.LOG, i=batch * 10 + i) for i in range(batch + 1)])
        page = storage.get_event_records(after_storage_id=cursor, limit=100)
        seen += [r.event.data["i"] for r in page]
        cursor = page[-1].storage_id
    assert seen == [0, 10, 11, 20, 21, 22, 30, 31, 32, 33]


def test_wait_for_events_returns_at_once_when_newer_events_exist(storage: Storage) -> None:
    (first,) = storage.store_events([event(EventType.LOG)])
    assert storage.wait_for_events(None, timeout=5) is True
    assert storage.wait_for_events(first - 1, timeout=5) is True
    assert storage.wait_for_events(first, timeout=0.05) is False


def test_wait_for_events_wakes_when_another_thread_stores_one(storage: Storage) -> None:
    (first,) = storage.store_events([event(EventType.LOG)])
    writer = threading.Timer(0.2, lambda: storage.store_events([event(EventType.LOG)]))
    writer.start()
    try:
        assert storage.wait_for_events(first, timeout=30) is True
    finally:
        writer.join()
    assert storage.get_max_storage_id() > first


# -- version columns: what staleness reads instead of events ----------------------------------


def provenance_entry(key: str, partition: str | None, version: str, **extra: Any) -> dict:
    return {"key": key, "partition": partition, "data_version": version, **extra}


def test_partition_versions_copy_the_latest_materialization(storage: Storage) -> None:
    folded = provenance_entry("h", "00...47", "digest", partition_count=48)
    ids = storage.store_events(
        [
            materialization(A, partition="p1", at=T0, data_version="old"),
            materialization(
                A,
                partition="p1",
                at=T0 + 5,
                data_version="v1",
                code_version="2",
                provenance=[
                    provenance_entry("u", "p1", "u1"),
                    provenance_entry("u", "p0", "u0"),
                    folded,
                ],
            ),
            materialization(A, partition="p2", at=T0 + 6, data_version="v2"),
        ]
    )
    versions = storage.get_partition_versions([A, B])
    assert set(versions) == {A}
    rows = versions[A]
    at = {p: i for i, p in enumerate(rows.partitions)}
    assert len(rows) == 2 and set(at) == {"p1", "p2"}
    p1 = at["p1"]
    assert (rows.materialization_ids[p1], rows.observation_ids[p1]) == (ids[1], None)
    assert (rows.data_versions[p1], rows.data_version_times[p1]) == ("v1", T0 + 5)
    assert rows.code_versions[p1] == "2"
    assert decode_provenance(rows.provenances[p1]) == {
        "u": [["p1", "u1"], ["p0", "u0"]],
        "h": [["00...47", "digest", 48]],
    }
    p2 = at["p2"]
    assert (rows.code_versions[p2], rows.provenances[p2]) == (None, None)


def test_newer_observation_sets_the_data_version_and_keeps_the_rest(storage: Storage) -> None:
    mat, obs = storage.store_events(
        [
            materialization(A, at=T0, data_version="m", code_version="1", provenance=[]),
            event(EventType.ASSET_OBSERVATION, asset=A, at=T0 + 1, data_version="o"),
        ]
    )
    [rows] = storage.get_asset_versions([A]).values()
    assert rows.partitions == (None,)
    assert (rows.materialization_ids, rows.observation_ids) == ((mat,), (obs,))
    assert (rows.data_versions, rows.data_version_times) == (("o",), (T0 + 1,))
    assert (rows.code_versions, rows.provenances) == (("1",), ("{}",))


def test_status_rows_keep_the_data_time_each_latest_materialization_recorded(
    storage: Storage,
) -> None:
    storage.store_events(
        [
            # rebuilt at T0 + 10 from root data read at T0 + 2
            materialization(A, at=T0 + 10, data_version="a", data_time=T0 + 2),
            # no recorded data time: the materialization's own time
            materialization(B, partition="p1", at=T0 + 3, data_version="p"),
            # an observation moves the data version, never the recorded data time
            event(EventType.ASSET_OBSERVATION, asset=A, at=T0 + 20, data_version="o"),
        ]
    )
    [rows] = storage.get_asset_versions([A]).values()
    assert (rows.data_versions, rows.data_times) == (("o",), (T0 + 2,))
    [parts] = storage.get_partition_versions([B]).values()
    assert parts.data_times == (T0 + 3,)


def test_asset_versions_of_many_keys(storage: Storage) -> None:
    keys = [AssetKey(("many", f"k{i}")) for i in range(1234)]
    storage.store_events([materialization(k, data_version=str(i)) for i, k in enumerate(keys)][::2])
    versions = storage.get_asset_versions(keys)
    assert set(versions) == set(keys[::2])
    assert versions[keys[10]].data_versions == ("10",)
    assert storage.get_asset_versions([]) == {}


def test_versions_fall_back_to_older_events_when_a_run_is_deleted(storage: Storage) -> None:
    storage.add_run(run("r1"))
    storage.add_run(run("r2"))
    storage.store_events(
        [materialization(A, "r1", partition="p1", data_version="v1", code_version="1")]
    )
    storage.store_events(
        [materialization(A, "r2", partition="p1", data_version="v2", code_version="2")]
    )
    storage.delete_run("r2")
    [partition_rows] = storage.get_partition_versions([A]).values()
    [asset_rows] = storage.get_asset_versions([A]).values()
    for rows in (partition_rows, asset_rows):
        assert (rows.data_versions, rows.code_versions) == (("v1",), ("1",))


def test_provenance_that_is_not_a_list_is_not_kept(storage: Storage) -> None:
    storage.store_events([materialization(A, partition="p1", provenance="not a list")])
    [rows] = storage.get_partition_versions([A]).values()
    assert rows.provenances == (None,)
    assert decode_provenance(None) == {}


def test_partition_keys_by_status(storage: Storage) -> None:
    storage.store_events(
        [
            materialization(A, "r1", partition="done"),
            materialization(A, "r1", partition="done-then-failed"),
            materialization(A, "r1", partition="redo"),
            planned(A, "r2", partition="redo"),
            planned(A, "r2", partition="new"),
            event(EventType.ASSET_OBSERVATION, asset=A, partition="seen"),
            planned(A, "r3", partition="broken"),
            event(EventType.STEP_FAILURE, "r3", asset=A, partition="broken"),
            event(EventType.STEP_FAILURE, "r3", asset=A, partition="done-then-failed"),
            materialization(B, "r1", partition="other"),
        ]
    )
    by_status = storage.get_partition_keys_by_status(A)
    assert {c: sorted(keys) for c, keys in by_status.items()} == {
        PartitionStatusCategory.IN_PROGRESS: ["new", "redo"],
        PartitionStatusCategory.MATERIALIZED_LATEST_FAILED: ["done-then-failed"],
        PartitionStatusCategory.FAILED: ["broken"],
        PartitionStatusCategory.MATERIALIZED: ["done"],
        PartitionStatusCategory.OBSERVED: ["seen"],
    }
    nothing = storage.get_partition_keys_by_status(AssetKey("none"))
    assert nothing == {category: [] for category in PartitionStatusCategory}


def test_versions_of_many_partitions_in_one_call(storage: Storage) -> None:
    keys = [f"p{i:05d}" for i in range(20_000)]
    storage.store_events([materialization(A, partition=k, data_version=k) for k in keys])
    [rows] = storage.get_partition_versions([A]).values()
    assert sorted(rows.partitions) == keys
    assert rows.data_versions == rows.partitions
