"""Driving one run: validate config and resources (before anything is written), record the
run, initialise resources, hand the plan to an executor, and close the run."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freshet.core.executors import ExecutorDefinition, executor_from_run_config
from freshet.core.ids import random_uuid
from freshet.core.keys import AssetKey
from freshet.core.run_config import redact_run_config
from freshet.errors import (
    ExecutionError,
    MissingResourceError,
    RunCanceled,
    StepFailedError,
    UsageError,
)
from freshet.execution.boundary import error_info
from freshet.execution.events import EventListener, EventSink
from freshet.execution.executors.base import (
    ExecutionInstance,
    ExecutorRun,
    RunLoader,
    prepare_state,
)
from freshet.execution.executors.select import executor_for
from freshet.execution.plan import ExecutionPlan, PlanKind, outside_inputs
from freshet.execution.plan_config import validate_plan_config
from freshet.execution.result import RunResult
from freshet.execution.state import RunState, StepOutcome
from freshet.execution.versions import data_time_of, version_from_record_data
from freshet.storage.base import Storage
from freshet.storage.records import EventType, LogLevel, RunRecord, RunStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    """Everything that defines one run besides the plan."""

    job_name: str
    resources: Mapping[str, Any]
    run_config: Any = None
    tags: Mapping[str, str] = field(default_factory=dict)
    partition_key: str | None = None
    #: a run over several partitions (a range): every asset runs once for all of them
    partition_keys: tuple[str, ...] = ()
    partitioned_keys: frozenset[AssetKey] = frozenset()
    raise_on_error: bool = True
    listeners: Sequence[EventListener] = ()
    run_id: str | None = None
    asset_graph: Any = None
    #: False when the run record exists already (a launched run, recorded QUEUED)
    record_run: bool = True
    #: values of the graph's own inputs (`execute_in_process(input_values=...)`)
    input_values: Mapping[str, Any] = field(default_factory=dict)
    #: the run this one re-executes, and the first run of that chain
    parent_run_id: str | None = None
    root_run_id: str | None = None

    #: the job's or the definitions' executor (the run config's `execution` wins over it);
    #: None: the in-process executor
    executor: ExecutorDefinition | None = None
    #: how a worker process rebuilds this run (its code location); None: workers are forked
    #: from this process and inherit it
    loader: RunLoader | None = None


def _required_resources(plan: ExecutionPlan) -> dict[str, str]:
    """Resource key -> the first step that needs it (for error messages)."""
    needed: dict[str, str] = {}
    for step in plan.steps:
        ops = [step.op] if step.op is not None else []
        if step.graph is not None:
            ops += [node.definition for node in step.graph.nodes.values()]
        for op_def in ops:
            for key in op_def.required_resource_keys:
                needed.setdefault(key, step.key)
            for out in op_def.outs.values():
                needed.setdefault(out.io_manager_key, step.key)
        for step_input in step.inputs:
            if step_input.asset_key is not None:
                needed.setdefault(step_input.io_manager_key, step.key)
    # outputs reused from an earlier run load through the IO manager that stored them
    for reused in plan.reused.values():
        needed.setdefault(reused.io_manager_key, reused.read_by)
    return needed


def _check_resources(needed: Mapping[str, str], available: Mapping[str, Any]) -> None:
    missing = [(key, step) for key, step in needed.items() if key not in available]
    if missing:
        lines = [f"step {step!r} requires resource {key!r}" for key, step in sorted(missing)]
        raise MissingResourceError(
            "missing resources: " + "; ".join(lines) + ". Provide them in "
            "Definitions(resources=...) or resources=..."
        )


def _prefetch_versions(
    plan: ExecutionPlan, storage: Storage, partitioned: frozenset[AssetKey]
) -> tuple[dict, dict]:
    """Current data versions and data times of every unpartitioned upstream the run reads but
    does not produce, in one query (partitioned upstreams are read per partition when
    needed)."""
    upstream: set[AssetKey] = set()
    for step in plan.steps:
        if step.assets_def is None:
            continue
        for key in step.asset_keys:
            upstream.update(step.assets_def.spec_for(key).dep_keys)
    upstream -= plan.asset_keys
    versions: dict[tuple[AssetKey, str | None], str | None] = {}
    data_times: dict[tuple[AssetKey, str | None], float | None] = {}
    plain = [k for k in upstream if k not in partitioned]
    for key, record in storage.get_asset_status(plain).items():
        event = record.latest_data_event
        versions[(key, None)] = version_from_record_data(event.event.data) if event else None
        data_times[(key, None)] = data_time_of(event)
    return versions, data_times


def _keys(spec: RunSpec) -> tuple[str, ...]:
    if spec.partition_keys:
        return tuple(spec.partition_keys)
    return (spec.partition_key,) if spec.partition_key is not None else ()


def _single(spec: RunSpec) -> str | None:
    keys = _keys(spec)
    return keys[0] if len(keys) == 1 else None


def _run_partition(spec: RunSpec) -> str | None:
    """How the run record names its partition(s): a key, or `first...last` for a range."""
    keys = _keys(spec)
    if len(keys) > 1:
        return f"{keys[0]}...{keys[-1]}"
    return keys[0] if keys else None


def execute_run(plan: ExecutionPlan, spec: RunSpec, instance: ExecutionInstance) -> RunResult:
    """Run `plan` to completion with the chosen executor and return its result.

    The executor is the run config's (`execution: {multiprocess: {...}}`), else
    `spec.executor`, else the in-process one. Config, resources and the executor are checked
    before anything is written."""
    resolved = validate_plan_config(plan, spec.run_config, spec.resources)
    needed = _required_resources(plan)
    _check_resources(needed, spec.resources)
    unfed = outside_inputs(plan, resolved.op_inputs)
    if unfed:
        raise UsageError(f"job {spec.job_name!r}: " + "; ".join(unfed))
    executor = executor_for(executor_from_run_config(resolved.execution) or spec.executor)

    storage = instance.storage
    run_id = spec.run_id or random_uuid()
    now = time.time()
    if spec.record_run:
        storage.add_run(
            RunRecord(
                run_id=run_id,
                job_name=spec.job_name,
                status=RunStatus.NOT_STARTED,
                asset_selection=tuple(sorted(plan.asset_keys)),
                partition=_run_partition(spec),
                tags=dict(spec.tags),
                run_config=redact_run_config(spec.run_config),
                created_at=now,
                parent_run_id=spec.parent_run_id,
                root_run_id=spec.root_run_id,
                op_selection=plan.ref.op_selection or None,
                reused_outputs=plan.ref.reused_outputs,
            )
        )
    sink = EventSink(storage, run_id, spec.listeners)
    state = RunState(
        run_id=run_id,
        job_name=spec.job_name,
        sink=sink,
        resources=None,
        op_configs=resolved.ops,
        base_dir=instance.storage_dir,
        compute_logs=instance.compute_logs,
        instance=instance,
        partition_key=_single(spec),
        partition_keys=_keys(spec),
        range_run=bool(spec.partition_keys),
        tags=spec.tags,
        partitioned_keys=spec.partitioned_keys,
        asset_graph=spec.asset_graph,
        dynamic_store=storage,
        storage=storage,
        graph_inputs=dict(spec.input_values),
        config_inputs=resolved.op_inputs,
    )
    prepare_state(state, plan)
    run = ExecutorRun(
        state=state,
        resources=spec.resources,
        resource_config=resolved.resources,
        needed_resources=tuple(needed),
        loader=spec.loader,
        instance_opener=getattr(instance, "worker_opener", None),
        stored_run_config=redact_run_config(spec.run_config),
    )
    _start(sink, plan, spec, executor.name)
    try:
        versions, data_times = _prefetch_versions(plan, storage, spec.partitioned_keys)
        state.versions.update(versions)
        state.data_times.update(data_times)
        executor.execute(plan, run)
    except BaseException as exc:
        _finish(sink, plan, state, error=exc)
        raise
    result = _finish(sink, plan, state)
    if spec.raise_on_error and not result.success:
        _raise_failure(plan, state, result)
    return result


def _start_data(plan: ExecutionPlan, executor: str) -> dict[str, Any]:
    """RUN_START's data: the steps, the executor, the kind of plan, for an op job every node
    of its graph (a re-execution checks the ops it is asked for against them before it
    launches) and, for an op selection, the ops it runs and the outputs it reads from earlier
    runs (what the run record holds is what was asked for; this is what the plan made of
    it)."""
    data: dict[str, Any] = {
        "step_keys": plan.step_keys,
        "executor": executor,
        "plan": plan.ref.kind.value,
    }
    if plan.ref.kind is PlanKind.GRAPH:
        data["nodes"] = sorted({s.config_node_name for s in plan.steps} | set(plan.unselected))
    if plan.ref.op_selection:
        data["op_selection"] = list(plan.ref.op_selection)
    if plan.ref.reused_outputs:
        data["reused_outputs"] = [list(row) for row in plan.ref.reused_outputs]
    return data


def _start(sink: EventSink, plan: ExecutionPlan, spec: RunSpec, executor: str) -> None:
    sink.emit(EventType.RUN_STARTING, message="run starting")
    sink.emit(
        EventType.RUN_START,
        message=f"started: {len(plan.steps)} step(s), {executor} executor",
        data=_start_data(plan, executor),
    )
    partitioned = spec.partitioned_keys
    for key in sorted(plan.asset_keys):
        for partition in _keys(spec) if key in partitioned else (None,):
            sink.emit(EventType.ASSET_MATERIALIZATION_PLANNED, asset_key=key, partition=partition)
    sink.flush()


def _finish(
    sink: EventSink, plan: ExecutionPlan, state: RunState, error: BaseException | None = None
) -> RunResult:
    success = (
        error is None
        and state.run_error is None
        and all(o in (StepOutcome.SUCCESS, StepOutcome.NOT_RUN) for o in state.outcomes.values())
    )
    if isinstance(error, RunCanceled):
        sink.emit(EventType.RUN_CANCELED, message=f"run canceled: {error}")
        sink.flush()
        return _result(sink, plan, state, success=False)
    if error is not None:
        sink.emit(
            EventType.ENGINE_EVENT,
            level=LogLevel.ERROR,
            message=f"run aborted: {type(error).__name__}: {error}",
            data={"error": error_info(error, "framework").to_json()},
        )
    if success:
        sink.emit(EventType.RUN_SUCCESS, message="run succeeded")
    else:
        failed = sorted(
            k for k, o in state.outcomes.items() if o in (StepOutcome.FAILURE, StepOutcome.BLOCKED)
        )
        skipped = sorted(k for k, o in state.outcomes.items() if o is StepOutcome.SKIPPED)
        parts = [f"failed: {', '.join(failed)}"] if failed else []
        parts += [f"skipped: {', '.join(skipped)}"] if skipped else []
        if state.run_error is not None:
            parts.insert(0, str(state.run_error))
        sink.emit(
            EventType.RUN_FAILURE,
            level=LogLevel.ERROR,
            message=f"run failed ({'; '.join(parts) or 'aborted'})",
            data={"failed_steps": failed, "skipped_steps": skipped},
        )
    sink.flush()
    return _result(sink, plan, state, success=success)


def _result(sink: EventSink, plan: ExecutionPlan, state: RunState, *, success: bool) -> RunResult:
    asset_outputs = {}
    for step in plan.steps:
        if step.assets_def is not None:
            for key in step.asset_keys:
                asset_outputs[key] = (step.key, step.assets_def.output_names_by_key[key])
    return RunResult(
        run_id=state.run_id,
        success=success,
        all_events=tuple(sink.events),
        output_values=state.output_values,
        asset_output_steps=asset_outputs,
        step_outcomes={k: v.value for k, v in state.outcomes.items()},
    )


def _raise_failure(plan: ExecutionPlan, state: RunState, result: RunResult) -> None:
    if state.run_error is not None:
        raise ExecutionError(f"run {state.run_id} failed: {state.run_error}") from state.run_error
    for key, outcome in state.outcomes.items():
        if outcome is StepOutcome.FAILURE:
            reason = state.failure_reasons.get(key, "failed")
            error = StepFailedError(f"run {state.run_id} failed: step {key!r}: {reason}", key)
            raise error from state.step_exceptions.get(key)
        if outcome is StepOutcome.BLOCKED:
            raise ExecutionError(
                f"run {state.run_id} failed: step {key!r}: {state.failure_reasons.get(key)}; "
                "downstream steps were skipped"
            )
    raise ExecutionError(f"run {state.run_id} failed")
