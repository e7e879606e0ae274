"""`SnapshotAssetGraph`: the asset graph read from a snapshot, for processes without the
user's code. Implements `freshet.lineage.view.AssetGraphView` like the live `AssetGraph`,
with the same node order, so every traversal gives the same answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from freshet.core.checks import AssetCheckSpec
from freshet.core.keys import AssetKey
from freshet.lineage.view import AssetGraphBase, link
from freshet.snapshot.models import AssetCheckSnapshot, AssetNodeSnapshot
from freshet.snapshot.values import UserDefinedPartitionMapping, UserMappingEvaluator


class SnapshotAssetGraph(AssetGraphBase):
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
        parents, children = link({key: node.parent_keys for key, node in by_key.items()})
        specs: dict[AssetKey, list[AssetCheckSpec]] = {}
        for check in checks:
            specs.setdefault(check.asset_key, []).append(check.to_spec())
        self.nodes = by_key
        self.parents_by_key = parents
        self.children_by_key = children
        self.checks = tuple(checks)
        self.check_specs_by_asset = specs

    # -- lookups (the rest in AssetGraphBase) ----------------------------------------
    def node(self, key: AssetKey) -> AssetNodeSnapshot:
        return self.nodes[key]

    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        node = self.nodes[key]
        if node.can_subset or len(node.produced_with) <= 1:
            return frozenset({key})
        return frozenset(node.produced_with)


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
