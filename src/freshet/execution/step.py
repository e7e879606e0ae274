"""Running one step: build its context, load inputs, call the user function inside the error
boundary (a graph asset runs its ops in memory), hand over what it returned, retry or fail."""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from freshet.core.ops import OpDefinition
from freshet.core.results import Output
from freshet.core.retries import Failure, RetryPolicy, RetryRequested
from freshet.errors import FreshetError
from freshet.execution.boundary import UserCodeError, capture_output, error_info
from freshet.execution.check_results import handle_check_step
from freshet.execution.context import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    OpExecutionContext,
    StepLogger,
)
from freshet.execution.inputs import load_inputs
from freshet.execution.outputs import handle_observation, handle_results, result_items
from freshet.execution.plan import Step, StepKind
from freshet.execution.pools import pool_slot
from freshet.execution.reported_events import emit_reported_event, record_reported_events
from freshet.execution.state import RunState, StepOutcome
from freshet.execution.step_types import Attempt, StepError, Yielded
from freshet.lineage import dag
from freshet.storage.records import EventType, LogLevel

_LOGGER = logging.getLogger("freshet.execution")

# The composition classes (op graphs) are imported by the functions that run graph assets,
# for start-up time (~4 ms): plain assets never need them, and a graph has loaded them.

# ---- entry point ----------------------------------------------------------------------


def execute_step(
    step: Step, state: RunState, *, step_key: str | None = None, mapping_key: str | None = None
) -> StepOutcome:
    """Run `step` with retries (holding a slot of its pool, if any); emit its events;
    return how it ended."""
    key = step_key or step.key
    with pool_slot(step, state, key):
        return _execute_step(step, state, key, mapping_key)


def _execute_step(step: Step, state: RunState, key: str, mapping_key: str | None) -> StepOutcome:
    sink = state.sink
    policy = _retry_policy(step)
    attempt = 0
    started = time.perf_counter()
    state.step_started_at[key] = time.time()
    # the process id tells which worker ran the step (and lets a monitor check it is alive)
    sink.emit(EventType.STEP_START, step_key=key, message=f"started {key}", data={"pid": os.getpid()})
    sink.flush()
    while True:
        try:
            with capture_output(state.compute_logs, state.run_id, key):
                result = _run_attempt(step, state, key, attempt, mapping_key)
        except (UserCodeError, StepError, RetryRequested, Failure, FreshetError) as exc:
            retry_delay = _retry_delay(exc, policy, attempt)
            if retry_delay is not None:
                attempt += 1
                _emit_retry(state, key, exc, attempt, retry_delay)
                sink.flush()  # the UI sees "up for retry" during the wait
                time.sleep(retry_delay)
                sink.emit(
                    EventType.STEP_RESTARTED,
                    step_key=key,
                    message=f"attempt {attempt + 1}",
                    data={"attempt": attempt + 1},
                )
                continue
            _emit_failure(state, step, key, exc, attempt, time.perf_counter() - started)
            sink.flush()
            return StepOutcome.FAILURE
        except Exception as exc:
            # A fault in freshet itself: the step still ends with a failure event (never left
            # STARTED), and the message says whose fault it is.
            _LOGGER.exception("internal error in step %s", key)
            internal = StepError(
                f"internal error in freshet while running {key}: {type(exc).__name__}: {exc} "
                "(please report this; run with --debug for the traceback)"
            )
            _emit_failure(state, step, key, internal, attempt, time.perf_counter() - started)
            sink.flush()
            return StepOutcome.FAILURE
        duration = time.perf_counter() - started
        sink.emit(
            EventType.STEP_SUCCESS,
            step_key=key,
            message=f"finished {key} in {duration * 1000:.0f} ms",
            data={"duration_ms": round(duration * 1000, 3), "attempts": attempt + 1},
        )
        sink.flush()
        if result.blocked_by:
            state.failure_reasons[key] = result.blocked_by
            return StepOutcome.BLOCKED
        return StepOutcome.SUCCESS


def _retry_policy(step: Step) -> RetryPolicy | None:
    if step.op is not None and step.op.retry_policy is not None:
        return step.op.retry_policy
    if step.assets_def is not None:
        return step.assets_def.retry_policy
    return None


def _retry_delay(exc: BaseException, policy: RetryPolicy | None, attempt: int) -> float | None:
    original = exc.original if isinstance(exc, UserCodeError) else exc
    if isinstance(original, RetryRequested):
        if attempt < original.max_retries:
            return original.seconds_to_wait or 0.0
        return None
    if isinstance(original, Failure) and not original.allow_retries:
        return None
    if isinstance(exc, StepError | FreshetError) or policy is None:
        return None
    if attempt >= policy.max_retries:
        return None
    return policy.delay_for_attempt(attempt + 1)


