"""What a caller asks a backfill for: the arguments checked and coerced, and the selection
checked, before anything is planned or written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import BackfillPolicy, PartitionKeyRange
from freshet.definitions import Definitions
from freshet.errors import PartitionError, SelectionError, UsageError
from freshet.execution.plan import plan_assets
from freshet.instance.backfill.record import encode_policy
from freshet.instance.backfill.results import BackfillOnly
from freshet.instance.instance import Instance
from freshet.lineage.selection import select_assets
from freshet.status.api import selection_statuses


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What the caller asked for, as stored in the record."""

    selection: Any
    key_range: PartitionKeyRange | None
    keys: tuple[str, ...] | None
    only: BackfillOnly | None
    policy: BackfillPolicy | None

    def describe(self) -> str:
        if self.key_range is not None:
            text = str(self.key_range)
        elif self.keys is not None:
            many = len(self.keys) > 3
            text = ", ".join(self.keys[:3]) + (f", ... ({len(self.keys)} keys)" if many else "")
        else:
            text = "all partitions"
        return text if self.only is None else f"{text}, {self.only.value} only"

    def to_json(self) -> dict[str, Any]:
        key_range = self.key_range
        return {
            "description": self.describe(),
            "selection": self.selection if isinstance(self.selection, str) else None,
            "partition_range": None if key_range is None else [key_range.start, key_range.end],
            "only": None if self.only is None else self.only.value,
            "policy": encode_policy(self.policy),
        }


def parse_request(
    selection: Any, partition_range: Any, partition_keys: Any, only: Any, policy: Any
) -> Request:
    key_range = _coerce_range(partition_range)
    keys = _coerce_keys(partition_keys)
    if key_range is not None and keys is not None:
        raise UsageError(
            "backfill: give partition_range=(first, last) or partition_keys=[...], not both"
        )
    return Request(
        selection=selection,
        key_range=key_range,
        keys=keys,
        only=_coerce_only(only),
        policy=_check_policy(policy),
    )


def _coerce_range(partition_range: Any) -> PartitionKeyRange | None:
    if partition_range is None:
        return None
    return PartitionKeyRange.coerce(partition_range, "backfill: partition_range")


def _coerce_keys(partition_keys: Any) -> tuple[str, ...] | None:
    if partition_keys is None:
        return None
    if isinstance(partition_keys, str) or not isinstance(partition_keys, Iterable):
        raise UsageError(
            f"backfill: partition_keys must be a list of partition keys, got {partition_keys!r}"
        )
    keys = tuple(partition_keys)
    if not keys:
        raise UsageError("backfill: partition_keys is empty; give at least one partition key")
    return keys


def _coerce_only(only: Any) -> BackfillOnly | None:
    if only is None or isinstance(only, BackfillOnly):
        return only
    try:
        return BackfillOnly(only)
    except ValueError:
        choices = ", ".join(repr(o.value) for o in BackfillOnly)
        raise UsageError(f"backfill: only must be one of {choices} or None, got {only!r}") from None


def _check_policy(policy: Any) -> BackfillPolicy | None:
    if policy is None or isinstance(policy, BackfillPolicy):
        return policy
    raise UsageError(
        "backfill: policy must be a BackfillPolicy (BackfillPolicy.single_run() or "
        f"BackfillPolicy.multi_run(n)), got {policy!r}"
    )


def asset_names(keys: Iterable[AssetKey]) -> str:
    return ", ".join(sorted(k.to_user_string() for k in keys))


def selected_keys(defs: Definitions, selection: Any, instance: Instance) -> set[AssetKey]:
    """The materializable assets selected; all of them must be partitioned."""
    graph = defs.get_asset_graph()
    if selection is None:
        keys = {k for k in graph.materializable_keys if graph.node(k).partitions_def is not None}
    else:
        statuses = selection_statuses(defs, instance)
        keys = {k for k in select_assets(graph, selection, statuses=statuses) if graph.has(k)}
        keys = {k for k in keys if graph.node(k).is_materializable}
    if not keys:
        raise SelectionError(
            f"nothing to backfill: selection {selection!r} holds no materializable asset; "
            "select partitioned assets (e.g. --select 'daily_sales+')"
        )
    unpartitioned = {k for k in keys if graph.node(k).partitions_def is None}
    if unpartitioned == keys:
        raise PartitionError(
            f"nothing to backfill: none of the selected assets ({asset_names(keys)}) is "
            "partitioned; materialize them with `freshet materialize` instead"
        )
    if unpartitioned:
        raise PartitionError(
            f"cannot backfill unpartitioned assets {asset_names(unpartitioned)}: a backfill runs "
            "partitions; leave them out of the selection (e.g. add `and not "
            f"{sorted(unpartitioned)[0].to_user_string()}`) and materialize them after the "
            "backfill"
        )
    # Refuses a partial selection of a multi-asset that cannot subset, before anything runs.
    plan_assets(graph, keys)
    return keys
