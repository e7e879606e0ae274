"""The asset graph: every asset of a Definitions as a node, with its parents and children.

Built once per `Definitions` (linear in assets + deps) and shared read-only by selection,
planning, status and automation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freshet.core.assets import AssetDep, AssetsDefinition
from freshet.core.checks import AssetChecksDefinition, AssetCheckSpec
from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.lineage import dag
from freshet.lineage.view import AssetGraphBase, link


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AssetNode:
    """One asset as the graph sees it: its spec's attributes and what produces it."""

    key: AssetKey
    assets_def: AssetsDefinition
    deps: tuple[AssetDep, ...]
    group_name: str
    tags: Mapping[str, str]
    kinds: frozenset[str]
    owners: tuple[str, ...]
    description: str | None
    metadata: Mapping[str, Any]
    code_version: str | None
    partitions_def: Any
    automation_condition: Any
    freshness_policy: Any
    #: the keys of `deps`, in order (computed once: status walks ask for them per asset)
    parent_keys: tuple[AssetKey, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parent_keys", tuple(d.asset_key for d in self.deps))

    @property
    def is_materializable(self) -> bool:
        return self.assets_def.is_materializable

    @property
    def is_observable(self) -> bool:
        return self.assets_def.is_observable

    @property
    def is_external(self) -> bool:
        return not self.assets_def.is_executable

    def partition_mapping_for(self, parent: AssetKey) -> Any:
        for dep in self.deps:
            if dep.asset_key == parent:
                return dep.partition_mapping
        return None


@dataclass(frozen=True, slots=True)
class UnknownDep:
    """A dependency on a key no definition provides (reported by `Definitions`)."""

    child: AssetKey
    parent: AssetKey
    assets_def: AssetsDefinition


@dataclass(eq=False)
class AssetGraph(AssetGraphBase):
    """Nodes by key, parent and child sets, checks by asset. Read-only after construction."""

    nodes: dict[AssetKey, AssetNode]
    parents_by_key: dict[AssetKey, frozenset[AssetKey]]
    children_by_key: dict[AssetKey, frozenset[AssetKey]]
    check_specs_by_asset: dict[AssetKey, list[AssetCheckSpec]] = field(default_factory=dict)
    check_defs: dict[AssetCheckKey, AssetChecksDefinition] = field(default_factory=dict)
    unknown_deps: list[UnknownDep] = field(default_factory=list)
    assets_defs: tuple[AssetsDefinition, ...] = ()

    @classmethod
    def build(
        cls,
        assets_defs: Sequence[AssetsDefinition],
        check_defs: Sequence[AssetChecksDefinition] = (),
    ) -> AssetGraph:
        nodes: dict[AssetKey, AssetNode] = {}
        for assets_def in assets_defs:
            for spec in assets_def.specs:
                nodes[spec.key] = AssetNode(
                    key=spec.key,
                    assets_def=assets_def,
                    deps=spec.deps,
                    group_name=spec.group_name,
                    tags=spec.tags,
                    kinds=spec.kinds,
                    owners=spec.owners,
                    description=spec.description,
                    metadata=spec.metadata,
                    code_version=spec.code_version,
                    partitions_def=spec.partitions_def,
                    automation_condition=spec.automation_condition,
                    freshness_policy=spec.freshness_policy,
                )
        parents, children = link({key: node.parent_keys for key, node in nodes.items()})
        unknown = [
            UnknownDep(key, parent, node.assets_def)
            for key, node in nodes.items()
            for parent in node.parent_keys
            if parent not in nodes
        ]
        checks: dict[AssetKey, list[AssetCheckSpec]] = {}
        for assets_def in assets_defs:
            for spec in assets_def.check_specs:
                checks.setdefault(spec.asset_key, []).append(spec)
        by_check_key = {}
        for check in check_defs:
            for spec in check.specs:
                checks.setdefault(spec.asset_key, []).append(spec)
                by_check_key[spec.key] = check
        return cls(
            nodes=nodes,
            parents_by_key=parents,
            children_by_key=children,
            check_specs_by_asset=checks,
            check_defs=by_check_key,
            unknown_deps=unknown,
            assets_defs=tuple(assets_defs),
        )

    # -- lookups (the rest in AssetGraphBase) ----------------------------------------
    def node(self, key: AssetKey) -> AssetNode:
        return self.nodes[key]

    def assets_def_for(self, key: AssetKey) -> AssetsDefinition:
        return self.nodes[key].assets_def

    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        assets_def = self.nodes[key].assets_def
        if assets_def.can_subset or len(assets_def.specs) == 1:
            return frozenset({key})
        return frozenset(assets_def.keys)

    # -- traversal -------------------------------------------------------------------
    def find_cycle(self) -> list[AssetKey] | None:
        return dag.find_cycle(list(self.nodes), self.parents_by_key)
