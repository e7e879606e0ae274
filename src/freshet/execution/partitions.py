"""Partitions inside a run: which upstream partitions a partition of an asset reads, and
checking the run's partition key against every partitioned asset it materializes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from freshet.core.keys import AssetKey
from freshet.errors import PartitionError
from freshet.lineage.view import AssetGraphView

if TYPE_CHECKING:
    from freshet.core.partitions import PartitionKeyRange, PartitionsDefinition

# The partition classes are imported where a partitioned asset needs them, for start-up time
# (~10 ms): a graph holding a partitions definition has loaded them already, and a run of
# unpartitioned assets never does.


def upstream_partition_keys(
    graph: AssetGraphView,
    asset_key: AssetKey,
    upstream_key: AssetKey,
    partition_key: str | Sequence[str] | None,
    dynamic_store: Any = None,
) -> list[str] | None:
    """The partitions of `upstream_key` that partition(s) `partition_key` of `asset_key`
    read (None when the upstream is not partitioned), through the dependency's mapping."""
    up_def = graph.node(upstream_key).partitions_def
    if up_def is None:
        return None
    from freshet.core.partitions import UnpartitionedSubset, default_partition_mapping

    down_def = graph.node(asset_key).partitions_def
    mapping = graph.node(asset_key).partition_mapping_for(upstream_key)
    mapping = mapping or default_partition_mapping(up_def, down_def)
    keys = [partition_key] if isinstance(partition_key, str) else list(partition_key or ())
    if down_def is None or not keys:
        downstream = UnpartitionedSubset.whole()
    else:
        downstream = down_def.subset_for_keys(keys, dynamic_store=dynamic_store)
    upstream = mapping.upstream_partitions_for(
        downstream, up_def, down_def, dynamic_store=dynamic_store
    )
    return list(upstream)


def check_partition_key(
    graph: AssetGraphView,
    keys: Iterable[AssetKey],
    partition_key: str | None,
    dynamic_store: Any = None,
) -> None:
    """Every partitioned asset of the run needs the key, and the key must be one of its
    partitions; unpartitioned runs of partitioned assets are refused."""
    partitioned = [k for k in keys if graph.node(k).partitions_def is not None]
    if partition_key is None:
        if partitioned:
            names = ", ".join(sorted(k.to_user_string() for k in partitioned))
            raise PartitionError(
                f"partitioned assets {names} need a partition key; pass partition_key=... "
                "(CLI: --partition KEY)"
            )
        return
    if not partitioned:
        raise PartitionError(
            f"partition key {partition_key!r} given, but none of the selected assets is "
            "partitioned; drop the partition key"
        )
    for key in partitioned:
        definition: PartitionsDefinition = graph.node(key).partitions_def
        try:
            definition.validate_key(partition_key, dynamic_store=dynamic_store)
        except PartitionError as exc:
            raise PartitionError(f"asset {key.to_user_string()!r}: {exc}") from None


def keys_for_range(
    graph: AssetGraphView,
    keys: Iterable[AssetKey],
    key_range: PartitionKeyRange,
    dynamic_store: Any = None,
) -> list[str]:
    """The partition keys a range run covers. Every partitioned asset of the run must share
    one partitions definition, and both ends must be keys of it, start before end."""
    definitions = {
        graph.node(k).partitions_def for k in keys if graph.node(k).partitions_def is not None
    }
    if not definitions:
        raise PartitionError(
            f"partition range {key_range} given, but none of the selected assets is partitioned"
        )
    if len(definitions) > 1:
        raise PartitionError(
            f"partition range {key_range}: the selected assets have different partitions "
            "definitions; run a range over assets that share one (or run partitions one by one)"
        )
    [definition] = definitions
    checked = definition.get_partition_key_range(
        key_range.start, key_range.end, dynamic_store=dynamic_store
    )
    return list(definition.subset_for_range(checked, dynamic_store=dynamic_store))


def canonical_partition_key(
    graph: AssetGraphView, keys: Iterable[AssetKey], partition_key: str | None
) -> str | None:
    """The key as the definition spells it: a multi-dimensional key becomes a
    `MultiPartitionKey` (with `.keys_by_dimension`) however it was given."""
    if partition_key is None:
        return None
    from freshet.core.partitions import MultiPartitionsDefinition

    for key in keys:
        definition = graph.node(key).partitions_def
        if isinstance(definition, MultiPartitionsDefinition):
            return definition.parse_key(partition_key)
    return partition_key
