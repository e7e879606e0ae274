"""The run worker: the process that executes one launched run. It loads the run's code from
its recorded origin, resolves the stored selection against it, runs the plan (events go to
the instance's storage), beats while it runs, and stops its steps when the run is canceled.

    python -m freshet.instance.worker RUN_ID --home HOME

It lives in `instance/` (not `runs/`) because it opens the home's storage: the composition
root is the only layer that names concrete backends.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

from freshet.core.executors import multiprocess_executor
from freshet.core.partitions import PartitionKeyRange
from freshet.errors import FreshetError, RunCanceled
from freshet.execution.boundary import error_info
from freshet.instance.inprocess import execute_job, run_assets
from freshet.instance.instance import Instance
from freshet.instance.run_loader import OriginRunLoader
from freshet.lineage.selection import select_assets
from freshet.runs.control import IN_PROGRESS
from freshet.runs.heartbeat import WorkerHeartbeat
from freshet.runs.launch import ASSET_JOB_NAME, split_partition
from freshet.status.api import selection_statuses
from freshet.storage.records import Event, EventType, LogLevel, RunRecord, RunStatus
from freshet.workspace.loader import load_definitions
from freshet.workspace.origin import CodeLocationOrigin

_RUNNABLE = (RunStatus.STARTING, RunStatus.QUEUED, RunStatus.NOT_STARTED)


class _CancelSwitch:
    """Turns the heartbeat thread's cancel notice into `RunCanceled` in the main thread: a
    real signal wakes a step blocked in sleep or I/O, which a flag alone would not."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._previous: Any = signal.SIG_DFL

    def install(self) -> None:
        self._previous = signal.signal(signal.SIGTERM, self._handle)

    def uninstall(self) -> None:
        signal.signal(signal.SIGTERM, self._previous)

    def request(self, event: Event) -> None:
        self.reason = event.message or "cancel requested"
        os.kill(os.getpid(), signal.SIGTERM)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        raise RunCanceled(self.reason or "the run worker received SIGTERM")


def execute_launched_run(instance: Instance, run_id: str) -> int:
    """Execute the launched run `run_id` in this process; the exit status of the worker."""
    storage = instance.storage
    run = storage.get_run(run_id)
    if run is None:
        print(f"freshet worker: no run {run_id} in {instance.home}", file=sys.stderr)
        return 2
    if run.status is RunStatus.CANCELING:
        _end_unfinished(instance, run_id, EventType.RUN_CANCELED, "run canceled before it started")
        return 0
    if run.status not in _RUNNABLE:
        print(f"freshet worker: run {run_id} is {run.status.value}; nothing to do", file=sys.stderr)
        return 0
    switch = _CancelSwitch()
    switch.install()
    heartbeat = WorkerHeartbeat(
        storage,
        run_id,
        interval=instance.run_monitoring_config.heartbeat_interval_seconds,
        on_cancel=switch.request,
    )
    heartbeat.start()
    try:
        return _execute(instance, run)
    except RunCanceled as exc:
        _end_unfinished(instance, run_id, EventType.RUN_CANCELED, f"run canceled: {exc}")
        return 1
    finally:
        switch.uninstall()
        heartbeat.stop()
        storage.release_run_slots(run_id)


def _execute(instance: Instance, run: RunRecord) -> int:
    try:
        if run.origin is None:
            raise FreshetError(f"run {run.run_id} records no code location origin to load")
        origin = CodeLocationOrigin.from_json_dict(dict(run.origin))
        defs = load_definitions(origin)
        # steps run in worker processes that load the same code location again
        loader = OriginRunLoader.of(origin)
        partition_key, partition_range = split_partition(run.partition)
        config = dict(run.run_config) or None
        if run.job_name != ASSET_JOB_NAME:
            job = defs.get_job_def(run.job_name)
            if run.selection is None or not job.is_asset_job:
                result = execute_job(
                    job,
                    run_config=config,
                    instance=instance,
                    raise_on_error=False,
                    partition_key=partition_key,
                    tags=run.tags,
                    run_id=run.run_id,
                    record_run=False,
                    loader=loader,
                    default_executor=multiprocess_executor,
                    op_selection=run.op_selection,
                    reused_outputs=run.reused_outputs,
                )
                return 0 if result.success else 1
        graph = defs.get_asset_graph()
        statuses = selection_statuses(defs, instance)
        keys = select_assets(graph, run.selection or "*", statuses=statuses)
        if run.job_name != ASSET_JOB_NAME:
            keys &= select_assets(graph, defs.get_job_def(run.job_name).asset_selection)
        result = run_assets(
            defs,
            keys,
            instance=instance,
            run_config=config,
            partition_key=partition_key,
            partition_key_range=_range(partition_range),
            raise_on_error=False,
            tags=run.tags,
            job_name=run.job_name,
            run_id=run.run_id,
            record_run=False,
            loader=loader,
            default_executor=multiprocess_executor,
        )
    except FreshetError as exc:
        _end_unfinished(instance, run.run_id, EventType.RUN_FAILURE, str(exc), error=exc)
        return 1
    return 0 if result.success else 1


def _range(partition_range: tuple[str, str] | None) -> PartitionKeyRange | None:
    return None if partition_range is None else PartitionKeyRange(*partition_range)


def _end_unfinished(
    instance: Instance,
    run_id: str,
    event_type: EventType,
    message: str,
    *,
    error: BaseException | None = None,
) -> None:
    """End a run the executor did not end (it failed before starting, or was canceled while
    loading): an error event with the reason, then the run's end event."""
    storage = instance.storage
    run = storage.get_run(run_id)
    if run is None or run.status.is_finished:
        return
    now = time.time()
    if error is not None:
        storage.store_events(
            [
                Event(
                    event_type=EventType.ENGINE_EVENT,
                    run_id=run_id,
                    timestamp=now,
                    level=LogLevel.ERROR,
                    message=message,
                    data={"error": error_info(error, "load").to_json()},
                )
            ]
        )
    level = LogLevel.WARNING if event_type is EventType.RUN_CANCELED else LogLevel.ERROR
    end = Event(event_type=event_type, run_id=run_id, timestamp=now, level=level, message=message)
    storage.transition_run(end, (*_RUNNABLE, *IN_PROGRESS))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freshet.instance.worker")
    parser.add_argument("run_id", nargs="?")
    parser.add_argument("--home", required=True)
    parser.add_argument(
        "--wait-for-run",
        action="store_true",
        help="start up, then read the run id from stdin (a spare worker; EOF: exit)",
    )
    args = parser.parse_args(argv)
    if (args.run_id is None) != args.wait_for_run:
        parser.error("give a RUN_ID or --wait-for-run")
    with Instance.from_home(args.home) as instance:
        run_id = args.run_id
        if args.wait_for_run:
            run_id = sys.stdin.readline().strip()
            if not run_id:
                return 0
        return execute_launched_run(instance, run_id)


if __name__ == "__main__":
    sys.exit(main())
