"""freshet: an asset-based data orchestrator.

Declare each data asset as a function of its upstream assets; freshet materializes what is
missing or stale, records code and data versions, and explains its decisions.

Every public name is listed in `__all__`. Names are loaded on first use, so that
``import freshet`` stays fast; the storage and validation libraries load only when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from freshet.core import runtime as _runtime
from freshet.version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # keys and errors
    "AssetKey": "freshet.core.keys",
    "AssetCheckKey": "freshet.core.keys",
    "FreshetError": "freshet.errors",
    "DefinitionsError": "freshet.errors",
    "ConfigError": "freshet.errors",
    "SelectionError": "freshet.errors",
    "ExecutionError": "freshet.errors",
    "StepFailedError": "freshet.errors",
    "PartitionError": "freshet.errors",
    # assets
    "asset": "freshet.core.assets",
    "AssetIn": "freshet.core.assets",
    "AssetDep": "freshet.core.assets",
    "AssetSpec": "freshet.core.assets",
    "AssetsDefinition": "freshet.core.assets",
    "multi_asset": "freshet.core.multi_assets",
    "AssetOut": "freshet.core.multi_assets",
    "graph_multi_asset": "freshet.core.multi_assets",
    "graph_asset": "freshet.core.assets",
    "observable_source_asset": "freshet.core.assets",
    "SourceAsset": "freshet.core.assets",
    # checks
    "asset_check": "freshet.core.checks",
    "multi_asset_check": "freshet.core.checks",
    "AssetChecksDefinition": "freshet.core.checks",
    "AssetCheckResult": "freshet.core.checks",
    "AssetCheckSeverity": "freshet.core.checks",
    "AssetCheckSpec": "freshet.core.checks",
    # ops, graphs, jobs
    "op": "freshet.core.ops",
    "In": "freshet.core.ops",
    "Out": "freshet.core.ops",
    "Nothing": "freshet.core.ops",
    "DynamicOut": "freshet.core.ops",
    "DynamicOutput": "freshet.core.ops",
    "graph": "freshet.core.graphs",
    "GraphDefinition": "freshet.core.graphs",
    "JobDefinition": "freshet.core.jobs",
    "OpDefinition": "freshet.core.ops",
    "job": "freshet.core.graphs",
    "define_asset_job": "freshet.core.jobs",
    "ScheduleDefinition": "freshet.core.schedules",
    "ScheduleEvaluationContext": "freshet.core.schedules",
    "schedule": "freshet.core.schedules",
    "build_schedule_context": "freshet.core.schedules",
    "build_schedule_from_partitioned_job": "freshet.core.schedules",
    "RunRequest": "freshet.core.sensors",
    "SkipReason": "freshet.core.sensors",
    "SensorResult": "freshet.core.sensors",
    "SensorDefinition": "freshet.core.sensors",
    "SensorEvaluationContext": "freshet.core.sensors",
    "AddDynamicPartitionsRequest": "freshet.core.sensors",
    "DeleteDynamicPartitionsRequest": "freshet.core.sensors",
    "DefaultSensorStatus": "freshet.core.sensors",
    "sensor": "freshet.core.sensors",
    "asset_sensor": "freshet.core.sensors",
    "run_status_sensor": "freshet.core.sensors",
    "run_failure_sensor": "freshet.core.sensors",
    "freshness_sensor": "freshet.core.sensors",
    "build_sensor_context": "freshet.core.sensors",
    "FreshnessPolicy": "freshet.core.automation.freshness_policy",
    "get_freshness": "freshet.status.freshness",
    "AssetFreshness": "freshet.status.freshness",
    "FreshnessStatus": "freshet.status.freshness",
    "DefaultScheduleStatus": "freshet.core.schedules",
    # config and resources
    "Config": "freshet.core.config_types",
    "PermissiveConfig": "freshet.core.config_types",
    "RunConfig": "freshet.core.run_config",
    "EnvVar": "freshet.core.run_config",
    "Field": "freshet.core.config_types",
    "ConfigurableResource": "freshet.core.configurable_resources",
    "resource": "freshet.core.resources",
    "ResourceDefinition": "freshet.core.resources",
    "io_manager": "freshet.core.resources",
    "input_manager": "freshet.core.resources",
    "ConfigurableIOManagerFactory": "freshet.core.configurable_resources",
    "InitResourceContext": "freshet.core.resources",
    "build_init_resource_context": "freshet.core.resources",
    "build_resources": "freshet.core.resources",
    "InputManager": "freshet.core.io_managers",
    "build_input_context": "freshet.core.io_managers",
    "build_output_context": "freshet.core.io_managers",
    "fs_io_manager": "freshet.core.builtin_io_managers",
    "mem_io_manager": "freshet.core.builtin_io_managers",
    "StringSource": "freshet.core.config_types",
    "IntSource": "freshet.core.config_types",
    "BoolSource": "freshet.core.config_types",
    "IOManager": "freshet.core.io_managers",
    "InputContext": "freshet.core.io_managers",
    "OutputContext": "freshet.core.io_managers",
    "ConfigurableIOManager": "freshet.core.builtin_io_managers",
    "FilesystemIOManager": "freshet.core.builtin_io_managers",
    "InMemoryIOManager": "freshet.core.builtin_io_managers",
    # partitions
    "AllPartitionMapping": "freshet.core.partitions",
    "BackfillPolicy": "freshet.core.partitions",
    "DailyPartitionsDefinition": "freshet.core.partitions",
    "DynamicPartitionsDefinition": "freshet.core.partitions",
    "HourlyPartitionsDefinition": "freshet.core.partitions",
    "IdentityPartitionMapping": "freshet.core.partitions",
    "LastPartitionMapping": "freshet.core.partitions",
    "MonthlyPartitionsDefinition": "freshet.core.partitions",
    "MultiPartitionKey": "freshet.core.partitions",
    "MultiPartitionsDefinition": "freshet.core.partitions",
    "MultiToSingleDimensionPartitionMapping": "freshet.core.partitions",
    "PartitionKeyRange": "freshet.core.partitions",
    "PartitionMapping": "freshet.core.partitions",
    "PartitionsDefinition": "freshet.core.partitions",
    "PartitionsSubset": "freshet.core.partitions",
    "SpecificPartitionsPartitionMapping": "freshet.core.partitions",
    "StaticPartitionMapping": "freshet.core.partitions",
    "StaticPartitionsDefinition": "freshet.core.partitions",
    "TimeWindow": "freshet.core.partitions",
    "TimeWindowPartitionMapping": "freshet.core.partitions",
    "TimeWindowPartitionsDefinition": "freshet.core.partitions",
    "WeeklyPartitionsDefinition": "freshet.core.partitions",
    # results, metadata, types
    "Output": "freshet.core.results",
    "MaterializeResult": "freshet.core.results",
    "AssetMaterialization": "freshet.core.events",
    "AssetObservation": "freshet.core.events",
    "ExpectationResult": "freshet.core.events",
    "DataVersion": "freshet.core.results",
    "MetadataValue": "freshet.core.results",
    "TableSchema": "freshet.core.results",
    "TableColumn": "freshet.core.results",
    "TableRecord": "freshet.core.results",
    "DataType": "freshet.core.types",
    "TypeCheck": "freshet.core.types",
    "RetryPolicy": "freshet.core.retries",
    "Backoff": "freshet.core.retries",
    "Jitter": "freshet.core.retries",
    "Failure": "freshet.core.retries",
    "RetryRequested": "freshet.core.retries",
    # automation
    "AutomationCondition": "freshet.core.automation.conditions",
    "AutoMaterializePolicy": "freshet.core.automation.conditions",
    "evaluate_automation_conditions": "freshet.automation.api",
    # assembling and selecting
    "Definitions": "freshet.definitions",
    "definitions": "freshet.definitions",
    "file_relative_path": "freshet.core.files",
    "load_assets_from_modules": "freshet.core.discovery",
    "load_asset_checks_from_modules": "freshet.core.discovery",
    "load_assets_from_current_module": "freshet.core.discovery",
    "load_assets_from_package_module": "freshet.core.discovery",
    "load_asset_checks_from_package_module": "freshet.core.discovery",
    "map_asset_specs": "freshet.core.discovery",
    "partitioned_config": "freshet.core.config_mapping",
    "ObserveResult": "freshet.core.results",
    "ResourceParam": "freshet.core.signature",
    "ConfigMapping": "freshet.core.config_mapping",
    "config_mapping": "freshet.core.config_mapping",
    "PartitionedConfig": "freshet.core.config_mapping",
    "daily_partitioned_config": "freshet.core.config_mapping",
    "hourly_partitioned_config": "freshet.core.config_mapping",
    "weekly_partitioned_config": "freshet.core.config_mapping",
    "monthly_partitioned_config": "freshet.core.config_mapping",
    "static_partitioned_config": "freshet.core.config_mapping",
    "dynamic_partitioned_config": "freshet.core.config_mapping",
    "RunResult": "freshet.execution.result",
    "in_process_executor": "freshet.core.executors",
    "multiprocess_executor": "freshet.core.executors",
    "dask_executor": "freshet.core.executors",
    "AssetSelection": "freshet.lineage.selection",
    # running
    "AssetExecutionContext": "freshet.execution.context",
    "AssetCheckExecutionContext": "freshet.execution.context",
    "OpExecutionContext": "freshet.execution.context",
    "build_asset_context": "freshet.execution.context",
    "build_op_context": "freshet.execution.context",
    "build_asset_check_context": "freshet.execution.context",
    "materialize": "freshet.instance.inprocess",
    "backfill": "freshet.instance.backfill",
    "materialize_to_memory": "freshet.instance.inprocess",
    "observe": "freshet.instance.inprocess",
    "get_asset_statuses": "freshet.status.api",
    "DefinitionsSnapshot": "freshet.snapshot",
    "get_partition_status": "freshet.status.partitions",
    "get_partition_statuses": "freshet.status.partitions",
    "PartitionStaleness": "freshet.status.staleness",
    "PartitionStatus": "freshet.status.partitions",
    "AssetStatus": "freshet.status.staleness",
    "StaleStatus": "freshet.status.staleness",
    "StaleCause": "freshet.status.staleness",
    "StaleCauseCategory": "freshet.status.staleness",
    "Instance": "freshet.instance.instance",
    "RunStatus": "freshet.storage.records",
    "EventType": "freshet.storage.records",
}

__all__ = sorted(_EXPORTS)


def _execute_job_in_process(job: Any, **options: Any) -> Any:
    # Imported on first use, for start-up time: running a job loads storage and execution.
    from freshet.instance.inprocess import execute_job

    return execute_job(job, **options)


_runtime.provide_job_runner(_execute_job_in_process)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'freshet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from freshet.core.assets import (
        AssetDep,
        AssetIn,
        AssetsDefinition,
        AssetSpec,
        SourceAsset,
        asset,
        graph_asset,
        observable_source_asset,
    )
    from freshet.core.automation.freshness_policy import FreshnessPolicy
    from freshet.core.builtin_io_managers import (
        ConfigurableIOManager,
        FilesystemIOManager,
        InMemoryIOManager,
        fs_io_manager,
        mem_io_manager,
    )
    from freshet.core.checks import (
        AssetCheckResult,
        AssetChecksDefinition,
        AssetCheckSeverity,
        AssetCheckSpec,
        asset_check,
        multi_asset_check,
    )
    from freshet.core.config_mapping import (
        ConfigMapping,
        PartitionedConfig,
        config_mapping,
        daily_partitioned_config,
        dynamic_partitioned_config,
        hourly_partitioned_config,
        monthly_partitioned_config,
        partitioned_config,
        static_partitioned_config,
        weekly_partitioned_config,
    )
    from freshet.core.config_types import (
        BoolSource,
        Config,
        Field,
        IntSource,
        PermissiveConfig,
        StringSource,
    )
    from freshet.core.configurable_resources import (
        ConfigurableIOManagerFactory,
        ConfigurableResource,
    )
    from freshet.core.discovery import (
        load_asset_checks_from_modules,
        load_asset_checks_from_package_module,
        load_assets_from_current_module,
        load_assets_from_modules,
        load_assets_from_package_module,
        map_asset_specs,
    )
    from freshet.core.events import AssetMaterialization, AssetObservation, ExpectationResult
    from freshet.core.executors import dask_executor, in_process_executor, multiprocess_executor
    from freshet.core.files import file_relative_path
    from freshet.core.graphs import GraphDefinition, graph, job
    from freshet.core.io_managers import (
        InputContext,
        InputManager,
        IOManager,
        OutputContext,
        build_input_context,
        build_output_context,
    )
    from freshet.core.jobs import JobDefinition, define_asset_job
    from freshet.core.keys import AssetCheckKey, AssetKey
    from freshet.core.multi_assets import AssetOut, graph_multi_asset, multi_asset
    from freshet.core.ops import DynamicOut, DynamicOutput, In, Nothing, OpDefinition, Out, op
    from freshet.core.partitions import (
        AllPartitionMapping,
        BackfillPolicy,
        DailyPartitionsDefinition,
        DynamicPartitionsDefinition,
        HourlyPartitionsDefinition,
        IdentityPartitionMapping,
        LastPartitionMapping,
        MonthlyPartitionsDefinition,
        MultiPartitionKey,
        MultiPartitionsDefinition,
        MultiToSingleDimensionPartitionMapping,
        PartitionKeyRange,
        PartitionMapping,
        PartitionsDefinition,
        PartitionsSubset,
        SpecificPartitionsPartitionMapping,
        StaticPartitionMapping,
        StaticPartitionsDefinition,
        TimeWindow,
        TimeWindowPartitionMapping,
        TimeWindowPartitionsDefinition,
        WeeklyPartitionsDefinition,
    )
    from freshet.core.resources import (
        InitResourceContext,
        ResourceDefinition,
        build_init_resource_context,
        build_resources,
        input_manager,
        io_manager,
        resource,
    )
    from freshet.core.results import (
        DataVersion,
        MaterializeResult,
        MetadataValue,
        ObserveResult,
        Output,
        TableColumn,
        TableRecord,
        TableSchema,
    )
    from freshet.core.retries import Backoff, Failure, Jitter, RetryPolicy, RetryRequested
    from freshet.core.run_config import EnvVar, RunConfig
    from freshet.core.schedules import (
        DefaultScheduleStatus,
        ScheduleDefinition,
        ScheduleEvaluationContext,
        build_schedule_context,
        build_schedule_from_partitioned_job,
        schedule,
    )
    from freshet.core.sensors import (
        AddDynamicPartitionsRequest,
        DefaultSensorStatus,
        DeleteDynamicPartitionsRequest,
        RunRequest,
        SensorDefinition,
        SensorEvaluationContext,
        SensorResult,
        SkipReason,
        asset_sensor,
        build_sensor_context,
        freshness_sensor,
        run_failure_sensor,
        run_status_sensor,
        sensor,
    )
    from freshet.core.signature import ResourceParam
    from freshet.core.types import DataType, TypeCheck
    from freshet.definitions import Definitions, definitions
    from freshet.errors import (
        ConfigError,
        DefinitionsError,
        ExecutionError,
        FreshetError,
        PartitionError,
        SelectionError,
        StepFailedError,
    )
    from freshet.execution.context import (
        AssetCheckExecutionContext,
        AssetExecutionContext,
        OpExecutionContext,
        build_asset_check_context,
        build_asset_context,
        build_op_context,
    )
    from freshet.execution.result import RunResult
    from freshet.instance.backfill import backfill
    from freshet.instance.inprocess import materialize, materialize_to_memory, observe
    from freshet.instance.instance import Instance
    from freshet.lineage.selection import AssetSelection
    from freshet.snapshot import DefinitionsSnapshot
    from freshet.status.api import get_asset_statuses
    from freshet.status.freshness import AssetFreshness, FreshnessStatus, get_freshness
    from freshet.status.partitions import (
        PartitionStatus,
        get_partition_status,
        get_partition_statuses,
    )
    from freshet.status.staleness import (
        AssetStatus,
        PartitionStaleness,
        StaleCause,
        StaleCauseCategory,
        StaleStatus,
    )
    from freshet.storage.records import EventType, RunStatus
