"""freshet under the names Dagster users write: `import freshet.compat.dagster as dg`.

Every public name of `freshet` is here as it is; Dagster's own names for the same things
(`DagsterInstance`, `DagsterEventType`, ...) are aliases; a Dagster feature freshet does
not have raises `UnsupportedFeatureError` naming it and what to use instead, at the point
the name is used. The full list is in README.md ("Coming from Dagster")."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import freshet


class UnsupportedFeatureError(freshet.FreshetError):
    """A Dagster name freshet has no equivalent for."""


# Dagster's name -> freshet's public name for the same thing
ALIASES: dict[str, str] = {
    "DagsterInstance": "Instance",
    "DagsterEventType": "EventType",
    "DagsterRunStatus": "RunStatus",
    "ExecuteInProcessResult": "RunResult",
    "DagsterError": "FreshetError",
    "DagsterInvariantViolationError": "FreshetError",
    "DagsterInvalidDefinitionError": "DefinitionsError",
    "DagsterInvalidConfigError": "ConfigError",
    "DagsterExecutionStepExecutionError": "StepFailedError",
    "DagsterTypeCheckDidNotPass": "StepFailedError",
    "DagsterTypeCheckError": "StepFailedError",
    "DagsterUnknownPartitionError": "PartitionError",
}

__all__ = sorted(
    {*freshet.__all__, *ALIASES, "DagsterType", "UnsupportedFeatureError", "get_dagster_logger"}
    | {"Noneable", "Array", "Shape", "Permissive", "String", "Int", "Float", "Bool"}
    | {"instance_for_test", "Any"}
)


# Dagster names with no freshet equivalent (yet) -> what to do instead
UNSUPPORTED: dict[str, str] = {
    **dict.fromkeys(
        ["Component", "ComponentLoadContext", "load_defs", "component_instance"],
        "plain Python modules that build Definitions",
    ),
    **dict.fromkeys(
        ["DagsterPipesSubprocessClient", "PipesSubprocessClient", "open_dagster_pipes"],
        "subprocess from the asset's own function",
    ),
    "AutomationConditionSensorDefinition": "the automation duty of the freshet daemon",
    "DagsterRun": "Instance.get_run(run_id) (a RunRecord)",
    "EventLogEntry": "RunResult.all_events or Instance.get_event_records(...)",
    "repository": "Definitions(...)",
    "with_resources": "Definitions(assets=..., resources=...)",
    "GraphIn": "graph function parameters",
    "GraphOut": "a dict of op outputs returned by the graph function",
    **dict.fromkeys(
        ["success_hook", "failure_hook", "HookContext", "build_hook_context", "HookDefinition"],
        "try/except in the op, or read the run's events (RunResult.get_step_failure_events())",
    ),
    **dict.fromkeys(
        ["execute_job", "reconstructable", "ReconstructableJob"],
        "job.execute_in_process(instance=...) (or `freshet launch` for another process)",
    ),
    **dict.fromkeys(["Enum", "EnumValue"], "a Config class with a Python enum.Enum field"),
    **dict.fromkeys(
        ["DependencyDefinition", "MultiDependencyDefinition", "NodeInvocation"],
        "@graph / @job bodies that call ops",
    ),
    **dict.fromkeys(
        ["logger", "LoggerDefinition", "default_loggers", "colored_console_logger"],
        "context.log, or get_dagster_logger() (Python logging)",
    ),
    "UPathIOManager": "a ConfigurableIOManager (or FilesystemIOManager(base_dir=...))",
    "custom_path_fs_io_manager": "FilesystemIOManager(base_dir=...)",
    "make_values_resource": "a ConfigurableResource whose fields are the values",
    "multi_observable_source_asset": "one @observable_source_asset per asset",
    "AssetValueLoader": "an IO manager's load_input with build_input_context(...)",
}


# Dagster's config-schema vocabulary, as freshet's dict-schema forms
String: Any = str
Int: Any = int
Float: Any = float
Bool: Any = bool


def Noneable(inner: Any) -> Any:
    """An entry that may be None, and defaults to None."""
    return freshet.Field(inner | None if isinstance(inner, type) else inner, default=None)


def Array(inner: Any) -> list[Any]:
    """A list of entries of one kind."""
    return [inner]


def Shape(fields: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """A nested dict schema."""
    return dict(fields)


def Permissive(fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """A nested dict schema (freshet checks its declared fields; undeclared keys are refused)."""
    return dict(fields or {})


def get_dagster_logger(name: str | None = None) -> logging.Logger:
    """A Python logger for code outside `context.log`."""
    return logging.getLogger(f"freshet.user.{name}" if name else "freshet.user")


@contextmanager
def instance_for_test() -> Iterator[Any]:
    """An ephemeral instance for a test, closed afterwards."""
    instance = freshet.Instance.ephemeral()
    try:
        yield instance
    finally:
        instance.close()


def DagsterType(
    type_check_fn: Callable[..., Any],
    name: str | None = None,
    description: str | None = None,
    **_ignored: Any,
) -> Any:
    """A custom type as Dagster declares it: `type_check_fn(context, value)`. freshet's
    `DataType` checks take only the value; the context given here is None."""
    takes_context = len(inspect.signature(type_check_fn).parameters) >= 2
    check = (lambda value: type_check_fn(None, value)) if takes_context else type_check_fn
    return freshet.DataType(
        name=name or getattr(type_check_fn, "__name__", "DagsterType"),
        type_check_fn=check,
        description=description,
    )


def __getattr__(name: str) -> Any:
    if name in freshet.__all__:
        return getattr(freshet, name)
    if name in ALIASES:
        return getattr(freshet, ALIASES[name])
    if name in UNSUPPORTED:
        raise UnsupportedFeatureError(f"freshet does not support {name}; use {UNSUPPORTED[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
