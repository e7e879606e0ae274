"""Building a snapshot's parts from a live `Definitions`: the one place that reads the user's
definition objects. Everything it produces is plain data."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretBytes, SecretStr

from freshet.core.assets import AssetsDefinition
from freshet.core.checks import AssetChecksDefinition
from freshet.core.composition import CollectHandle, GraphInputHandle, OutputHandle
from freshet.core.config import (
    ConfigSchema,
    EnvVar,
    config_schema_from,
    redact_run_config,
    run_config_json_schema,
)
from freshet.core.configurable_resources import ConfigurableResource
from freshet.core.graphs import GraphDefinition
from freshet.core.jobs import JobDefinition
from freshet.core.keys import AssetKey
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY, OpDefinition
from freshet.core.resources import (
    ResourceDefinition,
    coerce_resource,
    required_resource_keys,
)
from freshet.core.schedules import ScheduleDefinition
from freshet.definitions import Definitions
from freshet.lineage.asset_graph import AssetGraph, AssetNode
from freshet.lineage.selection import coerce_selection, select_assets
from freshet.snapshot.models import (
    AssetCheckSnapshot,
    AssetDepSnapshot,
    AssetNodeSnapshot,
    ExecutorSnapshot,
    InputSourceKind,
    JobKind,
    JobSnapshot,
    OpInputSnapshot,
    OpNodeSnapshot,
    ResourceKind,
    ResourceSnapshot,
    ScheduleSnapshot,
    SensorSnapshot,
)
from freshet.snapshot.values import (
    OpaqueValue,
    metadata_from_json,
    metadata_to_json,
    partitions_def_to_json,
    python_type_name,
    value_from_json,
    value_to_json,
)


def _source(location: str) -> tuple[str | None, int | None]:
    """`path:line` as (path, line); a location without a line is a path alone."""
    if not location:
        return None, None
    path, _, line = location.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return location, None


def asset_nodes(graph: AssetGraph) -> tuple[AssetNodeSnapshot, ...]:
    produced: dict[int, tuple[AssetKey, ...]] = {}
    checked: set[int] = set()
    nodes = []
    for key, node in graph.nodes.items():
        assets_def = node.assets_def
        keys = produced.get(id(assets_def))
        if keys is None:
            keys = produced[id(assets_def)] = assets_def.keys
        definition = node.partitions_def
        if definition is not None and id(definition) not in checked:
            # refused here, not when the JSON is first written: a snapshot holds nothing it
            # cannot write
            partitions_def_to_json(definition, f"asset {key.to_user_string()!r}")
            checked.add(id(definition))
        nodes.append(_asset_node(key, node, assets_def, keys))
    return tuple(nodes)


def _asset_node(
    key: AssetKey, node: AssetNode, assets_def: AssetsDefinition, keys: tuple[AssetKey, ...]
) -> AssetNodeSnapshot:
    source_file, source_line = _source(assets_def.location)
    return AssetNodeSnapshot(
        key=key,
        deps=tuple(
            AssetDepSnapshot(asset_key=d.asset_key, partition_mapping=d.partition_mapping)
            for d in node.deps
        ),
        group_name=node.group_name,
        owners=node.owners,
        tags=node.tags,
        kinds=node.kinds,
        description=node.description,
        metadata=_metadata(node.metadata, key),
        code_version=node.code_version,
        partitions_def=node.partitions_def,
        automation_condition=_opaque_or_none(node.automation_condition),
        freshness_policy=_opaque_or_none(node.freshness_policy),
        io_manager_key=assets_def.io_manager_keys.get(key, DEFAULT_IO_MANAGER_KEY),
        pool=assets_def.pool,
        backfill_policy=assets_def.backfill_policy,
        execution_type=assets_def.execution_type,
        auto_observe_interval_minutes=assets_def.auto_observe_interval_minutes,
        node_name=assets_def.node_name if assets_def.is_executable else None,
        is_graph_asset=assets_def.graph is not None,
        produced_with=keys,
        can_subset=assets_def.can_subset,
        source_file=source_file,
        source_line=source_line,
    )


def _metadata(metadata: Mapping[str, Any], key: AssetKey) -> Mapping[str, Any]:
    if not metadata:
        return {}
    # through the JSON form, so that a built snapshot equals the one read back
    return metadata_from_json(
        metadata_to_json(metadata, where=f"metadata of asset {key.to_user_string()!r}")
    )


def _opaque_or_none(value: Any) -> Any:
    """Automation conditions (and any value with a registered codec) through their JSON
    form, so that a built snapshot equals the one read back; a value without a codec is kept
    as what it is (type and repr), never interpreted."""
    return value_from_json(value_to_json(value), "value")


def asset_checks(graph: AssetGraph) -> tuple[AssetCheckSnapshot, ...]:
    result = []
    for key in graph.nodes:
        for spec in graph.check_specs_for(key):
            check_def = graph.check_defs.get(spec.key)
            result.append(
                AssetCheckSnapshot(
                    asset_key=spec.asset_key,
                    name=spec.name,
                    description=spec.description,
                    blocking=spec.blocking,
                    additional_deps=spec.additional_deps,
                    node_name=None if check_def is None else check_def.op.name,
                )
            )
    return tuple(result)


# ---- jobs ----------------------------------------------------------------------------------


def jobs(defs: Definitions) -> tuple[JobSnapshot, ...]:
    graph = defs.get_asset_graph()
    return tuple(_job(job, graph, defs) for job in defs.get_all_job_defs())


def _job(job: JobDefinition, graph: AssetGraph, defs: Definitions) -> JobSnapshot:
    executor = job.executor_def if job.executor_def is not None else defs.executor
    common: dict[str, Any] = {
        "name": job.name,
        "description": job.description,
        "tags": dict(job.tags),
        "partitions_def": job.partitions_def,
        "executor": executor_snapshot(executor),
    }
    resources = {k: _schema_without_values(v) for k, v in job.resource_defs.items()}
    if job.is_asset_job:
        keys = select_assets(graph, job.asset_selection)
        ordered = tuple(graph.toposort_subset(keys))
        return JobSnapshot(
            kind=JobKind.ASSET,
            asset_keys=ordered,
            selection=str(coerce_selection(job.asset_selection)),
            run_config_schema=run_config_json_schema(
                ops=_asset_job_op_schemas(graph, ordered), resources=resources
            ),
            **common,
        )
    assert job.graph is not None
    ops = {name: _op_schema(node.definition, name) for name, node in job.graph.nodes.items()}
    return JobSnapshot(
        kind=JobKind.OP,
        op_nodes=_op_nodes(job.graph),
        run_config_schema=run_config_json_schema(ops=ops, resources=resources),
        **common,
    )


def _op_schema(op_def: OpDefinition, name: str) -> ConfigSchema | None:
    return config_schema_from(op_def.config_schema, where=f"ops.{name}.config")


def _asset_job_op_schemas(
    graph: AssetGraph, keys: Iterable[AssetKey]
) -> dict[str, ConfigSchema | None]:
    """The config each step of the job takes, under the name run config gives it."""
    schemas: dict[str, ConfigSchema | None] = {}
    seen: set[int] = set()
    for key in keys:
        assets_def = graph.assets_def_for(key)
        if id(assets_def) not in seen:
            seen.add(id(assets_def))
            if assets_def.op is not None:
                schemas[assets_def.op.name] = _op_schema(assets_def.op, assets_def.op.name)
            if assets_def.graph is not None:
                for name, node in assets_def.graph.nodes.items():
                    schemas[name] = _op_schema(node.definition, name)
        for spec in graph.check_specs_for(key):
            check_def: AssetChecksDefinition | None = graph.check_defs.get(spec.key)
            if check_def is not None:
                schemas[check_def.op.name] = _op_schema(check_def.op, check_def.op.name)
    return schemas


def _op_nodes(graph: GraphDefinition) -> tuple[OpNodeSnapshot, ...]:
    nodes = []
    for name, node in graph.nodes.items():
        inputs = [_input(input_name, source) for input_name, source in node.inputs.items()]
        nodes.append(
            OpNodeSnapshot(
                name=name,
                op_name=node.definition.name,
                inputs=tuple(inputs),
                outputs=tuple(node.definition.outs),
                description=node.definition.description,
            )
        )
    return tuple(nodes)


def _input(name: str, source: Any) -> OpInputSnapshot:
    if isinstance(source, GraphInputHandle):
        return OpInputSnapshot(name=name, kind=InputSourceKind.GRAPH_INPUT, graph_input=source.name)
    if isinstance(source, CollectHandle):
        return OpInputSnapshot(
            name=name,
            kind=InputSourceKind.COLLECT,
            outputs=((source.node_name, source.output_name),),
        )
    if isinstance(source, OutputHandle):
        return OpInputSnapshot(
            name=name,
            kind=InputSourceKind.OUTPUT,
            outputs=((source.node_name, source.output_name),),
        )
    return OpInputSnapshot(
        name=name,
        kind=InputSourceKind.FAN_IN,
        outputs=tuple((h.node_name, h.output_name) for h in source),
    )


def executor_snapshot(executor: Any) -> ExecutorSnapshot | None:
    if executor is None:
        return None
    name = getattr(executor, "name", None)
    return ExecutorSnapshot(
        name=name if isinstance(name, str) else type(executor).__name__,
        python_type=python_type_name(executor),
    )


# ---- schedules, sensors ---------------------------------------------------------------------


def schedules(defs: Definitions) -> tuple[ScheduleSnapshot, ...]:
    return tuple(_schedule(s, defs) for s in defs.schedules)


def _schedule(schedule: ScheduleDefinition, defs: Definitions) -> ScheduleSnapshot:
    run_config: Any = redact_run_config(schedule.run_config)
    if not _is_json(run_config):
        run_config = OpaqueValue.of(schedule.run_config)
    return ScheduleSnapshot(
        name=schedule.name,
        cron_schedule=schedule.cron_schedule,
        job_name=schedule.job_name,
        execution_timezone=schedule.execution_timezone,
        tags=dict(schedule.tags),
        default_status=schedule.default_status,
        description=schedule.description,
        run_config=run_config,
        target_keys=_target_keys(schedule.target, defs),
        has_function=schedule.execution_fn is not None,
    )


def _target_keys(selection: Any, defs: Definitions) -> tuple[AssetKey, ...] | None:
    """An asset selection as the sorted keys it resolves to (Definitions checked it)."""
    if selection is None:
        return None
    keys = select_assets(defs.get_asset_graph(), selection)
    return tuple(sorted(keys, key=lambda k: k.to_user_string()))


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return False


def sensors(defs: Definitions) -> tuple[SensorSnapshot, ...]:
    return tuple(
        SensorSnapshot(
            name=sensor.name,
            sensor_type=sensor.sensor_type,
            job_name=sensor.job_name,
            target_keys=_target_keys(sensor.asset_selection, defs),
            minimum_interval_seconds=sensor.minimum_interval_seconds,
            default_status=sensor.default_status,
            description=sensor.description,
            asset_key=sensor.asset_key,
            run_statuses=sensor.run_statuses,
        )
        for sensor in defs.sensors
    )


# ---- resources ------------------------------------------------------------------------------


def resources(defs: Definitions) -> tuple[ResourceSnapshot, ...]:
    return tuple(_resource(name, value) for name, value in sorted(defs.resources.items()))


def _schema_without_values(value: Any) -> ConfigSchema | None:
    """The config schema of a resource with none of its instance's values: for an instance
    every field is optional (run config only overrides), but what it holds is not shown."""
    res = coerce_resource(value)
    if isinstance(res, ResourceDefinition):
        return res.schema
    schema = config_schema_from(type(res), f"resource {type(res).__name__}")
    return None if schema is None else schema.with_base_values({})


def _resource(name: str, value: Any) -> ResourceSnapshot:
    res = coerce_resource(value)
    schema = _schema_without_values(res)
    config_schema = None
    if schema is not None:
        whole = run_config_json_schema(ops={}, resources={name: schema})
        section = whole["properties"]["resources"]["properties"][name]
        config = section["properties"].get("config")
        if config is not None:
            config_schema = {**config, "$defs": whole["$defs"]}
    if isinstance(res, ConfigurableResource):
        kind, python_type = ResourceKind.CONFIGURABLE, python_type_name(res)
        description = type(res).__doc__
    elif _is_hardcoded(res):
        inner = _hardcoded_value(res)
        kind, python_type = ResourceKind.VALUE, python_type_name(inner)
        description = res.description
    else:
        kind, python_type = ResourceKind.FUNCTION, _function_name(res)
        description = res.description
    return ResourceSnapshot(
        name=name,
        kind=kind,
        python_type=python_type,
        description=description.strip() if isinstance(description, str) else None,
        config_schema=config_schema,
        secret_fields=_secret_fields(res),
        required_resource_keys=tuple(sorted(required_resource_keys(res))),
    )


_HARDCODED = ResourceDefinition.hardcoded_resource(None).resource_fn.__qualname__


def _is_hardcoded(res: Any) -> bool:
    return isinstance(res, ResourceDefinition) and res.resource_fn.__qualname__ == _HARDCODED


def _hardcoded_value(res: ResourceDefinition) -> Any:
    """The object a plain-value resource wraps, read from its closure (never called)."""
    return inspect.getclosurevars(res.resource_fn).nonlocals.get("value")


def _function_name(res: ResourceDefinition) -> str:
    fn = res.resource_fn
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _secret_fields(res: Any) -> tuple[str, ...]:
    """Fields of a resource instance read from the environment (`EnvVar`) or typed as
    secrets (`SecretStr`, `SecretBytes`)."""
    if not isinstance(res, ConfigurableResource):
        return ()
    found = []
    for name, info in type(res).model_fields.items():
        value = getattr(res, name, None)
        if isinstance(value, EnvVar | SecretStr | SecretBytes) or info.annotation in (
            SecretStr,
            SecretBytes,
        ):
            found.append(info.alias or name)
    return tuple(found)
