"""Partition status: which partitions of an asset are materialized, failed, in progress or
missing — and, on demand, stale — as compact subsets read from the per-partition status index
(never the log)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import PartitionsDefinition, PartitionsSubset
from freshet.core.partitions.subsets import TimeWindowPartitionsSubset
from freshet.errors import PartitionError, UsageError
from freshet.lineage.view import AssetNodeView, HasAssetGraph
from freshet.status.staleness import PartitionStaleness, StalenessResolver
from freshet.storage.records import PartitionStatusCategory


class _Deferred:
    """A value computed on first use, then kept (state, not a value: it caches)."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], PartitionsSubset]) -> None:
        self._compute: Callable[[], PartitionsSubset] | None = compute
        self._value: PartitionsSubset | None = None

    def get(self) -> PartitionsSubset:
        if self._compute is not None:
            self._value = self._compute()
            self._compute = None
        assert self._value is not None
        return self._value


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionStatus:
    """Subsets of one asset's partitions. A partition is in exactly one of materialized,
    failed, in progress and missing. A partition that was materialized and whose latest
    attempt then failed is still materialized (its data is there) and is also in
    `latest_attempt_failed`; `failed` holds only partitions that never materialized.

    `stale` — the materialized partitions that are out of date (see `get_partition_statuses`
    for why) — is computed on first use: it needs the versions of this asset's partitions
    and of its ancestors', which the other subsets do not."""

    asset_key: AssetKey
    materialized: PartitionsSubset
    failed: PartitionsSubset
    in_progress: PartitionsSubset
    missing: PartitionsSubset
    total: int
    latest_attempt_failed: PartitionsSubset
    _stale: _Deferred = field(repr=False, compare=False)

    @property
    def stale(self) -> PartitionsSubset:
        return self._stale.get()

    def counts(self) -> dict[str, int]:
        return {
            "materialized": len(self.materialized),
            "failed": len(self.failed),
            "in_progress": len(self.in_progress),
            "missing": len(self.missing),
            "latest_attempt_failed": len(self.latest_attempt_failed),
            "total": self.total,
        }


def _subset(definition: PartitionsDefinition, keys: list[str], store: Any) -> PartitionsSubset:
    try:
        return definition.subset_for_keys(keys, dynamic_store=store)
    except PartitionError:
        # Keys recorded for partitions that no longer exist (a deleted dynamic partition,
        # a definition whose start moved) do not count.
        valid = [k for k in keys if definition.has_partition_key(k, dynamic_store=store)]
        return definition.subset_for_keys(valid, dynamic_store=store)


def partitioned_node(defs: HasAssetGraph, asset_key: AssetKey | str) -> AssetNodeView:
    """The graph node of a partitioned asset of `defs`, or a `UsageError` saying why not."""
    key = AssetKey.from_coercible(asset_key)
    graph = defs.get_asset_graph()
    if not graph.has(key):
        raise UsageError(
            f"no asset {key.to_user_string()!r} in these definitions; check the key "
            "(`freshet assets list` shows them)"
        )
    node = graph.node(key)
    if node.partitions_def is None:
        raise UsageError(
            f"asset {key.to_user_string()!r} is not partitioned; use get_asset_statuses for "
            "its status"
        )
    return node


def get_partition_status(
    defs: HasAssetGraph, instance: Any, asset_key: AssetKey | str
) -> PartitionStatus:
    """The status of every partition of a partitioned asset."""
    node = partitioned_node(defs, asset_key)
    key, definition, storage = node.key, node.partitions_def, instance.storage
    by_status = storage.get_partition_keys_by_status(key)
    done_then_failed = by_status[PartitionStatusCategory.MATERIALIZED_LATEST_FAILED]
    done = _subset(
        definition, by_status[PartitionStatusCategory.MATERIALIZED] + done_then_failed, storage
    )
    failing = _subset(definition, by_status[PartitionStatusCategory.FAILED], storage)
    running = _subset(definition, by_status[PartitionStatusCategory.IN_PROGRESS], storage)
    everything = definition.all_subset(dynamic_store=storage)
    missing = everything
    for part in (done, failing, running):
        if part:  # an empty difference still walks every range of the left side
            missing = missing - part

    def stale() -> PartitionsSubset:
        return get_partition_statuses(defs, instance, key).stale

    return PartitionStatus(
        asset_key=key,
        materialized=done,
        failed=failing,
        in_progress=running,
        missing=missing,
        total=len(everything),
        latest_attempt_failed=_subset(definition, done_then_failed, storage),
        _stale=_Deferred(stale),
    )


def get_partition_statuses(
    defs: HasAssetGraph, instance: Any, asset_key: AssetKey | str
) -> PartitionStaleness:
    """Missing / stale / up to date for every partition of a partitioned asset, with the
    causes of each stale partition; reads only this asset and its ancestors."""
    node = partitioned_node(defs, asset_key)
    if not node.is_materializable:
        raise UsageError(
            f"asset {node.key.to_user_string()!r} is not materialized by freshet (a source or "
            "external asset), so it has no staleness; ask get_partition_status for what was "
            "observed"
        )
    resolver = StalenessResolver(defs.get_asset_graph(), instance.storage, keys=[node.key])
    return resolver.partition_statuses()[node.key]


def statuses_for(
    defs: HasAssetGraph, instance: Any, keys: Iterable[AssetKey]
) -> dict[AssetKey, PartitionStatus]:
    graph = defs.get_asset_graph()
    return {
        k: get_partition_status(defs, instance, k)
        for k in keys
        if graph.node(k).partitions_def is not None
    }


def partition_ranges(subset: PartitionsSubset) -> list[str]:
    """The subset as compact ranges in the definition's key order: `first...last` for each
    run of consecutive partitions, a single key for a run of one."""
    subset = subset.concrete()
    if isinstance(subset, TimeWindowPartitionsSubset):
        return [_range_text(r.start, r.end) for r in subset.key_ranges()]
    pairs = subset.iter_with_order()  # in key order
    ranges: list[str] = []
    first = last = None
    previous: Any = None
    for order, key in pairs:
        if first is not None and isinstance(order, int) and previous == order - 1:
            last, previous = key, order
            continue
        if first is not None:
            ranges.append(_range_text(first, last))
        first = last = key
        previous = order
    if first is not None:
        ranges.append(_range_text(first, last))
    return ranges


def _range_text(first: str | None, last: str | None) -> str:
    return f"{first}" if first == last else f"{first}...{last}"


def partition_counts(
    defs: HasAssetGraph, instance: Any, keys: Iterable[AssetKey]
) -> dict[AssetKey, dict[str, int]]:
    """Per partitioned materializable asset in `keys`: how many partitions are materialized,
    failed, in progress, missing and stale (stale read in one walk for all of them)."""
    graph = defs.get_asset_graph()
    chosen = [
        k
        for k in keys
        if graph.node(k).partitions_def is not None and graph.node(k).is_materializable
    ]
    if not chosen:
        return {}
    staleness = StalenessResolver(graph, instance.storage, keys=chosen).partition_statuses()
    counts: dict[AssetKey, dict[str, int]] = {}
    for key in chosen:
        status = get_partition_status(defs, instance, key)
        counts[key] = {**status.counts(), "stale": len(staleness[key].stale)}
    return counts
