"""The read interface of an asset graph: what selection, status and planning ask of it.

The live `AssetGraph` (built from the user's definition objects) and `SnapshotAssetGraph`
(read from a definitions snapshot, in a process without the user's code) both implement it,
so statuses and selections come out the same from either. Planning a run also needs the
definition objects (`ExecutableAssetGraph`), which only the live graph has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Protocol

from freshet.core.assets import AssetsDefinition
from freshet.core.checks import AssetChecksDefinition, AssetCheckSpec
from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.lineage import dag


class AssetDepView(Protocol):
    @property
    def asset_key(self) -> AssetKey: ...
    @property
    def partition_mapping(self) -> Any: ...


class AssetNodeView(Protocol):
    """One asset: its attributes and its dependencies."""

    @property
    def key(self) -> AssetKey: ...
    @property
    def deps(self) -> Sequence[AssetDepView]: ...
    @property
    def group_name(self) -> str: ...
    @property
    def tags(self) -> Mapping[str, str]: ...
    @property
    def kinds(self) -> frozenset[str]: ...
    @property
    def owners(self) -> tuple[str, ...]: ...
    @property
    def description(self) -> str | None: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...
    @property
    def code_version(self) -> str | None: ...
    @property
    def partitions_def(self) -> Any: ...
    @property
    def automation_condition(self) -> Any: ...
    @property
    def freshness_policy(self) -> Any: ...
    @property
    def is_materializable(self) -> bool: ...
    @property
    def is_observable(self) -> bool: ...
    @property
    def is_external(self) -> bool: ...
    @property
    def parent_keys(self) -> tuple[AssetKey, ...]: ...
    def partition_mapping_for(self, parent: AssetKey) -> Any: ...


class AssetGraphView(Protocol):
    """The asset graph, read-only: nodes, edges, checks and traversals."""

    @property
    def all_keys(self) -> frozenset[AssetKey]: ...
    @property
    def materializable_keys(self) -> frozenset[AssetKey]: ...
    @property
    def observable_keys(self) -> frozenset[AssetKey]: ...
    @property
    def toposorted_keys(self) -> Sequence[AssetKey]: ...
    def node(self, key: AssetKey) -> AssetNodeView: ...
    def has(self, key: AssetKey) -> bool: ...
    def parents(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def children(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def check_specs_for(self, key: AssetKey) -> Sequence[AssetCheckSpec]: ...
    def upstream(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]: ...
    def downstream(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]: ...
    def toposort_subset(self, keys: Iterable[AssetKey]) -> list[AssetKey]: ...


class ExecutableAssetGraph(AssetGraphView, Protocol):
    """The graph with the definition objects behind it: what planning a run needs. Only a
    process with the user's code has one (the live `AssetGraph`); a snapshot graph is not."""

    @property
    def check_defs(self) -> Mapping[AssetCheckKey, AssetChecksDefinition]: ...
    def assets_def_for(self, key: AssetKey) -> AssetsDefinition: ...


class HasAssetGraph(Protocol):
    """Anything that holds an asset graph: a `Definitions` or a `DefinitionsSnapshot`."""

    def get_asset_graph(self) -> AssetGraphView: ...


def link(
    parent_keys: Mapping[AssetKey, Iterable[AssetKey]],
) -> tuple[dict[AssetKey, frozenset[AssetKey]], dict[AssetKey, frozenset[AssetKey]]]:
    """Parent and child sets of every key of `parent_keys`, keeping only the parents that are
    keys of it (a dependency on an unknown key is no edge)."""
    parents: dict[AssetKey, frozenset[AssetKey]] = {}
    children: dict[AssetKey, set[AssetKey]] = {key: set() for key in parent_keys}
    for key, keys in parent_keys.items():
        known = [p for p in keys if p in children]
        for parent in known:
            children[parent].add(key)
        parents[key] = frozenset(known)
    return parents, {k: frozenset(v) for k, v in children.items()}


class AssetGraphBase:
    """The lookups and traversals of `AssetGraphView`, over nodes by key, parent and child
    sets and check specs by asset: shared by the live `AssetGraph` and `SnapshotAssetGraph`,
    so both answer every traversal the same way."""

    nodes: Mapping[AssetKey, Any]
    parents_by_key: Mapping[AssetKey, frozenset[AssetKey]]
    children_by_key: Mapping[AssetKey, frozenset[AssetKey]]
    check_specs_by_asset: Mapping[AssetKey, list[AssetCheckSpec]]

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

    def has(self, key: AssetKey) -> bool:
        return key in self.nodes

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return self.parents_by_key[key]

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return self.children_by_key[key]

    def check_specs_for(self, key: AssetKey) -> list[AssetCheckSpec]:
        return self.check_specs_by_asset.get(key, [])

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
