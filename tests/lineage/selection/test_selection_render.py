"""Rendering back to the string syntax: canonical text round-trips, API selections re-parse."""

from __future__ import annotations

import pytest

from freshet.lineage.selection import AssetSelection
from freshet.lineage.selection.parser import parse
from freshet.lineage.selection.render import render

CANONICAL = [
    "*",
    "a",
    "raw/events",
    '"or"',
    '"2"',
    "key:raw/*",
    "key_prefix:raw/eu",
    "group:ingest",
    'group:"my group"',
    "tag:tier=gold",
    "tag:pii",
    'tag:"a=b"=c',
    'tag:k="v w"',
    'tag:k=""',
    "kind:duckdb",
    'kind:"c++"',
    "owner:team:data",
    "owner:me@x.com",
    "status:stale",
    "+a",
    "a+",
    "2+a+3",
    "*a*",
    "*group:g",
    "+(a or b)",
    "+(a+)",
    '"2"+3',
    "roots(group:g)",
    "sinks(a or b)+",
    "required_multi_asset_neighbors(a)",
    "a or b and c",
    "(a or b) and c",
    "not a and not b",
    "not (a or b)",
    "not not a",
    "not a+",
]


@pytest.mark.parametrize("text", CANONICAL, ids=CANONICAL)
def test_canonical_text_renders_back_unchanged(text):
    assert render(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("key:a", "a"),
        ('"a/b"', "a/b"),
        ("++a", "2+a"),
        ("(a)", "a"),
        ("(a or b) or c", "a or b or c"),
        ("a  AND   b", "a and b"),
        ("status:In-Progress", "status:in_progress"),
        ("0+a", "a"),
    ],
    ids=[
        "key-attribute",
        "quoted-key",
        "plus-run",
        "parentheses",
        "nested-or",
        "spacing",
        "status-spelling",
        "zero-depth",
    ],
)
def test_equivalent_spellings_render_in_canonical_form(text, canonical):
    assert render(parse(text)) == canonical


API_SELECTIONS = {
    "all": AssetSelection.all(),
    "assets": AssetSelection.assets("a", "b/c"),
    "groups": AssetSelection.groups("g1", "g2"),
    "key-prefixes": AssetSelection.key_prefixes("raw", ["x", "y"]),
    "tag": AssetSelection.tag("tier", "gold"),
    "tag-presence": AssetSelection.tag("pii"),
    "kind-and-owner": AssetSelection.kind("duckdb") & AssetSelection.owner("team:x"),
    "upstream-depth": AssetSelection.assets("a").upstream(2),
    "downstream-all": AssetSelection.groups("g").downstream(),
    "nested-traversal": AssetSelection.assets("a").downstream(3).upstream(1),
    "difference": AssetSelection.all() - AssetSelection.groups("g") - AssetSelection.kind("s3"),
    "complement": ~(AssetSelection.groups("g") | AssetSelection.assets("a")),
    "functions": AssetSelection.groups("g").roots() | AssetSelection.groups("g").sinks(),
    "neighbors": AssetSelection.assets("a").required_multi_asset_neighbors(),
}


@pytest.mark.parametrize("selection", API_SELECTIONS.values(), ids=API_SELECTIONS.keys())
def test_api_selection_round_trips_through_its_string_exactly(selection):
    assert AssetSelection.from_string(str(selection)) == selection


def test_api_renders_the_expected_text():
    selection = (AssetSelection.groups("g").upstream(2) | AssetSelection.assets("x")) - (
        AssetSelection.tag("pii")
    )
    assert str(selection) == "(2+group:g or x) and not tag:pii"
    assert repr(selection) == "AssetSelection.from_string('(2+group:g or x) and not tag:pii')"


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        (AssetSelection.all(include_sources=True), "* or not *"),
        (AssetSelection.assets(), "* and not *"),
        (
            AssetSelection.assets("sessions").upstream(include_self=False),
            "*sessions and not sessions",
        ),
        (
            AssetSelection.assets("report").downstream(1, include_self=False),
            "report+ and not report",
        ),
    ],
    ids=["all-with-sources", "empty", "upstream-without-self", "downstream-without-self"],
)
def test_selections_without_a_direct_spelling_render_as_an_equivalent_expression(
    selection, text, graph
):
    assert str(selection) == text
    assert AssetSelection.from_string(text).resolve(graph) == selection.resolve(graph)
