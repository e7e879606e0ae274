"""Loading a step's inputs: asset inputs through IO managers (with partition mappings), op
inputs from upstream outputs, fan-in lists and collected dynamic outputs."""

from __future__ import annotations

from typing import Any

from freshet.core.io_managers import InputContext, OutputContext
from freshet.core.types import check_type
from freshet.execution.boundary import UserCodeError
from freshet.execution.context import OpExecutionContext
from freshet.execution.partitions import upstream_partition_keys
from freshet.execution.plan import Step, StepInput, StepKind
from freshet.execution.state import RunState
from freshet.execution.step_types import StepError
from freshet.storage.records import EventType

# The composition classes (op graphs) are imported by the functions that handle op inputs, for
# start-up time (~4 ms): a run of assets never needs them, and a graph of ops has loaded them.


def load_inputs(
    step: Step,
    state: RunState,
    key: str,
    mapping_key: str | None,
    context: OpExecutionContext,
) -> dict[str, Any]:
    """The step's input values by name, each type-checked and recorded as a STEP_INPUT."""
    op_def = step.op
    values: dict[str, Any] = {}
    for spec in step.inputs:
        in_def = op_def.ins.get(spec.name) if op_def is not None else None
        if in_def is not None and in_def.is_nothing:
            continue
        given = state.config_inputs.get(step.config_node_name, {})
        if spec.name in given:
            value = given[spec.name]
        elif spec.outside:
            continue  # no op of the run feeds it: its default applies (checked when planned)
        elif spec.asset_key is not None:
            value = _load_asset_input(step, spec, state, key, context)
        elif in_def is not None and in_def.input_manager_key:
            value = _load_with_input_manager(spec, in_def.input_manager_key, state, key)
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
        dagster_type=_input_annotation(step, spec.name),
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


def _load_with_input_manager(spec: StepInput, manager_key: str, state: RunState, key: str) -> Any:
    """An op input loaded by its input manager: from what the upstream output points at,
    or, for a root input, from wherever the manager knows to look."""
    from freshet.core.composition import OutputHandle

    source = spec.source
    upstream = None
    if isinstance(source, OutputHandle):
        upstream = state.output_contexts.get((source.node_name, source.output_name))
    if upstream is None:
        upstream = OutputContext(run_id=state.run_id, step_key=key, name=spec.name)
    context = InputContext(
        name=spec.name,
        upstream_output=upstream,
        partition_key=state.partition_key,
        base_dir=str(state.base_dir),
    )
    try:
        value = state.io_manager(manager_key).load_input(context)
    except Exception as exc:
        raise UserCodeError(
            f"loading input {spec.name!r} with input manager {manager_key!r}", exc
        ) from exc
    state.sink.emit(
        EventType.LOADED_INPUT,
        step_key=key,
        data={"input_name": spec.name, "io_manager_key": manager_key},
    )
    return value


def _load_op_input(spec: StepInput, state: RunState, key: str, mapping_key: str | None) -> Any:
    from freshet.core.composition import CollectHandle, GraphInputHandle, OutputHandle

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
        if source.name in state.graph_inputs:
            return state.graph_inputs[source.name]
        raise StepError(
            f"{key}: graph input {source.name!r} has no value; pass "
            f"execute_in_process(input_values={{{source.name!r}: ...}})"
        )
    raise StepError(f"{key}: input {spec.name!r} has no source")


def _input_annotation(step: Step, input_name: str) -> Any:
    in_def = step.op.ins.get(input_name) if step.op is not None else None
    return in_def.dagster_type if in_def is not None else None


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
