"""Public status queries over a `Definitions` (or its snapshot) and an instance, and the
statuses that answer the `status:` terms of a selection (see
`freshet.lineage.selection.select_assets`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.lineage.selection import SelectionStatus, StatusResolver, select_assets
from freshet.lineage.view import HasAssetGraph
from freshet.status.freshness import freshness_of
from freshet.status.staleness import AssetStatus, StalenessResolver, StaleStatus
from freshet.storage.base import StorageReader
from freshet.storage.records import EventRecord


class HasStorage(Protocol):
    @property
    def storage(self) -> StorageReader: ...


_STALENESS = {
    SelectionStatus.STALE: StaleStatus.STALE,
    SelectionStatus.MISSING: StaleStatus.MISSING,
    SelectionStatus.UP_TO_DATE: StaleStatus.UP_TO_DATE,
}


def selection_statuses(
    defs: HasAssetGraph, instance: HasStorage | None, staleness: StalenessResolver | None = None
) -> StatusResolver | None:
    """What answers `status:` terms from `instance` (None without one): each status is
    computed on first use, so a selection without status terms reads nothing."""
    if instance is None:
        return None
    graph = defs.get_asset_graph()
    storage = instance.storage
    resolver = staleness or StalenessResolver(graph, storage)

    def resolve(status: SelectionStatus) -> set[AssetKey]:
        stale_status = _STALENESS.get(status)
        if stale_status is not None:
            return resolver.keys_with(stale_status)
        if status is SelectionStatus.CHECKS_FAILING:
            return failing_check_assets(defs, storage)
        if status is SelectionStatus.LATE:
            return {k for k, state in freshness_of(graph, storage).items() if state.is_late}
        rows = storage.get_asset_status(graph.toposorted_keys, with_events=False)
        if status is SelectionStatus.FAILED:
            return {k for k, r in rows.items() if r.last_failed_run_id is not None}
        return {k for k, r in rows.items() if r.in_progress_run_id is not None}

    return resolve


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The latest evaluation of one asset check (None fields: never evaluated)."""

    key: AssetCheckKey
    passed: bool | None = None
    severity: str | None = None
    run_id: str | None = None
    timestamp: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None

    @property
    def state(self) -> str:
        """`passed`, `failed` or `not evaluated`."""
        if self.passed is None:
            return "not evaluated"
        return "passed" if self.passed else "failed"


def latest_check_results(
    defs: HasAssetGraph, storage: StorageReader, asset_keys: Iterable[AssetKey] | None = None
) -> dict[AssetKey, list[CheckResult]]:
    """The latest result of every check of each asset (all assets with checks by default)."""
    graph = defs.get_asset_graph()
    keys = graph.all_keys if asset_keys is None else [k for k in asset_keys if graph.has(k)]
    specs = [spec for asset_key in keys for spec in graph.check_specs_for(asset_key)]
    records = storage.get_latest_check_evaluations(spec.key for spec in specs)
    results: dict[AssetKey, list[CheckResult]] = {}
    for spec in specs:
        results.setdefault(spec.asset_key, []).append(_check_result(spec.key, records.get(spec.key)))
    return results


def _check_result(key: AssetCheckKey, record: EventRecord | None) -> CheckResult:
    if record is None:
        return CheckResult(key=key)
    data = record.event.data
    return CheckResult(
        key=key,
        passed=bool(data.get("passed", True)),
        severity=data.get("severity"),
        run_id=record.event.run_id,
        timestamp=record.event.timestamp,
        metadata=data.get("metadata") or {},
        description=data.get("description"),
    )


def failing_check_assets(defs: HasAssetGraph, storage: StorageReader) -> set[AssetKey]:
    """Assets whose latest evaluation of some check did not pass."""
    return {
        key
        for key, results in latest_check_results(defs, storage).items()
        if any(r.passed is False for r in results)
    }


def get_asset_statuses(
    defs: HasAssetGraph, instance: HasStorage, selection: Any = None
) -> dict[AssetKey, AssetStatus]:
    """Missing / stale / up to date, with causes, for the materializable assets of `defs`
    (narrowed by `selection`). `defs` is a `Definitions` or a `DefinitionsSnapshot`: both give
    the same statuses."""
    graph = defs.get_asset_graph()
    staleness = StalenessResolver(graph, instance.storage)
    statuses = staleness.statuses()
    if selection is None:
        return dict(statuses)
    keys = select_assets(graph, selection, statuses=selection_statuses(defs, instance, staleness))
    return {k: s for k, s in statuses.items() if k in keys}
