"""Finding runs by id prefix and canceling them."""

from __future__ import annotations

import pytest

from freshet.errors import RunNotFoundError, UsageError
from freshet.runs.control import cancel_requested, cancel_run, find_run
from freshet.storage.memory import MemoryStorage
from freshet.storage.records import Event, EventType, RunRecord, RunStatus


def storage_with(*runs: tuple[str, RunStatus]) -> MemoryStorage:
    storage = MemoryStorage()
    for run_id, status in runs:
        storage.add_run(RunRecord(run_id=run_id, job_name="j", status=status))
    return storage


def test_run_is_found_by_full_id_or_unambiguous_prefix() -> None:
    storage = storage_with(("1234abcd-0001", RunStatus.QUEUED), ("9999ffff-0001", RunStatus.QUEUED))
    assert find_run(storage, "1234abcd-0001").run_id == "1234abcd-0001"
    assert find_run(storage, "1234abcd").run_id == "1234abcd-0001"


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ("1234", RunNotFoundError, "at least its first 8"),
        ("00000000", RunNotFoundError, "nor one whose id starts with it"),
        ("1234abcd", UsageError, "ambiguous"),
        ("  ", UsageError, "expected a run id"),
    ],
    ids=["too-short", "unknown", "ambiguous", "blank"],
)
def test_bad_run_ids_are_refused(given: str, error: type[Exception], message: str) -> None:
    storage = storage_with(("1234abcd-0001", RunStatus.QUEUED), ("1234abcd-0002", RunStatus.QUEUED))
    with pytest.raises(error, match=message):
        find_run(storage, given)


def test_canceling_a_queued_run_cancels_it_at_once() -> None:
    storage = storage_with(("r1", RunStatus.QUEUED))
    run = cancel_run(storage, "r1", requested_by="alice")
    assert run.status is RunStatus.CANCELED
    [event] = [r.event for r in storage.get_event_records(run_id="r1")]
    assert event.event_type is EventType.RUN_CANCELED
    assert event.data == {"requested_by": "alice"}
    assert cancel_requested(storage, "r1") is None


def test_canceling_a_started_run_asks_its_worker() -> None:
    storage = storage_with(("r1", RunStatus.STARTED))
    assert cancel_run(storage, "r1", requested_by="alice").status is RunStatus.CANCELING
    request = cancel_requested(storage, "r1")
    assert request is not None and "alice" in request.message
    assert cancel_run(storage, "r1", requested_by="bob").status is RunStatus.CANCELING
    kinds = [r.event_type for r in storage.get_event_records(run_id="r1")]
    assert kinds == [EventType.RUN_CANCELING]


@pytest.mark.parametrize("status", [RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED])
def test_a_finished_run_cannot_be_canceled(status: RunStatus) -> None:
    storage = storage_with(("r1", status))
    with pytest.raises(UsageError, match="already finished"):
        cancel_run(storage, "r1", requested_by="alice")
    assert storage.get_event_records(run_id="r1") == []


def test_cancel_request_is_seen_even_after_a_later_status_change() -> None:
    storage = storage_with(("r1", RunStatus.STARTING))
    cancel_run(storage, "r1", requested_by="alice")
    storage.store_events([Event(event_type=EventType.RUN_START, run_id="r1")])
    assert cancel_requested(storage, "r1") is not None
