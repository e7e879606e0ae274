"""The daemon-state half of the in-memory backend: schedule/sensor/automation state and ticks,
backfills, dynamic partitions, concurrency slots and cursors. Values go through the same JSON
round trip as in a database, so what it accepts and returns is what SQL backends would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.arguments import check_limit, check_name, check_slot, checked_partition_keys
from freshet.storage.records import MAX_KEY_LENGTH, MAX_PARTITION_LENGTH

# The record classes and their JSON are imported where first used: a run stores no daemon
# state, so an in-memory run's process need not create them.
if TYPE_CHECKING:
    from freshet.storage.state_records import (
        AutomationEvaluationRecord,
        BackfillRecord,
        BackfillStatus,
        Heartbeat,
        HeartbeatKind,
        InstigatorState,
        InstigatorType,
        PoolUsage,
        Tick,
        TickRecord,
        TickStatus,
    )


_SlotKey = tuple[str, str]  # run id, step key


class MemoryStateStore:
    """Daemon state in dicts under one lock; `MemoryStorage` inherits it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._instigators: dict[tuple[InstigatorType, str], InstigatorState] = {}
        self._ticks: dict[int, Tick] = {}
        self._next_tick_id = 1
        self._backfills: dict[str, BackfillRecord] = {}
        # Dicts keep insertion order: a definition's keys in the order they were added.
        self._dynamic_partitions: dict[str, dict[str, None]] = {}
        self._pool_limits: dict[str, int] = {}
        self._slots: dict[str, dict[_SlotKey, float]] = {}
        self._cursors: dict[str, str] = {}
        self._heartbeats: dict[tuple[HeartbeatKind, str], Heartbeat] = {}
        self._evaluations: dict[AssetKey, list[AutomationEvaluationRecord]] = {}

    # -- schedules, sensors, automation ---------------------------------------------------

    def set_instigator_state(self, state: InstigatorState) -> None:
        from freshet.storage.state_serde import instigator_state_from_json, instigator_state_to_json

        stored = instigator_state_from_json(instigator_state_to_json(state))
        with self._lock:
            self._instigators[(state.instigator_type, state.name)] = stored

    def delete_instigator_state(self, instigator_type: InstigatorType, name: str) -> None:
        with self._lock:
            self._instigators.pop((instigator_type, name), None)

    def get_instigator_state(
        self, instigator_type: InstigatorType, name: str
    ) -> InstigatorState | None:
        with self._lock:
            return self._instigators.get((instigator_type, name))

    def get_instigator_states(
        self, instigator_type: InstigatorType | None = None
    ) -> list[InstigatorState]:
        with self._lock:
            states = [
                state
                for (kind, _), state in self._instigators.items()
                if instigator_type is None or kind is instigator_type
            ]
        return sorted(states, key=lambda state: (state.instigator_type.value, state.name))

    def add_tick(self, tick: Tick) -> TickRecord:
        from freshet.storage.state_records import TickRecord
        from freshet.storage.state_serde import tick_from_json, tick_to_json

        stored = tick_from_json(tick_to_json(tick))
        with self._lock:
            tick_id = self._next_tick_id
            self._next_tick_id += 1
            self._ticks[tick_id] = stored
        return TickRecord(tick_id=tick_id, tick=stored)

    def update_tick(self, tick_id: int, tick: Tick) -> TickRecord:
        from freshet.storage.state_records import TickRecord
        from freshet.storage.state_serde import tick_from_json, tick_to_json

        stored = tick_from_json(tick_to_json(tick))
        with self._lock:
            if tick_id not in self._ticks:
                raise StorageError(
                    f"cannot update tick {tick_id} of {tick.instigator_type.value.lower()} "
                    f"{tick.instigator_name!r}: no such tick; add it first"
                )
            self._ticks[tick_id] = stored
        return TickRecord(tick_id=tick_id, tick=stored)

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

        with self._lock:
            found = [
                TickRecord(tick_id=tick_id, tick=tick)
                for tick_id, tick in self._ticks.items()
                if tick.instigator_type is instigator_type
                and tick.instigator_name == name
                and (statuses is None or tick.status in statuses)
                and (after is None or tick.timestamp > after)
                and (before is None or tick.timestamp < before)
            ]
        found.sort(key=lambda record: (record.tick.timestamp, record.tick_id), reverse=True)
        return found if limit is None else found[:limit]

    # -- backfills ------------------------------------------------------------------------

    def add_backfill(self, backfill: BackfillRecord) -> None:
        from freshet.storage.state_serde import backfill_from_json, backfill_to_json

        stored = backfill_from_json(backfill_to_json(backfill))
        with self._lock:
            if backfill.backfill_id in self._backfills:
                raise StorageError(
                    f"backfill {backfill.backfill_id!r} already exists; give the new backfill "
                    "a fresh id"
                )
            self._backfills[backfill.backfill_id] = stored

    def update_backfill(self, backfill: BackfillRecord) -> None:
        from freshet.storage.state_serde import backfill_from_json, backfill_to_json

        stored = backfill_from_json(backfill_to_json(backfill))
        with self._lock:
            if backfill.backfill_id not in self._backfills:
                raise StorageError(
                    f"cannot update backfill {backfill.backfill_id!r}: no such backfill; add "
                    "it first"
                )
            self._backfills[backfill.backfill_id] = stored

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        with self._lock:
            return self._backfills.get(backfill_id)

    def get_backfills(
        self,
        *,
        statuses: Sequence[BackfillStatus] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[BackfillRecord]:
        with self._lock:
            found = [
                b for b in self._backfills.values() if statuses is None or b.status in statuses
            ]
            after = None if cursor is None else self._backfills.get(cursor)
        if cursor is not None:
            if after is None:
                raise StorageError(
                    f"cannot page backfills after cursor {cursor!r}: no such backfill; pass "
                    "the id of the last backfill of the previous page, or no cursor"
                )
            position = (after.created_at, after.backfill_id)
            found = [b for b in found if (b.created_at, b.backfill_id) < position]
        found.sort(key=lambda b: (b.created_at, b.backfill_id), reverse=True)
        return found if limit is None else found[:limit]

    # -- dynamic partitions ---------------------------------------------------------------

    def add_dynamic_partitions(
        self, partitions_def_name: str, partition_keys: Sequence[str]
    ) -> None:
        keys = checked_partition_keys(partitions_def_name, partition_keys)
        with self._lock:
            existing = self._dynamic_partitions.setdefault(partitions_def_name, {})
            for key in keys:
                existing.setdefault(key, None)

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        with self._lock:
            self._dynamic_partitions.get(partitions_def_name, {}).pop(partition_key, None)

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        with self._lock:
            return list(self._dynamic_partitions.get(partitions_def_name, ()))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        with self._lock:
            return partition_key in self._dynamic_partitions.get(partitions_def_name, ())

    # -- concurrency pools ----------------------------------------------------------------

    def claim_slot(self, pool: str, run_id: str, step_key: str, limit: int) -> bool:
        check_slot(pool, run_id, step_key)
        check_limit(pool, limit)
        with self._lock:
            self._pool_limits[pool] = limit
            held = self._slots.setdefault(pool, {})
            if (run_id, step_key) in held:
                return True
            if len(held) >= limit:
                return False
            held[(run_id, step_key)] = time.time()
            return True

    def release_slot(self, pool: str, run_id: str, step_key: str) -> None:
        with self._lock:
            self._slots.get(pool, {}).pop((run_id, step_key), None)

    def release_run_slots(self, run_id: str) -> int:
        with self._lock:
            released = 0
            for held in self._slots.values():
                for slot in [slot for slot in held if slot[0] == run_id]:
                    del held[slot]
                    released += 1
            return released

    def get_pool_usage(self, pool: str) -> PoolUsage:
        from freshet.storage.state_records import ClaimedSlot, PoolUsage

        with self._lock:
            held = sorted(
                (claimed_at, run_id, step_key)
                for (run_id, step_key), claimed_at in self._slots.get(pool, {}).items()
            )
            limit = self._pool_limits.get(pool)
        slots = tuple(ClaimedSlot(run_id=r, step_key=k, claimed_at=at) for at, r, k in held)
        return PoolUsage(pool=pool, limit=limit, slots=slots)

    def set_pool_limit(self, pool: str, limit: int) -> None:
        check_name(pool, MAX_PARTITION_LENGTH, "pool name")
        check_limit(pool, limit)
        with self._lock:
            self._pool_limits[pool] = limit

    def get_pools(self) -> list[PoolUsage]:
        with self._lock:
            names = sorted({*self._pool_limits, *(p for p, held in self._slots.items() if held)})
        return [self.get_pool_usage(name) for name in names]

    # -- heartbeats -----------------------------------------------------------------------

    def set_heartbeat(self, heartbeat: Heartbeat) -> None:
        from freshet.storage.state_serde import heartbeat_from_json, heartbeat_to_json

        stored = heartbeat_from_json(heartbeat_to_json(heartbeat))
        with self._lock:
            self._heartbeats[(heartbeat.kind, heartbeat.name)] = stored

    def delete_heartbeat(self, kind: HeartbeatKind, name: str) -> None:
        with self._lock:
            self._heartbeats.pop((kind, name), None)

    def get_heartbeats(
        self, kind: HeartbeatKind, names: Sequence[str] | None = None
    ) -> list[Heartbeat]:
        wanted = None if names is None else set(names)
        with self._lock:
            found = [
                beat
                for (beat_kind, name), beat in self._heartbeats.items()
                if beat_kind is kind and (wanted is None or name in wanted)
            ]
        return sorted(found, key=lambda beat: beat.name)

    # -- cursors --------------------------------------------------------------------------

    def set_cursor(self, name: str, value: str) -> None:
        check_name(name, MAX_KEY_LENGTH, "cursor name")
        if not isinstance(value, str):
            raise StorageError(f"cursor {name!r} must be a string, got {type(value).__name__}")
        with self._lock:
            self._cursors[name] = value

    def get_cursor(self, name: str) -> str | None:
        with self._lock:
            return self._cursors.get(name)

    # -- automation evaluations -----------------------------------------------------------

    def commit_automation_tick(
        self,
        tick: Tick,
        evaluations: Sequence[AutomationEvaluationRecord],
        cursor_name: str,
        cursor: str,
    ) -> TickRecord:
        from freshet.storage.state_records import TickRecord
        from freshet.storage.state_serde import tick_from_json, tick_to_json

        check_name(cursor_name, MAX_KEY_LENGTH, "cursor name")
        stored = tick_from_json(tick_to_json(tick))
        with self._lock:
            tick_id = self._next_tick_id
            self._next_tick_id += 1
            self._ticks[tick_id] = stored
            for evaluation in evaluations:
                self._evaluations.setdefault(evaluation.asset_key, []).append(
                    replace(evaluation, tick_id=tick_id, timestamp=tick.timestamp)
                )
            self._cursors[cursor_name] = cursor
        return TickRecord(tick_id=tick_id, tick=stored)

    def get_automation_evaluations(
        self, asset_key: AssetKey, *, up_to_tick_id: int | None = None, limit: int | None = None
    ) -> list[AutomationEvaluationRecord]:
        with self._lock:
            found = [
                e
                for e in reversed(self._evaluations.get(asset_key, []))
                if up_to_tick_id is None or e.tick_id <= up_to_tick_id
            ]
        return found if limit is None else found[:limit]

    # -- maintenance ----------------------------------------------------------------------

    def prune_ticks(self, before: float) -> int:
        with self._lock:
            newest: dict[tuple[InstigatorType, str], int] = {}
            for tick_id, tick in self._ticks.items():
                newest[(tick.instigator_type, tick.instigator_name)] = tick_id
            keep = set(newest.values())
            old = [i for i, t in self._ticks.items() if t.timestamp < before and i not in keep]
            for tick_id in old:
                del self._ticks[tick_id]
            gone = set(old)
            for key, records in self._evaluations.items():
                self._evaluations[key] = [e for e in records if e.tick_id not in gone]
            return len(old)
