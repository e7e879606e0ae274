"""Fuzzing the selection grammar at its public edges (parse, render, resolve, the Python
builders): every input ends in a result or a `SelectionError` with a message, never another
exception. Example counts come from the hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freshet.errors import FreshetError, SelectionError
from freshet.lineage.selection import AssetSelection, SelectionStatus
from freshet.lineage.selection.parser import parse
from freshet.lineage.selection.render import render

# the graph fixture is a literal that no example changes
FIXTURE_OK = settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ]
)

FRAGMENTS = [
    "raw/events",
    "clean/events",
    "clean/users",
    "sessions",
    "report",
    "dashboard",
    "nope",
    "*",
    "+",
    "++",
    "2+",
    "+3",
    "10000+",
    "+10001",
    "1" * 4400,
    "(",
    ")",
    "and",
    "or",
    "not",
    "AND",
    "key:",
    "key:clean/*",
    "key:*",
    'key:"a b"',
    "key_prefix:raw",
    "key_prefix:",
    "group:ingest",
    "group:",
    "tag:tier",
    "tag:tier=silver",
    "tag:=",
    "kind:python",
    "owner:team:bi",
    "owner:",
    "status:stale",
    "status:missing",
    "status:nope",
    "roots(",
    "sinks(",
    "required_multi_asset_neighbors(",
    "bogus(",
    '"',
    "'",
    '"or"',
    "\\",
    "\x00",
    ":",
    "=",
    ",",
    "/",
    "//",
    "-",
    "é",
    "\u202e",
    " ",
    "\t\n",
]
texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(FRAGMENTS), max_size=14).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join),
)
names = st.one_of(st.text(max_size=20), st.sampled_from(FRAGMENTS))


def statuses(status: SelectionStatus) -> set:
    return set()


def assert_clear(error: FreshetError) -> None:
    assert str(error).strip(), f"{type(error).__name__} without a message"


@given(text=texts)
def test_parse_returns_a_tree_that_renders_back_or_a_syntax_error(text):
    try:
        node = parse(text)
    except SelectionError as error:
        assert_clear(error)
        return
    assert parse(render(node)) == node


@FIXTURE_OK
@given(text=texts)
def test_resolve_returns_keys_or_a_selection_error(graph, text):
    try:
        selected = AssetSelection.from_string(text).resolve(graph, status_resolver=statuses)
    except SelectionError as error:
        assert_clear(error)
        return
    assert selected <= graph.all_keys


@FIXTURE_OK
@given(
    builder=st.sampled_from(["assets", "groups", "key_prefixes", "kind", "owner", "tag"]),
    values=st.lists(names, max_size=3),
    up=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**30)),
)
def test_python_builders_return_a_selection_or_a_selection_error(graph, builder, values, up):
    try:
        # tag(key, value=None) takes one or two strings; the others any number
        arguments = ([*values, ""][:1] + values[1:2]) if builder == "tag" else values
        selection = getattr(AssetSelection, builder)(*arguments)
        if up is not None:
            selection = selection.upstream(depth=up)
        parse(str(selection))
        selected = selection.resolve(graph, status_resolver=statuses)
    except (SelectionError, FreshetError) as error:
        assert_clear(error)
        return
    assert selected <= graph.all_keys


@pytest.mark.parametrize("text", ["1" * 4301 + "+a", "a+" + "9" * 5000], ids=["up", "down"])
def test_the_issue_inputs_stay_syntax_errors(text):
    with pytest.raises(SelectionError):
        parse(text)
