"""Partitions named by explicit keys: a fixed list (static) or one kept by the instance (dynamic).

Time-window partitions live in `time_window.py`, multi-dimensional ones in `multi.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from freshet.core.keys import check_name
from freshet.core.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
    describe_problems,
    nearest_keys,
    resolve_current_time,
)
from freshet.core.partitions.subsets import AllPartitionsSubset, KeysPartitionsSubset
from freshet.errors import InvalidDefinitionError, PartitionError

_SHOWN = 5


def _did_you_mean(key: str, candidates: Sequence[str]) -> str:
    close = nearest_keys(key, candidates)
    if close:
        return f"; nearest valid key(s): {', '.join(repr(c) for c in close)}"
    if not candidates:
        return "; there are no partitions yet"
    shown = ", ".join(repr(c) for c in candidates[:_SHOWN])
    return f"; valid keys: {shown}{', ...' if len(candidates) > _SHOWN else ''}"


def _checked_subset(
    definition: PartitionsDefinition,
    keys: Iterable[str],
    is_valid: Callable[[str], bool],
    problem: Callable[[str], str],
) -> KeysPartitionsSubset:
    """The subset of `keys`, after checking every key; one error lists the invalid ones."""
    chosen = frozenset(keys)
    invalid = [k for k in chosen if not is_valid(k)]
    if invalid:
        problems = [problem(k) for k in sorted(map(str, invalid))[:_SHOWN]]
        raise PartitionError(describe_problems("partition keys", problems, len(invalid)))
    return KeysPartitionsSubset(partitions_def=definition, keys=chosen)


@dataclass(frozen=True, slots=True, init=False, repr=False)
class StaticPartitionsDefinition(PartitionsDefinition):
    """A fixed, ordered list of partition keys (e.g. regions)."""

    keys: tuple[str, ...]
    _positions: dict[str, int] = field(compare=False)
    _hash: int = field(compare=False)

    def __init__(
        self, keys: Sequence[str] | None = None, *, partition_keys: Sequence[str] | None = None
    ) -> None:
        if (keys is None) == (partition_keys is None):
            raise InvalidDefinitionError(
                "StaticPartitionsDefinition takes its keys once: StaticPartitionsDefinition([...]) "
                "or StaticPartitionsDefinition(partition_keys=[...])"
            )
        keys = keys if keys is not None else partition_keys
        if isinstance(keys, str) or not isinstance(keys, Iterable):
            raise InvalidDefinitionError(
                f"StaticPartitionsDefinition takes a list of keys, got {keys!r}; "
                f"write StaticPartitionsDefinition([{keys!r}])"
            )
        values = tuple(keys)
        bad = [k for k in values if not isinstance(k, str) or not k]
        if bad:
            raise InvalidDefinitionError(
                f"StaticPartitionsDefinition keys must be non-empty strings; got {bad[:_SHOWN]!r}"
            )
        positions = {key: i for i, key in enumerate(values)}
        if len(positions) != len(values):
            repeated = sorted(k for k, n in Counter(values).items() if n > 1)
            raise InvalidDefinitionError(
                f"StaticPartitionsDefinition has duplicate keys {repeated!r}; list each key once"
            )
        object.__setattr__(self, "keys", values)
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "_hash", hash(("StaticPartitionsDefinition", values)))

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        shown = ", ".join(repr(k) for k in self.keys[:_SHOWN])
        more = f", ... ({len(self.keys)} keys)" if len(self.keys) > _SHOWN else ""
        return f"StaticPartitionsDefinition([{shown}{more}])"

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return self.keys

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return len(self.keys)

    def has_partition_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return key in self._positions

    def is_possible_key(self, key: str) -> bool:
        return key in self._positions

    def validate_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> None:
        if key not in self._positions:
            raise PartitionError(self._key_problem(key))

    def _key_problem(self, key: str) -> str:
        return f"partition key {key!r} is not a partition of {self!r}" + _did_you_mean(
            key if isinstance(key, str) else repr(key), self.keys
        )

    def key_order(self, key: str) -> int:
        position = self._positions.get(key)
        if position is None:
            raise PartitionError(self._key_problem(key))
        return position

    def subset_for_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        return _checked_subset(self, keys, self._positions.__contains__, self._key_problem)

    def subset_for_range(
        self,
        key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        self.get_partition_key_range(key_range.start, key_range.end)
        first, last = self._positions[key_range.start], self._positions[key_range.end]
        return KeysPartitionsSubset(
            partitions_def=self, keys=frozenset(self.keys[first : last + 1])
        )

    def empty_subset(self) -> KeysPartitionsSubset:
        return KeysPartitionsSubset(partitions_def=self)

    def all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> AllPartitionsSubset:
        return AllPartitionsSubset(
            partitions_def=self, current_time=resolve_current_time(current_time)
        )

    def concrete_all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        return KeysPartitionsSubset(partitions_def=self, keys=frozenset(self.keys))


@dataclass(frozen=True, slots=True, init=False)
class DynamicPartitionsDefinition(PartitionsDefinition):
    """Partitions whose keys are added and removed at run time, kept by the instance under
    `name` (`instance.add_dynamic_partitions(name, keys)`). Every question about its keys
    needs that store: pass `dynamic_store=instance`."""

    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", check_name(name, "dynamic partitions name"))

    def _store(self, dynamic_store: DynamicPartitionsStore | None) -> DynamicPartitionsStore:
        if dynamic_store is None:
            raise PartitionError(
                f"{self!r} keeps its partition keys in the instance; pass "
                "dynamic_store=instance (anything with get_dynamic_partitions(name) and "
                "has_dynamic_partition(name, key))"
            )
        return dynamic_store

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return tuple(self._store(dynamic_store).get_dynamic_partitions(self.name))

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return len(self._store(dynamic_store).get_dynamic_partitions(self.name))

    def has_partition_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return self._store(dynamic_store).has_dynamic_partition(self.name, key)

    def is_possible_key(self, key: str) -> bool:
        return isinstance(key, str) and bool(key)

    def validate_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> None:
        store = self._store(dynamic_store)
        if not store.has_dynamic_partition(self.name, key):
            raise PartitionError(self._key_problem(key, store))

    def _key_problem(self, key: str, store: DynamicPartitionsStore) -> str:
        known = store.get_dynamic_partitions(self.name)
        return (
            f"partition key {key!r} is not a partition of {self!r}"
            + _did_you_mean(str(key), known)
            + f"; to add it: instance.add_dynamic_partitions({self.name!r}, [{key!r}])"
        )

    def key_order(self, key: str) -> str:
        # the instance's insertion order is unknown here; subsets list dynamic keys sorted
        return key

    def get_partition_key_range(
        self,
        start: str,
        end: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionKeyRange:
        key_range = PartitionKeyRange(start, end)
        self.validate_key(start, current_time, dynamic_store)
        self.validate_key(end, current_time, dynamic_store)
        keys = list(self._store(dynamic_store).get_dynamic_partitions(self.name))
        if keys.index(start) > keys.index(end):
            raise PartitionError(
                f"partition range {key_range} of {self!r} is backwards: {start!r} was added "
                f"after {end!r}; swap them ({end}...{start})"
            )
        return key_range

    def subset_for_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        store = self._store(dynamic_store)
        return _checked_subset(
            self,
            keys,
            lambda key: store.has_dynamic_partition(self.name, key),
            lambda key: self._key_problem(key, store),
        )

    def subset_for_range(
        self,
        key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        self.get_partition_key_range(key_range.start, key_range.end, current_time, dynamic_store)
        keys = list(self._store(dynamic_store).get_dynamic_partitions(self.name))
        chosen = keys[keys.index(key_range.start) : keys.index(key_range.end) + 1]
        return KeysPartitionsSubset(partitions_def=self, keys=frozenset(chosen))

    def empty_subset(self) -> KeysPartitionsSubset:
        return KeysPartitionsSubset(partitions_def=self)

    def all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> AllPartitionsSubset:
        return AllPartitionsSubset(
            partitions_def=self,
            current_time=resolve_current_time(current_time),
            dynamic_store=self._store(dynamic_store),
        )

    def concrete_all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> KeysPartitionsSubset:
        keys = self._store(dynamic_store).get_dynamic_partitions(self.name)
        return KeysPartitionsSubset(partitions_def=self, keys=frozenset(keys))
