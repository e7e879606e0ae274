"""Recomputes status index rows from the event log, for assets whose events were deleted with a
run. Rare and not on a hot path: correctness over speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, select, update

from freshet.storage.records import EventType
from freshet.storage.serde import event_from_json
from freshet.storage.sql import schema as s

_CHUNK = 500


def rebuild_asset_rows(conn: Connection, asset_keys: Sequence[str]) -> None:
    """Point every status row of these assets at their latest remaining events."""
    for start in range(0, len(asset_keys), _CHUNK):
        chunk = list(asset_keys[start : start + _CHUNK])
        for table in (s.asset_status, s.asset_partition_status):
            _rebuild_rows(conn, table, chunk)
        _rebuild_checks(conn, chunk)


def _rebuild_rows(conn: Connection, table: Table, keys: list[str]) -> None:
    c = table.c
    e = s.event_logs.c
    partitioned = "partition" in c

    def latest(event_type: EventType) -> Any:
        same_row = [e.asset_key == c.asset_key, e.event_type == event_type.value]
        if partitioned:
            same_row.append(e.partition == c.partition)
        return select(func.max(e.id)).where(and_(*same_row)).scalar_subquery()

    in_chunk = c.asset_key.in_(keys)
    conn.execute(
        update(table)
        .where(in_chunk)
        .values(
            last_materialization_id=latest(EventType.ASSET_MATERIALIZATION),
            last_observation_id=latest(EventType.ASSET_OBSERVATION),
        )
    )
    # A second statement: SET expressions see the row as it was before the update.
    run_of_materialization = select(e.run_id).where(e.id == c.last_materialization_id)
    conn.execute(
        update(table).where(in_chunk).values(last_run_id=run_of_materialization.scalar_subquery())
    )
    conn.execute(
        delete(table).where(
            in_chunk,
            c.last_materialization_id.is_(None),
            c.last_observation_id.is_(None),
            c.last_failed_run_id.is_(None),
            c.in_progress_run_id.is_(None),
        )
    )


def _rebuild_checks(conn: Connection, keys: list[str]) -> None:
    conn.execute(delete(s.asset_check_status).where(s.asset_check_status.c.asset_key.in_(keys)))
    e = s.event_logs.c
    query = (
        select(e.id, e.body)
        .where(e.asset_key.in_(keys), e.event_type == EventType.ASSET_CHECK_EVALUATION.value)
        .order_by(e.id)
    )
    latest: dict[tuple[str, str, str], int] = {}
    for storage_id, body in conn.execute(query):
        event = event_from_json(body)
        assert event.asset_key is not None
        key, name = event.asset_key.to_user_string(), event.data["check_name"]
        latest[(key, name, s.NO_PARTITION)] = storage_id
        if event.partition is not None:
            latest[(key, name, event.partition)] = storage_id
    if latest:
        rows = [
            {"asset_key": k, "check_name": n, "partition": p, "last_evaluation_id": i}
            for (k, n, p), i in latest.items()
        ]
        conn.execute(insert(s.asset_check_status), rows)
