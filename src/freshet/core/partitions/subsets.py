"""Compact sets of partitions: time ranges, key sets, 'all of them', and the unpartitioned case.

Every subset supports `|`, `&`, `-`, `len`, `in` and iteration in key order. Subsets of
time-window partitions hold sorted index ranges, so their algebra and `len` cost O(ranges)
however many keys they cover; keys are formatted only when iterated.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from freshet.core.partitions import ranges
from freshet.core.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
)
from freshet.core.partitions.time import TimeWindow
from freshet.errors import PartitionError


class SetOperation(Enum):
    UNION = "union"
    INTERSECTION = "intersection"
    DIFFERENCE = "difference"


class PartitionsSubset(ABC):
    """A set of partitions of one definition (`partitions_def` is None for an unpartitioned
    asset). Combine only subsets of the same definition; map between definitions with a
    `PartitionMapping`."""

    __slots__ = ()

    partitions_def: Any

    @classmethod
    def from_keys(
        cls,
        partitions_def: PartitionsDefinition,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """The subset of `partitions_def` holding `keys` (validated; efficient for 100k keys)."""
        return partitions_def.subset_for_keys(keys, current_time, dynamic_store)

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __contains__(self, key: object) -> bool: ...

    @abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    @abstractmethod
    def concrete(self) -> PartitionsSubset:
        """This subset in its definition's own representation (resolves 'all partitions')."""

    @abstractmethod
    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        """`operation` with a concrete subset of the same definition and class."""

    @abstractmethod
    def _content(self) -> Hashable:
        """What two concrete subsets of the same definition must share to be equal."""

    def iter_with_order(self) -> Iterator[tuple[int | str, str]]:
        """(position in the definition's key order, key) pairs, in key order."""
        order = self.partitions_def.key_order
        for key in self:
            yield order(key), key

    def __or__(self, other: object) -> PartitionsSubset:
        return self._apply(other, SetOperation.UNION)

    def __and__(self, other: object) -> PartitionsSubset:
        return self._apply(other, SetOperation.INTERSECTION)

    def __sub__(self, other: object) -> PartitionsSubset:
        return self._apply(other, SetOperation.DIFFERENCE)

    def _apply(self, other: object, operation: SetOperation) -> PartitionsSubset:
        if not isinstance(other, PartitionsSubset):
            return NotImplemented
        require_same_definition(self, other, operation.value)
        return self.concrete()._combine(other.concrete(), operation)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PartitionsSubset):
            return NotImplemented
        if not _same_definition(self.partitions_def, other.partitions_def):
            return False
        return self.concrete()._content() == other.concrete()._content()

    def __hash__(self) -> int:
        return hash((self.partitions_def, self.concrete()._content()))

    def __bool__(self) -> bool:
        return len(self) > 0

    @property
    def is_empty(self) -> bool:
        return len(self) == 0

    def with_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """This subset plus `keys` (validated)."""
        return self | self.partitions_def.subset_for_keys(keys, current_time, dynamic_store)


def _same_definition(left: object, right: object) -> bool:
    return left is right or left == right


