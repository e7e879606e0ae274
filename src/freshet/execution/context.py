"""The context user code receives: run and step identity, logging, resources, config,
partition, and the asset keys involved. Also `build_asset_context` for unit tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from freshet.core.events import REPORTED_EVENT_TYPES
from freshet.core.ids import random_hex
from freshet.core.keys import AssetKey
from freshet.errors import UsageError
from freshet.storage.records import LogLevel

if TYPE_CHECKING:
    from freshet.core.partitions import MultiPartitionKey, PartitionKeyRange, TimeWindow

# The partition classes are imported by the methods that build them, for start-up time
# (~10 ms): a run of unpartitioned assets never loads them.

_PY_LOGGER = logging.getLogger("freshet")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """What a step knows of its run."""

    run_id: str
    job_name: str
    tags: Mapping[str, str]


class StepLogger:
    """`context.log`: each message becomes a LOG event (and a Python `logging` record)."""

    def __init__(self, emit: Callable[[int, str], None] | None, step_key: str | None) -> None:
        self._emit = emit
        self._step_key = step_key

    def log(self, level: int, msg: str, *args: Any) -> None:
        text = msg % args if args else str(msg)
        _PY_LOGGER.log(level, "%s%s", f"[{self._step_key}] " if self._step_key else "", text)
        if self._emit is not None:
            self._emit(level, text)

    def debug(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.DEBUG, msg, *args)

    def info(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.INFO, msg, *args)

    def warning(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.WARNING, msg, *args)

    warn = warning

    def error(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.ERROR, msg, *args)

    def exception(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.ERROR, msg, *args)

    def critical(self, msg: str, *args: Any) -> None:
        self.log(LogLevel.CRITICAL, msg, *args)


class OpExecutionContext:
    """What an op's (or asset's) function sees of its run."""

    __freshet_context__ = True

    def __init__(
        self,
        *,
        run_id: str,
        step_key: str,
        job_name: str,
        log: StepLogger,
        resources: Any,
        op_config: Any = None,
        instance: Any = None,
        partition_key: str | None = None,
        partition_keys: Sequence[str] = (),
        run_tags: Mapping[str, str] | None = None,
        assets_def: Any = None,
        selected_asset_keys: Sequence[AssetKey] = (),
        retry_number: int = 0,
        mapping_key: str | None = None,
        partitions_def: Any = None,
        report_event: Callable[[Any], None] | None = None,
        check_specs: Sequence[Any] = (),
        op_def: Any = None,
    ) -> None:
        self._run_id = run_id
        self._step_key = step_key
        self._job_name = job_name
        self._log = log
        self._resources = resources
        self._op_config = op_config
        self._instance = instance
        self._partition_key = partition_key
        self._partition_keys = tuple(partition_keys) or (
            (partition_key,) if partition_key is not None else ()
        )
        self._run_tags = dict(run_tags or {})
        self._assets_def = assets_def
        self._selected = tuple(selected_asset_keys)
        self._retry_number = retry_number
        self._mapping_key = mapping_key
        self._added_metadata: dict[str | None, dict[str, Any]] = {}
        self._input_partitions: dict[str, list[str] | None] = {}
        self._partitions_def = partitions_def
        self._report_event = report_event
        self._check_specs = tuple(check_specs)
        self._op_def = op_def
        self._logged_events: list[Any] = []

    # -- identity --------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def step_key(self) -> str:
        return self._step_key

    @property
    def job_name(self) -> str:
        return self._job_name

    @property
    def run_tags(self) -> dict[str, str]:
        return dict(self._run_tags)

    @property
    def run(self) -> RunInfo:
        """The run this step belongs to: `context.run.run_id`, `.tags`, `.job_name`."""
        return RunInfo(run_id=self._run_id, job_name=self._job_name, tags=dict(self._run_tags))

    @property
    def retry_number(self) -> int:
        return self._retry_number

    @property
    def log(self) -> StepLogger:
        return self._log

    @property
    def resources(self) -> Any:
        return self._resources

    @property
    def op_config(self) -> Any:
        return self._op_config

    @property
    def instance(self) -> Any:
        if self._instance is None:
            raise UsageError("this context has no instance (pass instance= to build_asset_context)")
        return self._instance

    @property
    def op_def(self) -> Any:
        """The definition of the op this step runs (None in a unit-test context)."""
        return self._op_def

    def has_tag(self, key: str) -> bool:
        return key in self._run_tags

    def get_tag(self, key: str) -> str | None:
        return self._run_tags.get(key)

    def get_mapping_key(self) -> str | None:
        return self._mapping_key

    # -- partitions ------------------------------------------------------------------
    @property
    def has_partition_key(self) -> bool:
        return len(self._partition_keys) == 1

    @property
    def has_partition_key_range(self) -> bool:
        return len(self._partition_keys) > 0

    @property
    def partition_key(self) -> str:
        if len(self._partition_keys) > 1:
            raise UsageError(
                f"{self._step_key}: this run covers {len(self._partition_keys)} partitions "
                f"({self._partition_keys[0]}...{self._partition_keys[-1]}); use "
                "context.partition_key_range or context.partition_keys"
            )
        if not self._partition_keys:
            raise UsageError(
                f"{self._step_key}: context.partition_key is only available in a partitioned "
                "run; check context.has_partition_key first"
            )
        return self._partition_keys[0]

    @property
    def partition_keys(self) -> list[str]:
        """Every partition this run covers (one, or each key of a range)."""
        if not self._partition_keys:
            raise UsageError(f"{self._step_key}: this run is not partitioned")
        return list(self._partition_keys)

    @property
    def multi_partition_key(self) -> MultiPartitionKey:
        """The partition key of a multi-partitioned run, with `keys_by_dimension`."""
        from freshet.core.partitions import MultiPartitionKey

        key = self.partition_key
        if isinstance(key, MultiPartitionKey):
            return key
        parse = getattr(self._partitions_def, "parse_key", None)
        if parse is None:
            raise UsageError(
                f"{self._step_key}: context.multi_partition_key needs a MultiPartitionsDefinition "
                "(in a unit test, pass build_asset_context(partitions_def=...))"
            )
        return parse(key)

    @property
    def partition_key_range(self) -> PartitionKeyRange:
        from freshet.core.partitions import PartitionKeyRange

        keys = self.partition_keys
        return PartitionKeyRange(keys[0], keys[-1])

    @property
    def partition_time_window(self) -> TimeWindow:
        """The time window this run covers (time-partitioned assets only)."""
        definition = self._partitions_def
        if definition is None:
            raise UsageError(
                f"{self._step_key}: no partitions definition to take a time window from (in a "
                "unit test, pass build_asset_context(partitions_def=...))"
            )
        keys = self.partition_keys
        from freshet.core.partitions import TimeWindow

        first = definition.time_window_for_key(keys[0])
        last = definition.time_window_for_key(keys[-1]) if len(keys) > 1 else first
        return TimeWindow(start=first.start, end=last.end)

    # The run's partitions, asked per output as multi-output code does; every output of a
    # step covers the run's partitions.
    def asset_partition_key_for_output(self, output_name: str = "result") -> str:
        return self.partition_key

    def asset_partition_keys_for_output(self, output_name: str = "result") -> list[str]:
        return self.partition_keys

    def asset_partition_key_range_for_output(
        self, output_name: str = "result"
    ) -> PartitionKeyRange:
        return self.partition_key_range

    def asset_partitions_time_window_for_output(self, output_name: str = "result") -> TimeWindow:
        return self.partition_time_window

    def asset_partition_key_for_input(self, input_name: str) -> str:
        keys = self.asset_partition_keys_for_input(input_name)
        if len(keys) != 1:
            raise UsageError(
                f"{self._step_key}: input {input_name!r} reads {len(keys)} partitions; use "
                "context.asset_partition_keys_for_input"
            )
        return keys[0]

    def asset_partition_keys_for_input(self, input_name: str) -> list[str]:
        """The upstream partitions input `input_name` reads for this run's partition."""
        if input_name not in self._input_partitions:
            raise UsageError(f"{self._step_key} has no asset input {input_name!r} loaded")
        keys = self._input_partitions[input_name]
        if keys is None:
            raise UsageError(
                f"{self._step_key}: input {input_name!r} comes from an unpartitioned asset"
            )
        return list(keys)

    def set_input_partitions(self, input_name: str, keys: list[str] | None) -> None:
        self._input_partitions[input_name] = keys

    # -- assets ----------------------------------------------------------------------
    @property
    def assets_def(self) -> Any:
        if self._assets_def is None:
            raise UsageError(f"{self._step_key} is an op, not an asset")
        return self._assets_def

    @property
    def has_assets_def(self) -> bool:
        return self._assets_def is not None

    @property
    def selected_asset_keys(self) -> set[AssetKey]:
        return set(self._selected)

    @property
    def selected_output_names(self) -> set[str]:
        """The outputs of the selected assets (all outputs of an op)."""
        if self._assets_def is None:
            return set(self._op_def.outs) if self._op_def is not None else set()
        names = self._assets_def.output_names_by_key
        return {names[k] for k in self._selected if k in names}

    @property
    def op_execution_context(self) -> OpExecutionContext:
        """This context (it is also the op's)."""
        return self

    @property
    def is_subset(self) -> bool:
        return self._assets_def is not None and len(self._selected) < len(self._assets_def.keys)

    @property
    def asset_key(self) -> AssetKey:
        keys = self.assets_def.keys
        if len(keys) != 1:
            raise UsageError(
                f"{self._step_key} produces {len(keys)} assets; use context.selected_asset_keys"
            )
        return keys[0]

    def asset_key_for_output(self, output_name: str = "result") -> AssetKey:
        return self.assets_def.keys_by_output[output_name]

    def asset_key_for_input(self, input_name: str) -> AssetKey:
        try:
            return self.assets_def.keys_by_input[input_name]
        except KeyError:
            raise UsageError(f"{self._step_key} has no asset input {input_name!r}") from None

    # -- reported events -------------------------------------------------------------
    def log_event(self, event: Any) -> None:
        """Record an `AssetMaterialization`, `AssetObservation` or `ExpectationResult` in
        the run's log now (in a unit test, keep it for `get_events()`)."""
        if not isinstance(event, REPORTED_EVENT_TYPES):
            raise UsageError(
                f"{self._step_key}: context.log_event takes an AssetMaterialization, "
                f"AssetObservation or ExpectationResult, not {type(event).__name__}; return "
                "outputs and check results from the function instead"
            )
        self._logged_events.append(event)
        if self._report_event is not None:
            self._report_event(event)

    def get_events(self) -> list[Any]:
        """The events logged with `log_event` so far (for unit tests)."""
        return list(self._logged_events)

    # -- metadata --------------------------------------------------------------------
    def add_output_metadata(
        self, metadata: Mapping[str, Any], output_name: str | None = None
    ) -> None:
        """Attach metadata to an output's materialization (the only output when unnamed)."""
        if output_name is None and self._assets_def is not None and len(self._selected) > 1:
            raise UsageError(
                f"{self._step_key} produces several assets; name the one the metadata is for: "
                "add_output_metadata(..., output_name=...) or add_asset_metadata(..., "
                "asset_key=...)"
            )
        self._added_metadata.setdefault(output_name, {}).update(metadata)

    def add_asset_metadata(
        self, metadata: Mapping[str, Any], asset_key: AssetKey | str | None = None
    ) -> None:
        name = None
        if asset_key is not None:
            key = AssetKey.from_coercible(asset_key)
            name = self.assets_def.output_names_by_key.get(key)
            if name is None:
                raise UsageError(f"{self._step_key} does not produce asset {key}")
        self.add_output_metadata(metadata, name)

    def consume_added_metadata(self, output_name: str, only_output: bool) -> dict[str, Any]:
        found = dict(self._added_metadata.pop(output_name, {}))
        if only_output:
            found = {**self._added_metadata.pop(None, {}), **found}
        return found


