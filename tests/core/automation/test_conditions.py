"""AutomationCondition values: operators build trees, presets have documented trees, and
Definitions refuses bad conditions naming the asset."""

from __future__ import annotations

from datetime import timedelta

import pytest

import freshet as fr
from freshet.core.automation.conditions import (
    AllDepsCondition,
    AndCondition,
    AnyDepsCondition,
    CodeVersionChangedCondition,
    CronTickPassedCondition,
    DataVersionChangedCondition,
    InLatestTimeWindowCondition,
    InProgressCondition,
    MissingCondition,
    NeededForFreshnessCondition,
    NewlyMissingCondition,
    NewlyRequestedCondition,
    NewlyTrueCondition,
    NewlyUpdatedCondition,
    NotCondition,
    OrCondition,
    SinceCondition,
    UpdatedSinceCronCondition,
    WillBeRequestedCondition,
)
from freshet.errors import InvalidDefinitionError

AC = fr.AutomationCondition


def test_and_or_flatten_but_keep_labelled_subtrees():
    a, b, c = AC.missing(), AC.in_progress(), AC.execution_failed()
    assert (a & b & c) == AndCondition(operands=(a, b, c))
    assert (a | b | c) == OrCondition(operands=(a, b, c))
    labelled = (a & b).with_label("ab")
    assert (labelled & c).operands == (labelled, c)


def test_not_since_newly_true_wrap_their_operands():
    a, b = AC.missing(), AC.newly_requested()
    assert ~a == NotCondition(operand=a)
    assert a.since(b) == SinceCondition(trigger=a, reset=b)
    assert a.newly_true() == NewlyTrueCondition(operand=a)


def test_deps_conditions_keep_allow_and_ignore_as_selection_text():
    condition = AC.any_deps_match(AC.missing()).allow(fr.AssetKey(["raw", "orders"]))
    assert condition.allow_selection == "raw/orders"
    assert AC.all_deps_match(AC.missing()).ignore(["a", "b"]).ignore_selection == "a or b"
    assert AC.any_deps_match(AC.missing()).allow(fr.AssetSelection.groups("g")).allow_selection == (
        "group:g"
    )


def test_operators_refuse_values_that_are_not_conditions():
    with pytest.raises(InvalidDefinitionError, match="takes an AutomationCondition, got str"):
        AC.missing() & "eager"  # type: ignore[operator]
    with pytest.raises(InvalidDefinitionError, match="any_deps_match"):
        AC.any_deps_match(None)  # type: ignore[arg-type]


def test_in_latest_time_window_takes_a_timedelta_or_minutes():
    assert AC.in_latest_time_window(timedelta(hours=2)) == InLatestTimeWindowCondition(
        lookback_minutes=120.0
    )
    assert AC.in_latest_time_window(30).lookback_minutes == 30.0  # type: ignore[attr-defined]
    with pytest.raises(InvalidDefinitionError, match="non-negative"):
        AC.in_latest_time_window(-5)


def test_eager_tree():
    changed = OrCondition(
        operands=(
            NewlyMissingCondition(),
            CodeVersionChangedCondition(),
            AnyDepsCondition(
                operand=DataVersionChangedCondition(), label="any_deps_data_version_changed"
            ),
        )
    )
    handled = OrCondition(operands=(NewlyRequestedCondition(), NewlyUpdatedCondition()))
    assert AC.eager() == AndCondition(
        label="eager",
        operands=(
            InLatestTimeWindowCondition(),
            SinceCondition(trigger=changed, reset=handled, label="changed since last handled"),
            NotCondition(operand=_any_deps_missing()),
            NotCondition(
                operand=AnyDepsCondition(
                    operand=InProgressCondition(), label="any_deps_in_progress"
                )
            ),
            NotCondition(operand=InProgressCondition()),
        ),
    )


def _any_deps_missing():
    return AnyDepsCondition(
        label="any_deps_missing",
        operand=AndCondition(
            operands=(MissingCondition(), NotCondition(operand=WillBeRequestedCondition()))
        ),
    )


def test_on_cron_tree():
    cron = CronTickPassedCondition(cron_schedule="0 9 * * *", cron_timezone="Europe/Berlin")
    assert AC.on_cron("0 9 * * *", "Europe/Berlin") == AndCondition(
        label="on_cron(0 9 * * *, Europe/Berlin)",
        operands=(
            InLatestTimeWindowCondition(),
            SinceCondition(
                trigger=cron,
                reset=NewlyRequestedCondition(),
                label="cron tick passed since last request",
            ),
            AllDepsCondition(
                label="all_deps_updated_since_cron",
                operand=OrCondition(
                    operands=(
                        UpdatedSinceCronCondition(
                            cron_schedule="0 9 * * *", cron_timezone="Europe/Berlin"
                        ),
                        WillBeRequestedCondition(),
                    )
                ),
            ),
        ),
    )


