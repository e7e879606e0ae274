"""What one tick knows about storage, read through the storage protocols and cached for the
tick: each asset partition's latest materialization/observation, data and code version,
failed and in-progress flags, the runs still queued or running, and partition mappings.

Unpartitioned assets are read for the whole graph in two queries; partitioned assets only
for the partitions a condition asks about (the latest time window, for the presets)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from freshet.automation.cursor import Slot
from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.core.partitions import (
    IdentityPartitionMapping,
    PartitionKeyRange,
    UnpartitionedSubset,
    default_partition_mapping,
)
from freshet.errors import FreshetError, PartitionError
from freshet.lineage.selection import coerce_selection
from freshet.lineage.view import AssetGraphView
from freshet.storage.base import StorageReader
from freshet.storage.records import AssetStatusRecord, RunRecord, RunsFilter, RunStatus

_UNFINISHED = [status for status in RunStatus if not status.is_finished]

ALL_SLOTS = "*"
"""In `in_flight`: every partition of the asset (a run without a single partition)."""


@dataclass(frozen=True, slots=True)
class SlotFacts:
    """One asset partition (or an unpartitioned asset) as storage has it."""

    materialization_id: int | None = None
    observation_id: int | None = None
    data_version: str | None = None
    data_time: float | None = None
    code_version: str | None = None
    failed: bool = False
    in_progress: bool = False

    @property
    def latest_id(self) -> int | None:
        ids = [i for i in (self.materialization_id, self.observation_id) if i is not None]
        return max(ids) if ids else None


_NOTHING = SlotFacts()


class TickFacts:
    def __init__(self, graph: AssetGraphView, storage: StorageReader, now: float) -> None:
        self.graph = graph
        self.storage = storage
        self.now = now
        self.now_datetime = datetime.fromtimestamp(now, UTC)
        self._slots: dict[AssetKey, dict[Slot, SlotFacts]] = {}
        self._unpartitioned_loaded = False
        self._in_flight: dict[AssetKey, set[Slot | str]] | None = None
        self._unfinished: list[RunRecord] | None = None
        self._definitions: dict[AssetKey, Any] = {}
        self._upstream: dict[tuple[AssetKey, AssetKey, Slot], tuple[Slot, ...]] = {}
        self._all_keys: dict[AssetKey, Sequence[str]] = {}
        self._materialized: dict[AssetKey, set[str]] = {}
        self._checks: dict[tuple[AssetCheckKey, Slot], bool] = {}
        self.max_storage_id = storage.get_max_storage_id()

    # -- partitions -------------------------------------------------------------------
    def partitions_def(self, key: AssetKey) -> Any:
        try:
            return self._definitions[key]
        except KeyError:
            found = self._definitions[key] = self.graph.node(key).partitions_def
            return found

    def all_slots(self, key: AssetKey) -> Sequence[Slot]:
        """Every partition of `key` now, as a lazy sequence (10,000 daily partitions are
        not spelled out unless a condition looks at each of them)."""
        definition = self.partitions_def(key)
        if definition is None:
            return (None,)
        keys = self._all_keys.get(key)
        if keys is None:
            keys = definition.get_partition_keys(
                current_time=self.now_datetime, dynamic_store=self.storage
            )
            self._all_keys[key] = keys
        return keys

    def upstream_slots(self, key: AssetKey, dep: AssetKey, slot: Slot) -> tuple[Slot, ...]:
        """The partitions of `dep` that partition `slot` of `key` reads."""
        cached = self._upstream.get((key, dep, slot))
        if cached is not None:
            return cached
        node = self.graph.node(key)
        up_def = self.graph.node(dep).partitions_def if self.graph.has(dep) else None
        down_def = node.partitions_def
        if up_def is None:
            answer: tuple[Slot, ...] = (None,)
        else:
            mapping = node.partition_mapping_for(dep) or default_partition_mapping(up_def, down_def)
            if (
                down_def is not None
                and up_def == down_def
                and isinstance(mapping, IdentityPartitionMapping)
            ):
                answer = (slot,)
            else:
                answer = self._mapped(mapping, up_def, down_def, slot)
        self._upstream[(key, dep, slot)] = answer
        return answer

    def _mapped(self, mapping: Any, up_def: Any, down_def: Any, slot: Slot) -> tuple[Slot, ...]:
        try:
            if down_def is None or slot is None:
                downstream = UnpartitionedSubset.whole()
            else:
                downstream = down_def.subset_for_keys([slot], dynamic_store=self.storage)
            upstream = mapping.upstream_partitions_for(
                downstream,
                up_def,
                down_def,
                current_time=self.now_datetime,
                dynamic_store=self.storage,
            )
        except PartitionError:
            return ()  # a partition the definition no longer has reads nothing
        return tuple(upstream)

    # -- status -----------------------------------------------------------------------
    def facts(self, key: AssetKey, slots: Iterable[Slot]) -> dict[Slot, SlotFacts]:
        if self.partitions_def(key) is None:
            self._load_unpartitioned()
            known = self._slots.get(key, {})
            return {None: known.get(None, _NOTHING)}
        known = self._slots.setdefault(key, {})
        wanted = [s for s in slots if s is not None and s not in known]
        if wanted:
            rows = self.storage.get_partition_status(key, wanted, with_events=True)
            for slot in wanted:
                row = rows.get(slot)  # type: ignore[arg-type]
                known[slot] = _NOTHING if row is None else _from_row(row)
        return {s: known.get(s, _NOTHING) for s in slots}

    def one(self, key: AssetKey, slot: Slot) -> SlotFacts:
        return self.facts(key, (slot,))[slot]

    def materialized_partitions(self, key: AssetKey) -> set[str]:
        """Every partition of `key` with a status row that has a materialization (one query,
        no events): for conditions asked about all partitions at once."""
        found = self._materialized.get(key)
        if found is None:
            rows = self.storage.get_partition_status(key, None, with_events=False)
            found = {p for p, row in rows.items() if row.last_materialization_storage_id}
            self._materialized[key] = found
        return found

    def _load_unpartitioned(self) -> None:
        if self._unpartitioned_loaded:
            return
        self._unpartitioned_loaded = True
        keys = [k for k in self.graph.all_keys if self.graph.node(k).partitions_def is None]
        statuses = self.storage.get_asset_status(keys, with_events=False)
        versions = self.storage.get_asset_versions(keys)
        for key, row in statuses.items():
            columns = versions.get(key)
            index = None
            if columns is not None and None in columns.partitions:
                index = columns.partitions.index(None)
            self._slots[key] = {
                None: SlotFacts(
                    materialization_id=row.last_materialization_storage_id,
                    observation_id=row.last_observation_storage_id,
                    data_version=None if index is None else columns.data_versions[index],  # type: ignore[union-attr]
                    data_time=None if index is None else columns.data_version_times[index],  # type: ignore[union-attr]
                    code_version=None if index is None else columns.code_versions[index],  # type: ignore[union-attr]
                    failed=row.last_failed_run_id is not None,
                    in_progress=row.in_progress_run_id is not None,
                )
            }

    def latest_code_version(self, key: AssetKey) -> str | None:
        """The code version the asset's latest materialization recorded (any partition)."""
        columns = self.storage.get_asset_versions([key]).get(key)
        if columns is None or not len(columns):
            return None
        return columns.code_versions[0]

    # -- runs -------------------------------------------------------------------------
    def in_flight(self, key: AssetKey) -> Collection[Slot | str]:
        """Partitions of `key` targeted by a run that is queued or not finished;
        `ALL_SLOTS` among them when a run targets the asset without a single partition."""
        if self._in_flight is None:
            self._in_flight = {}
            for run in self.unfinished_runs():
                for asset in self.run_asset_keys(run):
                    slots = self._in_flight.setdefault(asset, set())
                    if self.graph.node(asset).partitions_def is None:
                        slots.add(None)
                    elif run.partition is None or PartitionKeyRange.is_range_text(run.partition):
                        slots.add(ALL_SLOTS)
                    else:
                        slots.add(run.partition)
        return self._in_flight.get(key, ())

    def unfinished_runs(self) -> list[RunRecord]:
        if self._unfinished is None:
            self._unfinished = self.storage.get_runs(RunsFilter(statuses=_UNFINISHED))
        return self._unfinished

    def run_asset_keys(self, run: RunRecord) -> set[AssetKey]:
        """The assets of this graph a run targets: its recorded keys, or those its selection
        (launched runs) resolves to; nothing for a selection this graph cannot resolve."""
        keys = set(run.asset_selection)
        if not keys and run.selection:
            try:
                keys = set(coerce_selection(run.selection).resolve(self.graph))
            except FreshetError:
                keys = set()
        return {k for k in keys if self.graph.has(k)}

    def check_passed(self, check: AssetCheckKey, slot: Slot) -> bool:
        """Whether the check's latest evaluation of `slot` passed (read once per tick: every
        partition that reads an unpartitioned dependency asks about the same one)."""
        passed = self._checks.get((check, slot))
        if passed is None:
            record = self.storage.get_latest_check_evaluation(check, slot)
            passed = record is not None and bool(record.event.data.get("passed"))
            self._checks[(check, slot)] = passed
        return passed