class AssetExecutionContext(OpExecutionContext):
    """The context of an asset's function."""


class AssetCheckExecutionContext(OpExecutionContext):
    """The context of an asset check's function: which checks this step evaluates."""

    @property
    def check_specs(self) -> list[Any]:
        return list(self._check_specs)

    @property
    def selected_asset_check_keys(self) -> set[Any]:
        return {spec.key for spec in self._check_specs}


def _direct_resources(
    resources: Mapping[str, Any] | None, resources_config: Mapping[str, Any] | None = None
) -> Any:
    if resources_config:
        # resource definitions configured for a unit test: initialised here, as a run would
        from freshet.core.resources import ResourceDefinition  # lazy: pydantic at first use

        resources = {
            key: value.configured(resources_config[key].get("config", resources_config[key]))
            if isinstance(value, ResourceDefinition) and key in resources_config
            else value
            for key, value in (resources or {}).items()
        }
    return _plain_resources({key: _opened(value) for key, value in (resources or {}).items()})


def _opened(value: Any) -> Any:
    """A resource definition given to a unit-test context is initialised, as in a run (a
    generator resource is entered and not torn down)."""
    # lazy: the resources module loads pydantic, which `import freshet` avoids
    from freshet.core.resources import ResourceDefinition, build_init_resource_context

    if not isinstance(value, ResourceDefinition):
        return value
    return value.open(build_init_resource_context(config=value.fixed_config)).__enter__()


