"""Stored JSON: stable names, version checks, tolerance of fields added by newer versions."""

from __future__ import annotations

import json

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.records import Event, EventType, RunRecord, RunStatus
from freshet.storage.serde import event_from_json, event_to_json, run_from_json, run_to_json
from freshet.storage.state_records import (
    BackfillRecord,
    BackfillStatus,
    InstigatorType,
    Tick,
    TickStatus,
)
from freshet.storage.state_serde import (
    backfill_from_json,
    backfill_to_json,
    tick_from_json,
    tick_to_json,
)

MATERIALIZATION = Event(
    event_type=EventType.ASSET_MATERIALIZATION,
    run_id="r1",
    timestamp=1.5,
    step_key="a__b",
    asset_key=AssetKey(("a", "b")),
    partition="2024-01-01",
    data={"data_version": "v1"},
)


def test_event_json_uses_stable_compact_names() -> None:
    assert json.loads(event_to_json(MATERIALIZATION)) == {
        "v": 1,
        "type": "ASSET_MATERIALIZATION",
        "run_id": "r1",
        "timestamp": 1.5,
        "level": 20,
        "step_key": "a__b",
        "asset_key": "a/b",
        "partition": "2024-01-01",
        "data": {"data_version": "v1"},
    }
    assert " " not in event_to_json(MATERIALIZATION)


@pytest.mark.parametrize(
    "event",
    [
        MATERIALIZATION,
        Event(event_type=EventType.LOG, run_id="r", timestamp=2.0, level=40, message="é"),
        Event(event_type=EventType.RUN_START, run_id="r", timestamp=3.0),
    ],
    ids=["asset-event", "log-with-message", "minimal"],
)
def test_event_round_trips(event: Event) -> None:
    assert event_from_json(event_to_json(event)) == event


def test_unknown_event_fields_are_ignored() -> None:
    doc = json.loads(event_to_json(MATERIALIZATION))
    doc["added_by_a_newer_freshet"] = {"x": 1}
    assert event_from_json(json.dumps(doc)) == MATERIALIZATION


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, "format version 2"),
        ({"type": "QUANTUM_EVENT"}, "unknown type 'QUANTUM_EVENT'"),
    ],
    ids=["newer-version", "unknown-type"],
)
def test_events_from_a_newer_freshet_are_refused(change: dict[str, object], message: str) -> None:
    doc = {**json.loads(event_to_json(MATERIALIZATION)), **change}
    with pytest.raises(StorageError, match=message):
        event_from_json(json.dumps(doc))


def test_corrupt_json_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="not valid JSON"):
        event_from_json('{"v": 1, "type"')


def test_unserializable_payload_names_the_event() -> None:
    bad = Event(event_type=EventType.LOG, run_id="r9", step_key="s", data={"x": object()})
    with pytest.raises(StorageError, match=r"LOG event of run 'r9', step 's'.*not JSON"):
        event_to_json(bad)


def test_run_round_trips_with_keys_as_user_strings() -> None:
    record = RunRecord(
        run_id="r1",
        job_name="job",
        status=RunStatus.STARTED,
        asset_selection=(AssetKey(("a", "b")), AssetKey("c")),
        tags={"k": "v"},
        run_config={"ops": {}},
        created_at=1.0,
        started_at=2.0,
    )
    text = run_to_json(record)
    assert json.loads(text)["asset_selection"] == ["a/b", "c"]
    assert json.loads(text)["status"] == "STARTED"
    assert run_from_json(text) == record


def test_a_re_execution_of_ops_round_trips_and_older_runs_read_without_it() -> None:
    record = RunRecord(
        run_id="r2",
        job_name="etl",
        status=RunStatus.QUEUED,
        parent_run_id="r1",
        root_run_id="r1",
        op_selection=("transform", "load"),
        reused_outputs=(("extract", "result", "r1"),),
    )
    assert run_from_json(run_to_json(record)) == record
    older = json.loads(run_to_json(record))
    del older["op_selection"], older["reused_outputs"]
    read = run_from_json(json.dumps(older))
    assert (read.op_selection, read.reused_outputs) == (None, ())


@pytest.mark.parametrize(
    ("field", "value"),
    [("reused_outputs", [["extract", "result"]]), ("reused_outputs", "x"), ("op_selection", [1])],
)
def test_a_malformed_re_execution_field_is_a_storage_error(field: str, value: object) -> None:
    doc = json.loads(run_to_json(RunRecord(run_id="r", job_name="j", status=RunStatus.QUEUED)))
    doc[field] = value
    with pytest.raises(StorageError, match=f"stored run 'r': its {field}.*corrupt"):
        run_from_json(json.dumps(doc))


def test_run_with_non_string_tag_is_refused() -> None:
    record = RunRecord(run_id="r1", job_name="j", status=RunStatus.QUEUED, tags={"n": 3})
    with pytest.raises(StorageError, match="tag 'n': 3 is not a pair of strings"):
        run_to_json(record)


def test_tick_json_uses_stable_names() -> None:
    tick = Tick(
        instigator_type=InstigatorType.SENSOR,
        instigator_name="new_files",
        status=TickStatus.SKIPPED,
        timestamp=1.5,
        skip_reason="no new files",
        cursor="c9",
    )
    assert json.loads(tick_to_json(tick)) == {
        "v": 1,
        "type": "SENSOR",
        "name": "new_files",
        "status": "SKIPPED",
        "timestamp": 1.5,
        "end_timestamp": None,
        "run_ids": [],
        "run_keys": [],
        "skip_reason": "no new files",
        "error": None,
        "cursor": "c9",
        "data": {},
    }
    assert tick_from_json(tick_to_json(tick)) == tick


def test_backfill_with_an_unknown_status_asks_for_an_upgrade() -> None:
    stored = backfill_to_json(BackfillRecord(backfill_id="b1", status=BackfillStatus.REQUESTED))
    newer = stored.replace('"REQUESTED"', '"PAUSED"')
    with pytest.raises(StorageError, match="backfill status 'PAUSED' is unknown; upgrade"):
        backfill_from_json(newer)


def test_over_long_names_are_refused_before_writing() -> None:
    with pytest.raises(StorageError, match=r"run id 'rrrr.*more than the 255"):
        run_to_json(RunRecord(run_id="r" * 300, job_name="job", status=RunStatus.QUEUED))
