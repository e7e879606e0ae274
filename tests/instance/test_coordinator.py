"""Which queued runs the coordinator starts: priority, then age, within the run queue's
limits (max_concurrent_runs, tag_concurrency_limits)."""

from __future__ import annotations

import pytest

from freshet.instance.coordinator import runs_to_dequeue
from freshet.instance.queue_config import RunQueueConfig, TagConcurrencyLimit
from freshet.storage.records import RunRecord, RunStatus


def run(run_id: str, at: float, status: RunStatus = RunStatus.QUEUED, **tags: str) -> RunRecord:
    return RunRecord(run_id=run_id, job_name="j", status=status, created_at=at, tags=dict(tags))


def started(run_id: str, **tags: str) -> RunRecord:
    return run(run_id, 0.0, RunStatus.STARTED, **tags)


def ids(runs: list[RunRecord]) -> list[str]:
    return [r.run_id for r in runs]


def test_oldest_first_up_to_the_free_slots() -> None:
    queued = [run("new", 3.0), run("old", 1.0), run("mid", 2.0)]
    config = RunQueueConfig(max_concurrent_runs=3)
    assert ids(runs_to_dequeue(queued, [started("x")], config)) == ["old", "mid"]


def test_higher_priority_goes_first_whatever_its_age() -> None:
    queued = [run("old", 1.0), run("urgent", 5.0, **{"freshet/priority": "10"})]
    config = RunQueueConfig(max_concurrent_runs=1)
    assert ids(runs_to_dequeue(queued, [], config)) == ["urgent"]


def test_nothing_starts_when_the_queue_is_full() -> None:
    config = RunQueueConfig(max_concurrent_runs=2)
    assert runs_to_dequeue([run("q", 1.0)], [started("a"), started("b")], config) == []


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (TagConcurrencyLimit(key="team", value="data", limit=1), ["other-team", "no-tag"]),
        (TagConcurrencyLimit(key="team", value=None, limit=1), ["no-tag"]),
        (TagConcurrencyLimit(key="team", value="data", limit=2), ["data", "other-team", "no-tag"]),
    ],
    ids=["value-limit-reached", "per-value-limit-reached", "limit-not-reached"],
)
def test_tag_limits_hold_back_only_runs_with_that_tag(
    limit: TagConcurrencyLimit, expected: list[str]
) -> None:
    queued = [
        run("data", 1.0, team="data"),
        run("other-team", 2.0, team="ml"),
        run("no-tag", 3.0),
    ]
    in_progress = [started("running-data", team="data"), started("running-ml", team="ml")]
    config = RunQueueConfig(max_concurrent_runs=10, tag_concurrency_limits=(limit,))
    assert ids(runs_to_dequeue(queued, in_progress, config)) == expected


def test_runs_started_in_one_tick_count_against_the_tag_limit() -> None:
    queued = [run("a", 1.0, team="data"), run("b", 2.0, team="data")]
    config = RunQueueConfig(
        tag_concurrency_limits=(TagConcurrencyLimit(key="team", value="data", limit=1),)
    )
    assert ids(runs_to_dequeue(queued, [], config)) == ["a"]
