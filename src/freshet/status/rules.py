"""The staleness rules, applied to every partition of one asset in one pass over its status
rows (an unpartitioned asset is the single partition None).

A materialized partition is stale when its code version changed, when a dependency was added
or removed, when an upstream partition it reads is stale or missing, or when the data
versions of the upstream partitions it reads differ from those it consumed: compared one by
one, or through the digest recorded when a partition read many (early cut-off: an upstream
re-materialized with the same data version changes nothing). A partition whose newest event
is an observation, not a materialization, counts as missing.

This is the hot loop of staleness (365,000 partitions per walk in the benchmark), hence the
tuples, the loop per dependency over all partitions and the same-key fast path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freshet.core.data_versions import fold_partition_versions
from freshet.core.keys import AssetKey
from freshet.status.causes import CauseKind, CauseRecord
from freshet.status.upstream import Slot, UpstreamOf, same_partition
from freshet.storage.base import StatusVersions, decode_provenance

Consumed = Mapping[str, list[list[Any]]]
"""What a partition consumed, by upstream key (see `storage.base.encode_provenance`)."""

Causes = dict[Slot, list[CauseRecord]]
"""The causes of each stale partition."""


@dataclass(slots=True, eq=False)
class AssetState:
    """What the walk keeps of an evaluated asset for its children (mutable while built).

    `versions` / `times` hold the current data version of each partition and when it was
    recorded, `observed` the partitions whose current version comes from an observation;
    `materialized` and `stale` apply to materializable assets only."""

    materializable: bool
    versions: dict[Slot, str | None] = field(default_factory=dict)
    times: dict[Slot, float | None] = field(default_factory=dict)
    observed: frozenset[Slot] = frozenset()
    materialized: set[Slot] = field(default_factory=set)
    stale: set[Slot] = field(default_factory=set)


def source_state(rows: StatusVersions | None, materializable: bool = False) -> AssetState:
    """The current data versions of an asset's rows, before any rule is applied."""
    if rows is None:
        return AssetState(materializable=materializable)
    partitions, observations = rows.partitions, rows.observation_ids
    observed: frozenset[Slot] = frozenset()
    if observations.count(None) != len(observations):
        observed = frozenset(
            p
            for p, m, o in zip(partitions, rows.materialization_ids, observations, strict=True)
            if o is not None and (m is None or o > m)
        )
    return AssetState(
        materializable=materializable,
        versions=dict(zip(partitions, rows.data_versions, strict=True)),
        times=dict(zip(partitions, rows.data_version_times, strict=True)),
        observed=observed,
    )


def materialized_slots(rows: StatusVersions) -> Sequence[Slot]:
    """Partitions whose newest event is a materialization."""
    partitions, materializations = rows.partitions, rows.materialization_ids
    observations = rows.observation_ids
    if observations.count(None) == len(observations):
        if materializations.count(None) == 0:
            return partitions
        return [p for p, m in zip(partitions, materializations, strict=True) if m is not None]
    return [
        p
        for p, m, o in zip(partitions, materializations, observations, strict=True)
        if m is not None and (o is None or o < m)
    ]


def folded_digest(partitions: Sequence[Slot], versions: Mapping[Slot, str | None]) -> str:
    """The digest a run records for a dependency when a partition reads more upstream
    partitions than provenance lists one by one (the shared definition in core)."""
    return fold_partition_versions(partitions, versions)  # type: ignore[arg-type]


def span(partitions: Sequence[Slot]) -> str | None:
    """`first...last` of several partitions, the one key of a single partition."""
    if not partitions:
        return None
    if len(partitions) == 1:
        return partitions[0]
    return f"{partitions[0]}...{partitions[-1]}"


