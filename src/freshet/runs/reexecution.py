"""Re-execution: a new launched run made from a finished one, with its parent and root run
ids. `from_failure` re-runs only the assets (and partitions) that failed or never ran; the
others' values are loaded from their IO managers, as for any asset outside a selection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freshet.core.keys import AssetKey
from freshet.errors import UsageError
from freshet.lineage.selection.render import render_key
from freshet.runs.launch import ASSET_JOB_NAME, LaunchRequest, split_partition
from freshet.storage.base import StorageReader
from freshet.storage.records import EventType, RunRecord, RunStatus


def reexecution_request(
    storage: StorageReader,
    parent: RunRecord,
    *,
    from_failure: bool = False,
    selection: str | None = None,
    origin: Mapping[str, Any] | None = None,
) -> LaunchRequest:
    """The launch request that re-executes `parent`: all of it, `selection`, or with
    `from_failure` what did not succeed. `origin` is used when the parent recorded none (it
    ran in-process)."""
    if from_failure and selection is not None:
        raise UsageError("give --from-failure or --select, not both")
    if not parent.status.is_finished:
        raise UsageError(
            f"run {parent.run_id} is {parent.status.value}; re-execute it once it has finished "
            "(or cancel it first)"
        )
    code = parent.origin if parent.origin is not None else origin
    if code is None:
        raise UsageError(
            f"run {parent.run_id} records no code location origin (it ran in-process); point "
            "at the code with -f/-m or [tool.freshet]"
        )
    if from_failure:
        if parent.status is RunStatus.SUCCESS:
            raise UsageError(
                f"run {parent.run_id} succeeded: nothing failed to re-execute; use --select to "
                "run assets again"
            )
        selection = _failed_selection(storage, parent)
    elif selection is None:
        selection = parent.selection or _asset_selection(parent)
    partition_key, partition_range = split_partition(parent.partition)
    return LaunchRequest(
        origin=code,
        selection=selection,
        job_name=None if parent.job_name == ASSET_JOB_NAME else parent.job_name,
        partition_key=partition_key,
        partition_range=partition_range,
        run_config=parent.run_config or None,
        tags=dict(parent.tags),
        parent_run_id=parent.run_id,
        root_run_id=parent.root_run_id or parent.run_id,
    )


def _asset_selection(parent: RunRecord) -> str | None:
    if not parent.asset_selection:
        return None
    return " or ".join(render_key(key) for key in parent.asset_selection)


def _failed_selection(storage: StorageReader, parent: RunRecord) -> str:
    """The assets the parent planned but did not materialize for every planned partition."""
    records = storage.get_event_records(
        run_id=parent.run_id,
        event_type=[EventType.ASSET_MATERIALIZATION_PLANNED, EventType.ASSET_MATERIALIZATION],
    )
    planned: dict[AssetKey, set[str | None]] = {}
    done: dict[AssetKey, set[str | None]] = {}
    for record in records:
        key = record.event.asset_key
        if key is None:
            continue
        target = planned if record.event_type is EventType.ASSET_MATERIALIZATION_PLANNED else done
        target.setdefault(key, set()).add(record.event.partition)
    left = sorted(key for key, parts in planned.items() if not parts <= done.get(key, set()))
    if not left:
        raise UsageError(
            f"run {parent.run_id} materialized every asset it planned; nothing failed to "
            "re-execute (its failure was elsewhere: see `freshet runs logs`)"
            if planned
            else f"run {parent.run_id} planned no assets; --from-failure re-executes assets, so "
            "re-execute the whole run instead"
        )
    return " or ".join(render_key(key) for key in left)
