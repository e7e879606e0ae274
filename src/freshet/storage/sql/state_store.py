"""The daemon-state half of SQL storage: schedule/sensor/automation state and ticks,
backfills, dynamic partitions, concurrency slots and key-value cursors.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.arguments import check_limit, check_name, check_slot, checked_partition_keys
from freshet.storage.records import MAX_KEY_LENGTH, MAX_PARTITION_LENGTH
from freshet.storage.sql import schema as s
from freshet.storage.sql.connections import SqlConnections
from freshet.storage.sql.dialects import (
    PreparedStatement,
    bound_values,
    dynamic_partitions_inserter,
    upsert_factory,
)

# The record classes and their JSON are imported where first used: a run stores no daemon
# state, so a run's process need not create them.
if TYPE_CHECKING:
    from freshet.storage.state_records import (
        AutomationEvaluationRecord,
        BackfillRecord,
        BackfillStatus,
        ClaimedSlot,
        Heartbeat,
        HeartbeatKind,
        InstigatorState,
        InstigatorType,
        PoolUsage,
        Tick,
        TickRecord,
        TickStatus,
    )


class SqlStateStore(SqlConnections):
    """Daemon state over SQL; the `SqlStorage` backends inherit it."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(engine, **options)
        upsert = upsert_factory(engine.dialect.name)
        self._insert_partitions = dynamic_partitions_inserter(engine.dialect)
        pool = upsert(s.concurrency_pools).values(
            bound_values(["pool", "slot_limit", "updated_at"])
        )
        self._upsert_pool = PreparedStatement(
            pool.on_conflict_do_update(
                index_elements=["pool"],
                set_={
                    "slot_limit": pool.excluded.slot_limit,
                    "updated_at": pool.excluded.updated_at,
                },
            ),
            engine.dialect,
        )
        self._upsert = upsert

    # -- schedules, sensors, automation ---------------------------------------------------

    def set_instigator_state(self, state: InstigatorState) -> None:
        from freshet.storage.state_serde import instigator_state_to_json

        body = instigator_state_to_json(state)
        row = {
            "instigator_type": state.instigator_type.value,
            "name": state.name,
            "status": state.status.value,
            "updated_at": state.updated_at,
            "body": body,
        }
        statement = self._upsert(s.instigator_state).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["instigator_type", "name"],
            set_={k: statement.excluded[k] for k in ("status", "updated_at", "body")},
        )
        with self._writing() as conn:
            conn.execute(statement)

    def delete_instigator_state(self, instigator_type: InstigatorType, name: str) -> None:
        t = s.instigator_state.c
        with self._writing() as conn:
            conn.execute(
                delete(s.instigator_state).where(
                    t.instigator_type == instigator_type.value, t.name == name
                )
            )

    def get_instigator_state(
        self, instigator_type: InstigatorType, name: str
    ) -> InstigatorState | None:
        from freshet.storage.state_serde import instigator_state_from_json

        t = s.instigator_state.c
        query = select(t.body).where(t.instigator_type == instigator_type.value, t.name == name)
        with self._reading() as conn:
            body = conn.scalar(query)
        return None if body is None else instigator_state_from_json(body)

    def get_instigator_states(
        self, instigator_type: InstigatorType | None = None
    ) -> list[InstigatorState]:
        from freshet.storage.state_serde import instigator_state_from_json

        t = s.instigator_state.c
        query = select(t.body).order_by(t.instigator_type, t.name)
        if instigator_type is not None:
            query = query.where(t.instigator_type == instigator_type.value)
        with self._reading() as conn:
            return [instigator_state_from_json(body) for body in conn.scalars(query)]

    def add_tick(self, tick: Tick) -> TickRecord:
        from freshet.storage.state_records import TickRecord

        row = _tick_row(tick)
        with self._writing() as conn:
            tick_id = conn.execute(insert(s.instigator_ticks).values(row)).inserted_primary_key[0]
        return TickRecord(tick_id=tick_id, tick=tick)

    def update_tick(self, tick_id: int, tick: Tick) -> TickRecord:
        from freshet.storage.state_records import TickRecord

        row = _tick_row(tick)
        statement = update(s.instigator_ticks).where(s.instigator_ticks.c.id == tick_id)
        with self._writing() as conn:
            if conn.execute(statement.values(row)).rowcount == 0:
                raise StorageError(
                    f"cannot update tick {tick_id} of {tick.instigator_type.value.lower()} "
                    f"{tick.instigator_name!r}: no such tick in {self._location}; add it first"
                )
        return TickRecord(tick_id=tick_id, tick=tick)

    def get_ticks(
        self,
        instigator_type: InstigatorType,
        name: str,
        *,
        statuses: Sequence[TickStatus] | None = None,
        after: float | None = None,
        before: float | None = None,
        limit: int | None = None,
    ) -> list[TickRecord]:
        from freshet.storage.state_records import TickRecord
        from freshet.storage.state_serde import tick_from_json

        t = s.instigator_ticks.c
        query = (
            select(t.id, t.body)
            .where(t.instigator_type == instigator_type.value, t.name == name)
            .order_by(t.timestamp.desc(), t.id.desc())
        )
        if statuses is not None:
            query = query.where(t.status.in_([status.value for status in statuses]))
        if after is not None:
            query = query.where(t.timestamp > after)
        if before is not None:
            query = query.where(t.timestamp < before)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [TickRecord(tick_id=row[0], tick=tick_from_json(row[1])) for row in rows]

    # -- backfills ------------------------------------------------------------------------

    def add_backfill(self, backfill: BackfillRecord) -> None:
        try:
            with self._writing() as conn:
                conn.execute(insert(s.backfills).values(_backfill_row(backfill)))
        except IntegrityError:
            raise StorageError(
                f"backfill {backfill.backfill_id!r} already exists in {self._location}; give "
                "the new backfill a fresh id"
            ) from None

    def update_backfill(self, backfill: BackfillRecord) -> None:
        row = _backfill_row(backfill)
        statement = update(s.backfills).where(s.backfills.c.backfill_id == backfill.backfill_id)
        with self._writing() as conn:
            if conn.execute(statement.values(row)).rowcount == 0:
                raise StorageError(
                    f"cannot update backfill {backfill.backfill_id!r}: no such backfill in "
                    f"{self._location}; add it first"
                )

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        from freshet.storage.state_serde import backfill_from_json

        query = select(s.backfills.c.body).where(s.backfills.c.backfill_id == backfill_id)
        with self._reading() as conn:
            body = conn.scalar(query)
        return None if body is None else backfill_from_json(body)

    def get_backfills(
        self,
        *,
        statuses: Sequence[BackfillStatus] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[BackfillRecord]:
        from freshet.storage.state_serde import backfill_from_json

        b = s.backfills.c
        query = select(b.body).order_by(b.created_at.desc(), b.backfill_id.desc())
        if statuses is not None:
            query = query.where(b.status.in_([status.value for status in statuses]))
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            if cursor is not None:
                found = conn.execute(select(b.created_at).where(b.backfill_id == cursor)).first()
                if found is None:
                    raise StorageError(
                        f"cannot page backfills after cursor {cursor!r}: no such backfill; pass "
                        "the id of the last backfill of the previous page, or no cursor"
                    )
                at = found[0]
                query = query.where(
                    (b.created_at < at) | ((b.created_at == at) & (b.backfill_id < cursor))
                )
            bodies = conn.scalars(query).all()
        return [backfill_from_json(body) for body in bodies]

    # -- dynamic partitions ---------------------------------------------------------------

    def add_dynamic_partitions(
        self, partitions_def_name: str, partition_keys: Sequence[str]
    ) -> None:
        keys = checked_partition_keys(partitions_def_name, partition_keys)
        if keys:
            with self._writing() as conn:
                self._insert_partitions(conn, partitions_def_name, keys, time.time())

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        d = s.dynamic_partitions.c
        with self._writing() as conn:
            conn.execute(
                delete(s.dynamic_partitions).where(
                    d.partitions_def_name == partitions_def_name, d.partition == partition_key
                )
            )

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        d = s.dynamic_partitions.c
        query = select(d.partition).where(d.partitions_def_name == partitions_def_name)
        with self._reading() as conn:
            return list(conn.scalars(query.order_by(d.id)))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        d = s.dynamic_partitions.c
        query = select(d.id).where(
            d.partitions_def_name == partitions_def_name, d.partition == partition_key
        )
        with self._reading() as conn:
            return conn.execute(query).first() is not None

    # -- concurrency pools ----------------------------------------------------------------

    def claim_slot(self, pool: str, run_id: str, step_key: str, limit: int) -> bool:
        check_slot(pool, run_id, step_key)
        check_limit(pool, limit)
        c = s.concurrency_slots.c
        now = time.time()
        with self._writing() as conn:
            # Upserting the pool's row first queues concurrent claims on the same pool behind
            # its row lock (PostgreSQL; SQLite has one writer at a time), so the count below
            # cannot go stale before the insert.
            self._upsert_pool.run(conn, [{"pool": pool, "slot_limit": limit, "updated_at": now}])
            mine = (c.pool == pool) & (c.run_id == run_id) & (c.step_key == step_key)
            if conn.execute(select(c.pool).where(mine)).first() is not None:
                return True
            held = conn.scalar(select(func.count()).where(c.pool == pool))
            if held >= limit:
                return False
            conn.execute(
                insert(s.concurrency_slots).values(
                    pool=pool, run_id=run_id, step_key=step_key, claimed_at=now
                )
            )
            return True

    def release_slot(self, pool: str, run_id: str, step_key: str) -> None:
        c = s.concurrency_slots.c
        with self._writing() as conn:
            conn.execute(
                delete(s.concurrency_slots).where(
                    c.pool == pool, c.run_id == run_id, c.step_key == step_key
                )
            )

    def release_run_slots(self, run_id: str) -> int:
        c = s.concurrency_slots.c
        with self._writing() as conn:
            return conn.execute(delete(s.concurrency_slots).where(c.run_id == run_id)).rowcount

    def get_pool_usage(self, pool: str) -> PoolUsage:
        from freshet.storage.state_records import ClaimedSlot, PoolUsage

        c = s.concurrency_slots.c
        slots = (
            select(c.run_id, c.step_key, c.claimed_at)
            .where(c.pool == pool)
            .order_by(c.claimed_at, c.run_id, c.step_key)
        )
        limit = select(s.concurrency_pools.c.slot_limit).where(s.concurrency_pools.c.pool == pool)
        with self._reading() as conn:
            rows = conn.execute(slots).all()
            slot_limit = conn.scalar(limit)
        return PoolUsage(
            pool=pool,
            limit=slot_limit,
            slots=tuple(ClaimedSlot(run_id=r[0], step_key=r[1], claimed_at=r[2]) for r in rows),
        )

    def set_pool_limit(self, pool: str, limit: int) -> None:
        check_name(pool, MAX_PARTITION_LENGTH, "pool name")
        check_limit(pool, limit)
        with self._writing() as conn:
            self._upsert_pool.run(
                conn, [{"pool": pool, "slot_limit": limit, "updated_at": time.time()}]
            )

    def get_pools(self) -> list[PoolUsage]:
        from freshet.storage.state_records import ClaimedSlot, PoolUsage

        c = s.concurrency_slots.c
        p = s.concurrency_pools.c
        with self._reading() as conn:
            limits = dict(conn.execute(select(p.pool, p.slot_limit)).all())
            rows = conn.execute(
                select(c.pool, c.run_id, c.step_key, c.claimed_at).order_by(
                    c.claimed_at, c.run_id, c.step_key
                )
            ).all()
        held: dict[str, list[ClaimedSlot]] = {}
        for pool, run_id, step_key, claimed_at in rows:
            held.setdefault(pool, []).append(
                ClaimedSlot(run_id=run_id, step_key=step_key, claimed_at=claimed_at)
            )
        return [
            PoolUsage(pool=name, limit=limits.get(name), slots=tuple(held.get(name, ())))
            for name in sorted({*limits, *held})
        ]

    # -- heartbeats -----------------------------------------------------------------------

    def set_heartbeat(self, heartbeat: Heartbeat) -> None:
        from freshet.storage.state_serde import heartbeat_to_json

        body = heartbeat_to_json(heartbeat)
        statement = self._upsert(s.heartbeats).values(
            kind=heartbeat.kind.value, name=heartbeat.name, timestamp=heartbeat.timestamp, body=body
        )
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "name"],
            set_={"timestamp": statement.excluded.timestamp, "body": statement.excluded.body},
        )
        with self._writing() as conn:
            conn.execute(statement)

    def delete_heartbeat(self, kind: HeartbeatKind, name: str) -> None:
        h = s.heartbeats.c
        with self._writing() as conn:
            conn.execute(delete(s.heartbeats).where(h.kind == kind.value, h.name == name))

    def get_heartbeats(
        self, kind: HeartbeatKind, names: Sequence[str] | None = None
    ) -> list[Heartbeat]:
        from freshet.storage.state_serde import heartbeat_from_json

        h = s.heartbeats.c
        query = select(h.body).where(h.kind == kind.value).order_by(h.name)
        if names is not None:
            if not names:
                return []
            query = query.where(h.name.in_(list(names)))
        with self._reading() as conn:
            return [heartbeat_from_json(body) for body in conn.scalars(query)]

    # -- cursors --------------------------------------------------------------------------

    def set_cursor(self, name: str, value: str) -> None:
        check_name(name, MAX_KEY_LENGTH, "cursor name")
        if not isinstance(value, str):
            raise StorageError(f"cursor {name!r} must be a string, got {type(value).__name__}")
        statement = self._upsert(s.kv_cursors).values(
            name=name, value=value, updated_at=time.time()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        with self._writing() as conn:
            conn.execute(statement)

    def get_cursor(self, name: str) -> str | None:
        query = select(s.kv_cursors.c.value).where(s.kv_cursors.c.name == name)
        with self._reading() as conn:
            return conn.scalar(query)

    # -- automation evaluations -----------------------------------------------------------

    def commit_automation_tick(
        self,
        tick: Tick,
        evaluations: Sequence[AutomationEvaluationRecord],
        cursor_name: str,
        cursor: str,
    ) -> TickRecord:
        from freshet.storage.state_records import TickRecord

        check_name(cursor_name, MAX_KEY_LENGTH, "cursor name")
        statement = self._upsert(s.kv_cursors).values(
            name=cursor_name, value=cursor, updated_at=time.time()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        with self._writing() as conn:
            inserted = conn.execute(insert(s.instigator_ticks).values(_tick_row(tick)))
            tick_id = inserted.inserted_primary_key[0]
            if evaluations:
                conn.execute(
                    insert(s.automation_evaluations),
                    [
                        {
                            "tick_id": tick_id,
                            "asset_key": e.asset_key.to_user_string(),
                            "timestamp": tick.timestamp,
                            "num_requested": e.num_requested,
                            "body": e.body_json,
                        }
                        for e in evaluations
                    ],
                )
            conn.execute(statement)
        return TickRecord(tick_id=tick_id, tick=tick)

    def get_automation_evaluations(
        self, asset_key: AssetKey, *, up_to_tick_id: int | None = None, limit: int | None = None
    ) -> list[AutomationEvaluationRecord]:
        from freshet.storage.state_records import AutomationEvaluationRecord

        e = s.automation_evaluations.c
        query = (
            select(e.tick_id, e.timestamp, e.num_requested, e.body)
            .where(e.asset_key == asset_key.to_user_string())
            .order_by(e.tick_id.desc())
        )
        if up_to_tick_id is not None:
            query = query.where(e.tick_id <= up_to_tick_id)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [
            AutomationEvaluationRecord(
                asset_key=asset_key,
                tick_id=row[0],
                timestamp=row[1],
                num_requested=row[2],
                body_json=row[3],
            )
            for row in rows
        ]

    # -- maintenance ----------------------------------------------------------------------

    def prune_ticks(self, before: float) -> int:
        t = s.instigator_ticks.c
        # Each instigator's latest tick stays: schedules read it to know where they were.
        newest = select(func.max(t.id)).group_by(t.instigator_type, t.name)
        statement = delete(s.instigator_ticks).where(t.timestamp < before, t.id.not_in(newest))
        e = s.automation_evaluations.c
        orphans = delete(s.automation_evaluations).where(
            e.tick_id.not_in(select(t.id)), e.timestamp < before
        )
        with self._writing() as conn:
            count = conn.execute(statement).rowcount
            conn.execute(orphans)
            return count


def _tick_row(tick: Tick) -> dict[str, Any]:
    from freshet.storage.state_serde import tick_to_json

    return {
        "instigator_type": tick.instigator_type.value,
        "name": tick.instigator_name,
        "status": tick.status.value,
        "timestamp": tick.timestamp,
        "body": tick_to_json(tick),
    }


def _backfill_row(backfill: BackfillRecord) -> dict[str, Any]:
    from freshet.storage.state_serde import backfill_to_json

    return {
        "backfill_id": backfill.backfill_id,
        "status": backfill.status.value,
        "created_at": backfill.created_at,
        "updated_at": backfill.updated_at or backfill.created_at,
        "body": backfill_to_json(backfill),
    }
