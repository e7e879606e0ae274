"""Validates and serializes a batch of events before any write, shared by every backend so that
they accept and reject the same batches and derive the same status changes from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from freshet.errors import FreshetError, StorageError
from freshet.storage.base import encode_provenance
from freshet.storage.records import (
    MAX_KEY_LENGTH,
    MAX_PARTITION_LENGTH,
    RUN_STATUS_BY_EVENT,
    Event,
    EventRecord,
    EventType,
)
from freshet.storage.serde import describe_event, event_to_json, key_from_string

RUN_END_EVENTS = frozenset({EventType.RUN_SUCCESS, EventType.RUN_FAILURE, EventType.RUN_CANCELED})
"""A run that ends leaves no asset in progress."""

ASSET_EVENTS = frozenset(
    {
        EventType.ASSET_MATERIALIZATION,
        EventType.ASSET_MATERIALIZATION_PLANNED,
        EventType.ASSET_OBSERVATION,
        EventType.ASSET_CHECK_EVALUATION,
    }
)
"""Events that update a status index row and therefore need an `asset_key`."""


VERSION_COLUMNS = ("data_version", "data_version_at", "code_version", "provenance", "data_time")
"""Status row columns that let staleness run without reading events (see `StatusVersions`)."""


def version_columns(event: Event) -> dict[str, Any]:
    """What a materialization or observation writes to the version columns of its status
    rows; an observation sets only the data version and its time."""
    data = event.data
    version = data.get("data_version")
    columns: dict[str, Any] = {
        "data_version": None if version is None else str(version),
        "data_version_at": event.timestamp,
    }
    if event.event_type is EventType.ASSET_MATERIALIZATION:
        code_version = data.get("code_version")
        columns["code_version"] = None if code_version is None else str(code_version)
        columns["provenance"] = encode_provenance(data.get("provenance"))
        columns["data_time"] = recorded_data_time(event)
    return columns


def recorded_data_time(event: Event) -> float:
    """The data time a materialization recorded (when its root data was read), else its
    own time (events written before data times were recorded, reported materializations)."""
    value = event.data.get("data_time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return event.timestamp


def row_version_columns(
    materialization: EventRecord | None, observation: EventRecord | None
) -> dict[str, Any]:
    """The version columns of a status row pointing at these events: as if both were
    applied in storage id order, the newer one last."""
    columns: dict[str, Any] = dict.fromkeys(VERSION_COLUMNS)
    records = [r for r in (materialization, observation) if r is not None]
    for record in sorted(records, key=lambda r: r.storage_id):
        columns.update(version_columns(record.event))
    return columns


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedEvent:
    """An event with its stored JSON and the index keys derived from it."""

    event: Event
    body: str
    asset_key: str | None
    failed_asset_keys: tuple[str, ...] = ()
    #: the partitions a failed step was computing: `data["partitions"]` (a run over a
    #: range), else the event's own partition
    failed_partitions: tuple[str | None, ...] = (None,)
    check_name: str | None = None


def check_run_event(event: Event) -> None:
    """`transition_run` takes one run-status event (RUN_ENQUEUED ... RUN_CANCELED)."""
    if event.event_type not in RUN_STATUS_BY_EVENT:
        raise StorageError(
            f"transition_run takes a run status event (RUN_*), got {event.event_type.value}"
        )


def prepare_events(events: Sequence[Event]) -> list[PreparedEvent]:
    """Serialize and validate every event; raise `StorageError` before anything is written."""
    return [_prepare(event, position) for position, event in enumerate(events)]


def _prepare(event: Event, position: int) -> PreparedEvent:
    body = event_to_json(event)
    key = event.asset_key
    event_type = event.event_type
    _check_lengths(event, position)
    if event_type in ASSET_EVENTS:
        if key is None:
            _reject(event, position, "it has no asset_key; set Event(asset_key=...)")
        if event_type is EventType.ASSET_CHECK_EVALUATION:
            return PreparedEvent(
                event=event,
                body=body,
                asset_key=key.to_user_string(),
                check_name=_check_name(event, position),
            )
    elif event_type is EventType.STEP_FAILURE:
        return PreparedEvent(
            event=event,
            body=body,
            asset_key=None if key is None else key.to_user_string(),
            failed_asset_keys=_failed_asset_keys(event, position),
            failed_partitions=_failed_partitions(event, position),
        )
    return PreparedEvent(
        event=event, body=body, asset_key=None if key is None else key.to_user_string()
    )


def _check_lengths(event: Event, position: int) -> None:
    """Names longer than their database column would fail only on PostgreSQL; refuse them on
    every backend alike."""
    partition = event.partition
    step_key = event.step_key
    if len(event.run_id) > MAX_PARTITION_LENGTH:
        _reject(event, position, f"its run id is longer than {MAX_PARTITION_LENGTH} characters")
    if partition is not None and len(partition) > MAX_PARTITION_LENGTH:
        _reject(event, position, f"its partition is longer than {MAX_PARTITION_LENGTH} characters")
    if step_key is not None and len(step_key) > MAX_KEY_LENGTH:
        _reject(event, position, f"its step key is longer than {MAX_KEY_LENGTH} characters")
    key = event.asset_key
    if key is not None and len(key.to_user_string()) > MAX_KEY_LENGTH:
        _reject(event, position, f"its asset key is longer than {MAX_KEY_LENGTH} characters")


def _check_name(event: Event, position: int) -> str:
    name = event.data.get("check_name")
    if not isinstance(name, str) or not name or len(name) > MAX_PARTITION_LENGTH:
        _reject(
            event,
            position,
            f"data['check_name'] must be the check's name, up to {MAX_PARTITION_LENGTH} characters",
        )
    return name


def _failed_asset_keys(event: Event, position: int) -> tuple[str, ...]:
    """The assets a failed step was computing: `data["asset_keys"]`, else the event's key."""
    raw = event.data.get("asset_keys")
    if raw is None:
        key = event.asset_key
        return () if key is None else (key.to_user_string(),)
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        _reject(event, position, "data['asset_keys'] must be a list of 'a/b' key strings")
    try:
        return tuple(key_from_string(text).to_user_string() for text in raw)
    except (FreshetError, AttributeError, TypeError) as exc:
        _reject(event, position, f"data['asset_keys'] holds an invalid asset key ({exc})")


def _failed_partitions(event: Event, position: int) -> tuple[str | None, ...]:
    raw = event.data.get("partitions")
    if raw is None:
        return (event.partition,)
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        _reject(event, position, "data['partitions'] must be a list of partition keys")
    if not all(isinstance(p, str) for p in raw):
        _reject(event, position, "data['partitions'] must hold partition keys (strings)")
    return tuple(raw) or (event.partition,)


def _reject(event: Event, position: int, why: str) -> NoReturn:
    raise StorageError(
        f"cannot store event #{position} of the batch, the {describe_event(event)}: {why}; "
        "nothing of the batch was written"
    )
