"""Resolving selections against the literal graph of conftest.py (read its docstring first)."""

from __future__ import annotations

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import SelectionError, UnknownAssetError
from freshet.lineage.selection import AssetSelection, SelectionStatus

INGEST = {"raw/events", "raw/users", "clean/events", "clean/users"}
ANALYTICS = {"sessions", "sessions_daily", "report", "dashboard"}
NOT_MATERIALIZABLE = {"raw/events", "dashboard"}


def names(keys: set[AssetKey]) -> set[str]:
    return {key.to_user_string() for key in keys}


def select(text: str, graph) -> set[str]:
    return names(AssetSelection.from_string(text).resolve(graph))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*", (INGEST | ANALYTICS) - NOT_MATERIALIZABLE),
        ("raw/events", {"raw/events"}),
        ("key:clean/events", {"clean/events"}),
        ("key:clean/*", {"clean/events", "clean/users"}),
        ("key:*events", {"raw/events", "clean/events"}),
        ("key:nothing* or raw/events", {"raw/events"}),
        ("key_prefix:clean", {"clean/events", "clean/users"}),
        ("key_prefix:clean/users", {"clean/users"}),
        ("group:ingest", INGEST),
        ("group:nope or raw/events", {"raw/events"}),
        ("tag:tier=silver", {"clean/events", "clean/users"}),
        ("tag:tier", {"raw/users", "clean/events", "clean/users", "report"}),
        ("tag:pii", {"clean/users"}),
        ("tag:pii=false or raw/events", {"raw/events"}),
        ("kind:duckdb", {"clean/events", "clean/users"}),
        ("owner:team:data", {"raw/events", "raw/users", "clean/users"}),
        ("owner:alice@x.com", {"clean/events", "clean/users"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_leaf_selects_matching_assets(text, expected, graph):
    assert select(text, graph) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+sessions", {"sessions", "clean/events", "clean/users"}),
        ("sessions+", {"sessions", "report"}),
        ("*sessions", {"sessions", "clean/events", "clean/users", "raw/events", "raw/users"}),
        ("2+report", {"report", "sessions", "sessions_daily", "clean/events", "clean/users"}),
        ("clean/events*", {"clean/events", "sessions", "sessions_daily", "report", "dashboard"}),
        ("+clean/events+", {"clean/events", "raw/events", "sessions", "sessions_daily"}),
        ("report+1", {"report", "dashboard"}),
        ("+group:analytics", ANALYTICS | {"clean/events", "clean/users"}),
        ("*(raw/users or raw/events)", {"raw/users", "raw/events"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_traversal_adds_ancestors_and_descendants_to_depth(text, expected, graph):
    assert select(text, graph) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("group:ingest and kind:duckdb", {"clean/events", "clean/users"}),
        ("group:ingest and not kind:duckdb", {"raw/events", "raw/users"}),
        ("not group:ingest", ANALYTICS),
        ("not *", NOT_MATERIALIZABLE),
        ("* and not group:analytics", {"raw/users", "clean/events", "clean/users"}),
        ("kind:python or tag:tier=gold", {"raw/users", "clean/events", "sessions", "report"}),
        ("group:ingest or group:analytics and kind:python", INGEST | {"sessions", "report"}),
        (
            "(group:ingest or group:analytics) and kind:python",
            {"raw/users", "clean/events", "sessions", "report"},
        ),
        ("not not group:ingest", INGEST),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_operators_combine_as_set_operations(text, expected, graph):
    assert select(text, graph) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roots(group:analytics)", {"sessions", "sessions_daily"}),
        ("sinks(group:ingest)", {"clean/events", "clean/users"}),
        ("roots(report)", {"report"}),
        ("required_multi_asset_neighbors(sessions)", {"sessions", "sessions_daily"}),
        ("required_multi_asset_neighbors(report)", {"report"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_functions_select_within_their_operand(text, expected, graph):
    assert select(text, graph) == expected


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (AssetSelection.all(include_sources=True), INGEST | ANALYTICS),
        (AssetSelection.assets("raw/events", AssetKey("dashboard")), NOT_MATERIALIZABLE),
        (
            AssetSelection.groups("analytics").upstream(1, include_self=False),
            {"clean/events", "clean/users"},
        ),
        (
            AssetSelection.assets("raw/users").downstream(include_self=False),
            {"clean/users", "sessions", "report", "dashboard"},
        ),
        (AssetSelection.assets("report").upstream(0), {"report"}),
        (AssetSelection.assets("report").upstream(0, include_self=False), set()),
        (~AssetSelection.groups("ingest"), ANALYTICS),
        (
            AssetSelection.groups("ingest") - AssetSelection.kind("duckdb"),
            {"raw/events", "raw/users"},
        ),
        (AssetSelection.kind("duckdb") & AssetSelection.owner("team:data"), {"clean/users"}),
        (
            AssetSelection.assets("sessions").required_multi_asset_neighbors(),
            {"sessions", "sessions_daily"},
        ),
        (AssetSelection.assets(), set()),
    ],
    ids=[
        "all-with-sources",
        "explicit-sources",
        "upstream-without-self",
        "downstream-without-self",
        "depth-0",
        "depth-0-without-self",
        "complement",
        "difference",
        "intersection",
        "multi-asset-neighbors",
        "empty",
    ],
)
def test_api_selection_resolves(selection, expected, graph):
    assert names(selection.resolve(graph)) == expected


def test_resolve_returns_a_fresh_set_the_caller_may_change(graph):
    selection = AssetSelection.groups("ingest")
    first = selection.resolve(graph)
    first.clear()
    assert names(selection.resolve(graph)) == INGEST


@pytest.mark.parametrize(
    ("selection", "named", "suggested"),
    [
        (AssetSelection.assets("clean/evnts"), "'clean/evnts'", "'clean/events'"),
        (AssetSelection.assets("events"), "'events'", "'clean/events' or 'raw/events'"),
        (AssetSelection.from_string("group:ingest or +reprot"), "'reprot'", "'report'"),
        (AssetSelection.assets("zzz/qqq"), "'zzz/qqq'", "no similar key"),
    ],
    ids=["typo", "same-name-other-prefix", "inside-an-expression", "nothing-close"],
)
def test_unknown_key_names_the_key_and_suggests_the_closest(selection, named, suggested, graph):
    with pytest.raises(UnknownAssetError) as caught:
        selection.resolve(graph)
    assert named in str(caught.value)
    assert suggested in str(caught.value)
    assert "freshet assets list" in str(caught.value)


def test_every_unknown_key_is_reported_at_once(graph):
    with pytest.raises(UnknownAssetError) as caught:
        AssetSelection.assets("nope1", "report", "nope2").resolve(graph)
    assert "2 asset key(s)" in str(caught.value)
    assert "'nope1'" in str(caught.value)
    assert "'nope2'" in str(caught.value)


def test_status_term_asks_the_status_resolver_and_keeps_only_graph_keys(graph):
    asked = []

    def status_resolver(status):
        asked.append(status)
        return {AssetKey("report"), AssetKey("deleted_long_ago")}

    selection = AssetSelection.from_string("status:stale or status:missing")
    assert names(selection.resolve(graph, status_resolver=status_resolver)) == {"report"}
    assert asked == [SelectionStatus.STALE, SelectionStatus.MISSING]


def test_status_term_without_a_resolver_says_an_instance_is_needed(graph):
    with pytest.raises(SelectionError, match="instance") as caught:
        AssetSelection.from_string("group:ingest and status:failed").resolve(graph)
    assert "status:failed" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("group:ingets", "group:ingets matches no asset (did you mean 'ingest'?)"),
        ("kind:nothing", "kind:nothing matches no asset"),
        ("owner:nobody@x.com", "owner:nobody@x.com matches no asset"),
        ("tag:nope", "tag:nope matches no asset"),
    ],
    ids=["group-typo", "kind", "owner", "tag"],
)
def test_a_term_that_matches_nothing_says_so(graph, text, message):
    with pytest.raises(SelectionError) as caught:
        AssetSelection.from_string(text).resolve(graph)
    assert message in str(caught.value)
    assert "selects nothing" in str(caught.value)


def test_an_unmatched_term_in_a_selection_that_selects_something_is_fine(graph):
    assert AssetSelection.from_string("group:ingets or group:ingest").resolve(graph)


def test_deep_traversals_of_a_long_chain_need_no_recursion(chain_graph):
    assert len(AssetSelection.from_string("*a9999").resolve(chain_graph)) == 10_000
    assert names(AssetSelection.from_string("a0+3").resolve(chain_graph)) == {
        "a0",
        "a1",
        "a2",
        "a3",
    }
    assert names(AssetSelection.from_string("roots(*)").resolve(chain_graph)) == {"a0"}
