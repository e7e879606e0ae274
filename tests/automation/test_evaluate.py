"""evaluate_automation_conditions over real storage, tick by tick against a controlled clock:
what each preset requests, when, and what it leaves alone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

import freshet as fr
from freshet.snapshot import DefinitionsSnapshot
from freshet.storage.records import RunRecord, RunStatus

AC = fr.AutomationCondition
HOUR = 3600.0


def _asset(name, deps=(), condition=AC.eager(), value=1, code_version=None, **kwargs):
    def compute():
        return value

    return fr.asset(
        name=name,
        deps=list(deps),
        automation_condition=condition,
        code_version=code_version,
        **kwargs,
    )(compute)


def _requested(result):
    return {r.key.to_user_string(): r.requested for r in result.results if r.requested}


class Loop:
    """Ticks one after another, each from the previous cursor."""

    def __init__(self, instance, start=None):
        self.instance = instance
        self.cursor = None
        self.now = start if start is not None else time.time()

    def tick(self, defs, at=None, **options):
        self.now = at if at is not None else max(self.now, time.time())
        result = fr.evaluate_automation_conditions(
            defs, self.instance, cursor=self.cursor, evaluation_time=self.now, **options
        )
        self.cursor = result.cursor
        return result


@pytest.fixture
def instance():
    with fr.Instance.ephemeral() as inst:
        yield inst


def _chain(value=1):
    return fr.Definitions(assets=[_asset("a", value=value), _asset("b", ["a"]), _asset("c", ["b"])])


def test_first_tick_requests_never_built_assets_together_in_one_run(instance):
    result = fr.evaluate_automation_conditions(_chain(), instance)
    assert result.total_requested == 3
    assert result.get_num_requested("a") == 1
    assert result.get_requested_partitions("c") == {None}
    [run] = result.run_requests
    assert [k.to_user_string() for k in run.asset_keys] == ["a", "b", "c"]
    assert run.tags == {"freshet/automation": "true"}


def test_nothing_is_requested_twice_nor_once_up_to_date(instance):
    loop, defs = Loop(instance), _chain()
    assert loop.tick(defs).total_requested == 3
    fr.materialize(defs.assets, instance=instance)
    assert loop.tick(defs).total_requested == 0
    assert loop.tick(defs).total_requested == 0


def test_an_upstream_rebuilt_to_the_same_bytes_rebuilds_nothing_downstream(instance):
    loop, defs = Loop(instance), _chain()
    fr.materialize(defs.assets, instance=instance)
    loop.tick(defs)
    fr.materialize(defs.assets, selection="a", instance=instance)
    assert loop.tick(defs).total_requested == 0


def test_new_upstream_data_ripples_down_one_rebuild_at_a_time(instance):
    loop = Loop(instance)
    fr.materialize(_chain().assets, instance=instance)
    loop.tick(_chain())
    changed = _chain(value=2)
    fr.materialize(changed.assets, selection="a", instance=instance)
    assert _requested(loop.tick(changed)) == {"b": {None}}
    fr.materialize(changed.assets, selection="b", instance=instance)
    # b was requested last tick: the request is handled by b's new materialization
    assert _requested(loop.tick(changed)) == {}
    assert loop.tick(changed).total_requested == 0


def test_a_code_version_bump_rebuilds_the_asset_and_its_descendants_only(instance):
    def defs(version, value):
        return fr.Definitions(
            assets=[
                _asset("raw"),
                _asset("clean", ["raw"], code_version=version, value=value),
                _asset("report", ["clean"]),
                _asset("other", ["raw"]),
            ]
        )

    loop, old = Loop(instance), defs("1", 1)
    fr.materialize(old.assets, instance=instance)
    loop.tick(old)
    new = defs("2", 2)
    assert _requested(loop.tick(new)) == {"clean": {None}}
    fr.materialize(new.assets, selection="clean", instance=instance)
    assert _requested(loop.tick(new)) == {"report": {None}}
    fr.materialize(new.assets, selection="report", instance=instance)
    assert loop.tick(new).total_requested == 0


def _queue_run(instance, *keys, partition=None):
    instance.storage.add_run(
        RunRecord(
            run_id=f"queued-{'-'.join(keys)}-{partition}",
            job_name="__asset_job",
            status=RunStatus.QUEUED,
            asset_selection=tuple(fr.AssetKey(k) for k in keys),
            partition=partition,
        )
    )


def test_eager_waits_while_a_run_for_the_asset_or_a_dependency_is_queued(instance):
    _queue_run(instance, "a")
    result = fr.evaluate_automation_conditions(_chain(), instance)
    assert result.total_requested == 0
    titles = {n.title: n.true_count for n in _walk(result.get_evaluation("a").tree)}
    assert titles["in_progress"] == 1
    titles = {n.title: n.true_count for n in _walk(result.get_evaluation("b").tree)}
    assert titles["any_deps_missing"] == 1  # a is missing and not requested


def test_no_condition_requests_while_a_run_for_the_same_partition_is_queued(instance):
    daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")
    defs = fr.Definitions(
        assets=[
            _asset(
                "t",
                partitions_def=daily,
                condition=AC.missing() & AC.in_latest_time_window(2 * 24 * 60),
            )
        ]
    )
    _queue_run(instance, "t", partition="2024-04-30")
    result = fr.evaluate_automation_conditions(defs, instance, evaluation_time=MAY_1_0930)
    assert result.get_requested_partitions("t") == {"2024-04-29"}
    assert result.get_evaluation("t").discarded == {"run queued or in progress": 1}


def test_max_materializations_per_minute_holds_back_the_rest(instance):
    loop, defs = Loop(instance, start=time.time()), _chain()
    first = loop.tick(defs, max_materializations_per_minute=2)
    assert _requested(first) == {"a": {None}, "b": {None}}
    assert first.get_evaluation("c").discarded == {"max_materializations_per_minute": 1}
    # within the same minute the budget is spent
    second = loop.tick(defs, at=loop.now + 10, max_materializations_per_minute=2)
    assert second.total_requested == 0


def test_evaluates_the_same_on_a_snapshot(instance):
    defs = _chain()
    fr.materialize(defs.assets, selection="a", instance=instance)
    live = fr.evaluate_automation_conditions(defs, instance, evaluation_time=1e9)
    snapshot = DefinitionsSnapshot.from_json(DefinitionsSnapshot.from_definitions(defs).to_json())
    read = fr.evaluate_automation_conditions(snapshot, instance, evaluation_time=1e9)
    assert _requested(read) == _requested(live) == {"b": {None}, "c": {None}}
    assert [r.tree for r in read.results] == [r.tree for r in live.results]


def test_the_cursor_round_trips_as_json(instance):
    loop, defs = Loop(instance), _chain()
    loop.tick(defs)
    text = loop.cursor.to_json()
    again = fr.evaluate_automation_conditions(defs, instance, cursor=text)
    assert again.cursor.tick_number == 2


# ---- partitions -----------------------------------------------------------------------------

MAY_1_0930 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_daily_and_hourly_tables_over_one_upstream_request_their_latest_partitions(instance):
    daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")
    hourly = fr.HourlyPartitionsDefinition(start_date="2024-04-01-00:00")
    defs = fr.Definitions(
        assets=[
            _asset("events"),
            _asset("daily_table", ["events"], partitions_def=daily),
            _asset("hourly_table", ["events"], partitions_def=hourly),
        ]
    )
    result = fr.evaluate_automation_conditions(defs, instance, evaluation_time=MAY_1_0930)
    assert _requested(result) == {
        "events": {None},
        "daily_table": {"2024-04-30"},
        "hourly_table": {"2024-05-01-08:00"},
    }
    # one run per partition: the unpartitioned upstream first, then each table's partition
    assert {
        (r.partition, tuple(k.to_user_string() for k in r.asset_keys)) for r in result.run_requests
    } == {
        (None, ("events",)),
        ("2024-04-30", ("daily_table",)),
        ("2024-05-01-08:00", ("hourly_table",)),
    }


def test_hourly_table_over_daily_one_waits_for_its_day(instance):
    daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")
    hourly = fr.HourlyPartitionsDefinition(start_date="2024-04-01-00:00")
    defs = fr.Definitions(
        assets=[
            _asset("daily_src", partitions_def=daily, condition=None),
            _asset("hourly_table", ["daily_src"], partitions_def=hourly),
        ]
    )
    loop = Loop(instance)
    # 2024-05-01 08:00 reads day 2024-05-01, which does not exist yet at 09:30: nothing
    # to read is not missing, and no day partition blocks it once its day is built
    fr.materialize(
        defs.assets, selection="daily_src", partition_key="2024-04-30", instance=instance
    )
    result = loop.tick(defs, at=datetime(2024, 5, 1, 0, 30, tzinfo=UTC).timestamp())
    assert _requested(result) == {"hourly_table": {"2024-04-30-23:00"}}


def test_hourly_table_over_a_missing_day_is_not_requested(instance):
    daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")
    hourly = fr.HourlyPartitionsDefinition(start_date="2024-04-01-00:00")
    defs = fr.Definitions(
        assets=[
            _asset("daily_src", partitions_def=daily, condition=None),
            _asset("hourly_table", ["daily_src"], partitions_def=hourly),
        ]
    )
    at = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    result = fr.evaluate_automation_conditions(defs, instance, evaluation_time=at)
    evaluation = result.get_evaluation("hourly_table")
    assert result.total_requested == 0
    # the tree says why: a dependency partition is missing
    titles = {n.title: n.true_count for n in _walk(evaluation.tree)}
    assert titles["any_deps_missing"] == 1


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


# ---- sources and freshness ------------------------------------------------------------------


def test_a_new_source_version_ripples_eagerly_to_some_and_lazily_to_others(instance):
    version = {"v": "v1"}

    @fr.observable_source_asset
    def orders():
        return fr.DataVersion(version["v"])

    defs = fr.Definitions(
        assets=[
            orders,
            _asset("orders_eager", ["orders"]),
            _asset("orders_lazy", ["orders"], condition=AC.lazy()),
            _asset(
                "weekly_summary",
                ["orders_lazy"],
                condition=AC.lazy(),
                freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=120),
            ),
        ]
    )
    fr.observe(defs, instance=instance)
    fr.materialize(
        defs, selection="orders_eager or orders_lazy or weekly_summary", instance=instance
    )
    loop = Loop(instance)
    assert loop.tick(defs).total_requested == 0
    time.sleep(0.02)
    version["v"] = "v2"
    fr.observe(defs, instance=instance)
    observed = time.time()
    # eager: at once; lazy: not while the summary's deadline is far
    assert _requested(loop.tick(defs, at=observed + 60)) == {"orders_eager": {None}}
    # 100 minutes later the summary is due within its lead time: the lazy chain is requested
    due = loop.tick(defs, at=observed + 100 * 60)
    assert _requested(due) == {"orders_lazy": {None}, "weekly_summary": {None}}
    [run] = due.run_requests
    assert [k.to_user_string() for k in run.asset_keys] == ["orders_lazy", "weekly_summary"]


def test_lazy_requests_nothing_when_a_refresh_would_not_bring_newer_data(instance):
    defs = fr.Definitions(
        assets=[
            _asset("raw", condition=None),
            _asset(
                "report",
                ["raw"],
                condition=AC.lazy(),
                freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=30),
            ),
        ]
    )
    fr.materialize(defs.assets, instance=instance)
    # hours later the report is late, but raw has no newer data: rebuilding cannot help
    result = fr.evaluate_automation_conditions(
        defs, instance, evaluation_time=time.time() + 5 * HOUR
    )
    assert result.total_requested == 0
    late = fr.evaluate_automation_conditions(
        fr.Definitions(
            assets=[
                _asset("raw", condition=None),
                _asset(
                    "report",
                    ["raw"],
                    condition=AC.late(),
                    freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=30),
                ),
            ]
        ),
        instance,
        evaluation_time=time.time() + 5 * HOUR,
    )
    assert late.get_num_requested("report") == 1