def _emit_retry(state: RunState, key: str, exc: BaseException, attempt: int, delay: float) -> None:
    info = error_info(exc)
    state.sink.emit(
        EventType.STEP_UP_FOR_RETRY,
        step_key=key,
        level=LogLevel.WARNING,
        message=f"{key} failed ({info.cls}: {info.message}); retry {attempt} in {delay:.1f}s",
        data={"error": info.to_json(), "attempt": attempt, "delay_seconds": delay},
    )


def _emit_failure(
    state: RunState, step: Step, key: str, exc: BaseException, attempts: int, duration: float
) -> None:
    if isinstance(exc, StepError | FreshetError):
        # Found by freshet in what the step returned or declared: the message says it all.
        info_json = {
            "cls": type(exc).__name__,
            "message": str(exc),
            "traceback": "",
            "phase": "results",
        }
        text = str(exc)
    else:
        info = error_info(exc)
        info_json = info.to_json()
        text = f"{info.cls}: {info.message}"
        if info.phase != "compute":
            text = f"{info.phase}: {text}"
    original = exc.original if isinstance(exc, UserCodeError) else exc
    metadata = getattr(original, "metadata", None) or {}
    state.failure_reasons[key] = text
    # The assets the step was to materialize: the status index marks them (or the run's
    # partition of them) failed.
    failed_assets = step.asset_keys if step.kind is StepKind.ASSET else ()
    partitioned = any(k in state.partitioned_keys for k in failed_assets)
    state.sink.emit(
        EventType.STEP_FAILURE,
        step_key=key,
        level=LogLevel.ERROR,
        partition=state.partition_key if partitioned else None,
        message=f"{key} failed: {text}",
        data={
            "error": info_json,
            "attempts": attempts + 1,
            "duration_ms": round(duration * 1000, 3),
            "metadata": {k: str(v) for k, v in metadata.items()},
            "asset_keys": [k.to_user_string() for k in failed_assets],
            # a run over a range fails every partition it was computing
            **({"partitions": list(state.partition_keys)} if partitioned else {}),
        },
    )
    state.step_exceptions[key] = original


# ---- one attempt ----------------------------------------------------------------------


def _run_attempt(
    step: Step, state: RunState, key: str, attempt: int, mapping_key: str | None
) -> Attempt:
    context = _build_context(step, state, key, attempt, mapping_key)
    inputs = load_inputs(step, state, key, mapping_key, context)
    if step.graph is not None:
        raw = _run_graph_in_memory(step, state, key, attempt, inputs)
    else:
        assert step.op is not None
        raw = _call_user_function(step.op, context, inputs, state, step.config_node_name)
    error = None
    if isinstance(raw, Yielded):
        raw = record_reported_events(state, key, raw)
        error = raw.error
        if error is not None and not raw:
            raise error
    try:
        outcome = _handle_produced(step, state, key, context, raw, mapping_key, error is None)
    except StepError:
        if error is None:
            raise
    if error is not None:
        # What the generator yielded before it raised is recorded; the step still fails.
        raise error
    return outcome


def _handle_produced(
    step: Step,
    state: RunState,
    key: str,
    context: OpExecutionContext,
    raw: Any,
    mapping_key: str | None,
    complete: bool,
) -> Attempt:
    if step.kind is StepKind.CHECK:
        return handle_check_step(step, state, key, raw, complete=complete)
    if step.kind is StepKind.OBSERVE:
        return handle_observation(step, state, key, context, raw)
    return handle_results(step, state, key, context, raw, mapping_key, complete=complete)


def _build_context(
    step: Step,
    state: RunState,
    key: str,
    attempt: int,
    mapping_key: str | None,
    config_name: str | None = None,
) -> OpExecutionContext:
    def emit_log(level: int, message: str) -> None:
        state.sink.emit(EventType.LOG, step_key=key, level=level, message=message)

    cls: type[OpExecutionContext] = OpExecutionContext
    check_specs: tuple[Any, ...] = ()
    if step.assets_def is not None:
        cls = AssetExecutionContext
    elif step.check_def is not None:
        cls = AssetCheckExecutionContext
        check_specs = tuple(s for s in step.check_def.specs if s.key in step.check_keys)
    return cls(
        run_id=state.run_id,
        step_key=key,
        job_name=state.job_name,
        log=StepLogger(emit_log, key),
        resources=state.resources,
        op_config=state.op_configs.get(config_name or step.config_node_name),
        instance=state.instance,
        partition_key=state.partition_key,
        partition_keys=state.partition_keys,
        run_tags=state.tags,
        assets_def=step.assets_def,
        selected_asset_keys=step.asset_keys,
        retry_number=attempt,
        mapping_key=mapping_key,
        partitions_def=_partitions_def_of(step, state),
        report_event=lambda event: emit_reported_event(state, key, event),
        check_specs=check_specs,
        op_def=_op_of(step, config_name),
    )