def require_same_definition(left: PartitionsSubset, right: PartitionsSubset, doing: str) -> None:
    if not _same_definition(left.partitions_def, right.partitions_def):
        raise PartitionError(
            f"cannot take the {doing} of partition subsets of different definitions "
            f"({left.partitions_def!r} and {right.partitions_def!r}); map one onto the other "
            "with a PartitionMapping first"
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TimeWindowPartitionsSubset(PartitionsSubset):
    """Partitions of a time-window definition as sorted, disjoint index ranges [start, end)."""

    partitions_def: Any
    ranges: ranges.RangeSet = ()

    @classmethod
    def from_indexes(
        cls, partitions_def: Any, indexes: Iterable[int]
    ) -> TimeWindowPartitionsSubset:
        return cls(
            partitions_def=partitions_def, ranges=ranges.from_sorted_indexes(sorted(indexes))
        )

    def __len__(self) -> int:
        return ranges.count(self.ranges)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not self.ranges:
            return False
        index = self.partitions_def.index_of(key, limit=self.ranges[-1][1])
        return index is not None and ranges.contains(self.ranges, index)

    def __iter__(self) -> Iterator[str]:
        key_at = self.partitions_def.partition_key_at
        for start, end in self.ranges:
            for index in range(start, end):
                yield key_at(index)

    def iter_with_order(self) -> Iterator[tuple[int | str, str]]:
        key_at = self.partitions_def.partition_key_at
        for start, end in self.ranges:
            for index in range(start, end):
                yield index, key_at(index)

    def indexes(self) -> Iterator[int]:
        for start, end in self.ranges:
            yield from range(start, end)

    def key_ranges(self) -> list[PartitionKeyRange]:
        """One key range per contiguous run of partitions."""
        key_at = self.partitions_def.partition_key_at
        return [PartitionKeyRange(key_at(start), key_at(end - 1)) for start, end in self.ranges]

    def time_windows(self) -> list[TimeWindow]:
        """One time window per contiguous run of partitions."""
        return [self.partitions_def.time_window_for_indexes(s, e) for s, e in self.ranges]

    def concrete(self) -> PartitionsSubset:
        return self

    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        combine = _RANGE_OPERATIONS[operation]
        return TimeWindowPartitionsSubset(
            partitions_def=self.partitions_def, ranges=combine(self.ranges, other.ranges)
        )

    def _content(self) -> Hashable:
        return self.ranges

    def __repr__(self) -> str:
        shown = ", ".join(str(r) for r in self.key_ranges()[:3])
        more = ", ..." if len(self.ranges) > 3 else ""
        return f"TimeWindowPartitionsSubset([{shown}{more}], {len(self)} partitions)"


_RANGE_OPERATIONS = {
    SetOperation.UNION: ranges.union,
    SetOperation.INTERSECTION: ranges.intersection,
    SetOperation.DIFFERENCE: ranges.difference,
}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class KeysPartitionsSubset(PartitionsSubset):
    """Partitions of a static or dynamic definition, as a set of keys."""

    partitions_def: Any
    keys: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.keys, key=self.partitions_def.key_order))

    def concrete(self) -> PartitionsSubset:
        return self

    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        if operation is SetOperation.UNION:
            keys = self.keys | other.keys
        elif operation is SetOperation.INTERSECTION:
            keys = self.keys & other.keys
        else:
            keys = self.keys - other.keys
        return KeysPartitionsSubset(partitions_def=self.partitions_def, keys=keys)

    def _content(self) -> Hashable:
        return self.keys

    def __repr__(self) -> str:
        shown = list(self)
        text = ", ".join(repr(k) for k in shown[:5]) + (", ..." if len(shown) > 5 else "")
        return f"KeysPartitionsSubset([{text}])"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AllPartitionsSubset(PartitionsSubset):
    """Every partition of a definition as of `current_time`: `len` and `in` are answered by
    the definition without listing keys; set operations first resolve it (`concrete`)."""

    partitions_def: Any
    current_time: datetime
    dynamic_store: DynamicPartitionsStore | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.partitions_def.get_num_partitions(self.current_time, self.dynamic_store)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.partitions_def.has_partition_key(
            key, self.current_time, self.dynamic_store
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.partitions_def.get_partition_keys(self.current_time, self.dynamic_store))

    def iter_with_order(self) -> Iterator[tuple[int | str, str]]:
        return self.concrete().iter_with_order()

    def concrete(self) -> PartitionsSubset:
        return self.partitions_def.concrete_all_subset(self.current_time, self.dynamic_store)

    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        return self.concrete()._combine(other, operation)

    def _content(self) -> Hashable:
        return self.concrete()._content()

    def __repr__(self) -> str:
        return f"AllPartitionsSubset({self.partitions_def!r}, as of {self.current_time})"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class UnpartitionedSubset(PartitionsSubset):
    """The 'subset' of an unpartitioned asset: the whole asset, or nothing of it.

    It holds no keys (iteration yields nothing); `len` is 1 when the asset is included."""

    included: bool

    @property
    def partitions_def(self) -> None:  # type: ignore[override]
        return None

    @classmethod
    def whole(cls) -> UnpartitionedSubset:
        return _WHOLE

    @classmethod
    def nothing(cls) -> UnpartitionedSubset:
        return _NOTHING

    def __len__(self) -> int:
        return 1 if self.included else 0

    def __contains__(self, key: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def concrete(self) -> PartitionsSubset:
        return self

    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        if operation is SetOperation.UNION:
            return _WHOLE if self.included or other.included else _NOTHING
        if operation is SetOperation.INTERSECTION:
            return _WHOLE if self.included and other.included else _NOTHING
        return _WHOLE if self.included and not other.included else _NOTHING

    def _content(self) -> Hashable:
        return self.included


_WHOLE = UnpartitionedSubset(included=True)
_NOTHING = UnpartitionedSubset(included=False)