class Edge:
    """One dependency of the asset being evaluated: how its partitions map upstream, and
    the upstream's state (None for a dependency the graph does not define)."""

    __slots__ = ("_upstream_of", "dependency", "name", "state")

    def __init__(
        self, dependency: AssetKey, upstream_of: UpstreamOf, state: AssetState | None
    ) -> None:
        self.dependency = dependency
        self.name = dependency.to_user_string()
        self._upstream_of = upstream_of
        self.state = state

    @classmethod
    def of(cls, dependency: AssetKey, upstream_of: UpstreamOf, state: AssetState | None) -> Edge:
        """The edge, specialized when each partition reads the same-key upstream partition."""
        if upstream_of is same_partition and state is not None:
            return _SamePartitionEdge(dependency, upstream_of, state)
        return cls(dependency, upstream_of, state)

    def check_all(
        self, slots: Sequence[Slot], consumed: Sequence[Consumed], causes: Causes
    ) -> None:
        """Add the cause this dependency gives each partition (what it consumed alongside)."""
        check = self.check
        for slot, inputs in zip(slots, consumed, strict=True):
            record = check(slot, inputs)
            if record is not None:
                _add(causes, slot, record)

    def check(self, slot: Slot, consumed: Consumed) -> CauseRecord | None:
        """Why partition `slot` is stale because of this dependency, if it is."""
        partitions = self._upstream_of(slot)
        state = self.state
        if state is not None and state.materializable:
            found = self._upstream_problem(partitions, state)
            if found is not None:
                return found
        entries = consumed.get(self.name)
        if entries is None:
            if not partitions:
                # the mapping gives this partition no upstream partition (e.g. the first day
                # of a previous-day mapping): the run recorded nothing, and nothing changed
                return None
            return CauseRecord(CauseKind.NEW_DEPENDENCY, self.dependency)
        return self._compare(partitions, entries)

    def _upstream_problem(
        self, partitions: tuple[Slot, ...], state: AssetState
    ) -> CauseRecord | None:
        stale, materialized = state.stale, state.materialized
        if stale:
            hits = [p for p in partitions if p in stale]
            if hits:
                return CauseRecord(
                    CauseKind.UPSTREAM_STALE, self.dependency, hits[0], count=len(hits)
                )
        absent = [p for p in partitions if p not in materialized]
        if absent:
            return CauseRecord(
                CauseKind.UPSTREAM_MISSING, self.dependency, absent[0], count=len(absent)
            )
        return None

    def _compare(
        self, partitions: tuple[Slot, ...], entries: list[list[Any]]
    ) -> CauseRecord | None:
        versions = self.state.versions if self.state is not None else {}
        if len(entries) == 1 and len(entries[0]) == 3:
            _, digest, count = entries[0]
            if count == len(partitions) and digest == folded_digest(partitions, versions):
                return None
            return self._partitions_changed(partitions)
        consumed = {entry[0]: entry[1] for entry in entries if len(entry) == 2}
        if len(consumed) != len(entries) or not _same_keys(consumed, partitions):
            return self._partitions_changed(partitions)
        changed = [p for p in partitions if versions.get(p) != consumed[p]]
        if not changed:
            return None
        first = changed[0]
        return self._new_version(first, consumed[first], len(changed))

    def _new_version(self, partition: Slot, before: str | None, count: int) -> CauseRecord:
        state = self.state
        if state is None:
            return CauseRecord(CauseKind.NEW_DATA_VERSION, self.dependency, partition, before)
        return CauseRecord(
            CauseKind.NEW_DATA_VERSION,
            self.dependency,
            partition,
            before,
            state.versions.get(partition),
            state.times.get(partition),
            partition in state.observed,
            count,
        )

    def _partitions_changed(self, partitions: tuple[Slot, ...]) -> CauseRecord:
        return CauseRecord(
            CauseKind.UPSTREAM_PARTITIONS_CHANGED,
            self.dependency,
            span(partitions),
            count=len(partitions),
        )


class _SamePartitionEdge(Edge):
    """The common case, inlined: partition p reads upstream partition p (or both assets are
    unpartitioned), and consumed exactly one version of it."""

    __slots__ = ()
    state: AssetState

    def check(self, slot: Slot, consumed: Consumed) -> CauseRecord | None:
        state = self.state
        if state.materializable:
            if slot in state.stale:
                return CauseRecord(CauseKind.UPSTREAM_STALE, self.dependency, slot)
            if slot not in state.materialized:
                return CauseRecord(CauseKind.UPSTREAM_MISSING, self.dependency, slot)
        entries = consumed.get(self.name)
        if entries is None:
            return CauseRecord(CauseKind.NEW_DEPENDENCY, self.dependency)
        if len(entries) == 1 and len(entries[0]) == 2 and entries[0][0] == slot:
            if state.versions.get(slot) == entries[0][1]:
                return None
            return self._new_version(slot, entries[0][1], 1)
        return self._compare((slot,), entries)

    def check_all(
        self, slots: Sequence[Slot], consumed: Sequence[Consumed], causes: Causes
    ) -> None:
        # `check`, inlined: a call per partition costs a fifth of a 365,000-partition walk.
        state, name, dependency = self.state, self.name, self.dependency
        stale, materialized, versions = state.stale, state.materialized, state.versions
        upstream_checked = state.materializable
        for slot, inputs in zip(slots, consumed, strict=True):
            if upstream_checked and slot in stale:
                record = CauseRecord(CauseKind.UPSTREAM_STALE, dependency, slot)
            elif upstream_checked and slot not in materialized:
                record = CauseRecord(CauseKind.UPSTREAM_MISSING, dependency, slot)
            else:
                entries = inputs.get(name)
                if entries is None:
                    record = CauseRecord(CauseKind.NEW_DEPENDENCY, dependency)
                elif len(entries) == 1 and len(entries[0]) == 2 and entries[0][0] == slot:
                    if versions.get(slot) == entries[0][1]:
                        continue
                    record = self._new_version(slot, entries[0][1], 1)
                else:
                    found = self._compare((slot,), entries)
                    if found is None:
                        continue
                    record = found
            _add(causes, slot, record)


