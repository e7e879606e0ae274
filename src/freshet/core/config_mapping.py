"""A job's config given another way than the run config of its ops: a `ConfigMapping`
(a smaller config the job takes, mapped by a function to its ops' config) or a
`PartitionedConfig` (the ops' config computed from the run's partition, which makes the
job partitioned)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from freshet.core.run_config import RunConfig, schema_for
from freshet.core.signature import read_function_shape
from freshet.errors import ConfigError, InvalidDefinitionError

if TYPE_CHECKING:
    from datetime import datetime

    from freshet.core.config_schema import ConfigSchema
    from freshet.core.partitions import DynamicPartitionsDefinition, PartitionsDefinition


def _as_run_config_dict(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, RunConfig):
        return dict(value._raw())
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidDefinitionError(
        f"{where} returned a {type(value).__name__}; return run config as a dict "
        '({"ops": {...}}) or a RunConfig(ops={...})'
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ConfigMapping:
    """The config a job takes (`config_schema`, or the `Config` class its function is
    annotated with), mapped by `config_fn` to the run config of the job's ops."""

    config_fn: Callable[[Any], Any]
    config_schema: Any = None
    schema: ConfigSchema | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"config mapping {getattr(self.config_fn, '__name__', 'config_fn')!r}"
        if not callable(self.config_fn):
            raise InvalidDefinitionError(f"{where}: config_fn must be a function")
        given = self.config_schema
        if given is None:
            given = read_function_shape(self.config_fn, what=where).config_class
        object.__setattr__(self, "schema", schema_for(given, where))

    @property
    def name(self) -> str:
        return getattr(self.config_fn, "__name__", "config_mapping")

    def resolve(self, outer: Any) -> dict[str, Any]:
        """Validate the job's own config and map it to the run config of its ops."""
        value = outer
        if self.schema is not None:
            value, problems = self.schema.validate(outer, path=f"config ({self.name})")
            if problems:
                raise ConfigError(problems)
        return _as_run_config_dict(self.config_fn(value), f"config mapping {self.name!r}")


def config_mapping(
    fn: Callable[[Any], Any] | None = None,
    *,
    config_schema: Any = None,
    config_fn: Callable[[Any], Any] | None = None,
) -> Any:
    """Declare a `ConfigMapping` with a function from the job's config to its ops' run
    config; use it as `@job(config=...)`."""

    def decorate(func: Callable[[Any], Any]) -> ConfigMapping:
        schema = config_schema
        if schema is None and callable(func):
            # read here, where the caller's frame is found (annotations may name local classes)
            schema = read_function_shape(func, what=f"config mapping {func.__name__!r}")
            schema = schema.config_class
        return ConfigMapping(config_fn=func, config_schema=schema)

    fn = fn if fn is not None else config_fn
    return decorate(fn) if fn is not None else decorate


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PartitionedConfig:
    """Run config computed per partition of `partitions_def`; a job given it as its
    config is partitioned by that definition."""

    partitions_def: PartitionsDefinition
    run_config_for_partition_fn: Callable[[str], Any]

    def get_run_config_for_partition_key(self, partition_key: str) -> dict[str, Any]:
        if not self.partitions_def.is_possible_key(partition_key):
            self.partitions_def.validate_key(partition_key)  # raises, naming valid keys
        return _as_run_config_dict(
            self.run_config_for_partition_fn(partition_key), "partitioned config"
        )


def _time_partitioned(definition: PartitionsDefinition) -> Callable[..., PartitionedConfig]:
    def decorate(fn: Callable[[datetime, datetime], Any]) -> PartitionedConfig:
        def for_key(key: str) -> Any:
            window = definition.time_window_for_key(key)  # type: ignore[attr-defined]
            return fn(window.start, window.end)

        return PartitionedConfig(partitions_def=definition, run_config_for_partition_fn=for_key)

    return decorate


def daily_partitioned_config(start_date: Any, **options: Any) -> Callable[..., PartitionedConfig]:
    """Run config per day from `fn(start, end)` of the day's window."""
    from freshet.core.partitions import DailyPartitionsDefinition  # start-up time

    return _time_partitioned(DailyPartitionsDefinition(start_date, **options))


def hourly_partitioned_config(start_date: Any, **options: Any) -> Callable[..., PartitionedConfig]:
    """Run config per hour from `fn(start, end)` of the hour's window."""
    from freshet.core.partitions import HourlyPartitionsDefinition  # start-up time

    return _time_partitioned(HourlyPartitionsDefinition(start_date, **options))


def weekly_partitioned_config(start_date: Any, **options: Any) -> Callable[..., PartitionedConfig]:
    """Run config per week from `fn(start, end)` of the week's window."""
    from freshet.core.partitions import WeeklyPartitionsDefinition  # start-up time

    return _time_partitioned(WeeklyPartitionsDefinition(start_date, **options))


def monthly_partitioned_config(start_date: Any, **options: Any) -> Callable[..., PartitionedConfig]:
    """Run config per month from `fn(start, end)` of the month's window."""
    from freshet.core.partitions import MonthlyPartitionsDefinition  # start-up time

    return _time_partitioned(MonthlyPartitionsDefinition(start_date, **options))


def static_partitioned_config(partition_keys: list[str]) -> Callable[..., PartitionedConfig]:
    """Run config per key of a fixed list, from `fn(partition_key)`."""
    from freshet.core.partitions import StaticPartitionsDefinition  # start-up time

    return partitioned_config(StaticPartitionsDefinition(partition_keys))


def dynamic_partitioned_config(
    partitions_def: DynamicPartitionsDefinition,
) -> Callable[..., PartitionedConfig]:
    """Run config per key of a dynamic partitions definition, from `fn(partition_key)`."""
    return partitioned_config(partitions_def)


def partitioned_config(
    partitions_def: PartitionsDefinition,
) -> Callable[..., PartitionedConfig]:
    """Run config per key of any partitions definition, from `fn(partition_key)`."""
    from freshet.core.partitions import PartitionsDefinition  # start-up time

    if not isinstance(partitions_def, PartitionsDefinition):
        raise InvalidDefinitionError(
            f"partitioned_config: partitions_def must be a partitions definition, got "
            f"{type(partitions_def).__name__}"
        )

    def decorate(fn: Callable[[str], Any]) -> PartitionedConfig:
        return PartitionedConfig(partitions_def=partitions_def, run_config_for_partition_fn=fn)

    return decorate


def job_run_config(
    job_name: str, job_config: Any, run_config: Any, partition_key: str | None
) -> Any:
    """The run config a job's run uses: given run config, mapped through a ConfigMapping,
    computed for the partition by a PartitionedConfig, or the job's default config."""
    if isinstance(job_config, ConfigMapping):
        return job_config.resolve({} if run_config is None else run_config)
    if isinstance(job_config, PartitionedConfig):
        if run_config is not None:
            return run_config
        if partition_key is None:
            raise ConfigError(
                [
                    f"job {job_name!r} takes its config per partition; pass partition_key=... "
                    "(or run_config=...)"
                ]
            )
        return job_config.get_run_config_for_partition_key(partition_key)
    if run_config is not None:
        return run_config
    return dict(job_config or {}) or None
