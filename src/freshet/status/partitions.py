"""Partition status: which partitions of an asset are materialized, failed, in progress or
missing — as compact subsets, read from the per-partition status index (never the log)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import PartitionsDefinition, PartitionsSubset
from freshet.definitions import Definitions
from freshet.errors import PartitionError, UsageError


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionStatus:
    """Subsets of one asset's partitions. A partition is in exactly one of them; the
    latest attempt wins (a failure after a materialization shows as failed)."""

    asset_key: AssetKey
    materialized: PartitionsSubset
    failed: PartitionsSubset
    in_progress: PartitionsSubset
    missing: PartitionsSubset
    total: int

    def counts(self) -> dict[str, int]:
        return {
            "materialized": len(self.materialized),
            "failed": len(self.failed),
            "in_progress": len(self.in_progress),
            "missing": len(self.missing),
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


def get_partition_status(
    defs: Definitions, instance: Any, asset_key: AssetKey | str
) -> PartitionStatus:
    """The status of every partition of a partitioned asset."""
    key = AssetKey.from_coercible(asset_key)
    node = defs.get_asset_graph().nodes.get(key)
    if node is None:
        raise UsageError(f"no asset {key.to_user_string()!r} in these definitions")
    definition = node.partitions_def
    if definition is None:
        raise UsageError(f"asset {key.to_user_string()!r} is not partitioned")
    storage = instance.storage
    rows = storage.get_partition_status(key, with_events=False)
    in_progress: list[str] = []
    failed: list[str] = []
    materialized: list[str] = []
    for partition, row in rows.items():
        if row.in_progress_run_id is not None:
            in_progress.append(partition)
        elif row.last_failed_run_id is not None:
            failed.append(partition)
        elif row.last_materialization_storage_id is not None:
            materialized.append(partition)
    everything = definition.all_subset(dynamic_store=storage)
    done = _subset(definition, materialized, storage)
    failing = _subset(definition, failed, storage)
    running = _subset(definition, in_progress, storage)
    return PartitionStatus(
        asset_key=key,
        materialized=done,
        failed=failing,
        in_progress=running,
        missing=everything - done - failing - running,
        total=len(everything),
    )


def statuses_for(
    defs: Definitions, instance: Any, keys: Iterable[AssetKey]
) -> dict[AssetKey, PartitionStatus]:
    graph = defs.get_asset_graph()
    return {
        k: get_partition_status(defs, instance, k)
        for k in keys
        if graph.node(k).partitions_def is not None
    }
