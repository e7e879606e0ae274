"""`SnapshotAssetGraph`: the asset graph read from a snapshot, for processes without the
user's code. Implements `freshet.lineage.view.AssetGraphView` like the live `AssetGraph`,
with the same node order, so every traversal gives the same answer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cached_property

from freshet.core.checks import AssetCheckSpec
from freshet.core.keys import AssetKey
from freshet.lineage import dag
from freshet.snapshot.models import AssetCheckSnapshot, AssetNodeSnapshot
from freshet.snapshot.values import UserDefinedPartitionMapping, UserMappingEvaluator


class SnapshotAssetGraph:
    """Nodes by key, parents and children, checks by asset. Read-only.

    A user-defined partition mapping cannot be evaluated here; given `user_mappings` (e.g. a
    client of the code location's server) it is answered there, otherwise using it raises
    `UserCodeRequiredError`."""

    def __init__(
        self,
        nodes: Sequence[AssetNodeSnapshot],
        checks: Sequence[AssetCheckSnapshot] = (),
        *,
        user_mappings: UserMappingEvaluator | None = None,
    ) -> None:
        by_key: dict[AssetKey, AssetNodeSnapshot] = {}
        for node in nodes:
            if user_mappings is not None and _has_user_mapping(node):
                node = _bound(node, user_mappings)
            by_key[node.key] = node
        children: dict[AssetKey, set[AssetKey]] = {key: set() for key in by_key}
        parents: dict[AssetKey, frozenset[AssetKey]] = {}
        for key, node in by_key.items():
            known = [p for p in node.parent_keys if p in by_key]
            for parent in known:
                children[parent].add(key)
            parents[key] = frozenset(known)
        specs: dict[AssetKey, list[AssetCheckSpec]] = {}
        for check in checks:
            specs.setdefault(check.asset_key, []).append(check.to_spec())
        self.nodes = by_key
        self.parents_by_key = parents
        self.children_by_key = {k: frozenset(v) for k, v in children.items()}
        self.checks = tuple(checks)
        self.check_specs_by_asset = specs

    # -- lookups ---------------------------------------------------------------------
    @cached_property
    def all_keys(self) -> frozenset[AssetKey]:
        return frozenset(self.nodes)

    @cached_property
    def materializable_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k, n in self.nodes.items() if n.is_materializable)

    @cached_property
    def observable_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k, n in self.nodes.items() if n.is_observable)

    def node(self, key: AssetKey) -> AssetNodeSnapshot:
        return self.nodes[key]

    def has(self, key: AssetKey) -> bool:
        return key in self.nodes

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return self.parents_by_key[key]

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return self.children_by_key[key]

    def check_specs_for(self, key: AssetKey) -> list[AssetCheckSpec]:
        return self.check_specs_by_asset.get(key, [])

    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        node = self.nodes[key]
        if node.can_subset or len(node.produced_with) <= 1:
            return frozenset({key})
        return frozenset(node.produced_with)

    # -- traversal -------------------------------------------------------------------
    @cached_property
    def toposorted_keys(self) -> list[AssetKey]:
        return dag.toposort(list(self.nodes), self.parents_by_key)

    @cached_property
    def topo_index(self) -> dict[AssetKey, int]:
        return {key: i for i, key in enumerate(self.toposorted_keys)}

    def upstream(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        return dag.ancestors(set(keys), self.parents_by_key, depth=depth)

    def downstream(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        return dag.descendants(set(keys), self.children_by_key, depth=depth)

    def toposort_subset(self, keys: Iterable[AssetKey]) -> list[AssetKey]:
        index = self.topo_index
        return sorted(keys, key=index.__getitem__)


def _has_user_mapping(node: AssetNodeSnapshot) -> bool:
    return any(isinstance(d.partition_mapping, UserDefinedPartitionMapping) for d in node.deps)


def _bound(node: AssetNodeSnapshot, evaluator: UserMappingEvaluator) -> AssetNodeSnapshot:
    deps = tuple(
        replace(d, partition_mapping=d.partition_mapping.bound(evaluator))
        if isinstance(d.partition_mapping, UserDefinedPartitionMapping)
        else d
        for d in node.deps
    )
    return replace(node, deps=deps)
