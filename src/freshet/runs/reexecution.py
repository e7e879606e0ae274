"""Re-execution: a new launched run made from a finished one, with its parent and root run
ids. `from_failure` re-runs only what failed or never ran: for assets (and partitions), the
others' values are loaded from their IO managers, as for any asset outside a selection; for
the ops of an op job, the outputs of the ops not run again are loaded from the run (the
parent, or an earlier run of the chain) that stored them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from freshet.core.keys import AssetKey
from freshet.errors import UsageError
from freshet.lineage.selection.render import render_key
from freshet.runs.launch import ASSET_JOB_NAME, OBSERVE_JOB_NAME, LaunchRequest, split_partition
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
    ran in-process).

    For a run of an op job, `selection` names ops (op selection entries separated by commas
    or spaces, e.g. ``"transform*"``), and `from_failure` re-runs exactly the steps that
    failed, were skipped, or never ran. A mapped op (fanned out over a dynamic output) re-runs
    only its mapping keys that failed, and an op collecting a fan-out re-runs alone, when a
    run of the chain stored the fan-out (the mapping keys, in the order they were yielded, and
    the outputs of the other keys); otherwise the fan-out runs whole, with the op yielding the
    dynamic output: mapping keys are known only by running that op. Every other input is
    loaded through its IO manager from the nearest run of the chain (the parent, its parent,
    ...) that stored the output; the new run records which run each comes from."""
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
    op_selection: tuple[str, ...] | None = None
    reused: tuple[tuple[str, str, str], ...] = ()
    op_job = _is_op_job_run(storage, parent)
    if from_failure:
        if parent.status is RunStatus.SUCCESS:
            raise UsageError(
                f"run {parent.run_id} succeeded: nothing failed to re-execute; use --select to "
                "run assets again"
            )
        if op_job:
            op_selection = _failed_steps(storage, parent)
            reused = _reused_outputs(storage, parent)
        else:
            selection = _failed_selection(storage, parent)
    elif op_job and selection is not None:
        op_selection = _checked_op_selection(storage, parent, selection)
        reused = _reused_outputs(storage, parent)
        selection = None
    elif op_job:
        op_selection, reused = parent.op_selection, parent.reused_outputs
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
        op_selection=op_selection,
        reused_outputs=reused,
    )


def _is_op_job_run(storage: StorageReader, parent: RunRecord) -> bool:
    """Whether `parent` ran the ops of an op job: its RUN_START names the kind of plan it
    ran. Runs recorded before it did are told by what they planned (steps but no assets)."""
    if parent.job_name == ASSET_JOB_NAME or parent.selection is not None:
        return False
    if parent.op_selection is not None:
        return True
    records = storage.get_event_records(
        run_id=parent.run_id,
        event_type=[EventType.RUN_START, EventType.ASSET_MATERIALIZATION_PLANNED],
    )
    for record in records:
        if record.event_type is EventType.RUN_START and "plan" in record.event.data:
            return record.event.data["plan"] == "graph"
    kinds = {record.event_type for record in records}
    return kinds == {EventType.RUN_START} and parent.job_name != OBSERVE_JOB_NAME


def _checked_op_selection(
    storage: StorageReader, parent: RunRecord, selection: str
) -> tuple[str, ...]:
    """The op selection entries of `selection` (separated by commas or spaces), each checked
    to be well formed and, where the parent's RUN_START lists the nodes of its job, to name
    one of them. Runs recorded before RUN_START listed them are checked by the new run."""
    # Imported here for start-up time: re-executing assets never selects ops.
    from freshet.core.op_selection import OpSelectionEntry, check_entries

    entries = tuple(entry for entry in selection.replace(",", " ").split() if entry)
    if not entries:
        raise UsageError("--select is empty: give op names, e.g. --select 'transform*'")
    nodes: Collection[str] = ()
    for record in storage.get_event_records(run_id=parent.run_id, event_type=EventType.RUN_START):
        nodes = record.event.data.get("nodes") or ()
    where = f"--select (ops of job {parent.job_name!r}, as run {parent.run_id} ran it)"
    if nodes:
        check_entries(frozenset(nodes), entries, where=where)
    else:
        for entry in entries:
            OpSelectionEntry.parse(entry)
    return entries


def _base(step_key: str | None) -> str:
    """A step key without its mapping key (`fan[3]` -> `fan`)."""
    return (step_key or "").split("[", 1)[0]


