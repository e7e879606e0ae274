"""Turning what a step's function returned into outputs: stored through IO managers per
partition, dynamic outputs, materializations with data versions and provenance, observations."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from freshet.core.checks import AssetCheckResult
from freshet.core.io_managers import OutputContext
from freshet.core.keys import AssetKey
from freshet.core.ops import DynamicOutput, OpDefinition, Out
from freshet.core.results import (
    DataVersion,
    MaterializeResult,
    ObserveResult,
    Output,
    normalize_metadata,
)
from freshet.core.types import check_type
from freshet.execution.boundary import UserCodeError
from freshet.execution.check_results import record_check_results
from freshet.execution.context import OpExecutionContext
from freshet.execution.partitions import upstream_partition_keys
from freshet.execution.plan import Step
from freshet.execution.state import RunState
from freshet.execution.step_types import Attempt, NoValue, StepError, Yielded, json_metadata
from freshet.execution.versions import (
    MAX_PROVENANCE_PARTITIONS,
    ProvenanceEntry,
    choose_data_version,
    consumed_data_time,
    folded_entry,
)
from freshet.storage.records import EventType


def _step_outs(step: Step) -> dict[str, Out]:
    """The outputs of a step: its op's, or for a graph asset the asset's one output."""
    if step.op is not None:
        return dict(step.op.outs)
    assert step.assets_def is not None
    return {
        name: Out(io_manager_key=step.assets_def.io_manager_keys[key])
        for name, key in step.assets_def.keys_by_output.items()
    }


def result_items(op_def: OpDefinition | None, raw: Any) -> Iterator[Any]:
    """The things a function produced, as Output / MaterializeResult / check results."""
    if isinstance(raw, Yielded):
        for item in raw:
            if not isinstance(item, _PRODUCED_TYPES):
                name = op_def.name if op_def is not None else "the function"
                raise StepError(
                    f"{name}: yielded a {type(item).__name__} ({_short_repr(item)}); a "
                    "generator yields Output(value, output_name=...), MaterializeResult, "
                    "AssetCheckResult, DynamicOutput, AssetMaterialization, AssetObservation "
                    "or ExpectationResult"
                )
            yield item
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


_PRODUCED_TYPES = (Output, MaterializeResult, AssetCheckResult, DynamicOutput)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _returns_nothing(op_def: OpDefinition) -> bool:
    """`-> None` (or an output typed Nothing) means the function stores nothing itself."""
    outs = list(op_def.outs.values())
    return len(outs) == 1 and (outs[0].is_nothing or op_def.shape.return_annotation is None)


def handle_results(
    step: Step,
    state: RunState,
    key: str,
    context: OpExecutionContext,
    raw: Any,
    mapping_key: str | None,
    *,
    complete: bool = True,
) -> Attempt:
    """Store and record everything an asset or op step produced, then its check results.
    `complete=False`: the function failed after producing these; record them as they are."""
    produced: set[str] = set()
    checks: list[AssetCheckResult] = []
    for item in _in_dependency_order(step, list(result_items(step.op, raw)), key):
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
    if complete:
        _check_all_outputs(step, key, produced)
        if step.assets_def is None:
            state.unproduced_outputs |= {(key, n) for n in _step_outs(step) if n not in produced}
    blocked = record_check_results(step, state, key, checks, complete=complete)
    return Attempt(blocked_by=blocked)


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
        outs = _step_outs(step)
        expected = {
            names[k]
            for k in step.asset_keys
            if step.assets_def.can_subset or outs[names[k]].is_required
        }
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
) -> tuple[list[ProvenanceEntry], list[float | None]]:
    """For each dependency, the data version(s) consumed: one entry per upstream partition
    read, folded into one digest entry when a partition reads many upstream partitions; and
    the data time of each upstream (partition) consumed."""
    assert step.assets_def is not None
    entries = []
    data_times: list[float | None] = []
    for dep in step.assets_def.spec_for(asset_key).dep_keys:
        if dep not in state.partitioned_keys or state.asset_graph is None:
            entries.append(ProvenanceEntry(dep, None, state.versions.get((dep, None))))
            data_times.append(state.data_times.get((dep, None)))
            continue
        keys = (
            upstream_partition_keys(
                state.asset_graph, asset_key, dep, partition, state.dynamic_store
            )
            or []
        )
        versions = state.partition_versions(dep, keys)
        data_times.extend(state.data_time(dep, k) for k in keys)
        if len(keys) <= MAX_PROVENANCE_PARTITIONS:
            entries.extend(ProvenanceEntry(dep, k, versions.get(k)) for k in keys)
        else:
            entries.append(folded_entry(dep, keys, versions))
    return entries, data_times


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
    stored_metadata = json_metadata(metadata, f"metadata of asset {asset_key.to_user_string()!r}")
    for partition, fingerprint in fingerprints.items():
        provenance, consumed = _provenance(step, state, asset_key, partition)
        data_time = consumed_data_time(consumed, state.step_started_at.get(key, time.time()))
        version, source = choose_data_version(
            user_version=user_version,
            fingerprint=fingerprint,
            code_version=spec.code_version,
            provenance=provenance,
        )
        state.versions[(asset_key, partition)] = version
        state.data_times[(asset_key, partition)] = data_time
        state.sink.emit(
            EventType.ASSET_MATERIALIZATION,
            step_key=key,
            asset_key=asset_key,
            partition=partition,
            message=f"materialized {asset_key.to_user_string()}"
            + (f" [{partition}]" if partition is not None else ""),
            data={
                "metadata": stored_metadata,
                "data_version": version,
                "data_version_source": source,
                "code_version": spec.code_version,
                "provenance": [entry.to_json() for entry in provenance],
                "data_time": data_time,
                "tags": dict(tags),
            },
        )


def handle_observation(
    step: Step, state: RunState, key: str, context: OpExecutionContext, raw: Any
) -> Attempt:
    """Record the DataVersion an observable source asset's function returned."""
    [asset_key] = step.asset_keys
    returned: dict[str, Any] = {}
    if isinstance(raw, ObserveResult):
        if raw.data_version is None:
            raise StepError(
                f"observation of {asset_key.to_user_string()!r} returned an ObserveResult "
                "without data_version; pass ObserveResult(data_version=...)"
            )
        returned = dict(raw.metadata)
        raw = raw.data_version
    if not isinstance(raw, DataVersion):
        raise StepError(
            f"observation of {asset_key.to_user_string()!r} returned {type(raw).__name__}; an "
            "observation function must return fr.DataVersion(...) or fr.ObserveResult(...) "
            "(nothing was recorded)"
        )
    metadata = normalize_metadata(
        {**returned, **context.consume_added_metadata("result", True)},
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
    return Attempt()
