"""Recomputes status index rows from the event log, for assets whose events were deleted with a
run. Rare and not on a hot path: correctness over speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, insert, select, update

from freshet.storage.batch import VERSION_COLUMNS, row_version_columns
from freshet.storage.records import EventRecord, EventType
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
    _rebuild_versions(conn, table, in_chunk)


def _rebuild_versions(conn: Connection, table: Table, in_chunk: Any) -> None:
    """Copy the version columns again from the events the rows now point at."""
    c = table.c
    primary_key = [col.name for col in table.primary_key.columns]
    materialization = s.event_logs.alias("materialization")
    observation = s.event_logs.alias("observation")
    query = (
        select(
            *(c[name] for name in primary_key),
            c.last_materialization_id,
            materialization.c.body,
            c.last_observation_id,
            observation.c.body,
        )
        .outerjoin(materialization, materialization.c.id == c.last_materialization_id)
        .outerjoin(observation, observation.c.id == c.last_observation_id)
        .where(in_chunk)
    )
    params = []
    for row in conn.execute(query):
        mat_id, mat_body, obs_id, obs_body = row[len(primary_key) :]
        columns = row_version_columns(_record(mat_id, mat_body), _record(obs_id, obs_body))
        values = {f"v_{name}": value for name, value in columns.items()}
        values.update({f"b_{name}": row[i] for i, name in enumerate(primary_key)})
        params.append(values)
    if params:
        # Bind names differ from column names: SQLAlchemy reserves those for SET.
        where = [c[name] == bindparam(f"b_{name}") for name in primary_key]
        assignments = {name: bindparam(f"v_{name}") for name in VERSION_COLUMNS}
        conn.execute(update(table).where(*where).values(assignments), params)


def _record(storage_id: int | None, body: str | None) -> EventRecord | None:
    if storage_id is None or body is None:
        return None
    return EventRecord(storage_id=storage_id, event=event_from_json(body))


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
