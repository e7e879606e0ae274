"""The storage protocols. Execution, status and the CLI see storage only through these.

Reading and writing are split: status computations take a `StorageReader`, runs write
through a `StorageWriter`. Every backend (memory, SQLite, PostgreSQL) implements both and
passes the same conformance suite in tests/storage/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.storage.records import (
    AssetStatusRecord,
    Event,
    EventRecord,
    EventType,
    RunRecord,
    RunsFilter,
    RunStatus,
)


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

    def get_latest_check_evaluation(
        self, check_key: AssetCheckKey, partition: str | None = None
    ) -> EventRecord | None: ...

    def get_materialized_asset_keys(self) -> set[AssetKey]: ...

    def schema_info(self) -> Mapping[str, object]:
        """Backend name, location (no secrets), schema version, row counts."""
        ...


@runtime_checkable
class StorageWriter(Protocol):
    def add_run(self, run: RunRecord) -> None: ...

    def store_events(self, events: Sequence[Event]) -> list[int]:
        """Append events atomically, in order, in one transaction; returns storage ids.

        Status indexes (latest materialization/observation/check per asset and per
        partition) and run status (for RUN_* events) are updated in that same
        transaction."""
        ...

    def set_run_status(self, run_id: str, status: RunStatus, at: float) -> None: ...

    def delete_run(self, run_id: str) -> None: ...


class Storage(StorageReader, StorageWriter, Protocol):
    """A backend: both halves, plus lifecycle."""

    def close(self) -> None: ...


class ComputeLogStore(Protocol):
    """Per-step captured stdout/stderr."""

    def open_writer(self, run_id: str, step_key: str, stream: str) -> ComputeLogWriter: ...

    def read(self, run_id: str, step_key: str, stream: str) -> str | None: ...

    def list_steps(self, run_id: str) -> list[str]: ...


class ComputeLogWriter(Protocol):
    def write(self, text: str) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
