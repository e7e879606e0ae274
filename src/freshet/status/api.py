"""Public status queries over a `Definitions` (or its snapshot) and an instance, and the
`status:` selection resolver used by `materialize`, the CLI and the web UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from freshet.core.keys import AssetKey
from freshet.errors import SelectionError
from freshet.lineage.selection import SelectionStatus, coerce_selection
from freshet.lineage.view import HasAssetGraph
from freshet.status.staleness import AssetStatus, StalenessResolver, StaleStatus
from freshet.storage.base import StorageReader


class HasStorage(Protocol):
    @property
    def storage(self) -> StorageReader: ...


def make_status_resolver(
    defs: HasAssetGraph, instance: HasStorage, staleness: StalenessResolver | None = None
) -> Callable[[SelectionStatus], set[AssetKey]]:
    """A `status_resolver` for selections: computes statuses once, on first use."""
    graph = defs.get_asset_graph()
    staleness = staleness or StalenessResolver(graph, instance.storage)

    def resolve(status: SelectionStatus) -> set[AssetKey]:
        if status is SelectionStatus.STALE:
            return staleness.keys_with(StaleStatus.STALE)
        if status is SelectionStatus.MISSING:
            return staleness.keys_with(StaleStatus.MISSING)
        if status is SelectionStatus.UP_TO_DATE:
            return staleness.keys_with(StaleStatus.UP_TO_DATE)
        rows = instance.storage.get_asset_status(graph.toposorted_keys, with_events=False)
        if status is SelectionStatus.FAILED:
            return {k for k, r in rows.items() if r.last_failed_run_id is not None}
        if status is SelectionStatus.IN_PROGRESS:
            return {k for k, r in rows.items() if r.in_progress_run_id is not None}
        raise SelectionError(
            f"status:{status.value} is not available yet (supported: missing, stale, "
            "up_to_date, failed, in_progress)"
        )

    return resolve


def resolve_selection(
    defs: HasAssetGraph, selection: Any, instance: HasStorage | None
) -> set[AssetKey]:
    """Resolve any selection form; `status:` terms are answered from `instance`."""
    resolver = make_status_resolver(defs, instance) if instance is not None else _no_instance
    return coerce_selection(selection).resolve(defs.get_asset_graph(), status_resolver=resolver)


def _no_instance(status: SelectionStatus) -> set[AssetKey]:
    raise SelectionError(
        f"status:{status.value} needs the instance that holds the run history: pass "
        "instance=fr.Instance.from_home(...) (the CLI uses the project's home)"
    )


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

    keys = coerce_selection(selection).resolve(
        graph, status_resolver=make_status_resolver(defs, instance, staleness)
    )
    return {k: s for k, s in statuses.items() if k in keys}
