"""Incremental ticks: an asset whose inputs did not change keeps its previous evaluation, and
an incremental tick decides exactly what a full one decides."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.automation import incremental

AC = fr.AutomationCondition


def _defs(value=1, code="1"):
    def make(name, deps=(), **kwargs):
        return fr.asset(name=name, deps=list(deps), automation_condition=AC.eager(), **kwargs)(
            lambda: value
        )

    return fr.Definitions(
        assets=[
            make("a", code_version=code),
            make("b", ["a"]),
            make("c", ["b"]),
            make("other"),
        ]
    )


@pytest.fixture
def instance():
    with fr.Instance.ephemeral() as inst:
        yield inst


def test_an_idle_tick_keeps_every_previous_evaluation(instance):
    defs = _defs()
    fr.materialize(defs, instance=instance)
    first = fr.evaluate_automation_conditions(defs, instance)
    settled = fr.evaluate_automation_conditions(defs, instance, cursor=first.cursor)
    idle = fr.evaluate_automation_conditions(defs, instance, cursor=settled.cursor)
    assert all(idle.get_evaluation(k) is settled.get_evaluation(k) for k in "abc")


def test_a_change_reevaluates_only_what_reads_it(instance):
    defs = _defs()
    fr.materialize(defs, instance=instance)
    first = fr.evaluate_automation_conditions(defs, instance)
    settled = fr.evaluate_automation_conditions(defs, instance, cursor=first.cursor)
    fr.materialize(_defs(value=2), selection="a", instance=instance)
    after = fr.evaluate_automation_conditions(defs, instance, cursor=settled.cursor)
    assert after.get_evaluation("other") is settled.get_evaluation("other")
    assert after.get_evaluation("a") is not settled.get_evaluation("a")
    assert after.get_requested_partitions("b") == {None}
    # c reads b, requested in this tick (will_be_requested): evaluated again, not requested
    assert after.get_evaluation("c") is not settled.get_evaluation("c")
    assert after.get_num_requested("c") == 0


def _requests(instance, steps, forget, defs=None):
    """Run `steps` (changes between ticks); each tick's requests, optionally forgetting the
    kept evaluations before each tick (a full tick from the same cursor). Without `defs`,
    each tick gets new (equal) definitions; with them, every tick reads the same graph."""
    cursor, seen = None, []
    for step in steps:
        step(instance)
        if forget:
            incremental._MEMOS.clear()
        tick_defs = _defs() if defs is None else defs
        result = fr.evaluate_automation_conditions(tick_defs, instance, cursor=cursor)
        cursor = result.cursor
        seen.append(sorted((r.key.to_user_string(), r.num_requested) for r in result.results))
    return seen


@pytest.mark.parametrize("same_graph", [False, True], ids=["new-definitions", "same-graph"])
def test_incremental_ticks_decide_what_full_ticks_decide(same_graph):
    def nothing(instance):
        pass

    def build_all(instance):
        fr.materialize(_defs(), instance=instance)

    def new_a(instance):
        fr.materialize(_defs(value=2), selection="a", instance=instance)

    def same_a(instance):
        fr.materialize(_defs(value=2), selection="a", instance=instance)

    def build_b(instance):
        fr.materialize(_defs(value=2), selection="b", instance=instance)

    steps = [nothing, build_all, nothing, new_a, nothing, build_b, same_a, nothing, nothing]
    with fr.Instance.ephemeral() as one, fr.Instance.ephemeral() as other:
        defs = _defs() if same_graph else None
        incremental_ticks = _requests(one, steps, forget=False, defs=defs)
        assert incremental_ticks == _requests(other, steps, forget=True, defs=defs)


def test_an_idle_tick_over_the_same_graph_looks_at_no_asset(instance, monkeypatch):
    defs = _defs()
    fr.materialize(defs, instance=instance)
    first = fr.evaluate_automation_conditions(defs, instance)
    settled = fr.evaluate_automation_conditions(defs, instance, cursor=first.cursor)
    looked_at = []
    original = incremental.reusable

    def counting(entry, condition, key, *args):
        looked_at.append(key.to_user_string())
        return original(entry, condition, key, *args)

    monkeypatch.setattr(incremental, "reusable", counting)
    idle = fr.evaluate_automation_conditions(defs, instance, cursor=settled.cursor)
    assert looked_at == []
    assert [e.key for e in idle.results] == [e.key for e in settled.results]
    assert all(idle.get_evaluation(k) is settled.get_evaluation(k) for k in ("a", "b", "c"))
    fr.materialize(_defs(value=2), selection="a", instance=instance)
    looked_at.clear()
    after = fr.evaluate_automation_conditions(defs, instance, cursor=idle.cursor)
    # a changed; b is its child; c is looked at because b is requested; other never
    assert looked_at == ["a", "b", "c"]
    assert after.get_requested_partitions("b") == {None}


def test_the_cursor_keeps_only_node_state_that_holds_something(instance):
    defs = fr.Definitions(
        assets=[
            fr.asset(name="a", automation_condition=AC.missing().newly_true())(lambda: 1),
            fr.asset(name="b", automation_condition=AC.eager())(lambda: 1),
        ]
    )
    first = fr.evaluate_automation_conditions(defs, instance)
    # both missing: the nodes that hold something are remembered, and only those
    assert first.get_num_requested("a") == 1
    assert "a" in first.cursor.node_state
    assert all(true for nodes in first.cursor.node_state.values() for true in nodes.values())
    fr.materialize(defs, instance=instance)
    settled = fr.evaluate_automation_conditions(defs, instance, cursor=first.cursor)
    idle = fr.evaluate_automation_conditions(defs, instance, cursor=settled.cursor)
    # nothing holds any more: nothing is carried, and nothing is requested
    assert idle.cursor.node_state == {}
    assert idle.total_requested == 0
