"""Retention: deleting old finished runs and their events, in short transactions, without
changing what the status indexes say.

An event that a status row points at (an asset's or partition's latest materialization or
observation, a check's latest evaluation) is kept even when its run goes: deleting it would
turn "materialized 40 days ago" into "missing". No status row is rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, delete, exists, func, not_, or_, select

from freshet.storage.records import RunStatus
from freshet.storage.sql import schema as s

PRUNE_BATCH = 200
"""Runs per transaction: short enough that other writers hardly wait on a big prune."""

_FINISHED = [status.value for status in RunStatus if status.is_finished]


def finished_runs_before(conn: Connection, cutoff: float, limit: int) -> list[str]:
    """Ids of up to `limit` runs that finished before `cutoff`, oldest first."""
    r = s.runs.c
    finished_at = func.coalesce(r.ended_at, r.updated_at, r.created_at)
    query = (
        select(r.run_id)
        .where(r.status.in_(_FINISHED), finished_at < cutoff)
        .order_by(r.created_at, r.run_id)
        .limit(limit)
    )
    return list(conn.scalars(query))


def delete_runs(conn: Connection, run_ids: Sequence[str]) -> tuple[int, int]:
    """Delete the runs and their unreferenced events; returns (events deleted, events kept)."""
    e = s.event_logs.c
    ids = list(run_ids)
    deleted = conn.execute(
        delete(s.event_logs).where(
            e.run_id.in_(ids), or_(e.asset_key.is_(None), not_(_referenced()))
        )
    ).rowcount
    kept = conn.scalar(select(func.count()).where(e.run_id.in_(ids)))
    for table in (s.run_tags, s.run_assets, s.concurrency_slots, s.runs):
        conn.execute(delete(table).where(table.c.run_id.in_(ids)))
    return deleted, kept


def _referenced() -> object:
    """The event is the target of a status row; every branch is a primary key lookup."""
    e = s.event_logs.c
    a = s.asset_status.c
    p = s.asset_partition_status.c
    c = s.asset_check_status.c
    return or_(
        exists().where(
            a.asset_key == e.asset_key,
            or_(a.last_materialization_id == e.id, a.last_observation_id == e.id),
        ),
        exists().where(
            and_(p.asset_key == e.asset_key, p.partition == e.partition),
            or_(p.last_materialization_id == e.id, p.last_observation_id == e.id),
        ),
        exists().where(c.asset_key == e.asset_key, c.last_evaluation_id == e.id),
    )