def _failed_steps(storage: StorageReader, parent: RunRecord) -> tuple[str, ...]:
    """The steps of an op-job run that failed, were skipped for a failure upstream, or never
    ran, in the order it planned them; for a mapped op whose mapping keys failed, those keys
    (`square[k2]`: a re-execution loading the fan-out runs them alone)."""
    records = storage.get_event_records(
        run_id=parent.run_id,
        event_type=[
            EventType.RUN_START,
            EventType.STEP_SUCCESS,
            EventType.STEP_FAILURE,
            EventType.STEP_SKIPPED,
            EventType.RUN_FAILURE,
        ],
    )
    planned: list[str] = []
    succeeded: set[str] = set()
    settled: set[str] = set()  # did not run, and that was no failure (an optional input)
    failed: set[str] = set()
    failed_keys: dict[str, list[str]] = {}  # mapped op -> its mapping keys that failed
    for record in records:
        event, kind = record.event, record.event_type
        if kind is EventType.RUN_START:
            planned = list(event.data.get("step_keys", ()))
        elif kind is EventType.STEP_SUCCESS:
            succeeded.add(_base(event.step_key))
        elif kind is EventType.STEP_SKIPPED and event.data.get("failure") is False:
            settled.add(_base(event.step_key))
        elif kind in (EventType.STEP_FAILURE, EventType.STEP_SKIPPED):
            failed.add(_base(event.step_key))
            if event.step_key and event.step_key.endswith("]"):
                key = event.step_key[len(_base(event.step_key)) + 1 : -1]
                failed_keys.setdefault(_base(event.step_key), []).append(key)
        elif kind is EventType.RUN_FAILURE:
            failed.update(_base(k) for k in event.data.get("failed_steps", ()))
            failed.update(_base(k) for k in event.data.get("skipped_steps", ()))
    left: list[str] = []
    for step in planned:
        if step not in failed and step in succeeded | settled:
            continue
        if step in failed_keys:
            left += [f"{step}[{key}]" for key in dict.fromkeys(failed_keys[step])]
        else:
            left.append(step)
    if not left:
        raise UsageError(
            f"run {parent.run_id} ran every step it planned; nothing failed to re-execute "
            "(its failure was elsewhere: see `freshet runs logs`); re-execute the whole run "
            "instead"
        )
    return tuple(left)


def _reused_outputs(storage: StorageReader, parent: RunRecord) -> tuple[tuple[str, str, str], ...]:
    """(node, output, run id) of every op output stored along the chain from `parent` up to
    its root, each from the nearest run that stored it. Fan-outs come whole from one run, the
    nearest that stored or loaded any output by mapping key (`node[key]`): the rows it stored
    or loaded, in order (for a dynamic output, the order its mapping keys were yielded),
    but those of an op whose step failed as a whole (a yielder that stopped part way)."""
    # Imported here for start-up time: only a re-execution of an op job reuses outputs.
    from freshet.execution.plan import ordered_output_rows

    found: dict[tuple[str, str], str] = {}
    fan_outs_from: str | None = None  # the run whose fan-outs are taken
    run: RunRecord | None = parent
    seen: set[str] = set()
    while run is not None and run.run_id not in seen:
        seen.add(run.run_id)
        here: dict[tuple[str, str], str] = {}
        loaded: list[tuple[str, str, str]] | None = None
        failed: set[str] = set()
        for record in storage.get_event_records(
            run_id=run.run_id,
            event_type=[EventType.RUN_START, EventType.HANDLED_OUTPUT, EventType.STEP_FAILURE],
        ):
            event, kind = record.event, record.event_type
            if kind is EventType.RUN_START and "plan" in event.data:
                loaded = [tuple(row) for row in event.data.get("reused_outputs", ())]
            elif kind is EventType.STEP_FAILURE and event.step_key:
                failed.add(event.step_key)
            elif kind is EventType.HANDLED_OUTPUT:
                output = event.data.get("output_name")
                if event.step_key and output:
                    here[(event.step_key, output)] = run.run_id
        # what the run's plan loaded (runs recorded before RUN_START said: what was offered)
        for node, output, run_id in run.reused_outputs if loaded is None else loaded:
            here.setdefault((node, output), run_id)
        mapped = {row: r for row, r in here.items() if "[" in row[0]}
        if mapped and fan_outs_from is None:
            fan_outs_from = run.run_id
            found.update((row, r) for row, r in mapped.items() if _base(row[0]) not in failed)
        for row, run_id in here.items():
            if "[" not in row[0]:
                found.setdefault(row, run_id)
        run = storage.get_run(run.parent_run_id) if run.parent_run_id else None
    return ordered_output_rows((node, output, run_id) for (node, output), run_id in found.items())


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
            else f"run {parent.run_id} planned no asset materializations (it observed "
            "source assets, or ended before it started); re-execute the whole run instead"
        )
    return " or ".join(render_key(key) for key in left)
