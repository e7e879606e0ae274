"""Domain-free utilities over a directed acyclic graph of hashable nodes.

A graph is given as a mapping from each node to its parents (or children); nodes missing from
the mapping have none. Everything here is iterative and linear in nodes + edges (toposort adds
a heap over integer positions), so graphs of any depth work without hitting recursion limits.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)

_WHITE, _GREY, _BLACK = 0, 1, 2


class GraphCycleError(ValueError):
    """The graph has a cycle; `cycle` lists it in edge order, first node repeated at the end."""

    def __init__(self, cycle: list[Hashable]) -> None:
        self.cycle = cycle
        path = " -> ".join(str(node) for node in cycle)
        super().__init__(f"the graph has a cycle: {path}; remove one of these dependencies")


def toposort(nodes: Iterable[N], parents: Mapping[N, Iterable[N]]) -> list[N]:
    """Return `nodes` with every node after its parents, ties broken by input order.

    Among the nodes whose parents are all placed, the one earliest in `nodes` comes next, so an
    input that is already in topological order comes back unchanged. Parents that are not in
    `nodes` are ignored, which lets a subgraph be sorted with the whole graph's mapping.
    Raises `GraphCycleError` naming one cycle if there is one.
    """
    order = list(dict.fromkeys(nodes))
    index = {node: i for i, node in enumerate(order)}
    indegree, children, already_sorted = _edges_by_position(order, index, parents)
    if already_sorted:
        return order
    ready = [i for i, count in enumerate(indegree) if count == 0]
    heapq.heapify(ready)
    result: list[N] = []
    while ready:
        i = heapq.heappop(ready)
        result.append(order[i])
        for child in children[i]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, child)
    if len(result) < len(order):
        remaining = [order[i] for i, count in enumerate(indegree) if count > 0]
        raise GraphCycleError(find_cycle(remaining, parents) or remaining)
    return result


def _edges_by_position(
    order: list[N], index: dict[N, int], parents: Mapping[N, Iterable[N]]
) -> tuple[list[int], list[list[int]], bool]:
    """In-degrees and child positions (in input order), and whether input order is topological."""
    indegree = [0] * len(order)
    children: list[list[int]] = [[] for _ in order]
    already_sorted = True
    get_parents = parents.get
    get_index = index.get
    for i, node in enumerate(order):
        for parent in get_parents(node, ()):
            j = get_index(parent)
            if j is None:
                continue
            indegree[i] += 1
            children[j].append(i)
            if j >= i:
                already_sorted = False
    return indegree, children, already_sorted


def find_cycle(nodes: Iterable[N], parents: Mapping[N, Iterable[N]]) -> list[N] | None:
    """Return one cycle as `[a, b, c, a]` (each node a parent of the next), or None.

    Only edges between members of `nodes` count. The search is an iterative depth-first walk
    from each node in input order, so the answer is deterministic for a given input.
    """
    order = list(dict.fromkeys(nodes))
    index = {node: i for i, node in enumerate(order)}
    _, children, _ = _edges_by_position(order, index, parents)
    color = [_WHITE] * len(order)
    for root in range(len(order)):
        if color[root] == _WHITE:
            cycle = _cycle_from(root, children, color)
            if cycle is not None:
                return [order[i] for i in cycle]
    return None


def _cycle_from(root: int, children: list[list[int]], color: list[int]) -> list[int] | None:
    """Depth-first walk from `root` with an explicit stack; returns a cycle of positions."""
    color[root] = _GREY
    path = [root]
    pending = [iter(children[root])]
    while pending:
        for child in pending[-1]:
            if color[child] == _WHITE:
                color[child] = _GREY
                path.append(child)
                pending.append(iter(children[child]))
                break
            if color[child] == _GREY:
                return [*path[path.index(child) :], child]
        else:
            color[path.pop()] = _BLACK
            pending.pop()
    return None


def ancestors(
    start: Iterable[N], parents: Mapping[N, Iterable[N]], depth: int | None = None
) -> set[N]:
    """Nodes reachable from any node of `start` by following parents, at most `depth` steps.

    One breadth-first search from all of `start` at once. The start nodes themselves are never
    in the result (not even when one is an ancestor of another); union them in if wanted.
    `depth=None` means no limit, `depth=0` gives the empty set.
    """
    return _reach(start, parents, depth)


def descendants(
    start: Iterable[N], children: Mapping[N, Iterable[N]], depth: int | None = None
) -> set[N]:
    """Nodes reachable from any node of `start` by following children; see `ancestors`."""
    return _reach(start, children, depth)


def _reach(start: Iterable[N], edges: Mapping[N, Iterable[N]], depth: int | None) -> set[N]:
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be None (no limit) or >= 0, got {depth}")
    starts = set(start)
    seen = set(starts)
    frontier = list(starts)
    get_edges = edges.get
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        next_frontier = []
        for node in frontier:
            for neighbor in get_edges(node, ()):
                if neighbor not in seen:
                    seen.add(neighbor)
                    next_frontier.append(neighbor)
        frontier = next_frontier
    seen -= starts
    return seen


def invert(parents: Mapping[N, Iterable[N]]) -> dict[N, list[N]]:
    """Turn a parents mapping into a children mapping (or back).

    Every node that appears, as a key or as a parent, is a key of the result; children are
    listed in the iteration order of `parents`.
    """
    children: dict[N, list[N]] = {node: [] for node in parents}
    for node, node_parents in parents.items():
        for parent in node_parents:
            siblings = children.get(parent)
            if siblings is None:
                children[parent] = siblings = []
            siblings.append(node)
    return children
