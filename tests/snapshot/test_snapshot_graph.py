"""The asset graph read from a snapshot answers every read of the graph interface as the live
graph does: nodes, edges, order, checks, multi-asset neighbours and selections."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import freshet as fr
from freshet.lineage.asset_graph import AssetGraph
from freshet.lineage.view import AssetGraphView
from freshet.snapshot import DefinitionsSnapshot, SnapshotAssetGraph

SELECTIONS = [
    "*",
    "group:g0",
    "group:g1 or kind:duckdb",
    "tag:tier=gold and not owner:team:x",
    "+a3",
    "a2+",
    "*a4",
    "a0*",
    "2+a5+1",
    "key:a1* and not group:g1",
    "(group:g0 or tag:tier) and a0*",
]


@st.composite
def graphs(draw):
    n = draw(st.integers(min_value=6, max_value=12))
    specs = []
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        specs.append(
            {
                "parents": parents,
                "group": draw(st.sampled_from(["g0", "g1", "g2"])),
                "tags": draw(st.sampled_from([{}, {"tier": "gold"}, {"tier": "silver"}])),
                "kinds": draw(st.sampled_from([set(), {"duckdb"}, {"python", "duckdb"}])),
                "owners": draw(st.sampled_from([[], ["team:x"], ["ana@example.com"]])),
                "external": i > 0 and draw(st.integers(0, 5)) == 0,
            }
        )
    return specs


def _defs(specs) -> fr.Definitions:
    assets = []
    for i, spec in enumerate(specs):
        options = {
            "deps": [f"a{p}" for p in spec["parents"]],
            "group_name": spec["group"],
            "tags": spec["tags"],
            "kinds": spec["kinds"],
            "owners": spec["owners"],
        }
        if spec["external"]:
            assets.append(fr.AssetSpec(f"a{i}", **options))
        else:
            assets.append(fr.asset(name=f"a{i}", **options)(lambda: 1))
    return fr.Definitions(assets=assets)


def _both(defs: fr.Definitions) -> tuple[AssetGraph, SnapshotAssetGraph]:
    snapshot = DefinitionsSnapshot.from_json(DefinitionsSnapshot.from_definitions(defs).to_json())
    return defs.get_asset_graph(), snapshot.get_asset_graph()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_snapshot_graph_reads_like_the_live_graph(specs):
    live, snap = _both(_defs(specs))
    views: list[AssetGraphView] = [live, snap]
    assert snap.all_keys == live.all_keys
    assert snap.materializable_keys == live.materializable_keys
    assert snap.toposorted_keys == live.toposorted_keys
    for key in live.all_keys:
        assert snap.parents(key) == live.parents(key)
        assert snap.children(key) == live.children(key)
        assert snap.upstream([key], depth=2) == live.upstream([key], depth=2)
        assert snap.downstream([key]) == live.downstream([key])
        node, live_node = snap.node(key), live.node(key)
        for attribute in ("group_name", "tags", "kinds", "owners", "is_external", "parent_keys"):
            assert getattr(node, attribute) == getattr(live_node, attribute)
    for text in SELECTIONS:
        selection = fr.AssetSelection.from_string(text)
        assert _resolved(selection, views[1]) == _resolved(selection, views[0]), text


def _resolved(selection, graph):
    """The keys selected, or the message when a term matches nothing (same on both graphs)."""
    try:
        return selection.resolve(graph)
    except fr.SelectionError as error:
        return str(error)


def test_multi_asset_neighbours_and_checks_match():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")])
    def both():
        yield fr.MaterializeResult(asset_key="x")
        yield fr.MaterializeResult(asset_key="y")

    @fr.asset_check(asset="x", blocking=True)
    def x_ok():
        return fr.AssetCheckResult(passed=True)

    live, snap = _both(fr.Definitions(assets=[both], asset_checks=[x_ok]))
    for key in live.all_keys:
        assert snap.required_multi_asset_neighbors(key) == live.required_multi_asset_neighbors(key)
        assert [(s.key, s.blocking) for s in snap.check_specs_for(key)] == [
            (s.key, s.blocking) for s in live.check_specs_for(key)
        ]
