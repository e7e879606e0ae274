"""An in-process storage backend (dicts and lists under a lock) for tests and ephemeral instances.

It behaves exactly like the SQL backends (tests/storage runs one suite on all of them): events
and runs go through the same JSON round trip, so what it accepts and returns is what a
database would. An event's JSON is decoded when it is first read, not when it is appended:
most events of a run are never read back.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.errors import RunNotFoundError, StorageError
from freshet.storage.base import StatusVersions
from freshet.storage.batch import (
    RUN_END_EVENTS,
    PreparedEvent,
    check_run_event,
    prepare_events,
    row_version_columns,
)
from freshet.storage.memory_state import MemoryStateStore
from freshet.storage.records import (
    RUN_STATUS_BY_EVENT,
    AssetStatusRecord,
    Event,
    EventRecord,
    EventType,
    PartitionStatusCategory,
    PruneResult,
    RunRecord,
    RunsFilter,
    RunStatus,
)
from freshet.storage.serde import event_from_json, key_from_string, run_from_json, run_to_json

_K = TypeVar("_K")
_PartitionKey = tuple[AssetKey, str]
_CheckRowKey = tuple[AssetKey, str, str]  # asset, check name, partition ("" when none)


@dataclass(slots=True)
class _StatusRow:
    """Mutable index row (state, not a value): the memory twin of an `asset_status` row."""

    materialization_id: int | None = None
    observation_id: int | None = None
    last_run_id: str | None = None
    failed_run_id: str | None = None
    in_progress_run_id: str | None = None

    def is_empty(self) -> bool:
        return (
            self.materialization_id is None
            and self.observation_id is None
            and self.failed_run_id is None
            and self.in_progress_run_id is None
        )


@dataclass(slots=True)
class _StoredEvent:
    """One appended event (state, not a value): its JSON, the fields the indexes and filters
    compare, and the record decoded from the JSON when first read. Readers share that record:
    decoded from the stored JSON, it is no object a writer holds."""

    body: str
    event_type: EventType
    run_id: str
    asset_key: AssetKey | None
    partition: str | None
    record: EventRecord | None = None


class MemoryStorage(MemoryStateStore):
    """`Storage` in memory. Thread-safe; nothing survives the process."""

    def __init__(self) -> None:
        super().__init__()
        self._appended = threading.Condition(self._lock)
        self._runs: dict[str, RunRecord] = {}
        self._events: dict[int, _StoredEvent] = {}
        self._next_id = 1
        self._ids_by_run: dict[str, list[int]] = {}
        self._ids_by_asset: dict[AssetKey, list[int]] = {}
        self._ids_by_type: dict[EventType, list[int]] = {}
        self._assets: dict[AssetKey, _StatusRow] = {}
        self._partitions: dict[_PartitionKey, _StatusRow] = {}
        self._checks: dict[_CheckRowKey, int] = {}

    # -- writer ---------------------------------------------------------------------------

    def add_run(self, run: RunRecord, events: Sequence[Event] = ()) -> None:
        stored = run_from_json(run_to_json(run))
        prepared = prepare_events(events)
        with self._lock:
            if run.run_id in self._runs:
                raise StorageError(
                    f"run {run.run_id!r} already exists; give the new run a fresh run_id"
                )
            self._runs[run.run_id] = stored
            for item in prepared:
                self._append(item)
            if prepared:
                self._appended.notify_all()

    def store_events(self, events: Sequence[Event]) -> list[int]:
        prepared = prepare_events(events)
        with self._lock:
            ids = [self._append(item) for item in prepared]
            if ids:
                self._appended.notify_all()
            return ids

    def transition_run(self, event: Event, from_statuses: Sequence[RunStatus]) -> int | None:
        check_run_event(event)
        prepared = prepare_events([event])
        with self._lock:
            run = self._runs.get(event.run_id)
            if run is None:
                raise RunNotFoundError(f"cannot change run {event.run_id!r}: no such run")
            if run.status not in from_statuses:
                return None
            storage_id = self._append(prepared[0])
            self._appended.notify_all()
            return storage_id

    def set_run_status(self, run_id: str, status: RunStatus, at: float) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise RunNotFoundError(
                    f"cannot set the status of run {run_id!r}: no such run; add it first"
                )
            self._runs[run_id] = run.with_status(status, at)

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)
            deleted = self._ids_by_run.pop(run_id, [])
            touched = {k for i in deleted if (k := self._events[i].asset_key) is not None}
            for storage_id in deleted:
                del self._events[storage_id]
            self._drop_from_indexes(set(deleted))
            self._forget_run_marks(run_id)
            for key in touched:
                self._rebuild_status(key)

    def prune_runs(self, finished_before: float) -> PruneResult:
        with self._lock:
            old = [
                run.run_id
                for run in self._runs.values()
                if run.status.is_finished
                and (run.ended_at or run.updated_at or run.created_at) < finished_before
            ]
            referenced = self._referenced_ids()
            deleted: set[int] = set()
            kept = 0
            for run_id in old:
                del self._runs[run_id]
                self.release_run_slots(run_id)
                ids = self._ids_by_run.pop(run_id, [])
                remaining = [i for i in ids if i in referenced]
                deleted.update(i for i in ids if i not in referenced)
                kept += len(remaining)
                if remaining:
                    self._ids_by_run[run_id] = remaining
            for storage_id in deleted:
                del self._events[storage_id]
            self._drop_from_indexes(deleted)
        return PruneResult(run_ids=tuple(old), events_deleted=len(deleted), events_kept=kept)

    def close(self) -> None:
        """Nothing to release."""

    # -- reader ---------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            return self._runs.get(run_id)

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[RunRecord]:
        with self._lock:
            runs = self._matching_runs(filters)
            if cursor is not None:
                after = self._runs.get(cursor)
                if after is None:
                    raise _unknown_cursor(cursor)
                position = (after.created_at, after.run_id)
        runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=not ascending)
        if cursor is not None:
            if ascending:
                runs = [r for r in runs if (r.created_at, r.run_id) > position]
            else:
                runs = [r for r in runs if (r.created_at, r.run_id) < position]
        return runs if limit is None else runs[:limit]

    def count_runs(self, filters: RunsFilter | None = None) -> int:
        with self._lock:
            return len(self._matching_runs(filters))

    def get_event_records(
        self,
        *,
        event_type: EventType | Sequence[EventType] | None = None,
        asset_key: AssetKey | None = None,
        partition: str | None = None,
        run_id: str | None = None,
        after_storage_id: int | None = None,
        before_storage_id: int | None = None,
        limit: int | None = None,
        ascending: bool = True,
    ) -> list[EventRecord]:
        types = _as_type_set(event_type)
        with self._lock:
            ids = self._candidate_ids(types, asset_key, run_id)
            lo = 0 if after_storage_id is None else bisect_right(ids, after_storage_id)
            hi = len(ids) if before_storage_id is None else bisect_left(ids, before_storage_id)
            window = ids[lo:hi] if ascending else ids[lo:hi][::-1]
            found: list[EventRecord] = []
            for storage_id in window:
                stored = self._events[storage_id]
                if (
                    (types is None or stored.event_type in types)
                    and (asset_key is None or stored.asset_key == asset_key)
                    and (partition is None or stored.partition == partition)
                    and (run_id is None or stored.run_id == run_id)
                ):
                    found.append(self._decoded(storage_id, stored))
                    if limit is not None and len(found) >= limit:
                        break
            return found

    def get_latest_materialization(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None:
        with self._lock:
            row = self._row(asset_key, partition)
            return None if row is None else self._record(row.materialization_id)

    def get_latest_observation(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None:
        with self._lock:
            row = self._row(asset_key, partition)
            return None if row is None else self._record(row.observation_id)

    def get_asset_status(
        self, asset_keys: Iterable[AssetKey], *, with_events: bool = True
    ) -> Mapping[AssetKey, AssetStatusRecord]:
        with self._lock:
            return {
                key: self._status_record(key, None, row, with_events)
                for key in asset_keys
                if (row := self._assets.get(key)) is not None
            }

    def get_partition_status(
        self,
        asset_key: AssetKey,
        partitions: Iterable[str] | None = None,
        *,
        with_events: bool = True,
    ) -> Mapping[str, AssetStatusRecord]:
        with self._lock:
            if partitions is None:
                wanted = [p for (k, p) in self._partitions if k == asset_key]
            else:
                wanted = list(dict.fromkeys(partitions))
            return {
                p: self._status_record(asset_key, p, row, with_events)
                for p in wanted
                if (row := self._partitions.get((asset_key, p))) is not None
            }

    def get_asset_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        with self._lock:
            return {
                key: StatusVersions.from_rows([self._version_row(None, row)])
                for key in dict.fromkeys(asset_keys)
                if (row := self._assets.get(key)) is not None
            }

    def get_partition_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        wanted = set(asset_keys)
        rows: dict[AssetKey, list[tuple[object, ...]]] = {}
        with self._lock:
            for (key, partition), row in self._partitions.items():
                if key in wanted:
                    rows.setdefault(key, []).append(self._version_row(partition, row))
        return {key: StatusVersions.from_rows(found) for key, found in rows.items()}

    def get_partition_keys_by_status(
        self, asset_key: AssetKey
    ) -> dict[PartitionStatusCategory, list[str]]:
        by_status: dict[PartitionStatusCategory, list[str]] = {
            c: [] for c in PartitionStatusCategory
        }
        with self._lock:
            for (key, partition), row in self._partitions.items():
                if key == asset_key:
                    by_status[_category(row)].append(partition)
        return by_status

    def get_latest_check_evaluation(
        self, check_key: AssetCheckKey, partition: str | None = None
    ) -> EventRecord | None:
        with self._lock:
            storage_id = self._checks.get((check_key.asset_key, check_key.name, partition or ""))
            return self._record(storage_id)

    def get_latest_check_evaluations(
        self, check_keys: Iterable[AssetCheckKey]
    ) -> Mapping[AssetCheckKey, EventRecord]:
        found: dict[AssetCheckKey, EventRecord] = {}
        with self._lock:
            for check_key in check_keys:
                record = self._record(self._checks.get((check_key.asset_key, check_key.name, "")))
                if record is not None:
                    found[check_key] = record
        return found

    def count_partition_statuses(self, asset_key: AssetKey) -> dict[PartitionStatusCategory, int]:
        counts = dict.fromkeys(PartitionStatusCategory, 0)
        with self._lock:
            for (key, _), row in self._partitions.items():
                if key == asset_key:
                    counts[_category(row)] += 1
        return counts

    def get_materialized_asset_keys(self) -> set[AssetKey]:
        with self._lock:
            return {k for k, row in self._assets.items() if row.materialization_id is not None}

    def get_max_storage_id(self) -> int | None:
        with self._lock:
            return next(reversed(self._events), None)

    def wait_for_events(self, after_storage_id: int | None, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._appended:
            while True:
                newest = next(reversed(self._events), None)
                if newest is not None and (after_storage_id is None or newest > after_storage_id):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._appended.wait(remaining)

    def schema_info(self) -> Mapping[str, object]:
        with self._lock:
            return {
                "backend": "memory",
                "location": "memory",
                "schema_version": None,
                "runs": len(self._runs),
                "events": len(self._events),
                "assets": len(self._assets),
            }

    # -- internals ------------------------------------------------------------------------

    def _append(self, item: PreparedEvent) -> int:
        storage_id = self._next_id
        self._next_id += 1
        # The indexes take the writer's own scalar fields (equal to the decoded ones); what
        # readers get is decoded from the JSON, a private copy as a database returns it.
        event = item.event
        self._events[storage_id] = _StoredEvent(
            body=item.body,
            event_type=event.event_type,
            run_id=event.run_id,
            asset_key=event.asset_key,
            partition=event.partition,
        )
        self._ids_by_run.setdefault(event.run_id, []).append(storage_id)
        self._ids_by_type.setdefault(event.event_type, []).append(storage_id)
        if event.asset_key is not None:
            self._ids_by_asset.setdefault(event.asset_key, []).append(storage_id)
        self._apply(item, event, storage_id)
        return storage_id

    def _apply(self, item: PreparedEvent, event: Event, storage_id: int) -> None:
        event_type = event.event_type
        if event_type in RUN_STATUS_BY_EVENT:
            self._apply_run_event(event)
        elif event_type is EventType.ASSET_CHECK_EVALUATION:
            assert event.asset_key is not None and item.check_name is not None
            self._checks[(event.asset_key, item.check_name, "")] = storage_id
            if event.partition is not None:
                self._checks[(event.asset_key, item.check_name, event.partition)] = storage_id
        elif event_type is EventType.STEP_FAILURE:
            for text in item.failed_asset_keys:
                for partition in item.failed_partitions:
                    for row in self._rows_for_write(key_from_string(text), partition):
                        row.failed_run_id = event.run_id
                        if row.in_progress_run_id == event.run_id:
                            row.in_progress_run_id = None
        elif event_type in _ROW_EVENTS:
            assert event.asset_key is not None
            for row in self._rows_for_write(event.asset_key, event.partition):
                _update_row(row, event_type, storage_id, event.run_id)

    def _apply_run_event(self, event: Event) -> None:
        run = self._runs.get(event.run_id)
        if run is not None:
            status = RUN_STATUS_BY_EVENT[event.event_type]
            self._runs[event.run_id] = run.with_status(status, event.timestamp)
        if event.event_type in RUN_END_EVENTS:
            self._clear_in_progress(event.run_id)

    def _rows_for_write(self, key: AssetKey, partition: str | None) -> list[_StatusRow]:
        """The asset-level row, and the partition's row for a partitioned event."""
        rows = [self._assets.setdefault(key, _StatusRow())]
        if partition is not None:
            rows.append(self._partitions.setdefault((key, partition), _StatusRow()))
        return rows

    def _clear_in_progress(self, run_id: str) -> None:
        for row in (*self._assets.values(), *self._partitions.values()):
            if row.in_progress_run_id == run_id:
                row.in_progress_run_id = None

    def _forget_run_marks(self, run_id: str) -> None:
        for row in (*self._assets.values(), *self._partitions.values()):
            if row.in_progress_run_id == run_id:
                row.in_progress_run_id = None
            if row.failed_run_id == run_id:
                row.failed_run_id = None

    def _referenced_ids(self) -> set[int]:
        """Events a status row points at: pruning keeps them."""
        referenced = set(self._checks.values())
        for row in (*self._assets.values(), *self._partitions.values()):
            referenced.update((row.materialization_id, row.observation_id))
        referenced.discard(None)  # type: ignore[arg-type]
        return referenced

    def _drop_from_indexes(self, deleted: set[int]) -> None:
        _drop_ids(self._ids_by_asset, deleted)
        _drop_ids(self._ids_by_type, deleted)

    def _rebuild_status(self, key: AssetKey) -> None:
        """Recompute one asset's rows from the events left after a run was deleted."""
        for row_key, row in [((key, None), self._assets.get(key))] + [
            ((k, p), r) for (k, p), r in self._partitions.items() if k == key
        ]:
            if row is None:
                continue
            partition = row_key[1]
            mat = self._latest(key, partition, EventType.ASSET_MATERIALIZATION)
            obs = self._latest(key, partition, EventType.ASSET_OBSERVATION)
            row.materialization_id = None if mat is None else mat.storage_id
            row.last_run_id = None if mat is None else mat.run_id
            row.observation_id = None if obs is None else obs.storage_id
            if row.is_empty():
                if partition is None:
                    del self._assets[key]
                else:
                    del self._partitions[(key, partition)]
        self._rebuild_checks(key)

    def _rebuild_checks(self, key: AssetKey) -> None:
        for row_key in [k for k in self._checks if k[0] == key]:
            del self._checks[row_key]
        for storage_id in self._ids_by_asset.get(key, ()):
            stored = self._events[storage_id]
            if stored.event_type is EventType.ASSET_CHECK_EVALUATION:
                name = self._decoded(storage_id, stored).event.data["check_name"]
                self._checks[(key, name, "")] = storage_id
                if stored.partition is not None:
                    self._checks[(key, name, stored.partition)] = storage_id

    def _latest(
        self, key: AssetKey, partition: str | None, event_type: EventType
    ) -> EventRecord | None:
        for storage_id in reversed(self._ids_by_asset.get(key, ())):
            stored = self._events[storage_id]
            if stored.event_type is event_type and (
                partition is None or stored.partition == partition
            ):
                return self._decoded(storage_id, stored)
        return None

    def _row(self, key: AssetKey, partition: str | None) -> _StatusRow | None:
        if partition is None:
            return self._assets.get(key)
        return self._partitions.get((key, partition))

    def _record(self, storage_id: int | None) -> EventRecord | None:
        if storage_id is None or (stored := self._events.get(storage_id)) is None:
            return None
        return self._decoded(storage_id, stored)

    @staticmethod
    def _decoded(storage_id: int, stored: _StoredEvent) -> EventRecord:
        record = stored.record
        if record is None:
            record = EventRecord(storage_id=storage_id, event=event_from_json(stored.body))
            stored.record = record
        return record

    def _version_row(self, partition: str | None, row: _StatusRow) -> tuple[object, ...]:
        """A row of `StatusVersions`, derived from the events as SQL storage copies it."""
        columns = row_version_columns(
            self._record(row.materialization_id), self._record(row.observation_id)
        )
        return (
            partition,
            row.materialization_id,
            row.observation_id,
            columns["data_version"],
            columns["data_version_at"],
            columns["code_version"],
            columns["provenance"],
            columns["data_time"],
        )

    def _status_record(
        self, key: AssetKey, partition: str | None, row: _StatusRow, with_events: bool
    ) -> AssetStatusRecord:
        return AssetStatusRecord(
            asset_key=key,
            partition=partition,
            last_materialization=self._record(row.materialization_id) if with_events else None,
            last_observation=self._record(row.observation_id) if with_events else None,
            last_run_id=row.last_run_id,
            last_failed_run_id=row.failed_run_id,
            in_progress_run_id=row.in_progress_run_id,
            last_materialization_storage_id=row.materialization_id,
            last_observation_storage_id=row.observation_id,
        )

    def _candidate_ids(
        self, types: frozenset[EventType] | None, asset_key: AssetKey | None, run_id: str | None
    ) -> list[int]:
        """The smallest index list that holds every match, in storage id order."""
        if run_id is not None:
            return self._ids_by_run.get(run_id, [])
        if asset_key is not None:
            return self._ids_by_asset.get(asset_key, [])
        if types is not None:
            merged: list[int] = []
            for event_type in types:
                merged.extend(self._ids_by_type.get(event_type, ()))
            return sorted(merged)
        return list(self._events)

    def _matching_runs(self, filters: RunsFilter | None) -> list[RunRecord]:
        if filters is None:
            return list(self._runs.values())
        return [run for run in self._runs.values() if _run_matches(run, filters)]


