"""The `AssetSelection` API: constructors, operators and validation at the public edge."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import SelectionError, SelectionSyntaxError
from freshet.lineage.selection import AssetSelection
from freshet.lineage.selection.ast import MAX_DEPTH


@dataclass(frozen=True)
class FakeAssetsDefinition:
    keys: frozenset[AssetKey]


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        (AssetSelection.all(), "*"),
        (AssetSelection.assets("a/b"), "a/b"),
        (AssetSelection.keys(AssetKey(["a", "b"])), "a/b"),
        (AssetSelection.assets(["a", "b"]), "a/b"),
        (AssetSelection.assets("x", "y", "x"), "x or y"),
        (AssetSelection.groups("g"), "group:g"),
        (AssetSelection.groups("g", "h"), "group:g or group:h"),
        (AssetSelection.key_prefixes("raw/eu"), "key_prefix:raw/eu"),
        (AssetSelection.tag("k", "v"), "tag:k=v"),
        (AssetSelection.tag("k"), "tag:k"),
        (AssetSelection.kind("duckdb", "python"), "kind:duckdb or kind:python"),
        (AssetSelection.owner("team:x"), "owner:team:x"),
        (AssetSelection.assets("a").upstream(), "*a"),
        (AssetSelection.assets("a").upstream(1), "+a"),
        (AssetSelection.assets("a").downstream(2), "a+2"),
        (AssetSelection.groups("g").roots(), "roots(group:g)"),
        (AssetSelection.groups("g").sinks(), "sinks(group:g)"),
        (AssetSelection.assets("a") | AssetSelection.assets("b"), "a or b"),
        (AssetSelection.assets("a") & AssetSelection.groups("g"), "a and group:g"),
        (AssetSelection.groups("g") - AssetSelection.assets("a"), "group:g and not a"),
        (~AssetSelection.groups("g"), "not group:g"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_api_and_string_build_the_same_selection(selection, text):
    assert selection == AssetSelection.from_string(text)
    assert hash(selection) == hash(AssetSelection.from_string(text))


def test_assets_accepts_definitions_and_takes_all_their_keys_in_key_order():
    definition = FakeAssetsDefinition(keys=frozenset({AssetKey("b"), AssetKey("a")}))
    assert AssetSelection.assets(definition) == AssetSelection.from_string("a or b")


def test_operators_chain_flat_so_long_unions_stay_shallow():
    selection = AssetSelection.assets()
    for i in range(2_000):
        selection = selection | AssetSelection.assets(f"a{i}")
    assert len(selection.node.operands) == 2_000  # type: ignore[attr-defined]


def test_selections_are_immutable_values():
    selection = AssetSelection.groups("g")
    with pytest.raises(dataclasses.FrozenInstanceError):
        selection.node = AssetSelection.all().node  # type: ignore[misc]
    assert {selection, AssetSelection.groups("g")} == {selection}


def test_zero_depth_traversal_with_self_is_the_same_selection():
    selection = AssetSelection.groups("g")
    assert selection.upstream(0) is selection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (AssetSelection.groups("g"), AssetSelection.groups("g")),
        ("group:g", AssetSelection.groups("g")),
        (["a", AssetKey("b")], AssetSelection.assets("a", "b")),
    ],
    ids=["selection", "text", "list-of-keys"],
)
def test_from_coercible_accepts_selection_text_or_keys(value, expected):
    assert AssetSelection.from_coercible(value) == expected


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: AssetSelection.assets("a b"), "argument 1 ('a b') is not an asset key"),
        (lambda: AssetSelection.assets("a", 3), "argument 2 (3) is not an asset key"),
        (lambda: AssetSelection.key_prefixes(""), "argument 1 ('') is not an asset key"),
        (lambda: AssetSelection.groups("g", ""), "argument 2 is '', expected a non-empty group"),
        (lambda: AssetSelection.tag("k", 1), "the tag value must be a string or None"),
        (lambda: AssetSelection.kind(None), "expected a non-empty kind"),
        (lambda: AssetSelection.all(include_sources="yes"), "pass True or False"),
        (lambda: AssetSelection.groups("g").upstream(-1), "depth must be None"),
        (lambda: AssetSelection.groups("g").downstream(1.5), "depth must be None"),
        (lambda: AssetSelection.from_string(None), "takes selection text"),
        (lambda: AssetSelection.from_coercible(42), "expected an AssetSelection"),
    ],
    ids=[
        "bad-key-text",
        "not-a-key",
        "empty-prefix",
        "empty-group",
        "tag-value-type",
        "kind-type",
        "include-sources-type",
        "negative-depth",
        "float-depth",
        "from-string-type",
        "from-coercible-type",
    ],
)
def test_bad_arguments_raise_selection_error_saying_which(build, message):
    with pytest.raises(SelectionError) as caught:
        build()
    assert message in str(caught.value)


def test_operators_refuse_non_selections():
    with pytest.raises(TypeError):
        AssetSelection.groups("g") | "group:h"  # type: ignore[operator]


def test_from_string_raises_syntax_error_for_bad_text():
    with pytest.raises(SelectionSyntaxError) as caught:
        AssetSelection.from_string("group:g and")
    assert caught.value.position == 11


@pytest.mark.parametrize(
    "depth", [MAX_DEPTH + 1, 10**5000, -1], ids=["past-limit", "huge", "negative"]
)
def test_traversal_depth_outside_the_limit_is_a_selection_error(depth: int):
    with pytest.raises(SelectionError, match=f"from 0 to {MAX_DEPTH}"):
        AssetSelection.keys("a").upstream(depth=depth)
