"""The run coordinator: moves QUEUED runs to their workers, highest `freshet/priority` first
(then oldest), while the run queue's limits (freshet.yaml `run_queue`) allow. It reads run
records only and never imports the user's code: the worker does that."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence

from freshet.errors import FreshetError
from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.instance.queue_config import RunQueueConfig, TagConcurrencyLimit
from freshet.runs.control import IN_PROGRESS
from freshet.runs.launch import run_priority
from freshet.storage.records import Event, EventType, LogLevel, RunRecord, RunsFilter, RunStatus
from freshet.storage.state_records import HeartbeatKind

RUN_QUEUE_DUTY = "run_queue"
"""The daemon duty that dequeues runs; its heartbeat tells others the queue is served."""
SERVED_WITHIN_SECONDS = 5.0


def queue_is_served(instance: Instance, now: float | None = None) -> bool:
    """Whether a daemon dequeues runs: its run-queue duty beat in the last few seconds."""
    beats = instance.storage.get_heartbeats(HeartbeatKind.DAEMON_DUTY, [RUN_QUEUE_DUTY])
    now = time.time() if now is None else now
    return any(now - beat.timestamp < SERVED_WITHIN_SECONDS for beat in beats)


def runs_to_dequeue(
    queued: Iterable[RunRecord], in_progress: Iterable[RunRecord], config: RunQueueConfig
) -> list[RunRecord]:
    """Which queued runs may start now, in the order to start them. A run held back by a tag
    limit does not hold back lower-priority runs without that tag."""
    ordered = sorted(queued, key=lambda run: (-run_priority(run.tags), run.created_at, run.run_id))
    running = list(in_progress)
    total = len(running)
    counts: Counter[tuple[str, str]] = Counter()
    for run in running:
        counts.update(run.tags.items())
    chosen: list[RunRecord] = []
    for run in ordered:
        if total >= config.max_concurrent_runs:
            break
        limits = _applicable(run, config.tag_concurrency_limits)
        if any(counts[(limit.key, run.tags[limit.key])] >= limit.limit for limit in limits):
            continue
        chosen.append(run)
        total += 1
        counts.update(run.tags.items())
    return chosen


def _applicable(run: RunRecord, limits: Sequence[TagConcurrencyLimit]) -> list[TagConcurrencyLimit]:
    return [
        limit
        for limit in limits
        if limit.key in run.tags and (limit.value is None or run.tags[limit.key] == limit.value)
    ]


class RunCoordinator:
    """Dequeues runs of one instance and starts their workers with `launcher`."""

    def __init__(self, instance: Instance, launcher: RunLauncher, *, launched_by: str) -> None:
        self._instance = instance
        self._launcher = launcher
        self._launched_by = launched_by

    def tick(self, only: str | None = None) -> list[str]:
        """Start every run the limits allow now (only `only`, when given: the CLI starting
        its own run without a daemon); returns the ids of the runs started."""
        storage = self._instance.storage
        queued = storage.get_runs(RunsFilter(statuses=[RunStatus.QUEUED]), ascending=True)
        if not queued or (only is not None and all(run.run_id != only for run in queued)):
            return []
        in_progress = storage.get_runs(RunsFilter(statuses=IN_PROGRESS))
        started = []
        for run in runs_to_dequeue(queued, in_progress, self._instance.run_queue_config):
            if only is not None and run.run_id != only:
                continue
            if self._start(run):
                started.append(run.run_id)
        return started

    def _start(self, run: RunRecord) -> bool:
        storage = self._instance.storage
        claimed = Event(
            event_type=EventType.RUN_STARTING,
            run_id=run.run_id,
            timestamp=time.time(),
            message=f"dequeued by {self._launched_by}; starting its worker",
            data={"launched_by": self._launched_by},
        )
        if storage.transition_run(claimed, (RunStatus.QUEUED,)) is None:
            return False  # canceled, or another coordinator took it
        try:
            pid = self._launcher.launch(run)
        except FreshetError as exc:
            failed = Event(
                event_type=EventType.RUN_FAILURE,
                run_id=run.run_id,
                timestamp=time.time(),
                level=LogLevel.ERROR,
                message=str(exc),
            )
            storage.transition_run(failed, IN_PROGRESS)
            return False
        storage.store_events(
            [
                Event(
                    event_type=EventType.ENGINE_EVENT,
                    run_id=run.run_id,
                    timestamp=time.time(),
                    message=f"run worker started (pid {pid})",
                    data={"pid": pid},
                )
            ]
        )
        return True
