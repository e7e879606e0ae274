"""What every partitions definition answers, the store dynamic partitions come from, key ranges.

Definitions compute keys on demand: `get_partition_keys` returns a lazy sequence, and counts,
membership and subsets never build the full list of keys.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

from freshet.core.partitions.time import TimeWindow
from freshet.errors import PartitionError

if TYPE_CHECKING:
    # annotations only: subsets.py builds on this module
    from freshet.core.partitions.subsets import PartitionsSubset


@runtime_checkable
class DynamicPartitionsStore(Protocol):
    """Where the keys of dynamic partitions live (the instance provides one)."""

    def get_dynamic_partitions(self, name: str) -> Sequence[str]: ...

    def has_dynamic_partition(self, name: str, key: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class PartitionKeyRange:
    """The partitions from `start` to `end`, both included, in the definition's key order.

    Whether `start` comes after `end` depends on the definition, so a range is checked when a
    definition resolves it (`get_partition_key_range`, `subset_for_range`)."""

    start: str
    end: str

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, str) or not value:
                raise PartitionError(
                    f"PartitionKeyRange.{name} must be a non-empty partition key string, "
                    f"got {value!r}"
                )

    def __str__(self) -> str:
        return f"{self.start}{RANGE_SEPARATOR}{self.end}"

    @classmethod
    def parse(cls, text: str) -> PartitionKeyRange:
        """`FIRST...LAST` (the one text form of a range: on the command line, in run records
        and in `materialize(partition_key_range="a...b")`). Keys may contain '-' and ':', so
        three dots separate them."""
        if not isinstance(text, str):
            raise PartitionError(f"a partition range must be a string, got {text!r}")
        first, sep, last = text.partition(RANGE_SEPARATOR)
        if not sep or not first.strip() or not last.strip():
            raise PartitionError(
                f"{text!r}: write the first and last partition separated by "
                f"'{RANGE_SEPARATOR}', e.g. 2024-01-01{RANGE_SEPARATOR}2024-01-31"
            )
        return cls(first.strip(), last.strip())

    @classmethod
    def coerce(cls, value: Any, where: str) -> PartitionKeyRange:
        """A range given as a `PartitionKeyRange`, a `(first, last)` pair or `"first...last"`;
        anything else is a PartitionError naming `where`."""
        if isinstance(value, PartitionKeyRange):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(value[0], value[1])
        raise PartitionError(
            f"{where} must be (first, last), 'first...last' or a PartitionKeyRange, got "
            f"{value!r}"
        )

    @staticmethod
    def is_range_text(text: str | None) -> bool:
        """Whether a stored partition (of a run record) names a range, not one key."""
        return text is not None and RANGE_SEPARATOR in text


#: separates the first and last key of a partition range in its text form
RANGE_SEPARATOR = "..."


def resolve_current_time(current_time: datetime | None) -> datetime:
    """`current_time`, or now (UTC) when not given."""
    return datetime.now(UTC) if current_time is None else current_time


class PartitionKeys(Sequence[str]):
    """A lazy, indexable sequence of partition keys: nothing is computed until asked for."""

    __slots__ = ("_count", "_index_of", "_key_at")

    def __init__(
        self,
        count: int,
        key_at: Callable[[int], str],
        index_of: Callable[[str], int | None],
    ) -> None:
        self._count = count
        self._key_at = key_at
        self._index_of = index_of

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self._key_at(i) for i in range(self._count)[index]]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"partition index {index} out of range (0..{self._count - 1})")
        return self._key_at(index)

    def __iter__(self) -> Iterator[str]:
        key_at = self._key_at
        for index in range(self._count):
            yield key_at(index)

    def __reversed__(self) -> Iterator[str]:
        key_at = self._key_at
        for index in range(self._count - 1, -1, -1):
            yield key_at(index)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        index = self._index_of(key)
        return index is not None and 0 <= index < self._count

    def index(self, key: str, start: int = 0, stop: int | None = None) -> int:
        position = self._index_of(key)
        end = self._count if stop is None else stop
        if position is None or not start <= position < end:
            raise ValueError(f"{key!r} is not among these partition keys")
        return position

    def __repr__(self) -> str:
        if self._count <= 4:
            shown = ", ".join(repr(k) for k in self)
        else:
            shown = f"{self[0]!r}, {self[1]!r}, ..., {self[-1]!r}"
        return f"PartitionKeys([{shown}], {self._count} keys)"


class PartitionsDefinition(ABC):
    """How an asset is split into partitions, each named by a string key."""

    __slots__ = ()

    @abstractmethod
    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        """Every partition key as of `current_time` (default now), in order, computed lazily."""

    @abstractmethod
    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> int: ...

    @abstractmethod
    def has_partition_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> bool: ...

    @abstractmethod
    def validate_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> None:
        """Raise `PartitionError` naming the nearest valid key or the valid range."""

    @abstractmethod
    def is_possible_key(self, key: str) -> bool:
        """Whether `key` is, or once time has passed will be, a key of this definition.

        Dynamic keys cannot be checked without the instance, so any key is possible there."""

    @abstractmethod
    def subset_for_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """A compact subset holding `keys`; every key is validated, all problems reported."""

    @abstractmethod
    def empty_subset(self) -> PartitionsSubset: ...

    @abstractmethod
    def concrete_all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """Every partition, in this definition's own compact representation."""

    @abstractmethod
    def all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """Every partition as of `current_time`, answering `len` and `in` without listing."""

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_store)
        return keys[0] if keys else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_store)
        return keys[-1] if keys else None

    @abstractmethod
    def key_order(self, key: str) -> Any:
        """A sort key placing `key` at its position in this definition's key order."""

    def get_partition_key_range(
        self,
        start: str,
        end: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionKeyRange:
        """A validated range: both keys exist and `start` does not come after `end`."""
        key_range = PartitionKeyRange(start, end)
        self.validate_key(start, current_time, dynamic_store)
        self.validate_key(end, current_time, dynamic_store)
        if self.key_order(start) > self.key_order(end):  # type: ignore[operator]
            raise PartitionError(
                f"partition range {start}...{end} of {self!r} is backwards: {start!r} comes "
                f"after {end!r}; swap them ({end}...{start})"
            )
        return key_range

    @abstractmethod
    def subset_for_range(
        self,
        key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset: ...

    def time_window_for_key(self, key: str) -> TimeWindow:
        raise PartitionError(
            f"{self!r} is not time-partitioned, so partition {key!r} has no time window; "
            "use a TimeWindowPartitionsDefinition (e.g. DailyPartitionsDefinition)"
        )


def nearest_keys(key: str, candidates: Sequence[str], limit: int = 3) -> list[str]:
    """The valid keys most similar to a mistyped one (error messages only)."""
    return difflib.get_close_matches(key, candidates, n=limit, cutoff=0.5)


def describe_problems(what: str, problems: Sequence[str], total: int) -> str:
    """One message for several invalid inputs: the first few problems and how many in all."""
    shown = "\n".join(f"  - {p}" for p in problems)
    more = f"\n  ... and {total - len(problems)} more" if total > len(problems) else ""
    return f"{total} invalid {what}:\n{shown}{more}"