def _plain_resources(resources: Mapping[str, Any] | None) -> Any:
    class _Resources:
        def __init__(self, values: Mapping[str, Any]) -> None:
            self.__dict__.update(values)

        def __getitem__(self, key: str) -> Any:
            return self.__dict__[key]

    return _Resources(dict(resources or {}))


def build_asset_context(
    *,
    resources: Mapping[str, Any] | None = None,
    config: Any = None,
    partition_key: str | None = None,
    instance: Any = None,
    run_tags: Mapping[str, str] | None = None,
    asset_key: AssetKey | str | None = None,
    partitions_def: Any = None,
    asset_config: Any = None,
    partition_key_range: PartitionKeyRange | None = None,
    resources_config: Mapping[str, Any] | None = None,
) -> AssetExecutionContext:
    """A context for calling an asset function directly in a unit test (`asset_config` is
    another name for `config`)."""
    step = AssetKey.from_coercible(asset_key).to_python_identifier() if asset_key else "direct"
    return AssetExecutionContext(
        run_id=f"direct-{random_hex()[:12]}",
        step_key=step,
        job_name="direct_invocation",
        log=StepLogger(None, step),
        resources=_direct_resources(resources, resources_config),
        op_config=_one_config(config, asset_config, "config", "asset_config"),
        instance=instance,
        partition_key=partition_key,
        partition_keys=_range_keys(partition_key_range, partitions_def, instance),
        run_tags=run_tags,
        partitions_def=partitions_def,
    )


