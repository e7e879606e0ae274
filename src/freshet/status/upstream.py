"""Which upstream partitions each partition of an asset reads, through the dependency's
partition mapping: the same answer a run records in provenance, computed per partition.

An unpartitioned asset or dependency is the single "partition" None. Mappings that give
every partition the same upstream partitions (all, last, specific) are computed once, and
the identity between equal definitions without calling the mapping at all: staleness asks
this for every one of hundreds of thousands of partitions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import (
    AllPartitionMapping,
    IdentityPartitionMapping,
    LastPartitionMapping,
    PartitionMapping,
    PartitionsDefinition,
    SpecificPartitionsPartitionMapping,
    UnpartitionedSubset,
    default_partition_mapping,
)
from freshet.errors import PartitionError
from freshet.lineage.view import AssetGraphView

Slot = str | None
"""A partition key, or None for an unpartitioned asset."""

UpstreamOf = Callable[[Slot], tuple[Slot, ...]]
"""The upstream partitions one partition of the asset reads, in the upstream's key order."""

_UNPARTITIONED: tuple[Slot, ...] = (None,)
_CONSTANT_MAPPINGS = (AllPartitionMapping, LastPartitionMapping, SpecificPartitionsPartitionMapping)


def upstream_of(
    graph: AssetGraphView, key: AssetKey, dependency: AssetKey, dynamic_store: Any
) -> UpstreamOf:
    """How partitions of `key` map onto partitions of `dependency`; `same_partition` itself
    when each partition reads the upstream partition of the same key (or both are
    unpartitioned), which callers may take as a hint for a faster path."""
    node = graph.node(key)
    up_def = graph.node(dependency).partitions_def if graph.has(dependency) else None
    down_def = node.partitions_def
    if up_def is None:
        return same_partition if down_def is None else _unpartitioned_upstream
    mapping = node.partition_mapping_for(dependency)
    mapping = mapping or default_partition_mapping(up_def, down_def)
    if (
        down_def is not None
        and up_def == down_def
        and isinstance(mapping, IdentityPartitionMapping)
    ):
        return same_partition
    reader = _MappingReader(mapping, up_def, down_def, dynamic_store)
    if down_def is None or isinstance(mapping, _CONSTANT_MAPPINGS):
        return _Constant(reader)
    return reader


def _unpartitioned_upstream(slot: Slot) -> tuple[Slot, ...]:
    return _UNPARTITIONED


def same_partition(slot: Slot) -> tuple[Slot, ...]:
    return (slot,)


class _MappingReader:
    """Asks the mapping, one downstream partition at a time."""

    __slots__ = ("_down", "_mapping", "_store", "_up")

    def __init__(
        self,
        mapping: PartitionMapping,
        up: PartitionsDefinition,
        down: PartitionsDefinition | None,
        dynamic_store: Any,
    ) -> None:
        self._mapping = mapping
        self._up = up
        self._down = down
        self._store = dynamic_store

    def __call__(self, slot: Slot) -> tuple[Slot, ...]:
        try:
            if self._down is None or slot is None:
                downstream = UnpartitionedSubset.whole()
            else:
                downstream = self._down.subset_for_keys([slot], dynamic_store=self._store)
            upstream = self._mapping.upstream_partitions_for(
                downstream, self._up, self._down, dynamic_store=self._store
            )
        except PartitionError:
            # A partition the definition no longer has reads nothing.
            return ()
        return tuple(upstream)


class _Constant:
    """A mapping whose answer is the same for every partition: asked once."""

    __slots__ = ("_answer", "_reader")

    def __init__(self, reader: _MappingReader) -> None:
        self._reader = reader
        self._answer: tuple[Slot, ...] | None = None

    def __call__(self, slot: Slot) -> tuple[Slot, ...]:
        if self._answer is None:
            self._answer = self._reader(slot)
        return self._answer
