"""Launch requests: what is checked before anything is written, and what a queued run holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from freshet.errors import SelectionError, UsageError
from freshet.runs.launch import LaunchRequest, enqueue, run_priority, split_partition
from freshet.storage.memory import MemoryStorage
from freshet.storage.records import EventType, RunStatus
from freshet.workspace.origin import CodeLocationOrigin

ORIGIN = CodeLocationOrigin(
    location_name="defs", python_file=Path("/proj/defs.py"), working_directory=Path("/proj")
).to_json_dict()


def test_enqueued_run_is_queued_with_its_origin_selection_and_tags() -> None:
    storage = MemoryStorage()
    request = LaunchRequest(
        origin=ORIGIN,
        selection="+report",
        partition_range=("2024-01-01", "2024-01-31"),
        run_config={"ops": {"report": {"config": {"limit": 3}}}},
        tags={"team": "data"},
    )
    run_id = enqueue(storage, request)
    run = storage.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.QUEUED
    assert run.origin == ORIGIN
    assert CodeLocationOrigin.from_json_dict(dict(run.origin)).python_file == Path("/proj/defs.py")
    assert (run.selection, run.partition) == ("+report", "2024-01-01...2024-01-31")
    assert run.job_name == "__asset_job"
    assert run.run_config == {"ops": {"report": {"config": {"limit": 3}}}}
    assert run.tags == {"team": "data"}
    assert [r.event_type for r in storage.get_event_records(run_id=run_id)] == [
        EventType.RUN_ENQUEUED
    ]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({}, UsageError, "--select"),
        ({"selection": "a and (b"}, SelectionError, "--select 'a and \\(b'"),
        (
            {"selection": "*", "partition_key": "p", "partition_range": ("a", "b")},
            UsageError,
            "not both",
        ),
        ({"selection": "*", "tags": {"freshet/priority": "high"}}, UsageError, "whole number"),
    ],
    ids=["nothing-to-run", "bad-selection", "partition-and-range", "priority-not-a-number"],
)
def test_bad_request_is_refused_before_anything_is_written(
    fields: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        LaunchRequest(origin=ORIGIN, **fields)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [({}, 0), ({"freshet/priority": "5"}, 5), ({"freshet/priority": "-2"}, -2)],
    ids=["default", "positive", "negative"],
)
def test_priority_comes_from_the_priority_tag(tags: dict, expected: int) -> None:
    assert run_priority(tags) == expected


@pytest.mark.parametrize(
    ("partition", "expected"),
    [(None, (None, None)), ("2024-01-01", ("2024-01-01", None)), ("a...b", (None, ("a", "b")))],
    ids=["none", "key", "range"],
)
def test_stored_partition_splits_back_into_key_or_range(partition, expected) -> None:
    assert split_partition(partition) == expected


@pytest.mark.parametrize(
    "rows", [(("extract", "result"),), (("extract", "result", ""),), (("extract", "result", 7),)]
)
def test_malformed_reused_outputs_are_refused_before_anything_is_stored(rows) -> None:
    storage = MemoryStorage()
    with pytest.raises(UsageError, match=r"reused_outputs: each row is \(op node, output name"):
        enqueue(storage, LaunchRequest(origin=ORIGIN, job_name="etl", reused_outputs=rows))
    assert storage.get_runs() == []
