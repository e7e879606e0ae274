"""What stays fixed during a backfill: the selected assets in order, grouped into those that
share runs, with the partition mappings to their selected parents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import (
    BackfillPolicy,
    BackfillPolicyType,
    DynamicPartitionsDefinition,
    IdentityPartitionMapping,
    PartitionMapping,
    PartitionsDefinition,
    PartitionsSubset,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    default_partition_mapping,
)
from freshet.definitions import Definitions
from freshet.lineage.asset_graph import AssetGraph


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Assets that share runs: one partitions definition and backfill policy, joined only by
    identity mappings. `stage` counts the other dependencies on the way from a root, so a
    run waits only on runs of earlier stages or on nothing, and a failure inside a run
    skips (as the run layer does) only steps that really read the failed partition."""

    partitions_def: Any
    policy: BackfillPolicy | None
    stage: int

    @property
    def chunk_size(self) -> int | None:
        """Partitions per run; None for a whole contiguous range in one run."""
        if not _is_rangeable(self.partitions_def):
            return 1
        if self.policy is None:
            return 1
        if self.policy.policy_type is BackfillPolicyType.SINGLE_RUN:
            return None
        return self.policy.max_partitions_per_run


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """The selected assets in topological order, their groups, and each one's selected
    parents with the partition mapping between them."""

    defs: Definitions
    graph: AssetGraph
    keys: tuple[AssetKey, ...]
    groups: Mapping[AssetKey, Group]
    parents: Mapping[AssetKey, tuple[tuple[AssetKey, PartitionMapping], ...]]
    store: Any

    def definition(self, key: AssetKey) -> PartitionsDefinition:
        return self.groups[key].partitions_def  # type: ignore[no-any-return]

    def read_by(
        self, child: AssetKey, parent: AssetKey, mapping: PartitionMapping, subset: Any
    ) -> PartitionsSubset:
        """The partitions of `parent` that partitions `subset` of `child` read."""
        return mapping.upstream_partitions_for(
            subset, self.definition(parent), self.definition(child), dynamic_store=self.store
        )

    def reading(
        self, child: AssetKey, parent: AssetKey, mapping: PartitionMapping, subset: Any
    ) -> PartitionsSubset:
        """The partitions of `child` that read some partition of `subset` of `parent`."""
        return mapping.downstream_partitions_for(
            subset, self.definition(parent), self.definition(child), dynamic_store=self.store
        )


def _is_rangeable(definition: Any) -> bool:
    """Whether a run may cover a contiguous range of this definition's partitions (ranges of
    multi-dimensional partitions are boxes, not runs of consecutive keys)."""
    return isinstance(
        definition,
        TimeWindowPartitionsDefinition | StaticPartitionsDefinition | DynamicPartitionsDefinition,
    )


def _is_identity(mapping: PartitionMapping) -> bool:
    return isinstance(mapping, IdentityPartitionMapping) or (
        isinstance(mapping, TimeWindowPartitionMapping)
        and mapping.start_offset == 0
        and mapping.end_offset == 0
    )


def build_scope(
    defs: Definitions, keys: Iterable[AssetKey], store: Any, policy: BackfillPolicy | None
) -> Scope:
    graph = defs.get_asset_graph()
    ordered = tuple(graph.toposort_subset(keys))
    chosen = set(ordered)
    groups: dict[AssetKey, Group] = {}
    parents: dict[AssetKey, tuple[tuple[AssetKey, PartitionMapping], ...]] = {}
    for key in ordered:
        node = graph.node(key)
        own_policy = policy if policy is not None else node.assets_def.backfill_policy
        stage = 0
        edges = []
        for parent in sorted(graph.parents(key) & chosen, key=graph.topo_index.__getitem__):
            above = groups[parent]
            mapping = node.partition_mapping_for(parent) or default_partition_mapping(
                above.partitions_def, node.partitions_def
            )
            same = (
                above.partitions_def == node.partitions_def
                and above.policy == own_policy
                and _is_identity(mapping)
            )
            stage = max(stage, above.stage + (0 if same else 1))
            edges.append((parent, mapping))
        groups[key] = Group(partitions_def=node.partitions_def, policy=own_policy, stage=stage)
        parents[key] = tuple(edges)
    return Scope(defs=defs, graph=graph, keys=ordered, groups=groups, parents=parents, store=store)
