"""Each leaf and operator of AutomationCondition, evaluated tick by tick on a small graph
against a controlled clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

import freshet as fr
from freshet.storage.records import RunRecord, RunStatus

AC = fr.AutomationCondition


def _asset(name, deps=(), condition=None, value=1, **kwargs):
    def compute():
        return value

    return fr.asset(name=name, deps=list(deps), automation_condition=condition, **kwargs)(compute)


class Loop:
    def __init__(self, instance):
        self.instance = instance
        self.cursor = None

    def true(self, defs, key="down", at=None):
        """Whether `key`'s condition holds at this tick (partitions, for partitioned ones)."""
        result = fr.evaluate_automation_conditions(
            defs, self.instance, cursor=self.cursor, evaluation_time=at or time.time()
        )
        self.cursor = result.cursor
        evaluation = result.get_evaluation(key)
        if evaluation.partitioned:
            return set(evaluation.tree.true_partitions)
        return evaluation.tree.true_count == 1


@pytest.fixture
def loop():
    with fr.Instance.ephemeral() as instance:
        yield Loop(instance)


def _pair(condition, up_value=1, **down_kwargs):
    return fr.Definitions(
        assets=[
            _asset("up", value=up_value),
            _asset("down", ["up"], condition=condition, **down_kwargs),
        ]
    )


def _build(loop, defs, selection="*"):
    fr.materialize(defs, selection=selection, instance=loop.instance)


def test_missing_until_materialized(loop):
    defs = _pair(AC.missing())
    assert loop.true(defs) is True
    _build(loop, defs)
    assert loop.true(defs) is False


def test_newly_missing_only_on_the_tick_it_becomes_missing(loop):
    defs = _pair(AC.newly_missing())
    assert loop.true(defs) is True  # the first tick: missing and not known before
    assert loop.true(defs) is False


def test_in_progress_and_execution_failed(loop):
    defs = _pair(AC.in_progress() | AC.execution_failed())
    assert loop.true(defs) is False
    loop.instance.storage.add_run(
        RunRecord(
            run_id="r1",
            job_name="__asset_job",
            status=RunStatus.STARTED,
            asset_selection=(fr.AssetKey("down"),),
        )
    )
    assert loop.true(_pair(AC.in_progress())) is True

    def broken():
        raise RuntimeError("boom")

    failing = fr.Definitions(
        assets=[
            _asset("up"),
            fr.asset(name="down", deps=["up"], automation_condition=AC.execution_failed())(broken),
        ]
    )
    fr.materialize(failing, instance=loop.instance, raise_on_error=False)
    assert loop.true(failing) is True


def test_newly_updated_after_a_materialization_since_the_previous_tick(loop):
    defs = _pair(AC.newly_updated())
    assert loop.true(defs) is False
    _build(loop, defs)
    assert loop.true(defs) is True
    assert loop.true(defs) is False


def test_newly_requested_on_the_tick_after_a_request(loop):
    defs = _pair(AC.missing() & ~AC.newly_requested())
    assert loop.true(defs) is True  # requested
    assert loop.true(defs) is False  # newly requested holds now
    assert loop.true(defs) is True


def test_code_version_changed_once_per_change(loop):
    _build(loop, _pair(None, code_version="1"))
    assert loop.true(_pair(AC.code_version_changed(), code_version="1")) is False
    assert loop.true(_pair(AC.code_version_changed(), code_version="2")) is True
    assert loop.true(_pair(AC.code_version_changed(), code_version="2")) is False


def test_data_version_changed_compares_with_the_previous_tick(loop):
    defs = _pair(AC.any_deps_match(AC.data_version_changed()))
    _build(loop, defs)
    assert loop.true(defs) is False
    _build(loop, defs, "up")  # the same bytes: the same data version
    assert loop.true(defs) is False
    _build(loop, _pair(None, up_value=2), "up")
    assert loop.true(defs) is True
    assert loop.true(defs) is False


def test_any_deps_updated_is_any_new_materialization_whatever_its_version(loop):
    defs = _pair(AC.any_deps_updated())
    _build(loop, defs)
    loop.true(defs)
    _build(loop, defs, "up")
    assert loop.true(defs) is True


def test_cron_tick_passed_between_two_ticks(loop):
    defs = _pair(AC.cron_tick_passed("0 9 * * *", "Europe/Berlin"))
    day = datetime(2024, 5, 1, tzinfo=UTC)
    assert loop.true(defs, at=day.replace(hour=6).timestamp()) is False  # first tick
    assert loop.true(defs, at=day.replace(hour=6, minute=59).timestamp()) is False
    assert loop.true(defs, at=day.replace(hour=7, minute=1).timestamp()) is True  # 09:00 CEST
    assert loop.true(defs, at=day.replace(hour=7, minute=2).timestamp()) is False


def test_all_deps_updated_since_cron(loop):
    defs = _pair(AC.all_deps_updated_since_cron("0 * * * *"))
    _build(loop, defs)
    built = time.time()
    assert loop.true(defs, at=built + 10) is True
    assert loop.true(defs, at=built + 3600) is False  # an hourly tick passed since