def _one_config(first: Any, second: Any, first_name: str, second_name: str) -> Any:
    if first is not None and second is not None:
        raise UsageError(f"give {first_name}= or {second_name}=, not both")
    return first if first is not None else second


def _range_keys(
    key_range: PartitionKeyRange | None, partitions_def: Any, instance: Any
) -> tuple[str, ...]:
    """The keys of a partition key range given to a unit-test context."""
    if key_range is None:
        return ()
    if partitions_def is None:
        raise UsageError("partition_key_range needs partitions_def= to know the keys between")
    subset = partitions_def.subset_for_range(key_range, dynamic_store=instance)
    return tuple(subset)


def build_op_context(
    *,
    resources: Mapping[str, Any] | None = None,
    config: Any = None,
    partition_key: str | None = None,
    instance: Any = None,
    op_config: Any = None,
    resources_config: Mapping[str, Any] | None = None,
    partition_key_range: PartitionKeyRange | None = None,
    partitions_def: Any = None,
    mapping_key: str | None = None,
    run_tags: Mapping[str, str] | None = None,
) -> OpExecutionContext:
    """A context for calling an op function directly in a unit test (`op_config` is another
    name for `config`)."""
    return OpExecutionContext(
        run_id=f"direct-{random_hex()[:12]}",
        step_key="direct",
        job_name="direct_invocation",
        log=StepLogger(None, "direct"),
        resources=_direct_resources(resources, resources_config),
        op_config=_one_config(config, op_config, "config", "op_config"),
        instance=instance,
        partition_key=partition_key,
        partition_keys=_range_keys(partition_key_range, partitions_def, instance),
        run_tags=run_tags,
        mapping_key=mapping_key,
        partitions_def=partitions_def,
    )


def build_asset_check_context(
    *,
    resources: Mapping[str, Any] | None = None,
    config: Any = None,
    partition_key: str | None = None,
    instance: Any = None,
    check_specs: Sequence[Any] = (),
) -> AssetCheckExecutionContext:
    """A context for calling an asset check function directly in a unit test."""
    return AssetCheckExecutionContext(
        run_id=f"direct-{random_hex()[:12]}",
        step_key="direct",
        job_name="direct_invocation",
        log=StepLogger(None, "direct"),
        resources=_direct_resources(resources),
        op_config=config,
        instance=instance,
        partition_key=partition_key,
        check_specs=check_specs,
    )
