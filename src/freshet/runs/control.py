"""Naming and steering runs that already exist: finding a run by its id or an unambiguous
prefix, and canceling it. Works on any storage through its protocols."""

from __future__ import annotations

import time

from freshet.errors import RunNotFoundError, UsageError
from freshet.storage.base import Storage, StorageReader
from freshet.storage.records import Event, EventType, LogLevel, RunRecord, RunsFilter, RunStatus

MIN_PREFIX = 8
IN_PROGRESS = (RunStatus.STARTING, RunStatus.STARTED, RunStatus.CANCELING)
_SHOWN = 5


def find_run(storage: StorageReader, run_id: str) -> RunRecord:
    """The run with this id, or the only run whose id starts with it (8 characters or more)."""
    if not isinstance(run_id, str) or not run_id.strip():
        raise UsageError(f"expected a run id, got {run_id!r}")
    run_id = run_id.strip()
    found = storage.get_run(run_id)
    if found is not None:
        return found
    if len(run_id) < MIN_PREFIX:
        raise RunNotFoundError(
            f"no run {run_id!r}; give the full run id or at least its first {MIN_PREFIX} "
            "characters (`freshet runs list` shows them)"
        )
    matches = storage.get_runs(RunsFilter(run_id_prefix=run_id), limit=_SHOWN + 1)
    if not matches:
        raise RunNotFoundError(
            f"no run {run_id!r}, nor one whose id starts with it; list runs with "
            "`freshet runs list`"
        )
    if len(matches) > 1:
        shown = ", ".join(run.run_id for run in matches[:_SHOWN])
        more = " ..." if len(matches) > _SHOWN else ""
        raise UsageError(
            f"run id prefix {run_id!r} is ambiguous: it starts {shown}{more}; give more characters"
        )
    return matches[0]


def cancel_run(storage: Storage, run_id: str, *, requested_by: str) -> RunRecord:
    """Cancel a run: a queued one becomes CANCELED at once; a starting or started one becomes
    CANCELING and its worker interrupts its steps, then records CANCELED. The event says who
    asked. A run that has finished cannot be canceled; canceling twice is harmless."""
    run = find_run(storage, run_id)
    message = f"cancel requested by {requested_by}"
    data = {"requested_by": requested_by}
    if run.status is RunStatus.CANCELING:
        return run
    if run.status.is_finished:
        raise UsageError(
            f"run {run.run_id} has already finished ({run.status.value}); there is nothing to "
            "cancel"
        )
    queued = Event(
        event_type=EventType.RUN_CANCELED,
        run_id=run.run_id,
        timestamp=time.time(),
        level=LogLevel.WARNING,
        message=f"run canceled before it started: {message}",
        data=data,
    )
    if storage.transition_run(queued, (RunStatus.QUEUED, RunStatus.NOT_STARTED)) is None:
        started = Event(
            event_type=EventType.RUN_CANCELING,
            run_id=run.run_id,
            timestamp=time.time(),
            level=LogLevel.WARNING,
            message=f"canceling: {message}",
            data=data,
        )
        if storage.transition_run(started, IN_PROGRESS) is None:
            latest = storage.get_run(run.run_id) or run
            if latest.status is not RunStatus.CANCELING:
                raise UsageError(
                    f"run {run.run_id} has already finished ({latest.status.value}); there is "
                    "nothing to cancel"
                )
    return storage.get_run(run.run_id) or run


def cancel_requested(storage: StorageReader, run_id: str) -> Event | None:
    """The RUN_CANCELING event of the run, if someone asked to cancel it."""
    found = storage.get_event_records(run_id=run_id, event_type=EventType.RUN_CANCELING, limit=1)
    return found[0].event if found else None