def _add(causes: Causes, slot: Slot, record: CauseRecord) -> None:
    found = causes.get(slot)
    if found is None:
        causes[slot] = [record]
    else:
        found.append(record)


def _same_keys(consumed: Mapping[object, object], partitions: tuple[Slot, ...]) -> bool:
    return len(consumed) == len(partitions) and all(p in consumed for p in partitions)


@dataclass(slots=True, eq=False)
class Evaluation:
    """The rules' verdict on one asset: its state for the children, and the causes of each
    stale partition (the keys of `causes` are exactly the stale partitions)."""

    state: AssetState
    causes: Causes


def evaluate(
    rows: StatusVersions | None,
    code_version: str | None,
    edges: Sequence[Edge],
    excluded: Collection[Slot] = (),
) -> Evaluation:
    """Apply the rules to every row of an asset; `excluded` partitions (no longer part of
    its definition) are left out. Causes come in a stable order: code, then each
    dependency in declaration order, then dependencies removed."""
    if rows is not None and len(rows) == 1 and rows.partitions[0] is None:
        return _evaluate_unpartitioned(rows, code_version, edges)
    state = source_state(rows, materializable=True)
    causes: Causes = {}
    if rows is None:
        return Evaluation(state=state, causes=causes)
    slots: list[Slot] = []
    consumed: list[Consumed] = []
    code_changes: dict[str | None, CauseRecord] = {}
    columns = zip(
        rows.partitions,
        rows.materialization_ids,
        rows.observation_ids,
        rows.code_versions,
        rows.provenances,
        strict=True,
    )
    for slot, mat, observation, recorded_code, provenance in columns:
        if mat is None or (observation is not None and observation > mat):
            continue
        if excluded and slot in excluded:
            continue
        slots.append(slot)
        consumed.append(decode_provenance(provenance))
        if recorded_code != code_version:
            record = code_changes.get(recorded_code)
            if record is None:
                record = CauseRecord(
                    CauseKind.CODE_CHANGED, None, None, recorded_code, code_version
                )
                code_changes[recorded_code] = record
            causes[slot] = [record]
    state.materialized = set(slots)
    for edge in edges:
        edge.check_all(slots, consumed, causes)
    dep_names = {edge.name for edge in edges}
    for slot, inputs in zip(slots, consumed, strict=True):
        if not dep_names.issuperset(inputs):
            for record in _removed(inputs, dep_names):
                _add(causes, slot, record)
    state.stale = set(causes)
    return Evaluation(state=state, causes=causes)


_ONLY_UNPARTITIONED: frozenset[Slot] = frozenset({None})


def _evaluate_unpartitioned(
    rows: StatusVersions, code_version: str | None, edges: Sequence[Edge]
) -> Evaluation:
    """`evaluate` for the single row of an unpartitioned asset, without the per-partition
    machinery (a graph of 10,000 unpartitioned assets is walked in well under 200 ms)."""
    mat, observation = rows.materialization_ids[0], rows.observation_ids[0]
    observed = observation is not None and (mat is None or observation > mat)
    state = AssetState(
        materializable=True,
        versions={None: rows.data_versions[0]},
        times={None: rows.data_version_times[0]},
        observed=_ONLY_UNPARTITIONED if observed else frozenset(),
    )
    if mat is None or observed:
        return Evaluation(state=state, causes={})
    found = []
    recorded_code = rows.code_versions[0]
    if recorded_code != code_version:
        found.append(CauseRecord(CauseKind.CODE_CHANGED, None, None, recorded_code, code_version))
    consumed = decode_provenance(rows.provenances[0])
    for edge in edges:
        record = edge.check(None, consumed)
        if record is not None:
            found.append(record)
    dep_names = {edge.name for edge in edges}
    if not dep_names.issuperset(consumed):
        found.extend(_removed(consumed, dep_names))
    state.materialized = set(_ONLY_UNPARTITIONED)
    state.stale = set(_ONLY_UNPARTITIONED) if found else set()
    return Evaluation(state=state, causes={None: found} if found else {})


def _removed(consumed: Mapping[str, object], dep_names: set[str]) -> list[CauseRecord]:
    return [
        CauseRecord(CauseKind.REMOVED_DEPENDENCY, AssetKey.from_user_string(name))
        for name in sorted(set(consumed) - dep_names)
    ]