_ROW_EVENTS = frozenset(
    {
        EventType.ASSET_MATERIALIZATION,
        EventType.ASSET_OBSERVATION,
        EventType.ASSET_MATERIALIZATION_PLANNED,
    }
)


def _category(row: _StatusRow) -> PartitionStatusCategory:
    if row.in_progress_run_id is not None:
        return PartitionStatusCategory.IN_PROGRESS
    if row.failed_run_id is not None:
        if row.materialization_id is not None:
            return PartitionStatusCategory.MATERIALIZED_LATEST_FAILED
        return PartitionStatusCategory.FAILED
    if row.materialization_id is not None:
        return PartitionStatusCategory.MATERIALIZED
    return PartitionStatusCategory.OBSERVED


def _update_row(row: _StatusRow, event_type: EventType, storage_id: int, run_id: str) -> None:
    if event_type is EventType.ASSET_MATERIALIZATION:
        row.materialization_id = storage_id
        row.last_run_id = run_id
        row.failed_run_id = None
        if row.in_progress_run_id == run_id:
            row.in_progress_run_id = None
    elif event_type is EventType.ASSET_OBSERVATION:
        row.observation_id = storage_id
    else:
        row.in_progress_run_id = run_id


def _drop_ids(index: dict[_K, list[int]], deleted: set[int]) -> None:
    for name, ids in list(index.items()):
        kept = [i for i in ids if i not in deleted]
        if kept:
            index[name] = kept
        else:
            del index[name]


def _as_type_set(
    event_type: EventType | Sequence[EventType] | None,
) -> frozenset[EventType] | None:
    if event_type is None:
        return None
    if isinstance(event_type, EventType):
        return frozenset((event_type,))
    return frozenset(event_type)


def _run_matches(run: RunRecord, f: RunsFilter) -> bool:
    return (
        (f.run_ids is None or run.run_id in f.run_ids)
        and (f.run_id_prefix is None or run.run_id.startswith(f.run_id_prefix))
        and (f.job_name is None or run.job_name == f.job_name)
        and (f.statuses is None or run.status in f.statuses)
        and (f.tags is None or all(run.tags.get(k) == v for k, v in f.tags.items()))
        and (f.asset_key is None or f.asset_key in run.asset_selection)
        and (f.created_before is None or run.created_at < f.created_before)
        and (f.created_after is None or run.created_at > f.created_after)
    )


def _unknown_cursor(cursor: str) -> RunNotFoundError:
    return RunNotFoundError(
        f"cannot page runs after cursor {cursor!r}: no such run; pass the run_id of the last "
        "run of the previous page, or no cursor to start over"
    )
