"""Which partitions of each selected asset a new backfill targets: the requested ones through
the partition mappings, filtered by status, widened for multi-assets that cannot subset."""

from __future__ import annotations

from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import PartitionKeyRange, PartitionsDefinition, PartitionsSubset
from freshet.errors import PartitionError
from freshet.instance.backfill.results import BackfillOnly
from freshet.instance.backfill.scope import Scope
from freshet.instance.instance import Instance
from freshet.status.partitions import get_partition_status


def _requested(
    scope: Scope,
    definition: PartitionsDefinition,
    key_range: PartitionKeyRange | None,
    keys: tuple[str, ...] | None,
) -> PartitionsSubset:
    store = scope.store
    if key_range is not None:
        definition.get_partition_key_range(key_range.start, key_range.end, dynamic_store=store)
        return definition.subset_for_range(key_range, dynamic_store=store).concrete()
    if keys is not None:
        return definition.subset_for_keys(keys, dynamic_store=store).concrete()
    return definition.all_subset(dynamic_store=store).concrete()


def initial_targets(
    scope: Scope, key_range: PartitionKeyRange | None, keys: tuple[str, ...] | None
) -> dict[AssetKey, PartitionsSubset]:
    """The requested partitions apply to the selection's root assets and to every asset with
    the same partitions definition; other assets get the partitions that depend on their
    parents' targets through the partition mappings (a daily asset below an hourly one)."""
    roots = [k for k in scope.keys if not scope.parents[k]]
    root_defs = {scope.definition(k) for k in roots}
    requested: dict[Any, PartitionsSubset] = {}
    for key in roots:
        definition = scope.definition(key)
        if definition not in requested:
            try:
                requested[definition] = _requested(scope, definition, key_range, keys)
            except PartitionError as exc:
                raise PartitionError(f"asset {key.to_user_string()!r}: {exc}") from None
    targets: dict[AssetKey, PartitionsSubset] = {}
    for key in scope.keys:
        definition = scope.definition(key)
        if definition in root_defs:
            targets[key] = requested[definition]
            continue
        subset = definition.empty_subset()
        for parent, mapping in scope.parents[key]:
            subset = subset | scope.reading(key, parent, mapping, targets[parent])
        targets[key] = subset.concrete()
    return targets


def apply_only(
    scope: Scope, instance: Instance, targets: dict[AssetKey, PartitionsSubset], only: Any
) -> dict[AssetKey, PartitionsSubset]:
    """Keep the targets whose current status is missing; or those that failed (or are
    stale), with the targets downstream of them (they read what is about to change)."""
    if only is None:
        return targets
    kept: dict[AssetKey, PartitionsSubset] = {}
    for key in scope.keys:
        subset = targets[key]
        status = get_partition_status(scope.defs, instance, key)
        if only is BackfillOnly.MISSING:
            kept[key] = subset & status.missing
            continue
        failed = status.failed | status.latest_attempt_failed
        chosen = subset & (failed if only is BackfillOnly.FAILED else status.stale)
        for parent, mapping in scope.parents[key]:
            chosen = chosen | (scope.reading(key, parent, mapping, kept[parent]) & subset)
        kept[key] = chosen
    return kept


def with_required_neighbors(
    scope: Scope, targets: dict[AssetKey, PartitionsSubset]
) -> dict[AssetKey, PartitionsSubset]:
    """A multi-asset that cannot subset runs all its selected assets together, so they share
    the union of their targets."""
    result = dict(targets)
    for key in scope.keys:
        neighbors = scope.graph.required_multi_asset_neighbors(key) & set(targets)
        same = [n for n in neighbors if scope.definition(n) == scope.definition(key)]
        for other in same:
            result[key] = result[key] | targets[other]
    return result
