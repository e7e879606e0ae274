"""Fuzzing op selection at its public edge (`execute_in_process(op_selection=...)`): any
list of entries ends in a run of the ops it selects or in a `SelectionError`/`UsageError`
naming the bad entry, never another exception and never a run. Example counts come from the
hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import freshet as fr
from freshet.errors import SelectionError, UsageError


@fr.op
def source():
    return 1


@fr.op
def step(x):
    return x + 1


@fr.graph
def inner(x):
    return step.alias("twice")(step.alias("once")(x))


@fr.job
def pipeline():
    inner(step.alias("a")(source()))


FRAGMENTS = st.sampled_from(
    [
        "source",
        "a",
        "inner",
        "inner.once",
        "inner.twice",
        "nope",
        "*",
        "+",
        "++",
        ".",
        " ",
        "\x00",
        "é",
        "1" * 300,
        ",",
        "inner.",
        ".once",
    ]
)
ENTRY = st.one_of(
    st.lists(FRAGMENTS, min_size=0, max_size=4).map("".join),
    st.text(max_size=40),
)


@given(st.lists(ENTRY, max_size=5))
def test_any_op_selection_runs_the_selected_ops_or_says_which_entry_is_wrong(entries):
    try:
        result = pipeline.execute_in_process(op_selection=entries)
    except (SelectionError, UsageError) as exc:
        message = str(exc)
        # it names the entry at fault, the op whose input nothing gives, or the argument
        named_entry = any(repr(entry) in message for entry in entries)
        unfed_input = "which this run does not execute" in message
        assert named_entry or unfed_input or "op_selection must be" in message, message
        return
    assert result.success
    assert entries  # an empty selection is refused, never taken as "everything"
    ran = [event.step_key for event in result.get_step_success_events()]
    # every op here reads its upstream op, so a selection runs only when it holds them all
    order = ["source", "a", "inner.once", "inner.twice"]
    assert ran == order[: len(ran)] and ran


@given(
    st.one_of(st.none(), st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3))
)
def test_an_op_selection_that_is_not_a_list_of_names_is_a_usage_error(value):
    try:
        pipeline.execute_in_process(op_selection=value)
    except UsageError as exc:
        assert "op_selection" in str(exc)
    else:
        assert value is None  # no selection: the whole job
