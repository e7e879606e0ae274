"""Evaluating a user-defined `PartitionMapping` inside its code location's process.

A snapshot describes built-in mappings completely, but a mapping class the user wrote is code:
hosts ask the location's code server, which calls it on the live definitions.

Request: `{"downstream_asset": "a/b", "upstream_asset": "c", "direction": "upstream" |
"downstream", "partition_keys": [...], "current_time": <unix seconds> | null}`; the answer is
the sorted partition keys on the other side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freshet.core.keys import AssetKey
from freshet.definitions import Definitions
from freshet.errors import FreshetError, UsageError

_DIRECTIONS = ("upstream", "downstream")


def evaluate_partition_mapping(defs: Definitions, request: Any) -> list[str]:
    if not isinstance(request, dict):
        raise UsageError("a partition mapping request must be a JSON object")
    graph = defs.get_asset_graph()
    down_key = _key(request, "downstream_asset")
    up_key = _key(request, "upstream_asset")
    direction = request.get("direction")
    if direction not in _DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(_DIRECTIONS)}, got {direction!r}")
    keys = request.get("partition_keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise UsageError("partition_keys must be a list of strings")
    if down_key not in graph.nodes or up_key not in graph.parents(down_key):
        raise UsageError(
            f"{down_key.to_user_string()!r} has no dependency on {up_key.to_user_string()!r} "
            "in this code location"
        )
    down = graph.nodes[down_key]
    up_def = graph.nodes[up_key].partitions_def if up_key in graph.nodes else None
    mapping = down.partition_mapping_for(up_key)
    if mapping is None:
        raise UsageError(
            f"the dependency of {down_key.to_user_string()!r} on {up_key.to_user_string()!r} "
            "has no explicit partition mapping"
        )
    side = down_key if direction == "upstream" else up_key
    side_def = down.partitions_def if direction == "upstream" else up_def
    if side_def is None:
        raise UsageError(f"{side.to_user_string()!r} is not partitioned")
    when = request.get("current_time")
    current_time = None if when is None else datetime.fromtimestamp(float(when), tz=UTC)
    if direction == "upstream":
        given = down.partitions_def.subset_for_keys(keys, current_time=current_time)
        result = mapping.upstream_partitions_for(
            given, up_def, down.partitions_def, current_time=current_time
        )
    else:
        given = up_def.subset_for_keys(keys, current_time=current_time)
        result = mapping.downstream_partitions_for(
            given, up_def, down.partitions_def, current_time=current_time
        )
    return sorted(result)


def _key(request: dict[str, Any], name: str) -> AssetKey:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise UsageError(f"{name} must be an asset key string like 'a/b'")
    try:
        return AssetKey.from_user_string(value)
    except FreshetError as exc:
        raise UsageError(f"{name}: {exc}") from None
