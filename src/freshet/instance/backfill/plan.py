"""Planning a backfill: its targets grouped into runs (one per partition or chunk) in
dependency order, and which partitions of a run a failure upstream blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import (
    DynamicPartitionsDefinition,
    PartitionMapping,
    PartitionsSubset,
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    TimeWindowPartitionsSubset,
)
from freshet.instance.backfill.scope import Group, Scope
from freshet.lineage import dag


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """Partitions of selected `parent` that the run's partitions of `child` read."""

    child: AssetKey
    parent: AssetKey
    mapping: PartitionMapping
    upstream: PartitionsSubset


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One planned run: these assets over these partitions (a contiguous range when more
    than one), and what it reads from other selected assets."""

    asset_keys: tuple[AssetKey, ...]
    partition_keys: tuple[str, ...]
    subset: PartitionsSubset
    edges: tuple[Edge, ...]

    @property
    def label(self) -> str:
        keys = self.partition_keys
        return keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}"


def _ordered(definition: Any, subset: PartitionsSubset, store: Any) -> list[tuple[int, str]]:
    """(position, key) pairs in the definition's order; positions are consecutive for
    neighbouring partitions of a rangeable definition."""
    subset = subset.concrete()
    if isinstance(subset, TimeWindowPartitionsSubset):
        return list(subset.iter_with_order())  # type: ignore[arg-type]
    if isinstance(definition, DynamicPartitionsDefinition):
        added = {k: i for i, k in enumerate(store.get_dynamic_partitions(definition.name))}
        return sorted((added.get(k, len(added)), k) for k in subset)
    if isinstance(definition, StaticPartitionsDefinition):
        return sorted((definition.key_order(k), k) for k in subset)
    return list(enumerate(subset))


def _subset_of(definition: Any, positions: Sequence[int], keys: Sequence[str], store: Any) -> Any:
    if isinstance(definition, TimeWindowPartitionsDefinition):
        return TimeWindowPartitionsSubset.from_indexes(definition, positions)
    return definition.subset_for_keys(keys, dynamic_store=store)


def _chunks(
    scope: Scope, group: Group, assets: Sequence[AssetKey], targets: Mapping[Any, Any]
) -> list[tuple[int, tuple[AssetKey, ...], list[int], list[str]]]:
    """Consecutive partitions with the same assets to run, up to the group's chunk size:
    (first position, assets, positions, keys) per chunk."""
    by_key: dict[str, tuple[int, list[AssetKey]]] = {}
    for asset in assets:
        for position, key in _ordered(group.partitions_def, targets[asset], scope.store):
            by_key.setdefault(key, (position, []))[1].append(asset)
    size = group.chunk_size
    chunks: list[tuple[int, tuple[AssetKey, ...], list[int], list[str]]] = []
    previous = -2
    for key, (position, members) in sorted(by_key.items(), key=lambda item: item[1][0]):
        names = tuple(members)
        if chunks:
            _, last_names, positions, keys = chunks[-1]
            fits = size is None or len(keys) < size
            if fits and position == previous + 1 and names == last_names:
                positions.append(position)
                keys.append(key)
                previous = position
                continue
        chunks.append((position, names, [position], [key]))
        previous = position
    return chunks


def _edges(scope: Scope, assets: Sequence[AssetKey], subset: PartitionsSubset) -> list[Edge]:
    edges = []
    for child in assets:
        for parent, mapping in scope.parents[child]:
            upstream = scope.read_by(child, parent, mapping, subset)
            edges.append(Edge(child=child, parent=parent, mapping=mapping, upstream=upstream))
    return edges


def plan_runs(scope: Scope, targets: Mapping[AssetKey, PartitionsSubset]) -> list[Run]:
    """Group the targets into runs, ordered so that every run comes after the runs that
    produce the partitions it reads."""
    members: dict[Group, list[AssetKey]] = {}
    for key in scope.keys:
        if targets.get(key):
            members.setdefault(scope.groups[key], []).append(key)
    drafts: list[tuple[tuple[int, int, int], Run]] = []
    for group, assets in members.items():
        first = scope.graph.topo_index[assets[0]]
        for position, names, positions, keys in _chunks(scope, group, assets, targets):
            subset = _subset_of(group.partitions_def, positions, keys, scope.store)
            run = Run(
                asset_keys=names,
                partition_keys=tuple(keys),
                subset=subset,
                edges=tuple(_edges(scope, names, subset)),
            )
            drafts.append(((group.stage, position, first), run))
    drafts.sort(key=lambda draft: draft[0])
    return _toposorted([run for _, run in drafts], targets)


def _toposorted(runs: list[Run], targets: Mapping[AssetKey, PartitionsSubset]) -> list[Run]:
    run_of: dict[tuple[AssetKey, str], int] = {}
    for index, run in enumerate(runs):
        for asset in run.asset_keys:
            for key in run.partition_keys:
                run_of[(asset, key)] = index
    waits_for: dict[int, set[int]] = {}
    for index, run in enumerate(runs):
        for edge in run.edges:
            planned = targets.get(edge.parent)
            if not planned:
                continue
            for key in edge.upstream & planned:
                other = run_of.get((edge.parent, key))
                if other is not None and other != index:
                    waits_for.setdefault(index, set()).add(other)
    if not waits_for:
        return runs
    return [runs[i] for i in dag.toposort(range(len(runs)), waits_for)]


def blocked_partitions(scope: Scope, run: Run, bad: Mapping[AssetKey, PartitionsSubset]) -> dict:
    """Partitions of the run's assets that read a failed or skipped partition, directly or
    through another blocked partition of the same run."""
    blocked: dict[AssetKey, set[str]] = {}
    for edge in run.edges:
        failed = bad.get(edge.parent)
        inside = blocked.get(edge.parent, set())
        if not inside and not (failed and edge.upstream & failed):
            continue
        out = blocked.setdefault(edge.child, set())
        for key in run.partition_keys:
            if key in out:
                continue
            upstream = edge.upstream
            if len(run.partition_keys) > 1:
                one = scope.definition(edge.child).subset_for_keys([key], dynamic_store=scope.store)
                upstream = scope.read_by(edge.child, edge.parent, edge.mapping, one)
            if any(u in inside or (failed is not None and u in failed) for u in upstream):
                out.add(key)
    return {k: v for k, v in blocked.items() if v}
