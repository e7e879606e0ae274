"""The storage protocols. Execution, status and the CLI see storage only through these.

Reading and writing are split: status computations take a `StorageReader`, runs write
through a `StorageWriter`. Every backend (memory, SQLite, PostgreSQL) implements both and
passes the same conformance suite in tests/storage/. `Storage` adds maintenance (pruning)
and lifecycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.storage.records import (
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


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusVersions:
    """The version columns of an asset's status rows, column by column: position i of every
    tuple describes one row (partition `partitions[i]`; None for the asset-level row).

    Columnar because staleness reads hundreds of thousands of partition rows at once, and a
    tuple per column costs a fraction of the time and memory of an object per row.

    `data_version` and `data_version_at` come from the newer of the row's latest
    materialization and latest observation (compare the two ids to tell which);
    `code_version`, `provenance` and `data_time` from its latest materialization.
    `provenance` holds the consumed inputs as `encode_provenance` writes them (None when none
    were recorded); `data_time` is the data time that materialization recorded.
    """

    partitions: tuple[str | None, ...]
    materialization_ids: tuple[int | None, ...]
    observation_ids: tuple[int | None, ...]
    data_versions: tuple[str | None, ...]
    data_version_times: tuple[float | None, ...]
    code_versions: tuple[str | None, ...]
    provenances: tuple[str | None, ...]
    data_times: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.partitions)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> StatusVersions:
        """From rows of (partition, materialization id, observation id, data version, data
        version time, code version, provenance, data time)."""
        if not rows:
            return cls(**dict.fromkeys(_VERSION_FIELDS, ()))
        return cls(**dict(zip(_VERSION_FIELDS, zip(*rows, strict=True), strict=True)))


_VERSION_FIELDS = (
    "partitions",
    "materialization_ids",
    "observation_ids",
    "data_versions",
    "data_version_times",
    "code_versions",
    "provenances",
    "data_times",
)

# One shared encoder: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_raw_decode = json.JSONDecoder().raw_decode


def encode_provenance(provenance: object) -> str | None:
    """The compact form of a materialization's `provenance` payload (a list of {"key",
    "partition", "data_version"} entries, plus "partition_count" on a folded entry), as the
    status rows keep it: a JSON object from each upstream key to its entries in recorded
    order, `[partition, data_version]` or, folded, `[first...last, digest, partition_count]`.

    Keyed by upstream so that staleness finds what a partition consumed of each dependency
    without regrouping; None when the payload is not a list."""
    if not isinstance(provenance, list):
        return None
    by_key: dict[str, list[list[Any]]] = {}
    for entry in provenance:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            continue
        item = [entry.get("partition"), entry.get("data_version")]
        if entry.get("partition_count") is not None:
            item.append(entry["partition_count"])
        by_key.setdefault(entry["key"], []).append(item)
    return _ENCODER.encode(by_key)


def decode_provenance(text: str | None) -> dict[str, list[list[Any]]]:
    """What `encode_provenance` wrote: {upstream key: entries}; empty for None."""
    if not text:
        return {}
    return _raw_decode(text)[0]  # type: ignore[no-any-return]


@runtime_checkable
class StorageReader(Protocol):
    def get_run(self, run_id: str) -> RunRecord | None: ...

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[RunRecord]:
        """Runs ordered by creation time (newest first unless `ascending`). `cursor` is the
        run id after which to continue (pagination)."""
        ...

    def count_runs(self, filters: RunsFilter | None = None) -> int: ...

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
    ) -> list[EventRecord]: ...

    def get_latest_materialization(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None: ...

    def get_latest_observation(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None: ...

    def get_asset_status(
        self, asset_keys: Iterable[AssetKey], *, with_events: bool = True
    ) -> Mapping[AssetKey, AssetStatusRecord]:
        """The asset-level status row of each key that has one, in one query.

        Without `with_events` the rows carry storage ids but no events: much cheaper when
        only materialized / failed / in-progress matters."""
        ...

    def get_partition_status(
        self,
        asset_key: AssetKey,
        partitions: Iterable[str] | None = None,
        *,
        with_events: bool = True,
    ) -> Mapping[str, AssetStatusRecord]:
        """Status rows of an asset's partitions (all of them when `partitions` is None)."""
        ...

    def get_asset_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        """The version columns of the asset-level row of each key that has one (a single
        row, partition None), without reading any event."""
        ...

    def get_partition_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        """The version columns of every partition row of each key that has any, without
        reading any event: what partition staleness needs, for 100k+ partitions at once."""
        ...

    def get_partition_keys_by_status(
        self, asset_key: AssetKey
    ) -> dict[PartitionStatusCategory, list[str]]:
        """The partitions of the asset with a status row, by category (every category
        present, empty when none), in no particular order; no event is read."""
        ...

    def get_latest_check_evaluation(
        self, check_key: AssetCheckKey, partition: str | None = None
    ) -> EventRecord | None: ...

    def get_latest_check_evaluations(
        self, check_keys: Iterable[AssetCheckKey]
    ) -> Mapping[AssetCheckKey, EventRecord]:
        """`get_latest_check_evaluation(key)` of each of `check_keys`, in one read (checks
        never evaluated are left out)."""
        ...

    def count_partition_statuses(self, asset_key: AssetKey) -> dict[PartitionStatusCategory, int]:
        """How many partitions of the asset are in each category (every category present,
        zero when none), counted in the database without reading the rows."""
        ...

    def get_materialized_asset_keys(self) -> set[AssetKey]: ...

    def get_max_storage_id(self) -> int | None:
        """The newest event's storage id; None while the log is empty."""
        ...

    def wait_for_events(self, after_storage_id: int | None, timeout: float) -> bool:
        """Block until an event newer than `after_storage_id` is stored or `timeout` seconds
        pass; True if there is one. For live tails: wait, then read with `after_storage_id`.
        PostgreSQL wakes on NOTIFY; SQLite polls the newest id (an index lookup)."""
        ...

    def schema_info(self) -> Mapping[str, object]:
        """Backend name, location (no secrets), schema version, row counts."""
        ...

    # -- schedules, sensors, automation ---------------------------------------------------

    def get_instigator_state(
        self, instigator_type: InstigatorType, name: str
    ) -> InstigatorState | None: ...

    def get_instigator_states(
        self, instigator_type: InstigatorType | None = None
    ) -> list[InstigatorState]:
        """All stored states (of one type when given), ordered by type then name."""
        ...

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
        """Ticks of one schedule/sensor/automation, newest first; `after`/`before` bound the
        tick timestamp (exclusive)."""
        ...

    # -- backfills ------------------------------------------------------------------------

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None: ...

    def get_backfills(
        self,
        *,
        statuses: Sequence[BackfillStatus] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[BackfillRecord]:
        """Backfills, newest first; `cursor` is the last backfill id of the previous page."""
        ...

    # -- dynamic partitions, concurrency pools, cursors -----------------------------------

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        """The partition keys of a dynamic partitions definition, in the order added."""
        ...

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool: ...

    def get_pool_usage(self, pool: str) -> PoolUsage:
        """The pool's limit and held slots (oldest claim first); an unknown pool is empty."""
        ...

    def get_cursor(self, name: str) -> str | None:
        """A named cursor (e.g. the automation loop's), None when never set."""
        ...

    def get_pools(self) -> list[PoolUsage]:
        """Every pool with a limit or a held slot, by name."""
        ...

    # -- heartbeats -----------------------------------------------------------------------

    def get_heartbeats(
        self, kind: HeartbeatKind, names: Sequence[str] | None = None
    ) -> list[Heartbeat]:
        """The latest heartbeat of each daemon duty or run worker (of `names` when given),
        ordered by name."""
        ...

    # -- automation evaluations -----------------------------------------------------------

    def get_automation_evaluations(
        self, asset_key: AssetKey, *, up_to_tick_id: int | None = None, limit: int | None = None
    ) -> list[AutomationEvaluationRecord]:
        """The asset's evaluations, newest tick first; with `up_to_tick_id`, those of that tick
        and before (a tick stores an evaluation only when it differs from the previous one, so
        the first of these is the one in force at that tick)."""
        ...


@runtime_checkable
class StorageWriter(Protocol):
    def add_run(self, run: RunRecord, events: Sequence[Event] = ()) -> None:
        """Record a new run; `events` (its RUN_ENQUEUED, say) are stored with it, in the same
        transaction: a crash never leaves the run without them, nor them without the run."""
        ...

    def store_events(self, events: Sequence[Event]) -> list[int]:
        """Append events atomically, in order, in one transaction; returns storage ids.

        Status indexes (latest materialization/observation/check per asset and per
        partition) and run status (for RUN_* events) are updated in that same
        transaction."""
        ...

    def set_run_status(self, run_id: str, status: RunStatus, at: float) -> None: ...

    def delete_run(self, run_id: str) -> None:
        """Remove a run, its events and its marks; status rows fall back to older events."""
        ...

    def set_instigator_state(self, state: InstigatorState) -> None:
        """Create or replace the state of one schedule/sensor/automation."""
        ...

    def delete_instigator_state(self, instigator_type: InstigatorType, name: str) -> None: ...

    def add_tick(self, tick: Tick) -> TickRecord: ...

    def update_tick(self, tick_id: int, tick: Tick) -> TickRecord:
        """Replace a stored tick (e.g. STARTED -> SUCCESS with its run ids)."""
        ...

    def add_backfill(self, backfill: BackfillRecord) -> None: ...

    def update_backfill(self, backfill: BackfillRecord) -> None:
        """Replace a stored backfill (status, progress); raises if it does not exist."""
        ...

    def add_dynamic_partitions(
        self, partitions_def_name: str, partition_keys: Sequence[str]
    ) -> None:
        """Add keys in the given order, skipping those already present; any number of keys,
        in one transaction."""
        ...

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        """Remove one key; nothing happens if it is absent."""
        ...

    def claim_slot(self, pool: str, run_id: str, step_key: str, limit: int) -> bool:
        """Atomically take a slot of `pool` for a step unless `limit` slots are held already;
        True when the step holds a slot (also when it held one before the call)."""
        ...

    def release_slot(self, pool: str, run_id: str, step_key: str) -> None:
        """Give a slot back; nothing happens if the step held none."""
        ...

    def release_run_slots(self, run_id: str) -> int:
        """Give back every slot a run holds (its process died); returns how many."""
        ...

    def set_cursor(self, name: str, value: str) -> None: ...

    def set_pool_limit(self, pool: str, limit: int) -> None:
        """Set how many steps may hold a slot of `pool` at once, across runs and processes."""
        ...

    def transition_run(self, event: Event, from_statuses: Sequence[RunStatus]) -> int | None:
        """Store one RUN_* event only if its run is in one of `from_statuses`, checked and
        written in one transaction (so a coordinator dequeuing and a user canceling never
        both win); returns the event's storage id, None when the run was in another status.
        Raises `RunNotFoundError` for an unknown run."""
        ...

    def set_heartbeat(self, heartbeat: Heartbeat) -> None:
        """Create or replace the heartbeat of (kind, name)."""
        ...

    def delete_heartbeat(self, kind: HeartbeatKind, name: str) -> None:
        """Forget a heartbeat (a worker that finished); nothing happens if there is none."""
        ...

    def commit_automation_tick(
        self,
        tick: Tick,
        evaluations: Sequence[AutomationEvaluationRecord],
        cursor_name: str,
        cursor: str,
    ) -> TickRecord:
        """In one transaction: add the tick, its evaluations (stamped with its id and
        timestamp) and set the cursor, so a tick is recorded whole or not at all."""
        ...


class Storage(StorageReader, StorageWriter, Protocol):
    """A backend: both halves, plus maintenance and lifecycle."""

    def prune_runs(self, finished_before: float) -> PruneResult:
        """Delete runs that finished before the given time, with their events and tags, in
        short transactions. Events a status row points at are kept (see `PruneResult`);
        runs not finished are never touched."""
        ...

    def prune_ticks(self, before: float) -> int:
        """Delete ticks older than `before`, except each instigator's latest; returns how
        many were deleted."""
        ...

    def close(self) -> None: ...


class ComputeLogStore(Protocol):
    """Per-step captured stdout/stderr."""

    def open_writer(self, run_id: str, step_key: str, stream: str) -> ComputeLogWriter: ...

    def read(self, run_id: str, step_key: str, stream: str) -> str | None: ...

    def list_steps(self, run_id: str) -> list[str]: ...

    def delete_run_logs(self, run_id: str) -> None:
        """Remove every compute log of a run (pruning); nothing happens if it has none."""
        ...


class ComputeLogWriter(Protocol):
    def write(self, text: str) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
