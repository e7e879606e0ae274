"""Recording the events user code reports besides its outputs (`AssetMaterialization`,
`AssetObservation`, `ExpectationResult`): yielded, returned, or passed to
`context.log_event`. Each becomes one event of the run's log; materializations and
observations also enter the asset's history."""

from __future__ import annotations

from typing import Any

from freshet.core.events import (
    REPORTED_EVENT_TYPES,
    AssetMaterialization,
    AssetObservation,
    ExpectationResult,
)
from freshet.execution.state import RunState
from freshet.execution.step_types import StepError, Yielded, json_metadata
from freshet.storage.records import EventType, LogLevel


def emit_reported_event(state: RunState, step_key: str, item: Any) -> None:
    """Append one reported event to the run's log."""
    if isinstance(item, AssetMaterialization):
        key = item.asset_key
        state.sink.emit(
            EventType.ASSET_MATERIALIZATION,
            step_key=step_key,
            asset_key=key,
            partition=item.partition,
            message=item.description
            or f"reported materialization of {key.to_user_string()}"
            + (f" [{item.partition}]" if item.partition is not None else ""),
            data={
                "metadata": json_metadata(item.metadata, f"AssetMaterialization of {key}"),
                "data_version": None,
                "data_version_source": "reported",
                "code_version": None,
                "provenance": [],
                "tags": dict(item.tags),
                "description": item.description,
                "reported": True,
            },
        )
    elif isinstance(item, AssetObservation):
        key = item.asset_key
        version = None if item.data_version is None else item.data_version.value
        state.sink.emit(
            EventType.ASSET_OBSERVATION,
            step_key=step_key,
            asset_key=key,
            partition=item.partition,
            message=item.description or f"observed {key.to_user_string()}",
            data={
                "data_version": version,
                "metadata": json_metadata(item.metadata, f"AssetObservation of {key}"),
                "tags": dict(item.tags),
                "description": item.description,
            },
        )
    elif isinstance(item, ExpectationResult):
        label = item.label or "expectation"
        state.sink.emit(
            EventType.STEP_EXPECTATION_RESULT,
            step_key=step_key,
            level=LogLevel.INFO if item.success else LogLevel.WARNING,
            message=item.description or f"{label} {'passed' if item.success else 'failed'}",
            data={
                "success": item.success,
                "label": item.label,
                "description": item.description,
                "metadata": json_metadata(item.metadata, f"ExpectationResult {label!r}"),
            },
        )
    else:  # pragma: no cover - callers check the type first
        raise StepError(f"{step_key}: cannot record a {type(item).__name__} as an event")


def record_reported_events(state: RunState, step_key: str, items: Yielded) -> Yielded:
    """Record the reported events among what a generator yielded, in order; the rest
    (outputs, check results) and the generator's error, if any, are returned."""
    rest = Yielded()
    rest.error = items.error
    for item in items:
        if isinstance(item, REPORTED_EVENT_TYPES):
            emit_reported_event(state, step_key, item)
        else:
            rest.append(item)
    return rest
