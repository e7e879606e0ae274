"""Running definitions in this process: `materialize`, `materialize_to_memory` and
`JobDefinition.execute_in_process`. Picks the default instance and IO manager."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from freshet.core.assets import AssetsDefinition
from freshet.core.executors import ExecutorDefinition, executor_from_run_config
from freshet.core.keys import AssetKey
from freshet.core.memory_io import DictIOManager
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY
from freshet.core.resources import coerce_resource
from freshet.core.run_config import configured_resources
from freshet.definitions import Definitions
from freshet.errors import UsageError
from freshet.execution.events import EventListener
from freshet.execution.executors.base import RunLoader
from freshet.execution.partitions import (
    canonical_partition_key,
    check_partition_key,
    keys_for_range,
)
from freshet.execution.plan import plan_assets, plan_graph, plan_observations
from freshet.execution.result import RunResult
from freshet.execution.run import RunSpec, execute_run, validate_plan_config
from freshet.instance.instance import Instance
from freshet.lineage.asset_graph import AssetGraph

if TYPE_CHECKING:
    from freshet.core.jobs import JobDefinition
    from freshet.core.partitions import PartitionKeyRange


def _as_definitions(assets_or_definitions: Any, resources: Mapping[str, Any] | None) -> Definitions:
    if isinstance(assets_or_definitions, Definitions):
        return assets_or_definitions
    if isinstance(assets_or_definitions, AssetsDefinition):
        assets_or_definitions = [assets_or_definitions]
    if not isinstance(assets_or_definitions, Iterable):
        raise UsageError(
            "materialize: expected a list of assets or a Definitions, got "
            f"{type(assets_or_definitions).__name__}"
        )
    return Definitions(assets=list(assets_or_definitions), resources=resources)


def _resources(
    defs_resources: Mapping[str, Any],
    extra: Mapping[str, Any] | None,
    run_config: Any,
    default_io_manager: Any = None,
) -> dict[str, Any]:
    """The run's resources: `extra` over the definitions' own, and an IO manager under the
    default key when neither gives one (`default_io_manager`, else the filesystem one)."""
    merged = {**defs_resources, **{k: coerce_resource(v) for k, v in (extra or {}).items()}}
    if DEFAULT_IO_MANAGER_KEY not in merged:
        merged[DEFAULT_IO_MANAGER_KEY] = default_io_manager or _filesystem_io_manager(run_config)
    return merged


def _filesystem_io_manager(run_config: Any) -> Any:
    """The default IO manager: a `FilesystemIOManager` when the run config configures it (its
    config is checked as that resource's), else a `PickleFilesIOManager`, which stores alike
    and loads no pydantic."""
    if DEFAULT_IO_MANAGER_KEY in configured_resources(run_config):
        # Imported here for start-up time: the built-in IO managers are configurable
        # resources, which load pydantic (~90 ms); most runs do not configure them.
        from freshet.core.builtin_io_managers import FilesystemIOManager

        return FilesystemIOManager()
    # Imported here: a run whose values stay in memory (`materialize_to_memory`) needs no pickle.
    from freshet.core.pickle_files import PickleFilesIOManager

    return PickleFilesIOManager()


def _partitioned_keys(graph: AssetGraph) -> frozenset[AssetKey]:
    return frozenset(k for k, n in graph.nodes.items() if n.partitions_def is not None)


def run_assets(
    defs: Definitions,
    keys: Iterable[AssetKey],
    *,
    instance: Instance,
    resources: Mapping[str, Any] | None = None,
    run_config: Any = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    job_name: str = "__asset_job",
    partition_key_range: PartitionKeyRange | None = None,
    default_io_manager: Any = None,
    listeners: Sequence[EventListener] = (),
    run_id: str | None = None,
    record_run: bool = True,
    loader: RunLoader | None = None,
    default_executor: ExecutorDefinition | None = None,
) -> RunResult:
    """Plan and run a set of assets of `defs` on `instance` (as the already recorded run
    `run_id` when `record_run` is False: a launched run), with the executor the run config
    or `defs` names, else `default_executor`, else in-process. `loader` rebuilds the run in
    worker processes (from its code location); without one, workers are forked from this
    process."""
    merged = _resources(defs.resources, resources, run_config, default_io_manager)
    return _run_asset_plan(
        defs.get_asset_graph(),
        keys,
        instance=instance,
        resources=merged,
        run_config=run_config,
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        raise_on_error=raise_on_error,
        tags=dict(tags or {}),
        job_name=job_name,
        listeners=listeners,
        run_id=run_id,
        record_run=record_run,
        executor=defs.executor or default_executor,
        loader=loader,
    )


def check_run_config(
    defs: Definitions,
    keys: Iterable[AssetKey],
    run_config: Any,
    resources: Mapping[str, Any] | None = None,
) -> None:
    """Validate `run_config` for a run of `keys` without running anything (a backfill
    checks its config before it records itself)."""
    merged = _resources(defs.resources, resources, run_config)
    resolved = validate_plan_config(plan_assets(defs.get_asset_graph(), keys), run_config, merged)
    executor_from_run_config(resolved.execution)  # a bad `execution` section is an error too


def _run_asset_plan(
    graph: AssetGraph,
    keys: Iterable[AssetKey],
    *,
    instance: Instance,
    resources: Mapping[str, Any],
    run_config: Any,
    partition_key: str | None,
    partition_key_range: PartitionKeyRange | None,
    raise_on_error: bool,
    tags: Mapping[str, str],
    job_name: str,
    listeners: Sequence[EventListener],
    run_id: str | None = None,
    record_run: bool = True,
    executor: ExecutorDefinition | None = None,
    loader: RunLoader | None = None,
) -> RunResult:
    """Plan `keys`, check the partition key or range against them, and run the plan."""
    plan = plan_assets(graph, keys)
    range_keys: tuple[str, ...] = ()
    if partition_key_range is not None:
        if partition_key is not None:
            raise UsageError("give either partition_key or partition_key_range, not both")
        range_keys = tuple(
            keys_for_range(graph, plan.asset_keys, partition_key_range, instance.storage)
        )
    else:
        check_partition_key(graph, plan.asset_keys, partition_key, instance.storage)
        partition_key = canonical_partition_key(graph, plan.asset_keys, partition_key)
    spec = RunSpec(
        job_name=job_name,
        asset_graph=graph,
        partition_keys=range_keys,
        resources=resources,
        run_config=run_config,
        tags=tags,
        partition_key=partition_key,
        partitioned_keys=_partitioned_keys(graph),
        raise_on_error=raise_on_error,
        listeners=listeners,
        run_id=run_id,
        record_run=record_run,
        executor=executor,
        loader=loader,
    )
    return execute_run(plan, spec, instance)


def _as_range(value: Any) -> PartitionKeyRange | None:
    """A range given as a `PartitionKeyRange`, a `(first, last)` pair or `"first...last"`."""
    if value is None:
        return None
    # Imported here for start-up time: the partition classes cost ~10 ms, and a run of
    # unpartitioned assets (a graph without partitions never loaded them) needs none.
    from freshet.core.partitions import PartitionKeyRange

    return PartitionKeyRange.coerce(value, "partition_key_range")


def _select(defs: Definitions, selection: Any, instance: Instance | None) -> set[AssetKey]:
    """The keys `selection` names in `defs`, its `status:` terms read from `instance`."""
    # Imported here for start-up time: the selection grammar and status (staleness,
    # freshness) cost ~17 ms to import, and a run without a selection needs neither.
    from freshet.lineage.selection import select_assets
    from freshet.status.api import selection_statuses

    return select_assets(
        defs.get_asset_graph(), selection, statuses=selection_statuses(defs, instance)
    )


def _selected_keys(
    defs: Definitions, selection: Any, given: Any, instance: Instance | None
) -> set[AssetKey]:
    graph = defs.get_asset_graph()
    if selection is not None:
        return _select(defs, selection, instance)
    if isinstance(given, Definitions):
        return set(graph.materializable_keys)
    return {k for a in defs.assets if a.is_materializable for k in a.keys}


def materialize(
    assets: Any,
    selection: Any = None,
    resources: Mapping[str, Any] | None = None,
    run_config: Any = None,
    partition_key: str | None = None,
    instance: Instance | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    *,
    partition_key_range: PartitionKeyRange | tuple[str, str] | None = None,
    listeners: Sequence[EventListener] = (),
    _default_io_manager: Any = None,
) -> RunResult:
    """Materialize assets in this process.

    `assets` is a list of asset definitions or a `Definitions`; `selection`
    (a string like ``"+orders"`` or an `AssetSelection`) narrows what runs (default: every
    materializable asset given). Without an `instance` the run uses an ephemeral one."""
    defs = _as_definitions(assets, resources)
    keys = _selected_keys(defs, selection, assets, instance)
    owned = instance is None
    run_instance = Instance.ephemeral() if instance is None else instance
    try:
        return run_assets(
            defs,
            keys,
            instance=run_instance,
            resources=resources if isinstance(assets, Definitions) else None,
            run_config=run_config,
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            tags=tags,
            default_io_manager=_default_io_manager,
            listeners=listeners,
            partition_key_range=_as_range(partition_key_range),
        )
    finally:
        if owned:
            run_instance.close()


def materialize_to_memory(
    assets: Any,
    selection: Any = None,
    resources: Mapping[str, Any] | None = None,
    run_config: Any = None,
    partition_key: str | None = None,
    instance: Instance | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
) -> RunResult:
    """Like `materialize`, but every value is kept in memory (no files written): every IO
    manager the assets use is replaced by one in-memory IO manager."""
    given = assets
    assets = given.assets if isinstance(given, Definitions) else list(_as_list(given))
    io_keys = {
        key for a in assets if isinstance(a, AssetsDefinition) for key in a.io_manager_keys.values()
    }
    replaced = {DEFAULT_IO_MANAGER_KEY, *io_keys}
    overrides = dict.fromkeys(replaced, _in_memory_io_manager(run_config, replaced))
    return materialize(
        given,
        selection=selection,
        resources={**(resources or {}), **overrides},
        run_config=run_config,
        partition_key=partition_key,
        instance=instance,
        raise_on_error=raise_on_error,
        tags=tags,
    )


def _in_memory_io_manager(run_config: Any, replaced: set[str]) -> Any:
    """What keeps the values of `materialize_to_memory`: an `InMemoryIOManager` when the run
    config configures one of the IO managers it replaces (their config is checked as that
    resource's), else a `DictIOManager`, which stores alike and loads no pydantic."""
    if not replaced.isdisjoint(configured_resources(run_config)):
        # Imported here for start-up time (see _filesystem_io_manager).
        from freshet.core.builtin_io_managers import InMemoryIOManager

        return InMemoryIOManager()
    return DictIOManager()


def _as_list(given: Any) -> Iterable[Any]:
    return [given] if isinstance(given, AssetsDefinition) else given


def execute_job(
    job: JobDefinition,
    *,
    run_config: Any = None,
    instance: Instance | None = None,
    resources: Mapping[str, Any] | None = None,
    raise_on_error: bool = True,
    partition_key: str | None = None,
    tags: Mapping[str, str] | None = None,
    listeners: Sequence[EventListener] = (),
    op_selection: Any = None,
    run_id: str | None = None,
    record_run: bool = True,
    input_values: Mapping[str, Any] | None = None,
    loader: RunLoader | None = None,
    default_executor: ExecutorDefinition | None = None,
    reused_outputs: Iterable[tuple[str, str, str]] = (),
    parent_run_id: str | None = None,
    root_run_id: str | None = None,
) -> RunResult:
    """Run an op job or a resolved asset job (as the already recorded run `run_id` when
    `record_run` is False) with the executor the run config or the job names, else
    `default_executor`, else in-process; `loader` as for `run_assets`; `input_values` gives
    an op graph's own inputs.

    `op_selection` (op jobs: a list of entries such as ``"load"``, ``"*clean"``,
    ``"clean+"``) runs only the ops it selects; an input whose op is not selected comes from
    `reused_outputs` (``(node, output, run id)`` of an earlier run that stored it), run
    config ``ops.<op>.inputs``, or its default, and the run fails before any step when none
    gives it. `parent_run_id`/`root_run_id` are recorded on the run (re-execution)."""
    selection = _op_selection_entries(job, op_selection)
    owned = instance is None
    run_instance = Instance.ephemeral() if instance is None else instance
    # Imported here for start-up time: a job's config mapping is needed only to run a job.
    from freshet.core.config_mapping import job_run_config

    config = job_run_config(job.name, job.config, run_config, partition_key)
    all_resources = {**job.resource_defs, **(resources or {})}
    try:
        if job.graph is not None:
            spec = RunSpec(
                job_name=job.name,
                resources=_resources({}, all_resources, config),
                run_config=config,
                tags={**job.tags, **(tags or {})},
                partition_key=partition_key,
                raise_on_error=raise_on_error,
                listeners=listeners,
                run_id=run_id,
                record_run=record_run,
                input_values=_graph_input_values(job, input_values),
                executor=job.executor_def or default_executor,
                loader=loader,
                parent_run_id=parent_run_id,
                root_run_id=root_run_id,
            )
            plan = plan_graph(
                job.graph,
                op_selection=selection,
                reused_outputs={(n, o): r for n, o, r in reused_outputs},
            )
            result = execute_run(plan, spec, run_instance)
            outputs = {
                name: (handle.node_name, handle.output_name)
                for name, handle in job.graph.output_map.items()
            }
            return replace(result, graph_outputs=outputs)
        if job.asset_graph is None:
            raise UsageError(
                f"asset job {job.name!r} is not resolved; get it from "
                "Definitions(...).get_job_def(name)"
            )
        # Imported here for start-up time (see _select).
        from freshet.lineage.selection import select_assets

        return _run_asset_plan(
            job.asset_graph,
            select_assets(job.asset_graph, job.asset_selection),
            instance=run_instance,
            resources=_resources({}, all_resources, config),
            run_config=config,
            partition_key=partition_key,
            partition_key_range=None,
            raise_on_error=raise_on_error,
            tags={**job.tags, **(tags or {})},
            job_name=job.name,
            listeners=listeners,
            run_id=run_id,
            record_run=record_run,
            executor=job.executor_def or default_executor,
            loader=loader,
        )
    finally:
        if owned:
            run_instance.close()


def _op_selection_entries(job: JobDefinition, op_selection: Any) -> tuple[str, ...] | None:
    """`op_selection` checked: only an op job takes one, as a list of op names."""
    if op_selection is None:
        return None
    if job.graph is None:
        raise UsageError(
            f"job {job.name!r} is an asset job: op_selection selects ops of an op job; "
            "select assets with materialize(selection=...) or define_asset_job(selection=...)"
        )
    # Imported here for start-up time: only a run with an op selection parses one.
    from freshet.core.op_selection import as_entries

    return as_entries(op_selection, f"job {job.name!r}")


def _graph_input_values(job: JobDefinition, given: Mapping[str, Any] | None) -> dict[str, Any]:
    assert job.graph is not None
    values = dict(given or {})
    expected = set(job.graph.input_names)
    unknown = sorted(set(values) - expected)
    missing = sorted(expected - set(values))
    if unknown or missing:
        problems = [f"unknown input(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"no value for input(s) {', '.join(missing)}"] if missing else []
        raise UsageError(
            f"job {job.name!r}: input_values: {'; '.join(problems)} (inputs: "
            f"{', '.join(sorted(expected)) or 'none'})"
        )
    return values


def observe(
    defs: Definitions,
    selection: Any = None,
    instance: Instance | None = None,
    resources: Mapping[str, Any] | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    *,
    partition_key: str | None = None,
    listeners: Sequence[EventListener] = (),
) -> RunResult:
    """Run the observation functions of the observable source assets in `selection`
    (default: all of them) and record their data versions as ASSET_OBSERVATION events
    (for one partition of partitioned sources: `partition_key`)."""
    if not isinstance(defs, Definitions):
        defs = _as_definitions(defs, resources)
    graph = defs.get_asset_graph()
    keys = (
        _select(defs, selection, instance) if selection is not None else set(graph.observable_keys)
    )
    plan = plan_observations(graph, keys)
    from freshet.runs.launch import OBSERVE_JOB_NAME  # observing is rare: loaded when used

    owned = instance is None
    run_instance = Instance.ephemeral() if instance is None else instance
    try:
        observed = [k for step in plan.steps for k in step.asset_keys]
        check_partition_key(graph, observed, partition_key, run_instance.storage)
        spec = RunSpec(
            job_name=OBSERVE_JOB_NAME,
            partition_key=canonical_partition_key(graph, observed, partition_key),
            resources=_resources(defs.resources, resources, None),
            tags=dict(tags or {}),
            partitioned_keys=_partitioned_keys(graph),
            asset_graph=graph,
            raise_on_error=raise_on_error,
            listeners=listeners,
        )
        return execute_run(plan, spec, run_instance)
    finally:
        if owned:
            run_instance.close()
