"""Partition mappings: which upstream partitions each downstream partition depends on.

Each mapping answers both directions on whole subsets (so ranges stay ranges), and says in
one sentence why it cannot join two definitions (`problem_with`), which `Definitions`
reports before anything runs. An unpartitioned side has definition None and is represented
by `UnpartitionedSubset`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from freshet.core.partitions import ranges
from freshet.core.partitions.base import DynamicPartitionsStore, PartitionsDefinition
from freshet.core.partitions.definitions import (
    DynamicPartitionsDefinition,
    StaticPartitionsDefinition,
)
from freshet.core.partitions.multi import MultiPartitionsDefinition, MultiPartitionsSubset
from freshet.core.partitions.subsets import (
    KeysPartitionsSubset,
    PartitionsSubset,
    TimeWindowPartitionsSubset,
    UnpartitionedSubset,
)
from freshet.core.partitions.time_window import TimeWindowPartitionsDefinition
from freshet.errors import InvalidDefinitionError, PartitionError

Definition = PartitionsDefinition | None


class PartitionMapping(ABC):
    """How a downstream asset's partitions depend on an upstream asset's partitions."""

    __slots__ = ()

    @abstractmethod
    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        """Why this mapping cannot join these definitions, as a sentence; None if it can."""

    @abstractmethod
    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset: ...

    @abstractmethod
    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset: ...

    def upstream_partitions_for(
        self,
        downstream_subset: PartitionsSubset,
        upstream_def: Definition,
        downstream_def: Definition,
        *,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """The upstream partitions that `downstream_subset` depends on."""
        self._check(upstream_def, downstream_def, downstream_subset, downstream_def, "downstream")
        ctx = _Ctx(current_time=current_time, dynamic_store=dynamic_store)
        return self._upstream(downstream_subset.concrete(), upstream_def, downstream_def, ctx)

    def downstream_partitions_for(
        self,
        upstream_subset: PartitionsSubset,
        upstream_def: Definition,
        downstream_def: Definition,
        *,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """The downstream partitions that depend on some partition of `upstream_subset`."""
        self._check(upstream_def, downstream_def, upstream_subset, upstream_def, "upstream")
        ctx = _Ctx(current_time=current_time, dynamic_store=dynamic_store)
        return self._downstream(upstream_subset.concrete(), upstream_def, downstream_def, ctx)

    def _check(
        self,
        upstream_def: Definition,
        downstream_def: Definition,
        subset: PartitionsSubset,
        subset_def: Definition,
        side: str,
    ) -> None:
        problem = self.problem_with(upstream_def, downstream_def)
        if problem is not None:
            raise PartitionError(problem)
        if not (subset.partitions_def is subset_def or subset.partitions_def == subset_def):
            raise PartitionError(
                f"the {side} subset belongs to {_describe(subset.partitions_def)}, not to the "
                f"{side} definition {_describe(subset_def)}; build it from that definition"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Ctx:
    current_time: datetime | None
    dynamic_store: DynamicPartitionsStore | None


def _describe(definition: Definition) -> str:
    return "an unpartitioned asset" if definition is None else repr(definition)


def _all(definition: Definition, ctx: _Ctx) -> PartitionsSubset:
    if definition is None:
        return UnpartitionedSubset.whole()
    return definition.all_subset(ctx.current_time, ctx.dynamic_store)


def _empty(definition: Definition) -> PartitionsSubset:
    return UnpartitionedSubset.nothing() if definition is None else definition.empty_subset()


def _is_keyed(definition: Definition) -> bool:
    return isinstance(definition, StaticPartitionsDefinition | DynamicPartitionsDefinition)


def identity_problem(source: Definition, target: Definition) -> str | None:
    """Why keys of `source` cannot be matched one to one with keys of `target`."""
    if source == target:
        return None
    if source is None or target is None:
        return (
            f"partitions cannot be matched key by key between {_describe(source)} and "
            f"{_describe(target)}; use AllPartitionMapping"
        )
    if isinstance(source, TimeWindowPartitionsDefinition) and isinstance(
        target, TimeWindowPartitionsDefinition
    ):
        if source.has_same_cadence(target):
            return None
        return (
            f"{source!r} and {target!r} have different time windows; use "
            "TimeWindowPartitionMapping to map between them"
        )
    if _is_keyed(source) and _is_keyed(target):
        if (
            isinstance(source, StaticPartitionsDefinition)
            and isinstance(target, StaticPartitionsDefinition)
            and set(source.keys).isdisjoint(target.keys)
        ):
            return (
                f"{source!r} and {target!r} share no partition key; use StaticPartitionMapping "
                "to say which keys correspond"
            )
        return None
    return (
        f"keys of {source!r} cannot be matched one to one with keys of {target!r}; give the "
        "dependency a partition_mapping such as AllPartitionMapping, "
        "SpecificPartitionsPartitionMapping or MultiToSingleDimensionPartitionMapping"
    )


def identity_map(subset: PartitionsSubset, target: Definition, ctx: _Ctx) -> PartitionsSubset:
    """The partitions of `target` with the same keys (same windows, for time partitions)."""
    source = subset.partitions_def
    if source is target or source == target:
        return subset.concrete()
    if isinstance(source, TimeWindowPartitionsDefinition) and isinstance(
        target, TimeWindowPartitionsDefinition
    ):
        return _time_overlap(subset, source, target, 0, 0, ctx)
    if _is_keyed(target) and target is not None:
        has = target.has_partition_key
        kept = frozenset(k for k in subset if has(k, ctx.current_time, ctx.dynamic_store))
        return KeysPartitionsSubset(partitions_def=target, keys=kept)
    raise PartitionError(identity_problem(source, target) or "incompatible definitions")


def _time_overlap(
    subset: PartitionsSubset,
    source: TimeWindowPartitionsDefinition,
    target: TimeWindowPartitionsDefinition,
    start_offset: int,
    end_offset: int,
    ctx: _Ctx,
) -> TimeWindowPartitionsSubset:
    """Target windows overlapping each source window shifted by the offsets (in source
    windows): source partition i covers [start(i + start_offset), end(i + end_offset))."""
    assert isinstance(subset, TimeWindowPartitionsSubset)
    found = []
    for start, end in subset.ranges:
        span_start = source.window_start_timestamp(start + start_offset)
        span_end = source.window_start_timestamp(end + end_offset)
        found.append(target.indexes_overlapping(span_start, span_end))
    count = target.get_num_partitions(ctx.current_time)
    return TimeWindowPartitionsSubset(
        partitions_def=target, ranges=ranges.clamp(ranges.normalize(found), 0, count)
    )


def _time_dependents(
    subset: PartitionsSubset,
    upstream: TimeWindowPartitionsDefinition,
    downstream: TimeWindowPartitionsDefinition,
    start_offset: int,
    end_offset: int,
    ctx: _Ctx,
) -> TimeWindowPartitionsSubset:
    """Downstream partitions d whose shifted span [start(d + start_offset), end(d +
    end_offset)) overlaps some window of `subset`."""
    assert isinstance(subset, TimeWindowPartitionsSubset)
    found = []
    for start, end in subset.ranges:
        low, high = downstream.indexes_overlapping(
            upstream.window_start_timestamp(start),
            upstream.window_start_timestamp(end),
            floor=min(0, start_offset),
        )
        if low < high:
            found.append((low - end_offset, high - start_offset))
    count = downstream.get_num_partitions(ctx.current_time)
    return TimeWindowPartitionsSubset(
        partitions_def=downstream, ranges=ranges.clamp(ranges.normalize(found), 0, count)
    )


@dataclass(frozen=True, slots=True)
class IdentityPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the upstream partition with the same key."""

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        problem = identity_problem(upstream_def, downstream_def)
        return None if problem is None else f"IdentityPartitionMapping: {problem}"

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return identity_map(subset, up, ctx)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return identity_map(subset, down, ctx)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindowPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the upstream partitions overlapping its window,
    shifted by `start_offset`/`end_offset` downstream windows: (-1, -1) is the previous
    window, (-6, 0) the last 7 windows. Between cadences it maps by time: a daily partition
    depends on its 24 hourly ones, an hourly partition on the day that contains it."""

    start_offset: int = 0
    end_offset: int = 0

    def __post_init__(self) -> None:
        for name in ("start_offset", "end_offset"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidDefinitionError(
                    f"TimeWindowPartitionMapping.{name} must be an int, got {value!r}"
                )
        if self.start_offset > self.end_offset:
            raise InvalidDefinitionError(
                f"TimeWindowPartitionMapping start_offset={self.start_offset} is after "
                f"end_offset={self.end_offset}; the start offset must be <= the end offset "
                "(e.g. start_offset=-1, end_offset=-1 for the previous window)"
            )

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        for side, definition in (("upstream", upstream_def), ("downstream", downstream_def)):
            if not isinstance(definition, TimeWindowPartitionsDefinition):
                return (
                    f"TimeWindowPartitionMapping maps time windows, but the {side} asset is "
                    f"{_describe(definition)}; {_hint_for(definition)}"
                )
        return None

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        assert isinstance(up, TimeWindowPartitionsDefinition)
        assert isinstance(down, TimeWindowPartitionsDefinition)
        return _time_overlap(subset, down, up, self.start_offset, self.end_offset, ctx)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        assert isinstance(up, TimeWindowPartitionsDefinition)
        assert isinstance(down, TimeWindowPartitionsDefinition)
        return _time_dependents(subset, up, down, self.start_offset, self.end_offset, ctx)


def _hint_for(definition: Definition) -> str:
    if definition is None:
        return "use AllPartitionMapping between partitioned and unpartitioned assets"
    if isinstance(definition, MultiPartitionsDefinition):
        return "use MultiToSingleDimensionPartitionMapping for a multi-partitioned asset"
    return "use AllPartitionMapping, StaticPartitionMapping or SpecificPartitionsPartitionMapping"


@dataclass(frozen=True, slots=True)
class AllPartitionMapping(PartitionMapping):
    """Each downstream partition depends on every upstream partition (the default between a
    partitioned and an unpartitioned asset)."""

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        return None

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return _all(up, ctx) if subset else _empty(up)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return _all(down, ctx) if subset else _empty(down)


@dataclass(frozen=True, slots=True)
class LastPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the latest upstream partition."""

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        if upstream_def is None:
            return (
                "LastPartitionMapping needs a partitioned upstream asset, but it is "
                "unpartitioned; remove the mapping"
            )
        return None

    def _last(self, up: PartitionsDefinition, ctx: _Ctx) -> str | None:
        return up.get_last_partition_key(ctx.current_time, ctx.dynamic_store)

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        assert up is not None
        last = self._last(up, ctx) if subset else None
        if last is None:
            return up.empty_subset()
        return up.subset_for_keys([last], ctx.current_time, ctx.dynamic_store)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        assert up is not None
        last = self._last(up, ctx)
        return _all(down, ctx) if last is not None and last in subset else _empty(down)


