"""Op selection entries: a node name, `*` for every level up or down, one `+` per level;
a nested graph's name stands for all of its nodes."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.core.op_selection import (
    OpSelectionEntry,
    as_entries,
    select_nodes,
    selected_mapping_keys,
)
from freshet.errors import SelectionError, UsageError


@fr.op
def source():
    return 1


@fr.op
def step(x):
    return x + 1


@fr.op
def pair(x, y):
    return x + y


@fr.graph
def inner(x):
    return step.alias("twice")(step.alias("once")(x))


@fr.job
def pipeline():
    # source -> a -> b -> c, and source -> inner.once -> inner.twice -> c
    a = step.alias("a")(source())
    b = step.alias("b")(a)
    pair.alias("c")(b, inner(a))


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["b"], {"b"}),
        (["*b"], {"source", "a", "b"}),
        (["+b"], {"a", "b"}),
        (["++b"], {"source", "a", "b"}),
        (["a*"], {"a", "b", "c", "inner.once", "inner.twice"}),
        (["a+"], {"a", "b", "inner.once"}),
        (["inner"], {"inner.once", "inner.twice"}),
        (["inner.twice+"], {"inner.twice", "c"}),
        (["b", "inner.once"], {"b", "inner.once"}),
        (["+c+"], {"b", "inner.twice", "c"}),
    ],
    ids=[
        "name",
        "all-upstream",
        "one-level-up",
        "two-levels-up",
        "all-downstream",
        "one-level-down",
        "nested-graph-by-name",
        "op-inside-nested-graph",
        "several-entries",
        "both-ways",
    ],
)
def test_entries_select_nodes(entries: list[str], expected: set[str]) -> None:
    assert pipeline.graph is not None
    assert select_nodes(pipeline.graph.nodes, entries) == expected


def test_unknown_names_are_all_reported_with_the_nearest_op_names() -> None:
    assert pipeline.graph is not None
    with pytest.raises(SelectionError) as info:
        select_nodes(pipeline.graph.nodes, ["sorce*", "b", "inner.twise"])
    message = str(info.value)
    assert "'sorce*' matches no op in the job (did you mean source?)" in message
    assert "'inner.twise' matches no op in the job (did you mean inner.twice, " in message


@pytest.mark.parametrize(
    "text",
    ["", "b**", "*+b", "a b", "+", "b[", "b[]", "b[k]x", "[k]", "b[k][j]"],
    ids=[
        "empty",
        "double-star",
        "mixed",
        "space",
        "bare",
        "open-key",
        "empty-key",
        "text-after-key",
        "key-alone",
        "two-keys",
    ],
)
def test_malformed_entries_are_refused_with_the_forms_allowed(text: str) -> None:
    with pytest.raises(SelectionError, match="op name with optional"):
        OpSelectionEntry.parse(text)


def test_a_bare_string_is_not_taken_for_a_list_of_entries() -> None:
    with pytest.raises(UsageError, match="takes a list of op names"):
        as_entries("b", "job 'pipeline'")


def test_an_entry_may_name_one_mapping_key_of_a_node() -> None:
    assert OpSelectionEntry.parse("*square[k2]+") == OpSelectionEntry(
        name="square", mapping_key="k2", up=-1, down=1
    )
    assert pipeline.graph is not None
    assert select_nodes(pipeline.graph.nodes, ["b[k1]+"]) == {"b", "c"}


def test_mapping_keys_are_gathered_by_node_and_a_plain_name_takes_every_key() -> None:
    entries = ["square[k2]", "square[k3]", "halve[k1]", "halve", "total"]
    assert selected_mapping_keys(entries) == {"square": frozenset({"k2", "k3"})}