def test_on_missing_tree():
    assert AC.on_missing() == AndCondition(
        label="on_missing",
        operands=(
            InLatestTimeWindowCondition(),
            SinceCondition(
                trigger=NewlyMissingCondition(),
                reset=OrCondition(operands=(NewlyRequestedCondition(), NewlyUpdatedCondition())),
                label="missing since last handled",
            ),
            NotCondition(operand=_any_deps_missing()),
            NotCondition(operand=InProgressCondition()),
        ),
    )


def test_lazy_tree():
    assert AC.lazy() == AndCondition(
        label="lazy",
        operands=(
            InLatestTimeWindowCondition(),
            NeededForFreshnessCondition(),
            NotCondition(
                operand=AnyDepsCondition(
                    operand=InProgressCondition(), label="any_deps_in_progress"
                )
            ),
            NotCondition(operand=InProgressCondition()),
        ),
    )


def test_auto_materialize_policies_map_onto_presets():
    @fr.asset(auto_materialize_policy=fr.AutoMaterializePolicy.eager())
    def eager_asset() -> int:
        return 1

    @fr.asset(auto_materialize_policy=fr.AutoMaterializePolicy.lazy())
    def lazy_asset() -> int:
        return 1

    graph = fr.Definitions(assets=[eager_asset, lazy_asset]).get_asset_graph()
    assert graph.node(fr.AssetKey("eager_asset")).automation_condition == AC.eager()
    assert graph.node(fr.AssetKey("lazy_asset")).automation_condition == AC.lazy()


def _definitions_error(condition, partitions_def=None) -> str:
    @fr.asset(deps=["up"], automation_condition=condition, partitions_def=partitions_def)
    def down() -> int:
        return 1

    @fr.asset(name="up", partitions_def=partitions_def)
    def up() -> int:
        return 1

    with pytest.raises(InvalidDefinitionError) as caught:
        fr.Definitions(assets=[up, down])
    return str(caught.value)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("eager", "must be an AutomationCondition"),
        (AC.cron_tick_passed("every day"), "invalid cron_schedule 'every day'"),
        (AC.on_cron("0 9 * * *", "Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (AC.any_deps_match(AC.missing()).allow("nope"), "'nope'"),
        (AC.any_deps_match(AC.missing()).ignore("group:nothing_here"), "matches no asset"),
    ],
    ids=["not-a-condition", "bad-cron", "bad-timezone", "unknown-key", "empty-selection"],
)
def test_definitions_refuse_bad_conditions_naming_the_asset(condition, message):
    text = _definitions_error(condition)
    assert "asset 'down': automation_condition" in text
    assert message in text


def test_on_cron_firing_less_often_than_the_partitions_is_refused():
    daily = fr.DailyPartitionsDefinition(start_date="2024-01-01")
    text = _definitions_error(AC.on_cron("0 6 * * 1"), partitions_def=daily)
    assert "asset 'down'" in text and "fires less often than the asset's partitions" in text


def test_on_cron_at_least_once_per_partition_is_accepted():
    daily = fr.DailyPartitionsDefinition(start_date="2024-01-01")

    @fr.asset(partitions_def=daily, automation_condition=AC.on_cron("0 9 * * *", "Europe/Paris"))
    def table() -> int:
        return 1

    assert fr.Definitions(assets=[table]).get_asset_graph().has(fr.AssetKey("table"))


def test_a_selection_shared_by_many_assets_is_resolved_once_and_reported_for_each(monkeypatch):
    from freshet.lineage import automation_checks

    resolved = []
    original = automation_checks.select_assets

    def counting(graph, text):
        resolved.append(text)
        return original(graph, text)

    monkeypatch.setattr(automation_checks, "select_assets", counting)
    condition = AC.any_deps_match(AC.missing()).ignore("group:nothing_here")
    assets = [fr.asset(name=f"a{i}", automation_condition=condition)(lambda: 1) for i in range(3)]
    with pytest.raises(InvalidDefinitionError) as caught:
        fr.Definitions(assets=assets)
    for i in range(3):
        assert f"asset 'a{i}': automation_condition" in str(caught.value)
    assert "matches no asset" in str(caught.value)
    assert resolved == ["group:nothing_here"]
