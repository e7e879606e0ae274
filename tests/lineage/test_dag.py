"""The domain-free DAG utilities: ordering, cycles, bounded reachability, inversion."""

from __future__ import annotations

import pytest

from freshet.lineage import dag

# a -> b -> d, a -> c -> d, e alone
DIAMOND = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}
CHAIN_LENGTH = 10_000


def chain(length: int) -> dict[int, list[int]]:
    return {i: [i - 1] for i in range(1, length)}


def assert_topological(order: list, parents: dict) -> None:
    position = {node: i for i, node in enumerate(order)}
    for node, node_parents in parents.items():
        for parent in node_parents:
            if parent in position and node in position:
                assert position[parent] < position[node], (parent, node)


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        (["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "e"]),
        (["e", "d", "c", "b", "a"], ["e", "a", "c", "b", "d"]),
        (["d", "a", "e", "c", "b"], ["a", "e", "c", "b", "d"]),
    ],
    ids=["already-sorted-unchanged", "reversed", "shuffled"],
)
def test_toposort_places_parents_first_and_breaks_ties_by_input_order(nodes, expected):
    assert dag.toposort(nodes, DIAMOND) == expected


def test_toposort_ignores_parents_outside_the_given_nodes():
    assert dag.toposort(["d", "b"], DIAMOND) == ["b", "d"]


def test_toposort_keeps_first_occurrence_of_duplicate_nodes():
    assert dag.toposort(["a", "b", "a"], {"b": ["a"]}) == ["a", "b"]


def test_toposort_raises_naming_the_cycle():
    with pytest.raises(dag.GraphCycleError) as caught:
        dag.toposort(["a", "b", "c", "x"], {"a": ["c"], "b": ["a"], "c": ["b"], "x": ["c"]})
    assert caught.value.cycle == ["a", "b", "c", "a"]
    assert "a -> b -> c -> a" in str(caught.value)


def test_toposort_of_a_long_reversed_chain_has_no_recursion_limit():
    nodes = list(reversed(range(CHAIN_LENGTH)))
    assert dag.toposort(nodes, chain(CHAIN_LENGTH)) == list(range(CHAIN_LENGTH))


@pytest.mark.parametrize(
    ("parents", "expected"),
    [
        ({"b": ["a"], "c": ["b"], "a": ["c"]}, ["a", "b", "c", "a"]),
        ({"a": ["a"]}, ["a", "a"]),
        ({"b": ["a"], "a": ["b"], "c": ["b"]}, ["a", "b", "a"]),
    ],
    ids=["three-cycle", "self-loop", "two-cycle-with-tail"],
)
def test_find_cycle_returns_the_cycle_in_edge_order(parents, expected):
    assert dag.find_cycle(["a", "b", "c"], parents) == expected


def test_find_cycle_returns_none_for_a_dag():
    assert dag.find_cycle(["a", "b", "c", "d", "e"], DIAMOND) is None


def test_find_cycle_on_a_long_chain_closed_into_a_loop_has_no_recursion_limit():
    parents = chain(CHAIN_LENGTH)
    parents[0] = [CHAIN_LENGTH - 1]
    cycle = dag.find_cycle(range(CHAIN_LENGTH), parents)
    assert cycle is not None
    assert len(cycle) == CHAIN_LENGTH + 1
    assert cycle[0] == cycle[-1]


@pytest.mark.parametrize(
    ("start", "depth", "expected"),
    [
        (["d"], None, {"a", "b", "c"}),
        (["d"], 1, {"b", "c"}),
        (["d"], 0, set()),
        (["a"], None, set()),
        (["d", "b"], None, {"a", "c"}),
    ],
    ids=["unlimited", "depth-1", "depth-0", "root-has-none", "starts-excluded-even-if-ancestors"],
)
def test_ancestors_are_nodes_within_depth_excluding_the_start(start, depth, expected):
    assert dag.ancestors(start, DIAMOND, depth=depth) == expected


@pytest.mark.parametrize(
    ("start", "depth", "expected"),
    [(["a"], None, {"b", "c", "d"}), (["a"], 1, {"b", "c"}), (["b", "c"], 5, {"d"})],
    ids=["unlimited", "depth-1", "multi-source"],
)
def test_descendants_are_nodes_within_depth_excluding_the_start(start, depth, expected):
    assert dag.descendants(start, dag.invert(DIAMOND), depth=depth) == expected


def test_ancestors_reject_a_negative_depth():
    with pytest.raises(ValueError, match="depth"):
        dag.ancestors(["d"], DIAMOND, depth=-1)


def test_reachability_on_a_long_chain_has_no_recursion_limit():
    parents = chain(CHAIN_LENGTH)
    assert len(dag.ancestors([CHAIN_LENGTH - 1], parents)) == CHAIN_LENGTH - 1
    assert dag.descendants([0], dag.invert(parents), depth=3) == {1, 2, 3}


def test_invert_lists_every_node_with_its_children():
    assert dag.invert(DIAMOND) == {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}
