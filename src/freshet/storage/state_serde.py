"""JSON of the daemon's state records (heartbeats, schedule/sensor state, ticks, backfills),
in the same versioned format as `storage.serde`. Apart from it because runs never store these:
a run's process need not create their classes.
"""

from __future__ import annotations

from freshet.storage.records import MAX_KEY_LENGTH, MAX_PARTITION_LENGTH
from freshet.storage.serde import (
    SERDE_VERSION,
    check_length,
    decode_enum,
    encode_document,
    key_from_string,
    load_document,
)
from freshet.storage.state_records import (
    BackfillRecord,
    BackfillStatus,
    Heartbeat,
    HeartbeatKind,
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickStatus,
)


def heartbeat_to_json(heartbeat: Heartbeat) -> str:
    check_length(heartbeat.name, MAX_KEY_LENGTH, "heartbeat name")
    doc = {
        "v": SERDE_VERSION,
        "kind": heartbeat.kind.value,
        "name": heartbeat.name,
        "timestamp": heartbeat.timestamp,
        "data": dict(heartbeat.data),
    }
    return encode_document(doc, f"the heartbeat of {heartbeat.name!r}")


def heartbeat_from_json(text: str) -> Heartbeat:
    doc = load_document(text, "heartbeat")
    return Heartbeat(
        kind=decode_enum(HeartbeatKind, doc["kind"], "heartbeat kind"),
        name=doc["name"],
        timestamp=doc["timestamp"],
        data=doc.get("data", {}),
    )


def instigator_state_to_json(state: InstigatorState) -> str:
    check_length(state.name, MAX_KEY_LENGTH, f"{state.instigator_type.value.lower()} name")
    doc = {
        "v": SERDE_VERSION,
        "name": state.name,
        "type": state.instigator_type.value,
        "status": state.status.value,
        "data": dict(state.data),
        "updated_at": state.updated_at,
    }
    return encode_document(
        doc, f"the state of {state.instigator_type.value.lower()} {state.name!r}"
    )


def instigator_state_from_json(text: str) -> InstigatorState:
    doc = load_document(text, "schedule/sensor state")
    return InstigatorState(
        name=doc["name"],
        instigator_type=decode_enum(InstigatorType, doc["type"], "instigator type"),
        status=decode_enum(InstigatorStatus, doc["status"], "instigator status"),
        data=doc.get("data", {}),
        updated_at=doc["updated_at"],
    )


def tick_to_json(tick: Tick) -> str:
    check_length(tick.instigator_name, MAX_KEY_LENGTH, "instigator name")
    doc = {
        "v": SERDE_VERSION,
        "type": tick.instigator_type.value,
        "name": tick.instigator_name,
        "status": tick.status.value,
        "timestamp": tick.timestamp,
        "end_timestamp": tick.end_timestamp,
        "run_ids": list(tick.run_ids),
        "run_keys": list(tick.run_keys),
        "skip_reason": tick.skip_reason,
        "error": tick.error,
        "cursor": tick.cursor,
        "data": dict(tick.data),
    }
    return encode_document(
        doc, f"a tick of {tick.instigator_type.value.lower()} {tick.instigator_name!r}"
    )


def tick_from_json(text: str) -> Tick:
    doc = load_document(text, "tick")
    return Tick(
        instigator_type=decode_enum(InstigatorType, doc["type"], "instigator type"),
        instigator_name=doc["name"],
        status=decode_enum(TickStatus, doc["status"], "tick status"),
        timestamp=doc["timestamp"],
        end_timestamp=doc.get("end_timestamp"),
        run_ids=tuple(doc.get("run_ids", ())),
        run_keys=tuple(doc.get("run_keys", ())),
        skip_reason=doc.get("skip_reason"),
        error=doc.get("error"),
        cursor=doc.get("cursor"),
        data=doc.get("data", {}),
    )


def backfill_to_json(backfill: BackfillRecord) -> str:
    check_length(backfill.backfill_id, MAX_PARTITION_LENGTH, "backfill id")
    doc = {
        "v": SERDE_VERSION,
        "backfill_id": backfill.backfill_id,
        "status": backfill.status.value,
        "asset_selection": [key.to_user_string() for key in backfill.asset_selection],
        "partition_keys": list(backfill.partition_keys),
        "tags": dict(backfill.tags),
        "data": dict(backfill.data),
        "error": backfill.error,
        "created_at": backfill.created_at,
        "updated_at": backfill.updated_at,
    }
    return encode_document(doc, f"backfill {backfill.backfill_id!r}")


def backfill_from_json(text: str) -> BackfillRecord:
    doc = load_document(text, "backfill")
    return BackfillRecord(
        backfill_id=doc["backfill_id"],
        status=decode_enum(BackfillStatus, doc["status"], "backfill status"),
        asset_selection=tuple(key_from_string(k) for k in doc.get("asset_selection", ())),
        partition_keys=tuple(doc.get("partition_keys", ())),
        tags=doc.get("tags", {}),
        data=doc.get("data", {}),
        error=doc.get("error"),
        created_at=doc["created_at"],
        updated_at=doc.get("updated_at"),
    )
