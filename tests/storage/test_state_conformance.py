"""The daemon-state contract: schedule/sensor/automation state and ticks, backfills, dynamic
partitions, concurrency slots and cursors. Every backend (conftest.BACKENDS) passes it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.base import Storage
from freshet.storage.records import Event, EventType
from freshet.storage.state_records import (
    BackfillRecord,
    BackfillStatus,
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickStatus,
)

T0 = 1_700_000_000.0
SCHEDULE = InstigatorType.SCHEDULE
SENSOR = InstigatorType.SENSOR


def state(name: str, kind: InstigatorType = SCHEDULE, **fields: object) -> InstigatorState:
    fields.setdefault("status", InstigatorStatus.RUNNING)
    fields.setdefault("updated_at", T0)
    return InstigatorState(name=name, instigator_type=kind, **fields)  # type: ignore[arg-type]


def tick(name: str = "daily", at: float = T0, **fields: object) -> Tick:
    fields.setdefault("status", TickStatus.SUCCESS)
    fields.setdefault("instigator_type", SCHEDULE)
    return Tick(instigator_name=name, timestamp=at, **fields)  # type: ignore[arg-type]


def backfill(backfill_id: str, at: float = T0, **fields: object) -> BackfillRecord:
    fields.setdefault("status", BackfillStatus.REQUESTED)
    return BackfillRecord(backfill_id=backfill_id, created_at=at, **fields)  # type: ignore[arg-type]


# -- instigator state -------------------------------------------------------------------------


def test_instigator_state_reads_back_and_is_replaced(storage: Storage) -> None:
    original = state("daily", data={"cursor": "42", "last_tick": T0})
    storage.set_instigator_state(original)
    assert storage.get_instigator_state(SCHEDULE, "daily") == original
    stopped = state("daily", status=InstigatorStatus.STOPPED, updated_at=T0 + 1)
    storage.set_instigator_state(stopped)
    assert storage.get_instigator_state(SCHEDULE, "daily") == stopped
    assert storage.get_instigator_state(SENSOR, "daily") is None


def test_instigator_states_list_by_type_then_name(storage: Storage) -> None:
    for name, kind in [
        ("b", SENSOR),
        ("a", SENSOR),
        ("z", SCHEDULE),
        ("auto", InstigatorType.AUTOMATION),
    ]:
        storage.set_instigator_state(state(name, kind))
    listed = [(s.instigator_type, s.name) for s in storage.get_instigator_states()]
    assert listed == [
        (InstigatorType.AUTOMATION, "auto"),
        (SCHEDULE, "z"),
        (SENSOR, "a"),
        (SENSOR, "b"),
    ]
    assert [s.name for s in storage.get_instigator_states(SENSOR)] == ["a", "b"]


def test_deleted_instigator_state_is_gone(storage: Storage) -> None:
    storage.set_instigator_state(state("daily"))
    storage.delete_instigator_state(SCHEDULE, "daily")
    storage.delete_instigator_state(SCHEDULE, "never-existed")
    assert storage.get_instigator_state(SCHEDULE, "daily") is None


def test_instigator_state_must_be_json(storage: Storage) -> None:
    with pytest.raises(StorageError, match=r"state of schedule 'daily'.*not JSON"):
        storage.set_instigator_state(state("daily", data={"when": object()}))
    assert storage.get_instigator_states() == []


# -- ticks ------------------------------------------------------------------------------------


def test_tick_reads_back_and_updates_in_place(storage: Storage) -> None:
    started = tick(status=TickStatus.STARTED, cursor="c1", data={"evaluations": 3})
    record = storage.add_tick(started)
    finished = started.with_status(TickStatus.SUCCESS, T0 + 2, run_ids=("r1", "r2"))
    storage.update_tick(record.tick_id, finished)
    (stored,) = storage.get_ticks(SCHEDULE, "daily")
    assert stored.tick_id == record.tick_id
    assert stored.tick == finished
    assert stored.tick.end_timestamp == T0 + 2


def test_updating_an_unknown_tick_raises(storage: Storage) -> None:
    with pytest.raises(StorageError, match="no such tick"):
        storage.update_tick(999, tick())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [4, 3, 2, 1, 0]),
        ({"limit": 2}, [4, 3]),
        ({"statuses": [TickStatus.SKIPPED]}, [3, 1]),
        ({"after": T0 + 1, "before": T0 + 4}, [3, 2]),
    ],
    ids=["newest-first", "limit", "status", "time-window"],
)
def test_ticks_filter_and_order(storage: Storage, query: dict, expected: list[int]) -> None:
    statuses = [TickStatus.SUCCESS, TickStatus.SKIPPED] * 3
    for i in range(5):
        storage.add_tick(tick(at=T0 + i, status=statuses[i], data={"i": i}))
    storage.add_tick(tick("other", at=T0 + 10))
    found = storage.get_ticks(SCHEDULE, "daily", **query)
    assert [r.tick.data["i"] for r in found] == expected


def test_pruning_ticks_keeps_each_instigators_latest(storage: Storage) -> None:
    for i in range(3):
        storage.add_tick(tick("daily", at=T0 + i))
    storage.add_tick(tick("hourly", at=T0))
    assert storage.prune_ticks(before=T0 + 100) == 2
    assert [r.tick.timestamp for r in storage.get_ticks(SCHEDULE, "daily")] == [T0 + 2]
    assert len(storage.get_ticks(SCHEDULE, "hourly")) == 1


# -- backfills --------------------------------------------------------------------------------


def test_backfill_reads_back_and_updates(storage: Storage) -> None:
    original = backfill(
        "b1",
        asset_selection=(AssetKey("a"), AssetKey(("p", "b"))),
        partition_keys=("2024-01-01", "2024-01-02"),
        tags={"team": "data"},
    )
    storage.add_backfill(original)
    assert storage.get_backfill("b1") == original
    progressed = backfill(
        "b1",
        status=BackfillStatus.COMPLETED,
        data={"completed": ["2024-01-01", "2024-01-02"]},
        updated_at=T0 + 9,
    )
    storage.update_backfill(progressed)
    assert storage.get_backfill("b1") == progressed
    assert storage.get_backfill("nope") is None


def test_backfill_ids_are_unique(storage: Storage) -> None:
    storage.add_backfill(backfill("b1"))
    with pytest.raises(StorageError, match="'b1' already exists"):
        storage.add_backfill(backfill("b1"))
    with pytest.raises(StorageError, match="no such backfill"):
        storage.update_backfill(backfill("b2"))


def test_backfills_page_newest_first_and_filter_by_status(storage: Storage) -> None:
    for i in range(5):
        status = BackfillStatus.CANCELED if i == 2 else BackfillStatus.REQUESTED
        storage.add_backfill(backfill(f"b{i}", at=T0 + i // 2, status=status))
    pages: list[list[str]] = []
    cursor = None
    while page := storage.get_backfills(limit=2, cursor=cursor):
        pages.append([b.backfill_id for b in page])
        cursor = page[-1].backfill_id
    assert pages == [["b4", "b3"], ["b2", "b1"], ["b0"]]
    requested = storage.get_backfills(statuses=[BackfillStatus.REQUESTED])
    assert [b.backfill_id for b in requested] == ["b4", "b3", "b1", "b0"]
    with pytest.raises(StorageError, match="cursor 'gone'"):
        storage.get_backfills(cursor="gone")


# -- dynamic partitions -----------------------------------------------------------------------


def test_dynamic_partitions_keep_insertion_order_and_skip_duplicates(storage: Storage) -> None:
    storage.add_dynamic_partitions("customers", ["c", "a", "c", "b"])
    storage.add_dynamic_partitions("customers", ["b", "d"])
    storage.add_dynamic_partitions("regions", ["eu"])
    assert storage.get_dynamic_partitions("customers") == ["c", "a", "b", "d"]
    assert storage.has_dynamic_partition("customers", "d")
    assert not storage.has_dynamic_partition("regions", "d")
    assert storage.get_dynamic_partitions("unknown") == []


def test_deleting_a_dynamic_partition(storage: Storage) -> None:
    storage.add_dynamic_partitions("customers", ["a", "b", "c"])
    storage.delete_dynamic_partition("customers", "b")
    storage.delete_dynamic_partition("customers", "never")
    assert storage.get_dynamic_partitions("customers") == ["a", "c"]
    storage.add_dynamic_partitions("customers", ["b"])
    assert storage.get_dynamic_partitions("customers") == ["a", "c", "b"]


FIFTY_K = 50_000


def test_fifty_thousand_dynamic_partitions_in_one_call(storage: Storage) -> None:
    keys = [f"file-{i:05d}.csv" for i in range(FIFTY_K)]
    storage.add_dynamic_partitions("files", keys[::-1])
    storage.add_dynamic_partitions("files", keys)  # all present already: a no-op
    stored = storage.get_dynamic_partitions("files")
    assert len(stored) == FIFTY_K
    assert stored[:2] == [keys[-1], keys[-2]]
    assert storage.has_dynamic_partition("files", keys[12_345])


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("abc", "takes a list of partition keys"),
        (["ok", ""], r"partition #1 .* non-empty string"),
        (["ok", 3], r"partition #1 .* non-empty string"),
        (["x" * 256], "more than the 255"),
    ],
    ids=["bare-string", "empty-key", "not-a-string", "too-long"],
)
def test_bad_dynamic_partition_keys_add_nothing(
    storage: Storage, keys: object, message: str
) -> None:
    with pytest.raises(StorageError, match=message):
        storage.add_dynamic_partitions("customers", keys)  # type: ignore[arg-type]
    assert storage.get_dynamic_partitions("customers") == []


# -- concurrency slots ------------------------------------------------------------------------


def test_slots_are_claimed_up_to_the_limit(storage: Storage) -> None:
    assert storage.claim_slot("db", "r1", "a", limit=2)
    assert storage.claim_slot("db", "r1", "b", limit=2)
    assert not storage.claim_slot("db", "r2", "a", limit=2)
    assert storage.claim_slot("other", "r2", "a", limit=2)
    usage = storage.get_pool_usage("db")
    assert (usage.pool, usage.limit, usage.claimed) == ("db", 2, 2)
    assert {(s.run_id, s.step_key) for s in usage.slots} == {("r1", "a"), ("r1", "b")}


def test_claiming_a_held_slot_again_succeeds_without_a_second_slot(storage: Storage) -> None:
    assert storage.claim_slot("db", "r1", "a", limit=1)
    assert storage.claim_slot("db", "r1", "a", limit=1)
    assert storage.get_pool_usage("db").claimed == 1


def test_released_slot_can_be_claimed_by_another_step(storage: Storage) -> None:
    storage.claim_slot("db", "r1", "a", limit=1)
    storage.release_slot("db", "r1", "a")
    storage.release_slot("db", "r1", "never-claimed")
    assert storage.claim_slot("db", "r2", "a", limit=1)
    assert [s.run_id for s in storage.get_pool_usage("db").slots] == ["r2"]


def test_releasing_a_runs_slots_frees_every_pool(storage: Storage) -> None:
    storage.claim_slot("db", "r1", "a", limit=5)
    storage.claim_slot("api", "r1", "b", limit=5)
    storage.claim_slot("db", "r2", "a", limit=5)
    assert storage.release_run_slots("r1") == 2
    assert storage.get_pool_usage("db").claimed == 1
    assert storage.get_pool_usage("api").claimed == 0


def test_unknown_pool_is_empty_without_a_limit(storage: Storage) -> None:
    usage = storage.get_pool_usage("nobody")
    assert (usage.limit, usage.slots) == (None, ())


@pytest.mark.parametrize(
    ("limit", "message"),
    [(-1, ">= 0"), (1.5, "whole number"), (True, "whole number")],
    ids=["negative", "fraction", "bool"],
)
def test_bad_limit_is_refused(storage: Storage, limit: object, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        storage.claim_slot("db", "r1", "a", limit=limit)  # type: ignore[arg-type]


def test_zero_limit_grants_nothing(storage: Storage) -> None:
    assert not storage.claim_slot("db", "r1", "a", limit=0)


def test_contending_threads_never_exceed_the_limit(storage: Storage) -> None:
    limit, threads, attempts = 3, 6, 15
    holding = Counter[str]()
    peak = [0]
    guard = threading.Lock()

    def step(worker: int) -> None:
        for attempt in range(attempts):
            key = f"w{worker}-{attempt}"
            while not storage.claim_slot("db", "run", key, limit=limit):
                pass
            with guard:
                holding["now"] += 1
                peak[0] = max(peak[0], holding["now"])
            assert storage.get_pool_usage("db").claimed <= limit
            with guard:
                holding["now"] -= 1
            storage.release_slot("db", "run", key)

    workers = [threading.Thread(target=step, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert 1 <= peak[0] <= limit
    assert storage.get_pool_usage("db").claimed == 0


# -- cursors ----------------------------------------------------------------------------------


def test_cursor_is_none_until_set_and_then_replaced(storage: Storage) -> None:
    assert storage.get_cursor("automation") is None
    storage.set_cursor("automation", '{"tick": 1}')
    storage.set_cursor("automation", '{"tick": 2}')
    storage.set_cursor("other", "x")
    assert storage.get_cursor("automation") == '{"tick": 2}'


def test_cursor_value_must_be_a_string(storage: Storage) -> None:
    with pytest.raises(StorageError, match="must be a string"):
        storage.set_cursor("automation", 3)  # type: ignore[arg-type]


def test_dynamic_partitions_and_partition_status_are_kept_apart(storage: Storage) -> None:
    storage.add_dynamic_partitions("customers", ["acme"])
    storage.store_events(
        [
            Event(
                event_type=EventType.ASSET_MATERIALIZATION,
                run_id="r1",
                asset_key=AssetKey("per_customer"),
                partition="acme",
            )
        ]
    )
    assert set(storage.get_partition_status(AssetKey("per_customer"))) == {"acme"}
    assert storage.get_dynamic_partitions("customers") == ["acme"]
    assert storage.get_partition_status(AssetKey("customers")) == {}


# -- automation evaluations -------------------------------------------------------------------


def evaluation(key: str, requested: int = 0, **body: object):
    from freshet.storage.state_records import AutomationEvaluationRecord

    return AutomationEvaluationRecord.of(
        AssetKey.from_user_string(key),
        requested,
        {"tree": {"type": "missing", "true": requested}, **body},
    )


def test_an_automation_tick_commits_tick_evaluations_and_cursor_together(storage: Storage) -> None:
    auto = tick("automation", instigator_type=InstigatorType.AUTOMATION)
    first = storage.commit_automation_tick(
        auto, [evaluation("a", 1), evaluation("b/c")], "automation", "cursor-1"
    )
    second = storage.commit_automation_tick(
        tick("automation", at=T0 + 30, instigator_type=InstigatorType.AUTOMATION),
        [evaluation("a", 0, note="second")],
        "automation",
        "cursor-2",
    )
    assert second.tick_id > first.tick_id
    assert storage.get_cursor("automation") == "cursor-2"
    [latest, older] = storage.get_automation_evaluations(AssetKey("a"))
    assert (latest.tick_id, latest.num_requested, latest.body["note"]) == (
        second.tick_id,
        0,
        "second",
    )
    assert (older.tick_id, older.timestamp, older.num_requested) == (first.tick_id, T0, 1)
    assert older.body == {"tree": {"type": "missing", "true": 1}}
    [only] = storage.get_automation_evaluations(AssetKey(["b", "c"]), up_to_tick_id=second.tick_id)
    assert (only.asset_key, only.tick_id) == (AssetKey(["b", "c"]), first.tick_id)
    assert storage.get_automation_evaluations(AssetKey("a"), limit=1) == [latest]
    assert storage.get_automation_evaluations(AssetKey("a"), up_to_tick_id=first.tick_id) == [older]
    assert storage.get_automation_evaluations(AssetKey("a"), up_to_tick_id=first.tick_id - 1) == []
    ticks = storage.get_ticks(InstigatorType.AUTOMATION, "automation")
    assert [t.tick_id for t in ticks] == [second.tick_id, first.tick_id]


def test_pruning_ticks_removes_their_automation_evaluations(storage: Storage) -> None:
    old = storage.commit_automation_tick(
        tick("automation", at=T0, instigator_type=InstigatorType.AUTOMATION),
        [evaluation("a", 1)],
        "automation",
        "c1",
    )
    new = storage.commit_automation_tick(
        tick("automation", at=T0 + 100, instigator_type=InstigatorType.AUTOMATION),
        [evaluation("a", 0)],
        "automation",
        "c2",
    )
    assert storage.prune_ticks(before=T0 + 50) == 1
    assert [e.tick_id for e in storage.get_automation_evaluations(AssetKey("a"))] == [new.tick_id]
    assert old.tick_id != new.tick_id
