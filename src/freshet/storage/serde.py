"""Versioned JSON for events and run records, with stable field names.

`v` changes only on an incompatible change; fields a newer freshet adds are ignored on read,
so renaming a Python attribute never breaks a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.records import (
    MAX_PARTITION_LENGTH,
    Event,
    EventType,
    LogLevel,
    RunRecord,
    RunStatus,
)

SERDE_VERSION = 1

# json.dumps builds a new encoder per call when given options; one shared encoder is faster.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# raw_decode skips decode()'s whitespace handling; stored JSON is compact, from _ENCODER.
_raw_decode = json.JSONDecoder().raw_decode

_UPGRADE_HINT = "upgrade freshet to read this instance"


@lru_cache(maxsize=65536)
def key_from_string(text: str) -> AssetKey:
    """An AssetKey from its stored user string; cached because reads repeat the same keys."""
    return AssetKey.from_user_string(text)


def describe_event(event: Event) -> str:
    """Where an event comes from, for error messages."""
    parts = [f"{event.event_type.value} event of run {event.run_id!r}"]
    if event.step_key is not None:
        parts.append(f"step {event.step_key!r}")
    if event.asset_key is not None:
        parts.append(f"asset {event.asset_key.to_user_string()!r}")
    return ", ".join(parts)


def event_to_json(event: Event) -> str:
    doc: dict[str, Any] = {
        "v": SERDE_VERSION,
        "type": event.event_type.value,
        "run_id": event.run_id,
        "timestamp": event.timestamp,
        "level": event.level,
    }
    if event.step_key is not None:
        doc["step_key"] = event.step_key
    if event.message:
        doc["message"] = event.message
    if event.asset_key is not None:
        doc["asset_key"] = event.asset_key.to_user_string()
    if event.partition is not None:
        doc["partition"] = event.partition
    if event.data:
        data = event.data
        doc["data"] = data if type(data) is dict else dict(data)
    try:
        return _ENCODER.encode(doc)
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"cannot store the {describe_event(event)}: its payload is not JSON ({exc}); "
            "event data and metadata must be str, int, float, bool, None, or lists and "
            "dicts of those (wrap other objects in a MetadataValue or convert them to text)"
        ) from None


def event_from_json(text: str) -> Event:
    doc = load_document(text, "event")
    try:
        event_type = EventType(doc["type"])
    except ValueError:
        raise StorageError(
            f"stored event has unknown type {doc['type']!r}; {_UPGRADE_HINT}"
        ) from None
    asset_key = doc.get("asset_key")
    return Event(
        event_type=event_type,
        run_id=doc["run_id"],
        timestamp=doc["timestamp"],
        step_key=doc.get("step_key"),
        level=doc.get("level", LogLevel.INFO),
        message=doc.get("message", ""),
        asset_key=None if asset_key is None else key_from_string(asset_key),
        partition=doc.get("partition"),
        data=doc.get("data", {}),
    )


def check_length(value: str, limit: int, what: str) -> None:
    """Refuse a stored name longer than the database column holding it."""
    if len(value) > limit:
        raise StorageError(
            f"cannot store {what} {value[:40]!r}...: it has {len(value)} characters, more "
            f"than the {limit} that freshet stores; use a shorter one"
        )


def run_to_json(run: RunRecord) -> str:
    check_length(run.run_id, MAX_PARTITION_LENGTH, "run id")
    check_length(run.job_name, MAX_PARTITION_LENGTH, f"the job name of run {run.run_id!r},")
    for key, value in run.tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise StorageError(
                f"cannot store run {run.run_id!r}: tag {key!r}: {value!r} is not a pair of "
                "strings; convert tag keys and values to str"
            )
        check_length(key, MAX_PARTITION_LENGTH, f"a tag key of run {run.run_id!r},")
    doc: dict[str, Any] = {
        "v": SERDE_VERSION,
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "asset_selection": [key.to_user_string() for key in run.asset_selection],
        "partition": run.partition,
        "tags": dict(run.tags),
        "run_config": dict(run.run_config),
        "parent_run_id": run.parent_run_id,
        "root_run_id": run.root_run_id,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "updated_at": run.updated_at,
    }
    if run.origin is not None:
        doc["origin"] = dict(run.origin)
    if run.selection is not None:
        doc["selection"] = run.selection
    if run.op_selection is not None:
        doc["op_selection"] = list(run.op_selection)
    if run.reused_outputs:
        doc["reused_outputs"] = [list(row) for row in run.reused_outputs]
    try:
        return _ENCODER.encode(doc)
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"cannot store run {run.run_id!r}: its tags or run config are not JSON ({exc}); "
            "use str tag values and a run config of plain dicts, lists and scalars"
        ) from None


def run_from_json(text: str) -> RunRecord:
    doc = load_document(text, "run")
    try:
        status = RunStatus(doc["status"])
    except ValueError:
        raise StorageError(
            f"stored run {doc.get('run_id')!r} has unknown status {doc['status']!r}; "
            f"{_UPGRADE_HINT}"
        ) from None
    return RunRecord(
        run_id=doc["run_id"],
        job_name=doc["job_name"],
        status=status,
        asset_selection=tuple(key_from_string(k) for k in doc.get("asset_selection", ())),
        partition=doc.get("partition"),
        tags=doc.get("tags", {}),
        run_config=doc.get("run_config", {}),
        parent_run_id=doc.get("parent_run_id"),
        root_run_id=doc.get("root_run_id"),
        created_at=doc["created_at"],
        started_at=doc.get("started_at"),
        ended_at=doc.get("ended_at"),
        updated_at=doc.get("updated_at"),
        origin=doc.get("origin"),
        selection=doc.get("selection"),
        op_selection=_op_selection(doc.get("op_selection"), doc.get("run_id")),
        reused_outputs=_reused_outputs(doc.get("reused_outputs", []), doc.get("run_id")),
    )


_CORRUPT_RUN = "the instance database is corrupt, restore it from a backup"


def _op_selection(stored: Any, run_id: Any) -> tuple[str, ...] | None:
    if stored is None:
        return None
    if not isinstance(stored, list) or not all(isinstance(entry, str) for entry in stored):
        raise StorageError(
            f"stored run {run_id!r}: its op_selection is not a list of names; {_CORRUPT_RUN}"
        )
    return tuple(stored)


def _reused_outputs(stored: Any, run_id: Any) -> tuple[tuple[str, str, str], ...]:
    """(node, output, run id) rows of a stored run."""
    rows = stored if isinstance(stored, list) else None
    if rows is None or not all(
        isinstance(row, list) and len(row) == 3 and all(isinstance(v, str) for v in row)
        for row in rows
    ):
        raise StorageError(
            f"stored run {run_id!r}: its reused_outputs are not [node, output, run id] rows; "
            + _CORRUPT_RUN
        )
    return tuple((node, output, run_id) for node, output, run_id in rows)


def encode_document(doc: Mapping[str, Any], what: str) -> str:
    """`doc` as compact JSON; `StorageError` naming `what` when a value is not JSON."""
    try:
        return _ENCODER.encode(doc)
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"cannot store {what}: it is not JSON ({exc}); use str, int, float, bool, None, "
            "and lists and dicts of those"
        ) from None


def decode_enum(cls: Any, value: Any, what: str) -> Any:
    """The member of `cls` stored as `value`; `StorageError` when this freshet has none."""
    try:
        return cls(value)
    except ValueError:
        raise StorageError(f"stored {what} {value!r} is unknown; {_UPGRADE_HINT}") from None


def load_document(text: str, what: str) -> Mapping[str, Any]:
    """A stored JSON document, checked to be valid and of a format version this freshet
    reads; `StorageError` naming `what` otherwise."""
    try:
        doc = _raw_decode(text)[0]
    except ValueError as exc:
        raise StorageError(
            f"a stored {what} is not valid JSON ({exc}); the instance database is corrupt, "
            "restore it from a backup"
        ) from None
    version = doc.get("v", SERDE_VERSION)
    if version > SERDE_VERSION:
        raise StorageError(
            f"a stored {what} has format version {version}, newer than this freshet "
            f"understands ({SERDE_VERSION}); {_UPGRADE_HINT}"
        )
    return doc
