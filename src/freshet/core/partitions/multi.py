"""Multi-dimensional partitions: the product of 2+ definitions, keys like '2024-01-01|eu'.

Dimensions are ordered by name and a key joins one key per dimension with '|'. A subset is
stored per combination of the other dimensions' keys, each holding a subset of the primary
dimension (the time dimension when there is one), so date ranges stay compact.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import prod
from types import MappingProxyType
from typing import Any

from freshet.core.keys import check_name
from freshet.core.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionKeys,
    PartitionsDefinition,
    describe_problems,
    resolve_current_time,
)
from freshet.core.partitions.definitions import StaticPartitionsDefinition
from freshet.core.partitions.subsets import (
    AllPartitionsSubset,
    KeysPartitionsSubset,
    PartitionsSubset,
    SetOperation,
    TimeWindowPartitionsSubset,
)
from freshet.core.partitions.time import TimeWindow
from freshet.core.partitions.time_window import TimeWindowPartitionsDefinition
from freshet.errors import InvalidDefinitionError, PartitionError

SEPARATOR = "|"
Rest = tuple[str, ...]


class MultiPartitionKey(str):
    """A multi-dimensional partition key: the string '2024-01-01|eu' (dimension keys in
    dimension-name order) that also knows `keys_by_dimension`."""

    __slots__ = ("keys_by_dimension",)
    keys_by_dimension: Mapping[str, str]

    def __new__(cls, keys_by_dimension: Mapping[str, str]) -> MultiPartitionKey:
        names = sorted(keys_by_dimension)
        self = super().__new__(cls, SEPARATOR.join(keys_by_dimension[n] for n in names))
        self.keys_by_dimension = MappingProxyType({n: keys_by_dimension[n] for n in names})
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (MultiPartitionKey, (dict(self.keys_by_dimension),))


@dataclass(frozen=True, slots=True, init=False, repr=False)
class MultiPartitionsDefinition(PartitionsDefinition):
    """The product of named dimensions, e.g. {"date": DailyPartitionsDefinition(...),
    "region": StaticPartitionsDefinition(["eu", "us"])}."""

    dimensions: tuple[tuple[str, PartitionsDefinition], ...]
    _primary: int = field(compare=False)

    def __init__(self, partitions_defs: Mapping[str, PartitionsDefinition]) -> None:
        if not isinstance(partitions_defs, Mapping) or len(partitions_defs) < 2:
            raise InvalidDefinitionError(
                "MultiPartitionsDefinition takes a dict of 2 or more named dimensions, e.g. "
                '{"date": DailyPartitionsDefinition("2024-01-01"), "region": '
                f'StaticPartitionsDefinition(["eu", "us"])}}; got {partitions_defs!r}'
            )
        dimensions = tuple(sorted(partitions_defs.items()))
        for name, dimension in dimensions:
            _check_dimension(name, dimension)
        primary = next(
            (
                i
                for i, (_, d) in enumerate(dimensions)
                if isinstance(d, TimeWindowPartitionsDefinition)
            ),
            0,
        )
        object.__setattr__(self, "dimensions", dimensions)
        object.__setattr__(self, "_primary", primary)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {d!r}" for name, d in self.dimensions)
        return f"MultiPartitionsDefinition({{{inner}}})"

    # -- dimensions ------------------------------------------------------------------------

    @property
    def partition_dimension_names(self) -> list[str]:
        return [name for name, _ in self.dimensions]

    @property
    def partitions_defs(self) -> dict[str, PartitionsDefinition]:
        return dict(self.dimensions)

    @property
    def primary_dimension_name(self) -> str:
        """The dimension subsets are kept compact along (the time dimension when there is one)."""
        return self.dimensions[self._primary][0]

    @property
    def time_window_dimension_name(self) -> str | None:
        for name, dimension in self.dimensions:
            if isinstance(dimension, TimeWindowPartitionsDefinition):
                return name
        return None

    def get_dimension(self, name: str) -> PartitionsDefinition:
        for dimension_name, dimension in self.dimensions:
            if dimension_name == name:
                return dimension
        raise PartitionError(
            f"{self!r} has no dimension {name!r}; its dimensions are "
            f"{', '.join(self.partition_dimension_names)}"
        )

    @property
    def _primary_def(self) -> PartitionsDefinition:
        return self.dimensions[self._primary][1]

    @property
    def _rest_dims(self) -> list[tuple[str, PartitionsDefinition]]:
        return [d for i, d in enumerate(self.dimensions) if i != self._primary]

    def _split_rest(self, parts: Sequence[str]) -> tuple[str, Rest]:
        primary = self._primary
        return parts[primary], tuple(p for i, p in enumerate(parts) if i != primary)

    def _join(self, primary_key: str, rest: Rest) -> MultiPartitionKey:
        parts = list(rest)
        parts.insert(self._primary, primary_key)
        return MultiPartitionKey(
            {name: part for (name, _), part in zip(self.dimensions, parts, strict=True)}
        )

    # -- keys ------------------------------------------------------------------------------

    def _parts(self, key: object) -> list[str] | None:
        if not isinstance(key, str):
            return None
        parts = key.split(SEPARATOR)
        return parts if len(parts) == len(self.dimensions) else None

    def parse_key(self, key: str) -> MultiPartitionKey:
        """`key` as a MultiPartitionKey; an error when its number of dimensions is wrong."""
        parts = self._parts(key)
        if parts is None:
            raise PartitionError(self._dimension_count_problem(key))
        return self._join(*self._split_rest(parts))

    def _dimension_count_problem(self, key: object) -> str:
        found = len(key.split(SEPARATOR)) if isinstance(key, str) else 0
        names = SEPARATOR.join(self.partition_dimension_names)
        return (
            f"multi-partition key {key!r} has {found} dimension(s), but {self!r} has "
            f"{len(self.dimensions)} ({names}); write one key per dimension joined by "
            f"'{SEPARATOR}', in that order, e.g. {self._example_key()!r}"
        )

    def _example_key(self) -> str:
        examples = []
        for _, dimension in self.dimensions:
            first = (
                dimension.partition_key_at(0)
                if isinstance(dimension, TimeWindowPartitionsDefinition)
                else _first_static_key(dimension)
            )
            examples.append(first)
        return SEPARATOR.join(examples)

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return prod(d.get_num_partitions(current_time, dynamic_store) for _, d in self.dimensions)

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionKeys:
        sequences = [d.get_partition_keys(current_time, dynamic_store) for _, d in self.dimensions]
        sizes = [len(s) for s in sequences]
        names = self.partition_dimension_names

        def key_at(index: int) -> str:
            parts: list[str] = []
            for sequence, size in zip(reversed(sequences), reversed(sizes), strict=True):
                index, position = divmod(index, size)
                parts.append(sequence[position])
            return MultiPartitionKey(dict(zip(names, reversed(parts), strict=True)))

        def index_of(key: str) -> int | None:
            parts = self._parts(key)
            if parts is None:
                return None
            index = 0
            for sequence, size, part in zip(sequences, sizes, parts, strict=True):
                position = _position_in(sequence, part)
                if position is None:
                    return None
                index = index * size + position
            return index

        return PartitionKeys(prod(sizes), key_at, index_of)

    def has_partition_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        parts = self._parts(key)
        return parts is not None and all(
            d.has_partition_key(part, current_time, dynamic_store)
            for (_, d), part in zip(self.dimensions, parts, strict=True)
        )

    def is_possible_key(self, key: str) -> bool:
        parts = self._parts(key)
        return parts is not None and all(
            d.is_possible_key(part) for (_, d), part in zip(self.dimensions, parts, strict=True)
        )

    def validate_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> None:
        parts = self.parse_key(key).split(SEPARATOR)
        problems = []
        for (name, dimension), part in zip(self.dimensions, parts, strict=True):
            try:
                dimension.validate_key(part, current_time, dynamic_store)
            except PartitionError as error:
                problems.append(f"dimension {name!r}: {error}")
        if problems:
            raise PartitionError(f"partition key {key!r} of {self!r}: {'; '.join(problems)}")

    def key_order(self, key: str) -> tuple[Any, ...]:
        parts = self.parse_key(key).split(SEPARATOR)
        return tuple(d.key_order(p) for (_, d), p in zip(self.dimensions, parts, strict=True))

    def time_window_for_key(self, key: str) -> TimeWindow:
        name = self.time_window_dimension_name
        if name is None:
            # no zero-argument super() here: slotted dataclasses are rebuilt as a new class
            raise PartitionError(
                f"{self!r} has no time dimension, so partition {key!r} has no time window; "
                "add a TimeWindowPartitionsDefinition dimension (e.g. DailyPartitionsDefinition)"
            )
        return self.get_dimension(name).time_window_for_key(
            self.parse_key(key).keys_by_dimension[name]
        )

    # -- subsets ---------------------------------------------------------------------------

    def subset_for_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> MultiPartitionsSubset:
        groups: dict[Rest, list[str]] = defaultdict(list)
        problems: list[str] = []
        for key in keys:
            parts = self._parts(key)
            if parts is None:
                problems.append(self._dimension_count_problem(key))
                continue
            primary_key, rest = self._split_rest(parts)
            groups[rest].append(primary_key)
        parts_by_rest: dict[Rest, PartitionsSubset] = {}
        for rest, primary_keys in groups.items():
            problems.extend(self._rest_problems(rest, current_time, dynamic_store))
            try:
                parts_by_rest[rest] = self._primary_def.subset_for_keys(
                    primary_keys, current_time, dynamic_store
                )
            except PartitionError as error:
                problems.append(f"dimension {self.primary_dimension_name!r}: {error}")
        if problems:
            raise PartitionError(
                describe_problems("multi-partition keys", problems[:5], len(problems))
            )
        return MultiPartitionsSubset.build(self, parts_by_rest)

    def _rest_problems(
        self,
        rest: Rest,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> list[str]:
        problems = []
        for (name, dimension), part in zip(self._rest_dims, rest, strict=True):
            try:
                dimension.validate_key(part, current_time, dynamic_store)
            except PartitionError as error:
                problems.append(f"dimension {name!r}: {error}")
        return problems

    def subset_for_range(
        self,
        key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> MultiPartitionsSubset:
        """The box spanned by the range: per dimension, the keys from the start key's part to
        the end key's part (e.g. '2024-01-01|eu...2024-01-05|us' is 5 days x eu..us)."""
        starts = self.parse_key(key_range.start).split(SEPARATOR)
        ends = self.parse_key(key_range.end).split(SEPARATOR)
        per_dimension = []
        for (name, dimension), start, end in zip(self.dimensions, starts, ends, strict=True):
            try:
                per_dimension.append(
                    dimension.subset_for_range(
                        PartitionKeyRange(start, end), current_time, dynamic_store
                    )
                )
            except PartitionError as error:
                raise PartitionError(
                    f"range {key_range} of {self!r}: dimension {name!r}: {error}"
                ) from None
        primary = per_dimension[self._primary].concrete()
        rest_subsets = [s for i, s in enumerate(per_dimension) if i != self._primary]
        rests = itertools.product(*(list(s) for s in rest_subsets))
        return MultiPartitionsSubset.build(self, {rest: primary for rest in rests})

    def empty_subset(self) -> MultiPartitionsSubset:
        return MultiPartitionsSubset.build(self, {})

    def all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> AllPartitionsSubset:
        return AllPartitionsSubset(
            partitions_def=self,
            current_time=resolve_current_time(current_time),
            dynamic_store=dynamic_store,
        )

    def concrete_all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> MultiPartitionsSubset:
        primary = self._primary_def.concrete_all_subset(current_time, dynamic_store)
        rests = self._all_rests(current_time, dynamic_store)
        return MultiPartitionsSubset.build(self, dict.fromkeys(rests, primary))

    def _all_rests(
        self, current_time: datetime | None, dynamic_store: DynamicPartitionsStore | None
    ) -> Iterator[Rest]:
        keys = [d.get_partition_keys(current_time, dynamic_store) for _, d in self._rest_dims]
        return itertools.product(*keys)

    def subset_for_dimension_subset(
        self,
        name: str,
        dimension_subset: PartitionsSubset,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> MultiPartitionsSubset:
        """Every partition whose key in dimension `name` is in `dimension_subset`."""
        position = self.partition_dimension_names.index(name)
        rests = self._all_rests(current_time, dynamic_store)
        if position == self._primary:
            primary = dimension_subset.concrete()
            return MultiPartitionsSubset.build(self, dict.fromkeys(rests, primary))
        rest_position = position - (1 if position > self._primary else 0)
        everything = self._primary_def.concrete_all_subset(current_time, dynamic_store)
        chosen = {rest: everything for rest in rests if rest[rest_position] in dimension_subset}
        return MultiPartitionsSubset.build(self, chosen)


def _check_dimension(name: object, dimension: object) -> None:
    check_name(name, "partition dimension name")  # type: ignore[arg-type]
    if not isinstance(dimension, PartitionsDefinition):
        raise InvalidDefinitionError(
            f"dimension {name!r} of MultiPartitionsDefinition must be a partitions definition "
            f"(e.g. StaticPartitionsDefinition), got {dimension!r}"
        )
    if isinstance(dimension, MultiPartitionsDefinition):
        raise InvalidDefinitionError(
            f"dimension {name!r} is itself a MultiPartitionsDefinition; list all dimensions in "
            "one MultiPartitionsDefinition instead"
        )
    if isinstance(dimension, StaticPartitionsDefinition):
        bad = [k for k in dimension.keys if SEPARATOR in k]
        if bad:
            raise InvalidDefinitionError(
                f"keys {bad[:5]!r} of dimension {name!r} contain '{SEPARATOR}', which separates "
                "dimensions in multi-partition keys; rename them"
            )


def _first_static_key(dimension: PartitionsDefinition) -> str:
    if isinstance(dimension, StaticPartitionsDefinition) and dimension.keys:
        return dimension.keys[0]
    return "<key>"


def _position_in(sequence: Sequence[str], key: str) -> int | None:
    try:
        return sequence.index(key)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MultiPartitionsSubset(PartitionsSubset):
    """Partitions of a multi-dimensional definition: for each combination of the non-primary
    dimensions' keys (`rest`), the subset of the primary dimension it holds."""

    partitions_def: Any
    parts: Mapping[Rest, PartitionsSubset]

    @classmethod
    def build(
        cls, partitions_def: MultiPartitionsDefinition, parts: Mapping[Rest, PartitionsSubset]
    ) -> MultiPartitionsSubset:
        kept = {rest: subset.concrete() for rest, subset in parts.items() if subset}
        return cls(partitions_def=partitions_def, parts=MappingProxyType(kept))

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts.values())

    def __contains__(self, key: object) -> bool:
        parts = self.partitions_def._parts(key)
        if parts is None:
            return False
        primary_key, rest = self.partitions_def._split_rest(parts)
        part = self.parts.get(rest)
        return part is not None and primary_key in part

    def __iter__(self) -> Iterator[str]:
        for _, key in self.iter_with_order():
            yield key

    def iter_with_order(self) -> Iterator[tuple[Any, str]]:
        """Keys in the definition's order (first dimension by name slowest), lazily merged."""
        definition: MultiPartitionsDefinition = self.partitions_def
        rest_dims = definition._rest_dims
        primary = definition._primary

        def stream(rest: Rest, part: PartitionsSubset) -> Iterator[tuple[Any, str]]:
            rest_order = [d.key_order(k) for (_, d), k in zip(rest_dims, rest, strict=True)]
            for order, primary_key in part.iter_with_order():
                full = list(rest_order)
                full.insert(primary, order)
                yield tuple(full), definition._join(primary_key, rest)

        streams = [stream(rest, part) for rest, part in self.parts.items()]
        return heapq.merge(*streams, key=lambda item: item[0])

    def project(self, name: str) -> PartitionsSubset:
        """The keys this subset uses in dimension `name`, as a subset of that dimension."""
        definition: MultiPartitionsDefinition = self.partitions_def
        position = definition.partition_dimension_names.index(name)
        dimension = definition.get_dimension(name)
        if position == definition._primary:
            result = dimension.empty_subset()
            for part in self.parts.values():
                result = result | part
            return result
        rest_position = position - (1 if position > definition._primary else 0)
        return _trusted_subset(dimension, {rest[rest_position] for rest in self.parts})

    def concrete(self) -> PartitionsSubset:
        return self

    def _combine(self, other: Any, operation: SetOperation) -> PartitionsSubset:
        mine, theirs = self.parts, other.parts
        if operation is SetOperation.UNION:
            combined = dict(mine)
            for rest, part in theirs.items():
                combined[rest] = combined[rest] | part if rest in combined else part
        elif operation is SetOperation.INTERSECTION:
            combined = {rest: part & theirs[rest] for rest, part in mine.items() if rest in theirs}
        else:
            combined = {
                rest: (part - theirs[rest] if rest in theirs else part)
                for rest, part in mine.items()
            }
        return MultiPartitionsSubset.build(self.partitions_def, combined)

    def _content(self) -> Hashable:
        return frozenset((rest, part._content()) for rest, part in self.parts.items())

    def __repr__(self) -> str:
        return f"MultiPartitionsSubset({len(self)} partitions over {len(self.parts)} combinations)"


def _trusted_subset(dimension: PartitionsDefinition, keys: set[str]) -> PartitionsSubset:
    """A subset of keys already known to be valid (taken from another subset)."""
    if isinstance(dimension, TimeWindowPartitionsDefinition):
        indexes = [dimension.index_of(k) for k in keys]
        return TimeWindowPartitionsSubset.from_indexes(
            dimension, [i for i in indexes if i is not None]
        )
    return KeysPartitionsSubset(partitions_def=dimension, keys=frozenset(keys))