class AllSlots(Set[Slot]):
    """Every partition of an asset as a set, without listing them: intersecting it with a
    few keys costs those keys; only what must look at each partition iterates it."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Sequence[Slot]) -> None:
        self._keys = keys

    @classmethod
    def _from_iterable(cls, it: Iterable[Slot]) -> frozenset[Slot]:  # type: ignore[override]
        return frozenset(it)

    def __contains__(self, value: object) -> bool:
        return value in self._keys

    def __iter__(self) -> Iterator[Slot]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __and__(self, other: object) -> frozenset[Slot]:  # type: ignore[override]
        if isinstance(other, AllSlots):
            return frozenset(self)
        return frozenset(v for v in other if v in self)  # type: ignore[attr-defined]

    __rand__ = __and__  # type: ignore[assignment]


def _from_row(row: AssetStatusRecord) -> SlotFacts:
    data_event = row.latest_data_event
    data = data_event.event.data if data_event is not None else {}
    mat = row.last_materialization
    return SlotFacts(
        materialization_id=row.last_materialization_storage_id,
        observation_id=row.last_observation_storage_id,
        data_version=data.get("data_version"),
        data_time=None if data_event is None else data_event.event.timestamp,
        code_version=None if mat is None else mat.event.data.get("code_version"),
        failed=row.last_failed_run_id is not None,
        in_progress=row.in_progress_run_id is not None,
    )
