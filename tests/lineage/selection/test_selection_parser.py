"""The selection grammar: one test per rule, precedence, depth forms, and errors with positions."""

from __future__ import annotations

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import SelectionSyntaxError
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
    NotNode,
    OrNode,
    OwnerNode,
    SelectionStatus,
    StatusNode,
    TagNode,
    TraversalNode,
)
from freshet.lineage.selection.parser import MAX_DEPTH, MAX_NESTING, parse


def key(text: str) -> KeyNode:
    return KeyNode(key=AssetKey.from_user_string(text))


A, B, C = key("a"), key("b"), key("c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*", AllNode()),
        ("a", A),
        ("raw/events", key("raw/events")),
        ("my-asset_2", key("my-asset_2")),
        ('"a/b"', key("a/b")),
        ("'a/b'", key("a/b")),
        ('"or"', key("or")),
        ("key:a/b", key("a/b")),
        ('key:"a/b"', key("a/b")),
        ("key:raw/*", KeyGlobNode(pattern="raw/*")),
        ("key:*_daily", KeyGlobNode(pattern="*_daily")),
        ("key_prefix:raw/eu", KeyPrefixNode(prefix=("raw", "eu"))),
        ("group:ingest", GroupNode(name="ingest")),
        ('group:"my group"', GroupNode(name="my group")),
        ("tag:tier=gold", TagNode(key="tier", value="gold")),
        ("tag:pii", TagNode(key="pii")),
        ('tag:"my key"="a b"', TagNode(key="my key", value="a b")),
        ("tag:url=a=b", TagNode(key="url", value="a=b")),
        ('tag:k=""', TagNode(key="k", value="")),
        ("kind:duckdb", KindNode(kind="duckdb")),
        ("owner:team:data", OwnerNode(owner="team:data")),
        ("owner:me@x.com", OwnerNode(owner="me@x.com")),
        ("status:stale", StatusNode(status=SelectionStatus.STALE)),
        ("status:MISSING", StatusNode(status=SelectionStatus.MISSING)),
        ("status:in-progress", StatusNode(status=SelectionStatus.IN_PROGRESS)),
        ("roots(a)", FunctionNode(function=FunctionName.ROOTS, operand=A)),
        ("sinks (a)", FunctionNode(function=FunctionName.SINKS, operand=A)),
        (
            "required_multi_asset_neighbors(a)",
            FunctionNode(function=FunctionName.REQUIRED_MULTI_ASSET_NEIGHBORS, operand=A),
        ),
        ("(a)", A),
        ("  a  ", A),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_atom_rule_parses_to_its_node(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "up", "down"),
    [
        ("+a", 1, 0),
        ("a+", 0, 1),
        ("2+a", 2, 0),
        ("a+3", 0, 3),
        ("2+a+3", 2, 3),
        ("++a", 2, 0),
        ("a+++", 0, 3),
        ("*a", None, 0),
        ("a*", 0, None),
        ("*a*", None, None),
        ("10+a*", 10, None),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_traversal_prefix_and_suffix_set_depths(text, up, down):
    assert parse(text) == TraversalNode(operand=A, up=up, down=down)


@pytest.mark.parametrize(
    ("text", "operand"),
    [
        ("+(a or b)+", OrNode(operands=(A, B))),
        ("+group:g+", GroupNode(name="g")),
        ("*tag:k=v*", TagNode(key="k", value="v")),
        ("+owner:team:x+", OwnerNode(owner="team:x")),
        ('+key:"a"+', A),
        ("+roots(a)+", FunctionNode(function=FunctionName.ROOTS, operand=A)),
    ],
    ids=["parentheses", "group", "tag", "owner", "quoted-key-attribute", "function"],
)
def test_traversal_applies_to_any_atom(text, operand):
    node = parse(text)
    assert isinstance(node, TraversalNode)
    assert node.operand == operand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a*", TraversalNode(operand=A, down=None)),
        ("key:a*", KeyGlobNode(pattern="a*")),
        ('key:"a"*', TraversalNode(operand=A, down=None)),
        ("*", AllNode()),
        ("**", TraversalNode(operand=AllNode(), up=None)),
        ("* and a", AndNode(operands=(AllNode(), A))),
    ],
    ids=[
        "bare-key-star-is-descendants",
        "key-attribute-star-is-wildcard",
        "quoted-disables-glob",
        "lone-star-is-all",
        "star-before-operand-is-ancestors",
        "star-before-keyword-is-all",
    ],
)
def test_star_is_read_by_position(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2+", TraversalNode(operand=key("2"), down=1)),
        ("2+a", TraversalNode(operand=A, up=2)),
        ("2a", key("2a")),
        ('"2"+3', TraversalNode(operand=key("2"), down=3)),
        ("0+a", A),
    ],
    ids=[
        "digits-then-plus-at-end-is-a-key",
        "digits-plus-operand-is-depth",
        "digit-led-key",
        "quoted-digit-key",
        "depth-zero-is-no-traversal",
    ],
)
def test_digits_are_depths_only_when_touching_a_plus_before_an_operand(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a or b and c", OrNode(operands=(A, AndNode(operands=(B, C))))),
        ("a and b or c", OrNode(operands=(AndNode(operands=(A, B)), C))),
        ("not a and b", AndNode(operands=(NotNode(operand=A), B))),
        ("not a or b", OrNode(operands=(NotNode(operand=A), B))),
        ("(a or b) and c", AndNode(operands=(OrNode(operands=(A, B)), C))),
        ("not (a or b)", NotNode(operand=OrNode(operands=(A, B)))),
        ("not a+", NotNode(operand=TraversalNode(operand=A, down=1))),
        ("not not a", NotNode(operand=NotNode(operand=A))),
        ("a or b or c", OrNode(operands=(A, B, C))),
        ("(a or b) or c", OrNode(operands=(A, B, C))),
        ("a and b and c", AndNode(operands=(A, B, C))),
        ("a AND b OR NOT c", OrNode(operands=(AndNode(operands=(A, B)), NotNode(operand=C)))),
    ],
    ids=[
        "and-binds-tighter-than-or",
        "and-first",
        "not-binds-tighter-than-and",
        "not-binds-tighter-than-or",
        "parentheses-override",
        "not-of-group",
        "traversal-binds-tighter-than-not",
        "double-not",
        "or-is-flat",
        "nested-or-flattens",
        "and-is-flat",
        "uppercase-keywords",
    ],
)
def test_operators_and_precedence(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "expected", "found"),
    [
        ("", 0, "an asset key, key:", "end of input"),
        ("a and", 5, "an asset key, key:", "end of input"),
        ("not", 3, "an asset key", "end of input"),
        ("(a", 2, "'and', 'or' or ')'", "end of input"),
        ("a)", 1, "'and', 'or' or end of input", "')'"),
        ("a b", 2, "'and', 'or' or end of input", "'b'"),
        ("a, b", 1, "'and', 'or' or end of input", "','"),
        ("a or or b", 5, "an asset key", "'or'"),
        ("foo:x", 0, "an attribute (key:, key_prefix:, group:, tag:", "'foo:'"),
        ("group:", 6, "a value right after 'group:'", "end of input"),
        ("group: g", 7, "a value right after 'group:'", "'g'"),
        ("kind:(x)", 5, "a value right after 'kind:'", "'('"),
        ("tag:k=", 6, "a tag value right after 'k='", "end of input"),
        ("tag:=v", 4, "a value right after 'tag:'", "'='"),
        (
            "status:fresh",
            7,
            "a status (missing, stale, up_to_date, failed, in_progress, checks_failing, late)",
            "'fresh'",
        ),
        ("key:a.b", 4, "an asset key (names of letters", "'a.b'"),
        ("key:a.*", 4, "with '*' as a wildcard", "'a.*'"),
        ("x and -a", 6, "an asset key (names of letters", "'-a'"),
        ("a//b", 0, "an asset key (names of letters", "'a//b'"),
        ('a or "b', 5, "a closing '\"'", "end of input"),
        ("foo(a)", 0, "a function name (roots, sinks", "'foo'"),
        ("roots(a", 7, "'and', 'or' or ')'", "end of input"),
        ("+", 1, "an asset key", "end of input"),
        ("a+ 3", 3, "'and', 'or' or end of input", "'3'"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_syntax_errors_give_position_expected_and_found(text, position, expected, found):
    with pytest.raises(SelectionSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.position, error.found) == (position, found)
    assert expected in error.expected
    assert error.text == text
    assert str(error).splitlines()[-1].index("^") == position + 2


def test_unknown_attribute_error_lists_every_valid_attribute():
    with pytest.raises(SelectionSyntaxError) as caught:
        parse("grp:ingest")
    for name in ("key:", "key_prefix:", "group:", "tag:", "kind:", "owner:", "status:"):
        assert name in caught.value.expected


def test_nesting_beyond_the_limit_is_a_syntax_error_not_a_recursion_error():
    depth = MAX_NESTING + 1
    with pytest.raises(SelectionSyntaxError) as caught:
        parse("(" * depth + "a" + ")" * depth)
    assert caught.value.position == MAX_NESTING
    assert parse("(" * MAX_NESTING + "a" + ")" * MAX_NESTING) == A


def test_parse_returns_the_same_tree_for_the_same_text():
    assert parse("group:g and tag:k=v") is parse("group:g and tag:k=v")


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("1" * 4301 + "+a", 0),
        ("a+" + "9" * 5000, 2),
        (f"{MAX_DEPTH + 1}+a", 0),
        (f"a+{MAX_DEPTH + 1}", 2),
        ("b or " + "+" * (MAX_DEPTH + 1) + "a", 5),
        ("a" + "+" * (MAX_DEPTH + 1), 1),
    ],
    ids=[
        "4301-digit-up",
        "5000-digit-down",
        "up-past-limit",
        "down-past-limit",
        "long-plus-run-up",
        "long-plus-run-down",
    ],
)
def test_depth_beyond_the_limit_is_a_syntax_error_at_its_position(text: str, position: int):
    with pytest.raises(SelectionSyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert f"a depth of at most {MAX_DEPTH}" in caught.value.expected


def test_depth_at_the_limit_parses():
    assert parse(f"{MAX_DEPTH}+a+{MAX_DEPTH}") == TraversalNode(
        operand=A, up=MAX_DEPTH, down=MAX_DEPTH
    )


def test_status_late_parses_now_that_freshness_policies_act():
    from freshet.lineage.selection.ast import SelectionStatus

    assert SelectionStatus("late") is SelectionStatus.LATE
    parse("status:late and group:sales")