def _op_of(step: Step, node_name: str | None) -> Any:
    """The op a context belongs to: the step's, or a graph asset's node's."""
    if node_name is not None and step.graph is not None and node_name in step.graph.nodes:
        return step.graph.nodes[node_name].definition
    return step.op


def _partitions_def_of(step: Step, state: RunState) -> Any:
    """The partitions definition the step's partition keys belong to: its asset's, or for a
    check step, the checked asset's."""
    if step.assets_def is not None and step.asset_keys:
        return step.assets_def.spec_for(step.asset_keys[0]).partitions_def
    if step.check_def is not None and state.asset_graph is not None:
        first = step.check_def.specs[0].asset_key
        return step.check_def.partitions_def or state.asset_graph.node(first).partitions_def
    return None


def _call_user_function(
    op_def: OpDefinition,
    context: OpExecutionContext,
    inputs: Mapping[str, Any],
    state: RunState,
    config_name: str,
) -> Any:
    """Call the function inside the error boundary. A coroutine is awaited; a generator
    (sync or async) is drained into `Yielded`, keeping what it yielded before any error."""
    shape = op_def.shape
    args: list[Any] = [context] if shape.has_context else []
    kwargs = dict(inputs)
    if shape.config_param is not None:
        kwargs[shape.config_param] = state.op_configs.get(config_name)
    for name in shape.resource_params:
        kwargs[name] = getattr(state.resources, name)
    try:
        raw = op_def.compute_fn(*args, **kwargs)
        if inspect.iscoroutine(raw):
            raw = run_awaitable(raw)
    except (Failure, RetryRequested):
        raise
    except Exception as exc:
        raise UserCodeError("compute", exc) from exc
    if inspect.isgenerator(raw) or inspect.isasyncgen(raw):
        raw = _drain(raw)
    return raw


def _drain(generator: Any) -> Yielded:
    items = Yielded()
    try:
        if inspect.isasyncgen(generator):
            run_awaitable(_collect_async(generator, items))
        else:
            for item in generator:
                items.append(item)
    except (Failure, RetryRequested) as exc:
        items.error = exc
    except Exception as exc:
        items.error = UserCodeError("compute", exc)
        items.error.__cause__ = exc
    return items


async def _collect_async(generator: Any, items: list[Any]) -> None:
    async for item in generator:
        items.append(item)


def run_awaitable(awaitable: Any) -> Any:
    """Run a coroutine to completion on a fresh event loop; in a thread when this thread
    already runs a loop (a run started from a notebook or an async test)."""
    # Imported here for start-up time: asyncio costs ~12 ms and most steps are plain functions.
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(awaitable)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, awaitable).result()


# ---- graph assets ---------------------------------------------------------------------


def _run_graph_in_memory(
    step: Step, state: RunState, key: str, attempt: int, inputs: Mapping[str, Any]
) -> Any:
    """Run a graph asset's ops in order, passing intermediate values in memory. Each op
    gets its own config (`ops.<node>.config`) in its context."""
    from freshet.core.composition import GraphInputHandle, OutputHandle

    graph = step.graph
    assert graph is not None
    values: dict[tuple[str, str], Any] = {}
    for node in _graph_order(graph):
        op_def = node.definition
        context = _build_context(step, state, key, attempt, None, config_name=node.name)
        kwargs = {}
        for name, source in node.inputs.items():
            if isinstance(source, GraphInputHandle):
                kwargs[name] = inputs[source.name]
            elif isinstance(source, OutputHandle):
                kwargs[name] = values[(source.node_name, source.output_name)]
            elif isinstance(source, tuple):
                kwargs[name] = [values[(h.node_name, h.output_name)] for h in source]
            else:
                raise StepError(f"{step.key}: dynamic outputs are not supported in graph assets")
        raw = _call_user_function(op_def, context, kwargs, state, node.name)
        if isinstance(raw, Yielded):
            raw = record_reported_events(state, key, raw)
            if raw.error is not None:
                raise raw.error
        for item in result_items(op_def, raw):
            if not isinstance(item, Output):
                raise StepError(
                    f"{step.key}: op {node.name!r} inside a graph asset must "
                    "return values or Outputs"
                )
            values[(node.name, item.output_name)] = item.value
    assert step.assets_def is not None
    names = step.assets_def.output_names_by_key
    produced = Yielded()
    for key in step.asset_keys:
        handle = graph.output_map[names[key]]
        produced.append(Output(values[(handle.node_name, handle.output_name)], names[key]))
    return produced


def _graph_order(graph: Any) -> list[Any]:
    from freshet.core.composition import OutputHandle

    parents = {}
    for name, node in graph.nodes.items():
        sources: set[str] = set()
        for source in node.inputs.values():
            handles = source if isinstance(source, tuple) else (source,)
            sources |= {h.node_name for h in handles if isinstance(h, OutputHandle)}
        parents[name] = sources
    return [graph.nodes[n] for n in dag.toposort(list(graph.nodes), parents)]
