"""Run monitoring: a launched run whose worker died (killed, out of memory, machine gone) is
ended with the reason, its in-progress assets and partitions are marked failed and its pool
slots freed. A worker this process started is seen exiting at once; any other by its
heartbeat going quiet for longer than `run_monitoring.worker_heartbeat_timeout_seconds`."""

from __future__ import annotations

import time
from collections.abc import Iterable

from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.runs.control import IN_PROGRESS
from freshet.storage.base import Storage
from freshet.storage.records import Event, EventType, LogLevel, RunRecord, RunsFilter, RunStatus
from freshet.storage.state_records import HeartbeatKind


class RunMonitor:
    def __init__(self, instance: Instance, launcher: RunLauncher | None = None) -> None:
        self._instance = instance
        self._launcher = launcher

    def tick(self, now: float | None = None) -> list[str]:
        """Look at every launched run in progress once; returns the ids of the runs ended."""
        storage = self._instance.storage
        ended: list[str] = []
        if self._launcher is not None:
            for exit_ in self._launcher.exited():
                run = storage.get_run(exit_.run_id)
                if run is not None and end_dead_run(storage, run, exit_.reason):
                    ended.append(run.run_id)
        now = time.time() if now is None else now
        timeout = self._instance.run_monitoring_config.worker_heartbeat_timeout_seconds
        launched = [
            run
            for run in storage.get_runs(RunsFilter(statuses=IN_PROGRESS))
            if run.origin is not None and run.run_id not in ended
        ]
        if not launched:
            return ended
        beats = {
            beat.name: beat.timestamp
            for beat in storage.get_heartbeats(
                HeartbeatKind.RUN_WORKER, [run.run_id for run in launched]
            )
        }
        start_timeout = self._instance.run_monitoring_config.worker_start_timeout_seconds
        for run in launched:
            last = beats.get(run.run_id)
            if last is not None:
                quiet = now - last
                if quiet <= timeout:
                    continue
                reason = (
                    f"run worker stopped sending heartbeats: none for {quiet:.1f} s (timeout "
                    f"{timeout:g} s, run_monitoring.worker_heartbeat_timeout_seconds); it died "
                    "or lost the instance database"
                )
            else:
                waited = now - (run.updated_at or run.created_at)
                if waited <= start_timeout:
                    continue
                reason = (
                    f"run worker did not start: no heartbeat {waited:.1f} s after it was "
                    f"launched (run_monitoring.worker_start_timeout_seconds: {start_timeout:g})"
                )
            if end_dead_run(storage, run, reason):
                ended.append(run.run_id)
        return ended


def end_dead_run(storage: Storage, run: RunRecord, reason: str) -> bool:
    """End `run`, whose worker is gone: FAILURE with `reason` (CANCELED if it was being
    canceled); the assets and partitions it had in progress become failed; its pool slots
    are freed. False when the run ended by itself meanwhile."""
    latest = storage.get_run(run.run_id)
    if latest is None or latest.status.is_finished:
        return False
    now = time.time()
    events = [
        Event(
            event_type=EventType.STEP_FAILURE,
            run_id=run.run_id,
            step_key=step_key,
            timestamp=now,
            level=LogLevel.ERROR,
            message=f"{step_key}: {reason}",
            data={
                "asset_keys": asset_keys,
                **({"partitions": partitions} if partitions else {}),
                "error": {"cls": "RunWorkerDied", "message": reason, "traceback": ""},
            },
        )
        for step_key, asset_keys, partitions in _unfinished_steps(storage, run.run_id)
    ]
    canceling = latest.status is RunStatus.CANCELING
    end_type = EventType.RUN_CANCELED if canceling else EventType.RUN_FAILURE
    if events:
        storage.store_events(events)
    end = Event(
        event_type=end_type,
        run_id=run.run_id,
        timestamp=time.time(),
        level=LogLevel.WARNING if canceling else LogLevel.ERROR,
        message=f"run {'canceled' if canceling else 'failed'}: {reason}",
        data={"reason": reason},
    )
    # Freed before the run ends, so that whoever sees it ended sees its slots free too.
    storage.release_run_slots(run.run_id)
    storage.delete_heartbeat(HeartbeatKind.RUN_WORKER, run.run_id)
    return storage.transition_run(end, (RunStatus.QUEUED, *IN_PROGRESS)) is not None


def _unfinished_steps(storage: Storage, run_id: str) -> Iterable[tuple[str, list[str], list[str]]]:
    """(step key, asset keys, partitions) of the assets the run planned but neither
    materialized nor failed: what it had in progress when its worker died."""
    records = storage.get_event_records(
        run_id=run_id,
        event_type=[
            EventType.ASSET_MATERIALIZATION_PLANNED,
            EventType.ASSET_MATERIALIZATION,
            EventType.STEP_FAILURE,
            EventType.STEP_SKIPPED,
        ],
    )
    planned: dict[str, list[str | None]] = {}
    done: set[tuple[str, str | None]] = set()
    for record in records:
        event = record.event
        if event.event_type is EventType.ASSET_MATERIALIZATION_PLANNED and event.asset_key:
            planned.setdefault(event.asset_key.to_user_string(), []).append(event.partition)
        elif event.event_type is EventType.ASSET_MATERIALIZATION and event.asset_key:
            done.add((event.asset_key.to_user_string(), event.partition))
        elif event.event_type in (EventType.STEP_FAILURE, EventType.STEP_SKIPPED):
            keys = event.data.get("asset_keys") or []
            if event.asset_key is not None:
                keys = [*keys, event.asset_key.to_user_string()]
            for key in keys:
                for partition in planned.get(key, [None]):
                    done.add((key, partition))
    for key, partitions in planned.items():
        left = [p for p in partitions if (key, p) not in done]
        if left:
            yield key, [key], [p for p in left if p is not None]
