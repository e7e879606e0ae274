"""Running one step: load inputs, call the user function inside the boundary, store and
record outputs (materializations with versions and provenance), evaluate checks, retry."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from freshet.core.checks import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec
from freshet.core.composition import CollectHandle, GraphInputHandle, OutputHandle
from freshet.core.io_managers import InputContext, OutputContext
from freshet.core.keys import AssetKey
from freshet.core.ops import DynamicOutput, OpDefinition, Out
from freshet.core.results import DataVersion, MaterializeResult, Output, normalize_metadata
from freshet.core.retries import Failure, RetryPolicy, RetryRequested
from freshet.core.types import check_type
from freshet.errors import FreshetError
from freshet.execution.boundary import UserCodeError, capture_output, error_info
from freshet.execution.context import AssetExecutionContext, OpExecutionContext, StepLogger
from freshet.execution.partitions import upstream_partition_keys
from freshet.execution.plan import Step, StepInput, StepKind
from freshet.execution.state import RunState, StepOutcome
from freshet.execution.versions import (
    MAX_PROVENANCE_PARTITIONS,
    ProvenanceEntry,
    choose_data_version,
    folded_entry,
)
from freshet.lineage import dag
from freshet.storage.records import EventType, LogLevel


class StepError(Exception):
    """A step failed for a reason the framework found (missing output, failed type check)."""


class Yielded(list):
    """What a generator function yielded (as opposed to a returned list value)."""


@dataclass(frozen=True, slots=True)
class NoValue:
    """A function annotated `-> None` (or an output typed Nothing) returned: the output
    exists but nothing is stored for it."""

    output_name: str


@dataclass(slots=True)
class _Attempt:
    """What one attempt produced that the executor needs afterwards."""

    blocked_by: str | None = None


# ---- entry point ----------------------------------------------------------------------


def execute_step(
    step: Step, state: RunState, *, step_key: str | None = None, mapping_key: str | None = None
) -> StepOutcome:
    """Run `step` with retries; emit its events; return how it ended."""
    key = step_key or step.key
    sink = state.sink
    policy = _retry_policy(step)
    attempt = 0
    started = time.perf_counter()
    sink.emit(EventType.STEP_START, step_key=key, message=f"started {key}")
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
) -> _Attempt:
    context = _build_context(step, state, key, attempt, mapping_key)
    inputs = _load_inputs(step, state, key, mapping_key, context)
    if step.graph is not None:
        raw = _run_graph_in_memory(step, state, key, attempt, inputs)
    else:
        assert step.op is not None
        raw = _call_user_function(step.op, context, inputs, state, step.config_node_name)
    if step.kind is StepKind.CHECK:
        return _handle_check_step(step, state, key, raw)
    if step.kind is StepKind.OBSERVE:
        return _handle_observation(step, state, key, context, raw)
    return _handle_results(step, state, key, context, raw, mapping_key)


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

    cls = AssetExecutionContext if step.assets_def is not None else OpExecutionContext
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
    )


def _call_user_function(
    op_def: OpDefinition,
    context: OpExecutionContext,
    inputs: Mapping[str, Any],
    state: RunState,
    config_name: str,
) -> Any:
    shape = op_def.shape
    args: list[Any] = [context] if shape.has_context else []
    kwargs = dict(inputs)
    if shape.config_param is not None:
        kwargs[shape.config_param] = state.op_configs.get(config_name)
    for name in shape.resource_params:
        kwargs[name] = getattr(state.resources, name)
    try:
        raw = op_def.compute_fn(*args, **kwargs)
        if inspect.isgenerator(raw):
            raw = Yielded(raw)
    except (Failure, RetryRequested):
        raise
    except Exception as exc:
        raise UserCodeError("compute", exc) from exc
    return raw


# ---- inputs ---------------------------------------------------------------------------


def _load_inputs(
    step: Step,
    state: RunState,
    key: str,
    mapping_key: str | None,
    context: OpExecutionContext,
) -> dict[str, Any]:
    op_def = step.op
    values: dict[str, Any] = {}
    for spec in step.inputs:
        in_def = op_def.ins.get(spec.name) if op_def is not None else None
        if in_def is not None and in_def.is_nothing:
            continue
        if spec.asset_key is not None:
            value = _load_asset_input(step, spec, state, key, context)
        else:
            value = _load_op_input(spec, state, key, mapping_key)
        expected = in_def.dagster_type if in_def is not None else None
        outcome = check_type(expected, value)
        state.sink.emit(
            EventType.STEP_INPUT,
            step_key=key,
            data={
                "input_name": spec.name,
                "type_check": {"success": outcome.success, "description": outcome.description},
            },
        )
        if not outcome.success:
            raise StepError(
                f"{key}: input {spec.name!r} failed its type check: {outcome.description}"
            )
        values[spec.name] = value
    if op_def is not None:
        for name, in_def in op_def.ins.items():
            if name not in values and not in_def.is_nothing and in_def.has_default:
                values[name] = in_def.default_value
    return values


def _load_asset_input(
    step: Step, spec: StepInput, state: RunState, key: str, context: OpExecutionContext
) -> Any:
    assert spec.asset_key is not None
    upstream_keys = _input_partitions(step, spec, state)
    context.set_input_partitions(spec.name, upstream_keys)
    partition = upstream_keys[0] if upstream_keys is not None and len(upstream_keys) == 1 else None
    many = upstream_keys if upstream_keys is not None and len(upstream_keys) != 1 else None
    upstream = None
    if spec.upstream_step is not None:
        upstream = state.output_contexts.get((spec.upstream_step, spec.upstream_output or "result"))
    if upstream is None:
        upstream = OutputContext(
            run_id=None,
            step_key=spec.asset_key.to_python_identifier(),
            name=spec.upstream_output or "result",
            asset_key=spec.asset_key,
            partition_key=partition,
            base_dir=str(state.base_dir),
        )
    input_context = InputContext(
        name=spec.name,
        asset_key=spec.asset_key,
        upstream_output=upstream,
        partition_key=partition,
        asset_partition_keys=many,
        base_dir=str(state.base_dir),
    )
    io_manager = state.io_manager(spec.io_manager_key)
    try:
        value = io_manager.load_input(input_context)
    except Exception as exc:
        raise UserCodeError(
            f"loading input {spec.name!r} (asset {spec.asset_key.to_user_string()!r}) with "
            f"IO manager {spec.io_manager_key!r}",
            exc,
        ) from exc
    state.sink.emit(
        EventType.LOADED_INPUT,
        step_key=key,
        asset_key=spec.asset_key,
        partition=partition,
        data={
            "input_name": spec.name,
            "io_manager_key": spec.io_manager_key,
            "upstream_step": spec.upstream_step,
        },
    )
    return value


def _input_partitions(step: Step, spec: StepInput, state: RunState) -> list[str] | None:
    """The upstream partitions an input reads: through the dependency's partition mapping
    for an asset step, the checked partition itself for a check step."""
    assert spec.asset_key is not None
    if state.asset_graph is None or not spec.upstream_partitioned:
        return None
    if step.kind is StepKind.CHECK:
        return list(state.partition_keys) or None
    assert step.assets_def is not None
    consumer = next(
        (k for k in step.asset_keys if spec.asset_key in step.assets_def.spec_for(k).dep_keys),
        step.asset_keys[0],
    )
    return upstream_partition_keys(
        state.asset_graph, consumer, spec.asset_key, list(state.partition_keys), state.dynamic_store
    )


def _load_op_input(spec: StepInput, state: RunState, key: str, mapping_key: str | None) -> Any:
    source = spec.source
    if isinstance(source, OutputHandle):
        node = source.node_name
        if source.mapped_over is not None:
            node = f"{node}[{mapping_key}]"
        return _load_output(state, key, spec.name, node, source.output_name)
    if isinstance(source, CollectHandle):
        origin = state.mapped_over.get(source.node_name, (source.node_name, source.output_name))
        names = [f"{source.node_name}[{k}]" for k in state.mapping_keys.get(origin, [])]
        return [_load_output(state, key, spec.name, n, source.output_name) for n in names]
    if isinstance(source, tuple):
        return [_load_output(state, key, spec.name, h.node_name, h.output_name) for h in source]
    if isinstance(source, GraphInputHandle):
        raise StepError(f"{key}: graph input {source.name!r} has no value in a job")
    raise StepError(f"{key}: input {spec.name!r} has no source")


def _load_output(state: RunState, key: str, input_name: str, node: str, output: str) -> Any:
    upstream = state.output_contexts.get((node, output))
    if upstream is None:
        raise StepError(f"{key}: input {input_name!r}: upstream {node}.{output} produced no value")
    io_key = state.output_io_keys[(node, output)]
    context = InputContext(
        name=input_name,
        asset_key=None,
        upstream_output=upstream,
        partition_key=state.partition_key,
        base_dir=str(state.base_dir),
    )
    try:
        value = state.io_manager(io_key).load_input(context)
    except Exception as exc:
        raise UserCodeError(f"loading input {input_name!r} from {node}.{output}", exc) from exc
    state.sink.emit(
        EventType.LOADED_INPUT,
        step_key=key,
        data={
            "input_name": input_name,
            "upstream_step": node,
            "output": output,
            "io_manager_key": io_key,
        },
    )
    return value


# ---- outputs --------------------------------------------------------------------------


def _step_outs(step: Step) -> dict[str, Out]:
    """The outputs of a step: its op's, or for a graph asset the asset's one output."""
    if step.op is not None:
        return dict(step.op.outs)
    assert step.assets_def is not None
    return {
        name: Out(io_manager_key=step.assets_def.io_manager_keys[key])
        for name, key in step.assets_def.keys_by_output.items()
    }


def _result_items(op_def: OpDefinition | None, raw: Any) -> Iterator[Any]:
    """The things a function produced, as Output / MaterializeResult / check results."""
    if isinstance(raw, Yielded):
        yield from raw
        return
    if isinstance(raw, Output | MaterializeResult | AssetCheckResult | DynamicOutput):
        yield raw
        return
    assert op_def is not None
    names = list(op_def.outs)
    if len(names) > 1:
        if not isinstance(raw, tuple) or len(raw) != len(names):
            raise StepError(
                f"{op_def.name}: has outputs {', '.join(names)}; return a tuple of "
                f"{len(names)} values in that order, or yield Output(value, output_name=...)"
            )
        for name, value in zip(names, raw, strict=True):
            yield value if isinstance(value, Output) else Output(value, output_name=name)
        return
    name = names[0] if names else "result"
    if raw is None and _returns_nothing(op_def):
        yield NoValue(name)
        return
    yield Output(raw, output_name=name)


def _returns_nothing(op_def: OpDefinition) -> bool:
    """`-> None` (or an output typed Nothing) means the function stores nothing itself."""
    outs = list(op_def.outs.values())
    return len(outs) == 1 and (outs[0].is_nothing or op_def.shape.return_annotation is None)


def _handle_results(
    step: Step,
    state: RunState,
    key: str,
    context: OpExecutionContext,
    raw: Any,
    mapping_key: str | None,
) -> _Attempt:
    produced: set[str] = set()
    checks: list[AssetCheckResult] = []
    for item in _in_dependency_order(step, list(_result_items(step.op, raw)), key):
        if isinstance(item, AssetCheckResult):
            checks.append(item)
        elif isinstance(item, MaterializeResult):
            name = _output_for_materialize_result(step, item, key)
            _record_materialization(
                step, state, key, context, name, item.metadata, item.data_version, None, item.tags
            )
            produced.add(name)
            checks.extend(item.check_results)
        elif isinstance(item, DynamicOutput):
            _store_dynamic_output(step, state, key, item)
            produced.add(item.output_name)
        elif isinstance(item, NoValue):
            if step.assets_def is not None:
                _record_materialization(
                    step, state, key, context, item.output_name, {}, None, None, {}
                )
            produced.add(item.output_name)
        else:
            _store_output(step, state, key, context, item, mapping_key)
            produced.add(item.output_name)
    _check_all_outputs(step, key, produced)
    blocked = _record_check_results(step, state, key, checks)
    return _Attempt(blocked_by=blocked)


def _in_dependency_order(step: Step, items: list[Any], key: str) -> list[Any]:
    """A multi-asset may report its assets in any order (e.g. as a tool finishes them);
    record them in dependency order so each one's provenance sees its siblings' versions."""
    assets_def = step.assets_def
    if assets_def is None:
        if any(isinstance(item, MaterializeResult) for item in items):
            raise StepError(f"{key}: MaterializeResult is only for assets; return or yield Output")
        return items
    if len(step.asset_keys) < 2:
        return items
    order = {assets_def.output_names_by_key[k]: i for i, k in enumerate(step.asset_keys)}

    def position(item: Any) -> int:
        if isinstance(item, MaterializeResult):
            return order.get(_output_for_materialize_result(step, item, key), len(order))
        name = getattr(item, "output_name", None)
        return order.get(name, len(order)) if name is not None else len(order) + 1

    return sorted(items, key=position)


def _output_for_materialize_result(step: Step, item: MaterializeResult, key: str) -> str:
    assets_def = step.assets_def
    assert assets_def is not None
    if item.asset_key is None:
        if len(step.asset_keys) != 1:
            raise StepError(
                f"{key}: produces {len(step.asset_keys)} assets; give "
                "MaterializeResult(asset_key=...)"
            )
        asset_key = step.asset_keys[0]
    else:
        asset_key = item.asset_key
    name = assets_def.output_names_by_key.get(asset_key)
    if name is None or asset_key not in step.asset_keys:
        raise StepError(
            f"{key}: MaterializeResult for {asset_key.to_user_string()!r}, which this step was "
            f"not asked to materialize (selected: {_keys(step.asset_keys)})"
        )
    return name


def _keys(keys: Any) -> str:
    return ", ".join(k.to_user_string() for k in keys)


def _check_all_outputs(step: Step, key: str, produced: set[str]) -> None:
    if step.assets_def is not None:
        names = step.assets_def.output_names_by_key
        expected = {names[k] for k in step.asset_keys}
    else:
        expected = {n for n, o in _step_outs(step).items() if o.is_required}
    missing = expected - produced
    if missing:
        if step.assets_def is not None:
            missing_keys = [step.assets_def.keys_by_output[n] for n in sorted(missing)]
            raise StepError(
                f"{key} did not produce {_keys(missing_keys)}: yield an Output or "
                "MaterializeResult for every selected asset"
            )
        raise StepError(f"{key} did not produce required output(s) {', '.join(sorted(missing))}")


def _store_output(
    step: Step,
    state: RunState,
    key: str,
    context: OpExecutionContext,
    item: Output,
    mapping_key: str | None,
) -> None:
    outs = _step_outs(step)
    out_def = outs.get(item.output_name)
    if out_def is None:
        raise StepError(
            f"{key}: yielded output {item.output_name!r}, which is not declared "
            f"(outputs: {', '.join(outs)})"
        )
    asset_key = None
    if step.assets_def is not None:
        asset_key = step.assets_def.keys_by_output.get(item.output_name)
        if asset_key not in step.asset_keys:
            raise StepError(
                f"{key}: produced {asset_key} which was not selected "
                f"(selected: {_keys(step.asset_keys)}); check context.selected_asset_keys"
            )
    outcome = check_type(out_def.dagster_type, item.value)
    state.sink.emit(
        EventType.STEP_OUTPUT,
        step_key=key,
        data={
            "output_name": item.output_name,
            "type_check": {"success": outcome.success, "description": outcome.description},
        },
    )
    if not outcome.success:
        raise StepError(
            f"{key}: output {item.output_name!r} failed its type check: {outcome.description}"
        )
    node_key = key
    partitions = _partitions_of(step, state, asset_key)
    io_manager = state.io_manager(out_def.io_manager_key)
    fingerprints: dict[str | None, Any] = {}
    added: dict[str, Any] = {}
    for partition in partitions:
        out_context = OutputContext(
            run_id=state.run_id,
            step_key=node_key,
            name=item.output_name,
            asset_key=asset_key,
            partition_key=partition,
            definition_metadata=out_def.metadata,
            base_dir=str(state.base_dir),
        )
        value = _value_for_partition(item.value, partition, partitions, state.range_run)
        try:
            fingerprints[partition] = io_manager.handle_output(out_context, value)
        except Exception as exc:
            raise UserCodeError(
                f"storing output {item.output_name!r} with IO manager {out_def.io_manager_key!r}",
                exc,
            ) from exc
        added.update(out_context.consume_added_metadata())
        state.output_contexts[(node_key, item.output_name)] = out_context
        state.sink.emit(
            EventType.HANDLED_OUTPUT,
            step_key=key,
            asset_key=asset_key,
            partition=partition,
            data={"output_name": item.output_name, "io_manager_key": out_def.io_manager_key},
        )
    state.output_io_keys[(node_key, item.output_name)] = out_def.io_manager_key
    if state.capture_values:
        state.output_values[(node_key, item.output_name)] = item.value
    if asset_key is not None:
        _record_materialization(
            step,
            state,
            key,
            context,
            item.output_name,
            {**item.metadata, **added},
            item.data_version,
            fingerprints,
            item.tags,
        )


def _partitions_of(step: Step, state: RunState, asset_key: AssetKey | None) -> list[str | None]:
    """The partitions an output is stored for: [None] unpartitioned, else every partition
    of the run (one key, or each key of a range)."""
    if not _is_partitioned(step, asset_key) or not state.partition_keys:
        return [None]
    return list(state.partition_keys)


def _value_for_partition(
    value: Any, partition: str | None, partitions: list[str | None], range_run: bool
) -> Any:
    """In a run over a range (even of one partition), a dict keyed by exactly the range's
    partitions gives each partition its own value; any other value is stored for each."""
    if range_run and isinstance(value, dict) and set(value) == set(partitions):
        return value[partition]
    return value


def _store_dynamic_output(step: Step, state: RunState, key: str, item: DynamicOutput) -> None:
    out_def = _step_outs(step).get(item.output_name)
    if out_def is None or not out_def.is_dynamic:
        raise StepError(f"{key}: DynamicOutput for {item.output_name!r}, which is not a DynamicOut")
    keys = state.mapping_keys.setdefault((key, item.output_name), [])
    if item.mapping_key in keys:
        raise StepError(f"{key}: mapping key {item.mapping_key!r} yielded twice")
    keys.append(item.mapping_key)
    _store_output(
        step,
        state,
        f"{key}[{item.mapping_key}]",
        None,  # type: ignore[arg-type]
        Output(item.value, output_name=item.output_name),
        item.mapping_key,
    )


def _is_partitioned(step: Step, asset_key: AssetKey | None) -> bool:
    if asset_key is None or step.assets_def is None:
        return False
    return step.assets_def.spec_for(asset_key).partitions_def is not None


def _provenance(
    step: Step, state: RunState, asset_key: AssetKey, partition: str | None
) -> list[ProvenanceEntry]:
    """For each dependency, the data version(s) consumed: one entry per upstream partition
    read, folded into one digest entry when a partition reads many upstream partitions."""
    assert step.assets_def is not None
    entries = []
    for dep in step.assets_def.spec_for(asset_key).dep_keys:
        if dep not in state.partitioned_keys or state.asset_graph is None:
            entries.append(ProvenanceEntry(dep, None, state.versions.get((dep, None))))
            continue
        keys = (
            upstream_partition_keys(
                state.asset_graph, asset_key, dep, partition, state.dynamic_store
            )
            or []
        )
        versions = state.partition_versions(dep, keys)
        if len(keys) <= MAX_PROVENANCE_PARTITIONS:
            entries.extend(ProvenanceEntry(dep, k, versions.get(k)) for k in keys)
        else:
            entries.append(folded_entry(dep, keys, versions))
    return entries


def _record_materialization(
    step: Step,
    state: RunState,
    key: str,
    context: Any,
    output_name: str,
    metadata: Mapping[str, Any],
    user_version: Any,
    fingerprints: Mapping[str | None, Any] | None,
    tags: Mapping[str, str],
) -> None:
    """One ASSET_MATERIALIZATION per partition stored (`fingerprints`: partition -> the IO
    manager's fingerprint); None means every partition of the run, with no fingerprint."""
    assets_def = step.assets_def
    assert assets_def is not None
    asset_key = assets_def.keys_by_output[output_name]
    spec = assets_def.spec_for(asset_key)
    if fingerprints is None:
        fingerprints = dict.fromkeys(_partitions_of(step, state, asset_key))
    if context is not None:
        only = len(step.asset_keys) == 1
        metadata = {**metadata, **context.consume_added_metadata(output_name, only)}
    where = f"metadata of asset {asset_key.to_user_string()!r}"
    try:
        normalized = normalize_metadata(metadata, where=where)
    except Exception as exc:
        raise StepError(str(exc)) from exc
    json_metadata = {name: value.to_json() for name, value in normalized.items()}
    for partition, fingerprint in fingerprints.items():
        provenance = _provenance(step, state, asset_key, partition)
        version, source = choose_data_version(
            user_version=user_version,
            fingerprint=fingerprint,
            code_version=spec.code_version,
            provenance=provenance,
        )
        state.versions[(asset_key, partition)] = version
        state.sink.emit(
            EventType.ASSET_MATERIALIZATION,
            step_key=key,
            asset_key=asset_key,
            partition=partition,
            message=f"materialized {asset_key.to_user_string()}"
            + (f" [{partition}]" if partition is not None else ""),
            data={
                "metadata": json_metadata,
                "data_version": version,
                "data_version_source": source,
                "code_version": spec.code_version,
                "provenance": [entry.to_json() for entry in provenance],
                "tags": dict(tags),
            },
        )


# ---- checks ---------------------------------------------------------------------------


def _resolve_check_spec(
    step: Step, result: AssetCheckResult, key: str, specs: list[AssetCheckSpec]
) -> AssetCheckSpec:
    candidates = specs
    if result.asset_key is not None:
        target = AssetKey.from_coercible(result.asset_key)
        candidates = [s for s in candidates if s.asset_key == target]
    if result.check_name is not None:
        candidates = [s for s in candidates if s.name == result.check_name]
    if len(candidates) != 1:
        declared = ", ".join(s.key.to_user_string() for s in specs) or "none"
        raise StepError(
            f"{key}: cannot tell which check an AssetCheckResult belongs to (declared checks: "
            f"{declared}); set asset_key= and check_name= on the result"
        )
    return candidates[0]


def _record_check_results(
    step: Step, state: RunState, key: str, results: list[AssetCheckResult]
) -> str | None:
    specs = list(step.assets_def.check_specs) if step.assets_def is not None else []
    specs = [s for s in specs if s.asset_key in step.asset_keys]
    reported = set()
    blocked = None
    for result in results:
        spec = _resolve_check_spec(step, result, key, specs)
        reported.add(spec.key)
        if _emit_check_evaluation(state, key, spec, result):
            blocked = f"blocking check {spec.key.to_user_string()!r} failed"
    missing = [s for s in specs if s.key not in reported]
    if missing:
        raise StepError(
            f"{key}: declared check(s) {', '.join(s.key.to_user_string() for s in missing)} "
            "but returned no AssetCheckResult for them"
        )
    return blocked


def _emit_check_evaluation(
    state: RunState, key: str, spec: AssetCheckSpec, result: AssetCheckResult
) -> bool:
    """Record the evaluation; True when it is a failed blocking check."""
    where = f"metadata of check {spec.key.to_user_string()!r}"
    try:
        metadata = normalize_metadata(result.metadata or {}, where=where)
    except Exception as exc:
        raise StepError(str(exc)) from exc
    severity = AssetCheckSeverity(result.severity)
    blocks = spec.blocking and not result.passed and severity is AssetCheckSeverity.ERROR
    state.sink.emit(
        EventType.ASSET_CHECK_EVALUATION,
        step_key=key,
        asset_key=spec.asset_key,
        partition=state.partition_key if spec.asset_key in state.partitioned_keys else None,
        level=LogLevel.INFO if result.passed else LogLevel.WARNING,
        message=f"check {spec.key.to_user_string()} {'passed' if result.passed else 'failed'}",
        data={
            "check_name": spec.name,
            "passed": bool(result.passed),
            "severity": severity.value,
            "blocking": spec.blocking,
            "description": result.description,
            "metadata": {name: value.to_json() for name, value in metadata.items()},
        },
    )
    return blocks


def _handle_check_step(step: Step, state: RunState, key: str, raw: Any) -> _Attempt:
    assert step.check_def is not None
    results = raw if isinstance(raw, list) else [raw]
    if len(results) != 1 or not isinstance(results[0], AssetCheckResult):
        raise StepError(
            f"{key}: an @asset_check must return one AssetCheckResult, got {type(raw).__name__}"
        )
    blocked = _emit_check_evaluation(state, key, step.check_def.spec, results[0])
    return _Attempt(blocked_by=f"blocking check {step.check_def.key} failed" if blocked else None)


def _handle_observation(
    step: Step, state: RunState, key: str, context: OpExecutionContext, raw: Any
) -> _Attempt:
    [asset_key] = step.asset_keys
    if not isinstance(raw, DataVersion):
        raise StepError(
            f"observation of {asset_key.to_user_string()!r} returned {type(raw).__name__}; an "
            "observation function must return fr.DataVersion(...) (nothing was recorded)"
        )
    metadata = normalize_metadata(
        context.consume_added_metadata("result", True),
        where=f"metadata of observation {asset_key.to_user_string()!r}",
    )
    partition = state.partition_key if asset_key in state.partitioned_keys else None
    state.sink.emit(
        EventType.ASSET_OBSERVATION,
        step_key=key,
        asset_key=asset_key,
        partition=partition,
        message=f"observed {asset_key.to_user_string()}: data version {raw.value}",
        data={
            "data_version": raw.value,
            "metadata": {name: value.to_json() for name, value in metadata.items()},
        },
    )
    return _Attempt()


# ---- graph assets ---------------------------------------------------------------------


def _run_graph_in_memory(
    step: Step, state: RunState, key: str, attempt: int, inputs: Mapping[str, Any]
) -> Any:
    """Run a graph asset's ops in order, passing intermediate values in memory. Each op
    gets its own config (`ops.<node>.config`) in its context."""
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
        for item in _result_items(op_def, raw):
            if not isinstance(item, Output):
                raise StepError(
                    f"{step.key}: op {node.name!r} inside a graph asset must "
                    "return values or Outputs"
                )
            values[(node.name, item.output_name)] = item.value
    final = graph.output_map["result"]
    return Output(values[(final.node_name, final.output_name)])


def _graph_order(graph: Any) -> list[Any]:
    parents = {}
    for name, node in graph.nodes.items():
        sources: set[str] = set()
        for source in node.inputs.values():
            handles = source if isinstance(source, tuple) else (source,)
            sources |= {h.node_name for h in handles if isinstance(h, OutputHandle)}
        parents[name] = sources
    return [graph.nodes[n] for n in dag.toposort(list(graph.nodes), parents)]
