"""Syntax tree + asset graph -> set of asset keys, by set operations linear in the graph's size.

Attribute leaves share one index built in a single pass over the graph on first use;
traversals are one multi-source breadth-first search each, whatever the number of starts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Set
from functools import lru_cache
from typing import Protocol

from freshet.core.keys import AssetKey
from freshet.errors import SelectionError, UnknownAssetError
from freshet.lineage import dag
from freshet.lineage.selection.ast import (
    AllNode,
    AndNode,
    FunctionName,
    FunctionNode,
    GroupNode,
    KeyGlobNode,
    KeyNode,
    KeyPrefixNode,
    KindNode,
    Node,
    NotNode,
    OrNode,
    OwnerNode,
    SelectionStatus,
    StatusNode,
    TagNode,
    TraversalNode,
    children_of,
)
from freshet.lineage.selection.render import render

StatusResolver = Callable[[SelectionStatus], Set[AssetKey]]


class SelectableAsset(Protocol):
    """What selection reads from one asset of the graph."""

    @property
    def key(self) -> AssetKey: ...
    @property
    def group_name(self) -> str: ...
    @property
    def tags(self) -> Mapping[str, str]: ...
    @property
    def kinds(self) -> frozenset[str]: ...
    @property
    def owners(self) -> tuple[str, ...]: ...
    @property
    def is_materializable(self) -> bool: ...


class SelectableGraph(Protocol):
    """What selection reads from an asset graph: the part of `freshet.lineage.view.AssetGraphView`
    it needs, so the live `AssetGraph` and a snapshot's graph select alike."""

    @property
    def all_keys(self) -> frozenset[AssetKey]: ...
    def node(self, key: AssetKey) -> SelectableAsset: ...
    def parents(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def children(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]: ...


def resolve(
    node: Node, graph: SelectableGraph, status_resolver: StatusResolver | None = None
) -> set[AssetKey]:
    """The keys `node` selects in `graph`; raises if it names unknown keys or needs statuses.

    When nothing at all is selected and an attribute term (`group:`, `tag:`, `kind:`,
    `owner:`, `key:` patterns) matches no asset, that is reported as the reason, with the
    closest existing name: a typo is not an empty selection."""
    _check_keys_exist(node, graph)
    resolver = _Resolver(graph, status_resolver)
    selected = set(resolver.eval(node))
    if not selected and resolver.unmatched:
        raise SelectionError(
            f"the selection {render(node)!r} selects nothing: "
            + "; ".join(resolver.describe_unmatched())
            + ". `freshet assets list` shows the assets with their groups and kinds."
        )
    return selected


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children_of(current))


def _check_keys_exist(node: Node, graph: SelectableGraph) -> None:
    """Report every unknown explicit key at once, each with its closest existing keys."""
    all_keys = graph.all_keys
    unknown = sorted(
        {n.key for n in _walk(node) if isinstance(n, KeyNode) and n.key not in all_keys}
    )
    if not unknown:
        return
    known = sorted(key.to_user_string() for key in all_keys)
    lines = [f"'{key}'{_suggestion(key, known)}" for key in unknown]
    raise UnknownAssetError(
        f"the selection {render(node)!r} names {len(unknown)} asset key(s) that no asset has: "
        f"{'; '.join(lines)}. Fix the key(s), or list existing keys with `freshet assets list`."
    )


def _suggestion(key: AssetKey, known: list[str]) -> str:
    text = key.to_user_string()
    same_name = [k for k in known if k.rsplit("/", 1)[-1] == key.name]
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    candidates = list(dict.fromkeys(same_name + close))[:3]
    if not candidates:
        return " (no similar key)"
    return " (did you mean " + " or ".join(f"'{c}'" for c in candidates) + "?)"


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