class StaticPartitionMapping(PartitionMapping):
    """Explicit correspondence between static keys: {upstream key: downstream key(s)}."""

    __slots__ = ("_pairs",)
    _pairs: tuple[tuple[str, frozenset[str]], ...]

    def __init__(
        self,
        downstream_partition_keys_by_upstream_partition_key: Mapping[str, str | Collection[str]],
    ) -> None:
        mapping = downstream_partition_keys_by_upstream_partition_key
        if not isinstance(mapping, Mapping):
            raise InvalidDefinitionError(
                "StaticPartitionMapping takes a dict {upstream key: downstream key or keys}, "
                f"got {mapping!r}"
            )
        pairs = []
        for upstream_key, downstream in sorted(mapping.items()):
            keys = frozenset([downstream] if isinstance(downstream, str) else downstream)
            pairs.append((upstream_key, keys))
        object.__setattr__(self, "_pairs", tuple(pairs))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("StaticPartitionMapping is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StaticPartitionMapping) and other._pairs == self._pairs

    def __hash__(self) -> int:
        return hash(("StaticPartitionMapping", self._pairs))

    def __repr__(self) -> str:
        return (
            f"StaticPartitionMapping({self.downstream_partition_keys_by_upstream_partition_key!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (StaticPartitionMapping, (self.downstream_partition_keys_by_upstream_partition_key,))

    @property
    def downstream_partition_keys_by_upstream_partition_key(self) -> dict[str, frozenset[str]]:
        return dict(self._pairs)

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        for side, definition in (("upstream", upstream_def), ("downstream", downstream_def)):
            if not isinstance(definition, StaticPartitionsDefinition):
                return (
                    f"StaticPartitionMapping maps static partition keys, but the {side} asset "
                    f"is {_describe(definition)}; use a mapping that fits it"
                )
        assert isinstance(upstream_def, StaticPartitionsDefinition)
        assert isinstance(downstream_def, StaticPartitionsDefinition)
        unknown_up = [u for u, _ in self._pairs if not upstream_def.has_partition_key(u)]
        unknown_down = sorted(
            {d for _, ds in self._pairs for d in ds if not downstream_def.has_partition_key(d)}
        )
        if unknown_up or unknown_down:
            parts = []
            if unknown_up:
                parts.append(f"upstream keys {unknown_up!r} are not partitions of {upstream_def!r}")
            if unknown_down:
                parts.append(
                    f"downstream keys {unknown_down!r} are not partitions of {downstream_def!r}"
                )
            return f"StaticPartitionMapping: {'; '.join(parts)}; fix the keys in the mapping"
        return None

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        wanted = set(subset)
        keys = frozenset(u for u, ds in self._pairs if not ds.isdisjoint(wanted))
        return KeysPartitionsSubset(partitions_def=up, keys=keys)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        keys = frozenset(d for u, ds in self._pairs if u in subset for d in ds)
        return KeysPartitionsSubset(partitions_def=down, keys=keys)


class SpecificPartitionsPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the same given upstream partitions."""

    __slots__ = ("partition_keys",)
    partition_keys: tuple[str, ...]

    def __init__(self, partition_keys: Sequence[str]) -> None:
        if isinstance(partition_keys, str) or not isinstance(partition_keys, Sequence):
            raise InvalidDefinitionError(
                "SpecificPartitionsPartitionMapping takes a list of upstream partition keys, "
                f"got {partition_keys!r}"
            )
        object.__setattr__(self, "partition_keys", tuple(partition_keys))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SpecificPartitionsPartitionMapping is immutable")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SpecificPartitionsPartitionMapping)
            and other.partition_keys == self.partition_keys
        )

    def __hash__(self) -> int:
        return hash(("SpecificPartitionsPartitionMapping", self.partition_keys))

    def __repr__(self) -> str:
        return f"SpecificPartitionsPartitionMapping({list(self.partition_keys)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (SpecificPartitionsPartitionMapping, (self.partition_keys,))

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        if upstream_def is None:
            return (
                "SpecificPartitionsPartitionMapping needs a partitioned upstream asset, but it "
                "is unpartitioned; remove the mapping"
            )
        if not self.partition_keys:
            return "SpecificPartitionsPartitionMapping names no partition keys; list at least one"
        unknown = [k for k in self.partition_keys if not upstream_def.is_possible_key(k)]
        if unknown:
            return (
                f"SpecificPartitionsPartitionMapping names keys {unknown!r} that are not "
                f"partitions of {upstream_def!r}; fix the keys"
            )
        return None

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        assert up is not None
        if not subset:
            return up.empty_subset()
        has = up.has_partition_key
        existing = [k for k in self.partition_keys if has(k, ctx.current_time, ctx.dynamic_store)]
        return up.subset_for_keys(existing, ctx.current_time, ctx.dynamic_store)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        if any(key in subset for key in self.partition_keys):
            return _all(down, ctx)
        return _empty(down)


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiToSingleDimensionPartitionMapping(PartitionMapping):
    """Between a multi-partitioned asset and a single-dimension one: a partition of the
    multi-partitioned asset corresponds to the partition with the same key in dimension
    `partition_dimension_name` (inferred when exactly one dimension matches)."""

    partition_dimension_name: str | None = None

    def _resolve(self, up: Definition, down: Definition) -> tuple[str, bool] | str:
        """(dimension name, whether the multi-partitioned side is upstream), or a problem."""
        if isinstance(up, MultiPartitionsDefinition) == isinstance(down, MultiPartitionsDefinition):
            return (
                "MultiToSingleDimensionPartitionMapping needs exactly one multi-partitioned side; "
                f"upstream is {_describe(up)}, downstream is {_describe(down)}"
            )
        multi, single = (up, down) if isinstance(up, MultiPartitionsDefinition) else (down, up)
        assert isinstance(multi, MultiPartitionsDefinition)
        if single is None:
            return (
                "MultiToSingleDimensionPartitionMapping: the other asset is unpartitioned; use "
                "AllPartitionMapping"
            )
        name = self.partition_dimension_name or _matching_dimension(multi, single)
        if name is None:
            return (
                f"MultiToSingleDimensionPartitionMapping: cannot tell which dimension of "
                f"{multi!r} corresponds to {single!r}; pass partition_dimension_name= one of "
                f"{multi.partition_dimension_names}"
            )
        if name not in multi.partition_dimension_names:
            return (
                f"MultiToSingleDimensionPartitionMapping: {multi!r} has no dimension {name!r}; "
                f"its dimensions are {multi.partition_dimension_names}"
            )
        problem = identity_problem(single, multi.get_dimension(name))
        if problem is not None:
            return f"MultiToSingleDimensionPartitionMapping: dimension {name!r}: {problem}"
        return name, multi is up

    def problem_with(self, upstream_def: Definition, downstream_def: Definition) -> str | None:
        resolved = self._resolve(upstream_def, downstream_def)
        return resolved if isinstance(resolved, str) else None

    def _upstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return self._map(subset, target=up, up=up, down=down, ctx=ctx)

    def _downstream(
        self, subset: PartitionsSubset, up: Definition, down: Definition, ctx: _Ctx
    ) -> PartitionsSubset:
        return self._map(subset, target=down, up=up, down=down, ctx=ctx)

    def _map(
        self,
        subset: PartitionsSubset,
        *,
        target: Definition,
        up: Definition,
        down: Definition,
        ctx: _Ctx,
    ) -> PartitionsSubset:
        resolved = self._resolve(up, down)
        assert not isinstance(resolved, str)
        name = resolved[0]
        if isinstance(target, MultiPartitionsDefinition):
            dimension_subset = identity_map(subset, target.get_dimension(name), ctx)
            return target.subset_for_dimension_subset(
                name, dimension_subset, ctx.current_time, ctx.dynamic_store
            )
        assert isinstance(subset, MultiPartitionsSubset)
        return identity_map(subset.project(name), target, ctx)


def _matching_dimension(
    multi: MultiPartitionsDefinition, single: PartitionsDefinition
) -> str | None:
    equal = [name for name, d in multi.dimensions if d == single]
    if len(equal) == 1:
        return equal[0]
    if equal:
        return None
    compatible = [name for name, d in multi.dimensions if identity_problem(single, d) is None]
    return compatible[0] if len(compatible) == 1 else None


def default_partition_mapping(
    upstream_def: Definition, downstream_def: Definition
) -> PartitionMapping:
    """The mapping a dependency gets when none is given: identity for the same definition,
    time overlap between time windows, all between partitioned and unpartitioned, the
    matching dimension between multi- and single-dimension partitions."""
    if upstream_def is None or downstream_def is None:
        return AllPartitionMapping()
    if upstream_def == downstream_def:
        return IdentityPartitionMapping()
    if isinstance(upstream_def, TimeWindowPartitionsDefinition) and isinstance(
        downstream_def, TimeWindowPartitionsDefinition
    ):
        return TimeWindowPartitionMapping()
    multi_to_single = MultiToSingleDimensionPartitionMapping()
    if multi_to_single.problem_with(upstream_def, downstream_def) is None:
        return multi_to_single
    return IdentityPartitionMapping()


def validate_mapping(
    upstream_def: Definition, downstream_def: Definition, mapping: object
) -> str | None:
    """Why `mapping` (None: the default) cannot join these definitions; None when it can."""
    if mapping is None:
        mapping = default_partition_mapping(upstream_def, downstream_def)
    if not isinstance(mapping, PartitionMapping):
        return (
            "partition_mapping must be a PartitionMapping such as "
            f"TimeWindowPartitionMapping(start_offset=-1, end_offset=-1), got {mapping!r}"
        )
    return mapping.problem_with(upstream_def, downstream_def)