def test_in_latest_time_window_with_lookback(loop):
    daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")
    at = datetime(2024, 5, 1, 9, tzinfo=UTC).timestamp()
    one = _pair(AC.in_latest_time_window(), partitions_def=daily)
    assert loop.true(one, at=at) == {"2024-04-30"}
    three = _pair(AC.in_latest_time_window(3 * 24 * 60), partitions_def=daily)
    assert loop.true(three, at=at) == {"2024-04-28", "2024-04-29", "2024-04-30"}
    assert loop.true(_pair(AC.in_latest_time_window()), at=at) is True  # not partitioned


def test_will_be_requested_and_any_deps_missing(loop):
    defs = fr.Definitions(
        assets=[
            _asset("up", condition=AC.missing()),
            _asset("down", ["up"], condition=AC.any_deps_match(AC.will_be_requested())),
        ]
    )
    assert loop.true(defs) is True
    lone = _pair(AC.any_deps_missing())
    assert loop.true(lone) is True  # up is missing and nothing requests it
    _build(loop, lone, "up")
    assert loop.true(lone) is False


def test_any_deps_in_progress(loop):
    defs = _pair(AC.any_deps_in_progress())
    assert loop.true(defs) is False
    loop.instance.storage.add_run(
        RunRecord(
            run_id="r1",
            job_name="__asset_job",
            status=RunStatus.QUEUED,
            asset_selection=(fr.AssetKey("up"),),
        )
    )
    assert loop.true(defs) is True


def test_all_deps_blocking_checks_passed(loop):
    verdict = {"passed": False}

    @fr.asset(check_specs=[fr.AssetCheckSpec("positive", asset="up", blocking=False)])
    def up():
        return fr.MaterializeResult(
            check_results=[fr.AssetCheckResult(check_name="positive", passed=verdict["passed"])]
        )

    down = _asset("down", ["up"], condition=AC.all_deps_blocking_checks_passed())
    defs = fr.Definitions(assets=[up, down])
    assert loop.true(defs) is True  # no blocking check: nothing to wait for

    @fr.asset(name="up", check_specs=[fr.AssetCheckSpec("positive", asset="up", blocking=True)])
    def blocked_up():
        return fr.MaterializeResult(
            check_results=[fr.AssetCheckResult(check_name="positive", passed=verdict["passed"])]
        )

    blocking = fr.Definitions(assets=[blocked_up, down])
    assert loop.true(blocking) is False  # never checked
    fr.materialize(blocking, selection="up", instance=loop.instance, raise_on_error=False)
    assert loop.true(blocking) is False
    verdict["passed"] = True
    fr.materialize(blocking, selection="up", instance=loop.instance)
    assert loop.true(blocking) is True


def test_stale_after_an_upstream_data_version_change(loop):
    defs = _pair(AC.stale())
    _build(loop, defs)
    assert loop.true(defs) is False
    _build(loop, _pair(None, up_value=2), "up")
    assert loop.true(defs) is True


def test_late_against_a_freshness_policy(loop):
    defs = _pair(AC.late(), freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=60))
    _build(loop, defs)
    built = time.time()
    assert loop.true(defs, at=built + 30 * 60) is False
    assert loop.true(defs, at=built + 61 * 60) is True


def test_operators_and_or_not(loop):
    defs = _pair(AC.missing() & ~AC.in_progress())
    assert loop.true(defs) is True
    assert loop.true(_pair(AC.in_progress() | AC.missing())) is True
    assert loop.true(_pair(AC.in_progress() & AC.missing())) is False


def test_since_holds_from_trigger_until_reset(loop):
    defs = _pair(AC.newly_updated().since(AC.cron_tick_passed("0 * * * *")))
    base = datetime(2024, 5, 1, 8, 10, tzinfo=UTC).timestamp()
    assert loop.true(defs, at=base) is False
    _build(loop, defs, "down")
    assert loop.true(defs, at=base + 60) is True  # triggered
    assert loop.true(defs, at=base + 120) is True  # still holds
    assert loop.true(defs, at=base + 3600) is False  # reset by the 09:00 tick


def test_newly_true_only_on_the_first_tick_it_holds(loop):
    defs = _pair(AC.missing().newly_true())
    assert loop.true(defs) is True
    assert loop.true(defs) is False


def test_deps_match_with_allow_and_ignore(loop):
    def defs(condition):
        return fr.Definitions(
            assets=[
                _asset("a"),
                _asset("b"),
                _asset("down", ["a", "b"], condition=condition),
            ]
        )

    _build(loop, defs(None), "a")
    assert loop.true(defs(AC.any_deps_match(AC.missing()))) is True
    assert loop.true(defs(AC.any_deps_match(AC.missing()).allow("a"))) is False
    assert loop.true(defs(AC.all_deps_match(AC.missing()))) is False
    assert loop.true(defs(AC.all_deps_match(AC.missing()).ignore("a"))) is True


def test_labels_show_in_the_evaluated_tree(loop):
    defs = _pair((AC.missing() & ~AC.in_progress()).with_label("build me"))
    result = fr.evaluate_automation_conditions(defs, loop.instance)
    tree = result.get_evaluation("down").tree
    assert tree.title == "build me"
    assert [c.title for c in tree.children] == ["missing", "not"]
    assert [c.true_count for c in tree.children] == [1, 1]
    assert tree.children[0].description == "never materialized"