class _EdgeView(Mapping[AssetKey, frozenset[AssetKey]]):
    """A graph's parents() or children() seen as the mapping `dag` works on."""

    __slots__ = ("_edges", "_keys")

    def __init__(
        self, edges: Callable[[AssetKey], frozenset[AssetKey]], keys: frozenset[AssetKey]
    ) -> None:
        self._edges = edges
        self._keys = keys

    def __getitem__(self, key: AssetKey) -> frozenset[AssetKey]:
        return self._edges(key)

    def get(self, key: AssetKey, default: object = None) -> frozenset[AssetKey]:  # type: ignore[override]
        return self._edges(key)

    def __iter__(self) -> Iterator[AssetKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


# What an asset is indexed by, one function per kind of leaf; used as keys of the index cache.
_ValuesOf = Callable[[SelectableAsset], Iterable[Hashable]]


def _materializable(asset: SelectableAsset) -> Iterable[Hashable]:
    return (True,) if asset.is_materializable else ()


def _group(asset: SelectableAsset) -> Iterable[Hashable]:
    return (asset.group_name,)


def _kinds(asset: SelectableAsset) -> Iterable[Hashable]:
    return asset.kinds


def _owners(asset: SelectableAsset) -> Iterable[Hashable]:
    return asset.owners


def _tag_items(asset: SelectableAsset) -> Iterable[Hashable]:
    return asset.tags.items()


def _tag_keys(asset: SelectableAsset) -> Iterable[Hashable]:
    return asset.tags.keys()


def _leaf_value(leaf: Node) -> str:
    """The name an attribute leaf looks for, as `_Resolver._names_like` lists candidates."""
    match leaf:
        case GroupNode(name=name):
            return name
        case KindNode(kind=kind):
            return kind
        case OwnerNode(owner=owner):
            return owner
        case TagNode(key=key, value=None):
            return key
        case TagNode(key=key, value=value):
            return f"{key}={value}"
        case KeyGlobNode(pattern=pattern):
            return pattern
        case KeyPrefixNode(prefix=prefix):
            return "/".join(prefix)
    return render(leaf)


def _build_index(graph: SelectableGraph, values_of: _ValuesOf) -> dict[Hashable, set[AssetKey]]:
    index: dict[Hashable, set[AssetKey]] = {}
    node = graph.node
    for key in graph.all_keys:
        for value in values_of(node(key)):
            keys = index.get(value)
            if keys is None:
                index[value] = keys = set()
            keys.add(key)
    return index


_NOTHING: frozenset[AssetKey] = frozenset()


class _Resolver:
    """Evaluates one tree; results of leaves may be shared with the index, so never mutated.

    Each kind of leaf is indexed in one pass over the graph the first time it is needed, so
    `group:a or group:b or ...` costs one pass, not one per group.
    """

    __slots__ = ("_graph", "_indexes", "_status_resolver", "unmatched")

    def __init__(self, graph: SelectableGraph, status_resolver: StatusResolver | None) -> None:
        self._graph = graph
        self._status_resolver = status_resolver
        self._indexes: dict[_ValuesOf, dict[Hashable, set[AssetKey]]] = {}
        #: attribute leaves that matched no asset of the graph, in evaluation order
        self.unmatched: list[Node] = []

    def _index(self, values_of: _ValuesOf) -> dict[Hashable, set[AssetKey]]:
        index = self._indexes.get(values_of)
        if index is None:
            index = self._indexes[values_of] = _build_index(self._graph, values_of)
        return index

    def describe_unmatched(self) -> list[str]:
        """One phrase per unmatched leaf: `group:salse matches no asset (did you mean ...?)`."""
        phrases = []
        for leaf in dict.fromkeys(self.unmatched):
            known = self._names_like(leaf)
            close = difflib.get_close_matches(_leaf_value(leaf), known, n=3, cutoff=0.6)
            hint = " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""
            phrases.append(f"{render(leaf)} matches no asset{hint}")
        return phrases

    def _names_like(self, leaf: Node) -> list[str]:
        match leaf:
            case GroupNode():
                return sorted(str(v) for v in self._index(_group))
            case KindNode():
                return sorted(str(v) for v in self._index(_kinds))
            case OwnerNode():
                return sorted(str(v) for v in self._index(_owners))
            case TagNode(value=None):
                return sorted(str(v) for v in self._index(_tag_keys))
            case TagNode():
                return sorted(f"{k}={v}" for k, v in self._index(_tag_items))  # type: ignore[misc]
        return sorted(k.to_user_string() for k in self._graph.all_keys)

    def _lookup(self, values_of: _ValuesOf, value: Hashable) -> Set[AssetKey]:
        return self._index(values_of).get(value, _NOTHING)

    def eval(self, node: Node) -> Set[AssetKey]:
        match node:
            case OrNode(operands=operands):
                return set().union(*(self.eval(op) for op in operands))
            case AndNode(operands=operands):
                return self._intersection(operands)
            case NotNode(operand=operand):
                return self._graph.all_keys - self.eval(operand)
            case TraversalNode():
                return self._traversal(node)
            case FunctionNode():
                return self._function(node)
            case KeyNode(key=key):
                return {key}
            case StatusNode(status=status):
                return self._status(status, node)
            case AllNode():
                return self._attribute(node)
            case _:
                matched = self._attribute(node)
                if not matched:
                    self.unmatched.append(node)
                return matched

    def _intersection(self, operands: tuple[Node, ...]) -> Set[AssetKey]:
        # `a and not b` subtracts b instead of building the complement of b.
        included = [self.eval(op) for op in operands if not isinstance(op, NotNode)]
        excluded = [self.eval(op.operand) for op in operands if isinstance(op, NotNode)]
        if included:
            included.sort(key=len)
            result = set(included[0])
            result.intersection_update(*included[1:])
        else:
            result = set(self._graph.all_keys)
        result.difference_update(*excluded)
        return result

    def _traversal(self, node: TraversalNode) -> Set[AssetKey]:
        starts = self.eval(node.operand)
        result = set(starts) if node.include_self else set()
        if node.up != 0:
            parents = _EdgeView(self._graph.parents, self._graph.all_keys)
            result |= dag.ancestors(starts, parents, depth=node.up)
        if node.down != 0:
            children = _EdgeView(self._graph.children, self._graph.all_keys)
            result |= dag.descendants(starts, children, depth=node.down)
        if not node.include_self:
            result -= starts
        return result

    def _function(self, node: FunctionNode) -> Set[AssetKey]:
        selected = self.eval(node.operand)
        graph = self._graph
        if node.function is FunctionName.ROOTS:
            return {key for key in selected if graph.parents(key).isdisjoint(selected)}
        if node.function is FunctionName.SINKS:
            return {key for key in selected if graph.children(key).isdisjoint(selected)}
        return set(selected).union(*(graph.required_multi_asset_neighbors(k) for k in selected))

    def _status(self, status: SelectionStatus, node: StatusNode) -> Set[AssetKey]:
        if self._status_resolver is None:
            raise SelectionError(
                f"the selection term {render(node)!r} needs asset statuses, which come from "
                "the instance that holds the run history: pass instance=fr.Instance.from_home() "
                "(the CLI uses the project's home), or select without status: terms"
            )
        return self._graph.all_keys & set(self._status_resolver(status))

    def _attribute(self, node: Node) -> Set[AssetKey]:
        match node:
            case AllNode(include_sources=True):
                return self._graph.all_keys
            case AllNode():
                return self._lookup(_materializable, True)
            case GroupNode(name=name):
                return self._lookup(_group, name)
            case KindNode(kind=kind):
                return self._lookup(_kinds, kind)
            case OwnerNode(owner=owner):
                return self._lookup(_owners, owner)
            case TagNode(key=key, value=None):
                return self._lookup(_tag_keys, key)
            case TagNode(key=key, value=value):
                return self._lookup(_tag_items, (key, value))
            case KeyGlobNode(pattern=pattern):
                matches = _glob(pattern).fullmatch
                return {k for k in self._graph.all_keys if matches(k.to_user_string())}
            case KeyPrefixNode(prefix=prefix):
                size = len(prefix)
                return {k for k in self._graph.all_keys if k.path[:size] == prefix}
        raise TypeError(f"cannot resolve selection node {node!r}: not a selection syntax node")
