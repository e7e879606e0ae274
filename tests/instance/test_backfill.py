"""Backfills: validation before anything is written, runs per partition or chunk in
dependency order, failures that skip only their downstream, the persisted record, stop and
resume, cancel, and the missing/failed filters."""

from __future__ import annotations

import os
import socket
from dataclasses import replace

import pytest

import freshet as fr
from freshet.errors import PartitionError, SelectionError, UsageError
from freshet.instance.backfill import (
    BACKFILL_TAG,
    PartitionOutcome,
    backfill,
    cancel_backfill,
    get_backfill,
    partition_labels,
    resume_backfill,
    summarize_backfill,
)
from freshet.storage.records import EventType
from freshet.storage.state_records import BackfillStatus

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11")
HOURLY = fr.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-03-00:00")
COLORS = fr.StaticPartitionsDefinition(["red", "green", "blue"])


class Calls:
    """What the assets of a test did, in order, and which partitions should fail."""

    def __init__(self, failing: set[tuple[str, str]] | None = None) -> None:
        self.log: list[tuple[str, str]] = []
        self.failing = failing or set()

    def record(self, name: str, key: str) -> str:
        self.log.append((name, key))
        if (name, key) in self.failing:
            raise ValueError(f"{name} {key} broke")
        return f"{name}:{key}"

    def keys_of(self, name: str) -> list[str]:
        return [k for n, k in self.log if n == name]


def daily_chain(calls: Calls, policy: fr.BackfillPolicy | None = None) -> fr.Definitions:
    @fr.asset(partitions_def=DAILY, backfill_policy=policy)
    def raw(context: fr.AssetExecutionContext):
        for key in context.partition_keys:
            calls.record("raw", key)

    @fr.asset(partitions_def=DAILY, deps=[raw], backfill_policy=policy)
    def clean(context: fr.AssetExecutionContext):
        for key in context.partition_keys:
            calls.record("clean", key)

    @fr.asset(partitions_def=DAILY, deps=[clean], backfill_policy=policy)
    def report(context: fr.AssetExecutionContext):
        for key in context.partition_keys:
            calls.record("report", key)

    return fr.Definitions(assets=[raw, clean, report])


@pytest.fixture
def instance():
    with fr.Instance.ephemeral() as inst:
        yield inst


def _keys(subset) -> list[str]:
    return list(subset)


# ---- runs and ordering ----------------------------------------------------------------------


def test_one_run_per_partition_runs_every_asset_in_order(instance):
    calls = Calls()
    result = backfill(
        daily_chain(calls), partition_range=("2024-01-02", "2024-01-04"), instance=instance
    )
    assert result.success and result.status is BackfillStatus.COMPLETED
    assert len(result.run_ids) == 3
    assert calls.log[:3] == [
        ("raw", "2024-01-02"),
        ("clean", "2024-01-02"),
        ("report", "2024-01-02"),
    ]
    runs = instance.get_runs(tags={BACKFILL_TAG: result.backfill_id}, ascending=True)
    assert [r.partition for r in runs] == ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_partition_keys_run_in_definition_order(instance):
    calls = Calls()
    result = backfill(
        daily_chain(calls),
        selection="raw",
        partition_keys=["2024-01-05", "2024-01-01", "2024-01-03"],
        instance=instance,
    )
    assert result.success
    assert calls.keys_of("raw") == ["2024-01-01", "2024-01-03", "2024-01-05"]


def test_daily_partition_waits_for_its_24_hourly_partitions(instance):
    calls = Calls()

    @fr.asset(partitions_def=HOURLY)
    def readings(context: fr.AssetExecutionContext):
        calls.record("readings", context.partition_key)

    @fr.asset(partitions_def=DAILY, deps=[readings])
    def daily_total(context: fr.AssetExecutionContext):
        calls.record("daily_total", context.partition_key)

    defs = fr.Definitions(assets=[readings, daily_total])
    result = backfill(
        defs, partition_range=("2024-01-01-00:00", "2024-01-02-23:00"), instance=instance
    )
    assert result.success
    assert _keys(result.targets[fr.AssetKey("daily_total")]) == ["2024-01-01", "2024-01-02"]
    position = {call: i for i, call in enumerate(calls.log)}
    for day in ("2024-01-01", "2024-01-02"):
        hours = [c for c in calls.log if c[0] == "readings" and c[1].startswith(day)]
        assert len(hours) == 24
        assert max(position[h] for h in hours) < position[("daily_total", day)]


def test_offset_mappings_both_ways_still_run_each_partition_after_what_it_reads(instance):
    calls = Calls()

    @fr.asset(partitions_def=DAILY)
    def base(context: fr.AssetExecutionContext):
        calls.record("base", context.partition_key)

    @fr.asset(
        partitions_def=DAILY,
        deps=[
            fr.AssetDep(
                base, partition_mapping=fr.TimeWindowPartitionMapping(start_offset=1, end_offset=1)
            )
        ],
    )
    def lookahead(context: fr.AssetExecutionContext):
        calls.record("lookahead", context.partition_key)

    @fr.asset(
        partitions_def=DAILY,
        deps=[
            fr.AssetDep(
                base,
                partition_mapping=fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
            )
        ],
    )
    def lookback(context: fr.AssetExecutionContext):
        calls.record("lookback", context.partition_key)

    defs = fr.Definitions(assets=[base, lookahead, lookback])
    result = backfill(defs, partition_range=("2024-01-01", "2024-01-05"), instance=instance)
    assert result.success
    position = {call: i for i, call in enumerate(calls.log)}
    assert position[("base", "2024-01-03")] < position[("lookahead", "2024-01-02")]
    assert position[("base", "2024-01-01")] < position[("lookback", "2024-01-02")]


def test_listeners_receive_the_events_of_every_run(instance):
    seen = []
    result = backfill(
        daily_chain(Calls()),
        selection="raw",
        partition_range=("2024-01-01", "2024-01-02"),
        instance=instance,
        listeners=[seen.append],
    )
    assert result.success
    runs = {e.run_id for e in seen if e.event_type is EventType.RUN_SUCCESS}
    assert runs == set(result.run_ids)


def test_progress_is_reported_when_planned_and_after_each_run(instance):
    reports = []
    backfill(
        daily_chain(Calls()),
        partition_range=("2024-01-01", "2024-01-02"),
        instance=instance,
        on_progress=reports.append,
    )
    assert [(r.done, r.total, r.label) for r in reports] == [
        (0, 2, ""),
        (1, 2, "2024-01-01"),
        (2, 2, "2024-01-02"),
    ]
    assert reports[1].outcome is PartitionOutcome.MATERIALIZED


# ---- failures -------------------------------------------------------------------------------


def test_failed_partition_skips_only_its_own_downstream(instance):
    calls = Calls(failing={("clean", "2024-01-03")})
    result = backfill(
        daily_chain(calls), partition_range=("2024-01-02", "2024-01-04"), instance=instance
    )
    assert result.status is BackfillStatus.FAILED and not result.success
    assert {k.to_user_string(): _keys(s) for k, s in result.failed.items()} == {
        "clean": ["2024-01-03"]
    }
    assert {k.to_user_string(): _keys(s) for k, s in result.skipped.items()} == {
        "report": ["2024-01-03"]
    }
    assert calls.keys_of("report") == ["2024-01-02", "2024-01-04"]
    assert result.counts()["materialized"] == 7
    [failure] = result.failed_runs
    assert failure.label == "2024-01-03" and "clean 2024-01-03 broke" in (failure.message or "")


def test_failed_day_skips_the_next_day_that_reads_it_through_an_offset(instance):
    calls = Calls(failing={("base", "2024-01-02")})

    @fr.asset(partitions_def=DAILY)
    def base(context: fr.AssetExecutionContext):
        calls.record("base", context.partition_key)

    @fr.asset(
        partitions_def=DAILY,
        deps=[
            fr.AssetDep(
                base,
                partition_mapping=fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
            )
        ],
    )
    def day_over_day(context: fr.AssetExecutionContext):
        calls.record("day_over_day", context.partition_key)

    defs = fr.Definitions(assets=[base, day_over_day])
    result = backfill(defs, partition_range=("2024-01-01", "2024-01-04"), instance=instance)
    assert _keys(result.skipped[fr.AssetKey("day_over_day")]) == ["2024-01-03"]
    assert calls.keys_of("day_over_day") == ["2024-01-01", "2024-01-02", "2024-01-04"]


def test_failed_hour_skips_its_day_but_not_the_other_days(instance):
    calls = Calls(failing={("readings", "2024-01-02-05:00")})

    @fr.asset(partitions_def=HOURLY)
    def readings(context: fr.AssetExecutionContext):
        calls.record("readings", context.partition_key)

    @fr.asset(partitions_def=DAILY, deps=[readings])
    def daily_total(context: fr.AssetExecutionContext):
        calls.record("daily_total", context.partition_key)

    defs = fr.Definitions(assets=[readings, daily_total])
    result = backfill(
        defs, partition_range=("2024-01-01-00:00", "2024-01-02-23:00"), instance=instance
    )
    assert calls.keys_of("daily_total") == ["2024-01-01"]
    assert _keys(result.skipped[fr.AssetKey("daily_total")]) == ["2024-01-02"]
    assert len(calls.keys_of("readings")) == 48


def test_resource_that_fails_to_start_fails_the_runs_partitions(instance):
    class Broken(fr.ConfigurableResource):
        def setup_for_execution(self, context) -> None:
            raise RuntimeError("no connection")

    @fr.asset(partitions_def=DAILY)
    def needs_db(db: Broken):
        return 1

    defs = fr.Definitions(assets=[needs_db], resources={"db": Broken()})
    result = backfill(defs, partition_keys=["2024-01-01"], instance=instance)
    assert _keys(result.failed[fr.AssetKey("needs_db")]) == ["2024-01-01"]
    assert not result.skipped


# ---- the persisted record -------------------------------------------------------------------


def test_record_holds_selection_partitions_status_and_outcomes(instance):
    calls = Calls(failing={("report", "2024-01-02")})
    result = backfill(
        daily_chain(calls),
        partition_range=("2024-01-01", "2024-01-03"),
        instance=instance,
        tags={"team": "data"},
    )
    record = get_backfill(instance, result.backfill_id)
    assert record.status is BackfillStatus.FAILED
    assert [k.to_user_string() for k in record.asset_selection] == ["raw", "clean", "report"]
    assert record.tags == {"team": "data"}
    summary = summarize_backfill(record)
    assert summary.partitions == "2024-01-01...2024-01-03"
    assert summary.counts == {"targets": 9, "materialized": 8, "failed": 1, "skipped": 0}
    assert summary.failed == {"report": ("2024-01-02",)}
    runs = instance.get_runs(tags={BACKFILL_TAG: result.backfill_id})
    assert all(r.tags["team"] == "data" for r in runs)


def test_partition_labels_show_contiguous_days_as_one_range():
    subset = DAILY.subset_for_keys(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"])
    assert partition_labels(subset) == ["2024-01-01...2024-01-03", "2024-01-05"]


# ---- stop, Ctrl-C, resume, cancel -----------------------------------------------------------


def _stop_after(runs: int, reports: list):
    return lambda: sum(1 for r in reports if r.outcome is not None) >= runs


def test_stop_pauses_and_resume_runs_only_what_is_left(instance):
    calls = Calls()
    defs = daily_chain(calls)
    reports: list = []
    first = backfill(
        defs,
        partition_range=("2024-01-01", "2024-01-04"),
        instance=instance,
        stop=_stop_after(2, reports),
        on_progress=reports.append,
    )
    assert first.interrupted and first.status is BackfillStatus.REQUESTED
    assert summarize_backfill(get_backfill(instance, first.backfill_id)).state == "INTERRUPTED"
    assert sum(len(s) for s in first.pending.values()) == 6
    second = resume_backfill(defs, first.backfill_id, instance)
    assert second.success and not second.pending
    assert len(second.run_ids) == 2
    assert calls.keys_of("raw") == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]


def test_ctrl_c_in_a_run_leaves_its_partition_for_resume(instance):
    calls = Calls()
    interrupt = {"2024-01-02"}

    @fr.asset(partitions_def=DAILY)
    def slow(context: fr.AssetExecutionContext):
        if context.partition_key in interrupt:
            interrupt.clear()
            raise KeyboardInterrupt
        calls.record("slow", context.partition_key)

    defs = fr.Definitions(assets=[slow])
    reports: list = []
    with pytest.raises(KeyboardInterrupt):
        backfill(
            defs,
            partition_range=("2024-01-01", "2024-01-03"),
            instance=instance,
            on_progress=reports.append,
        )
    backfill_id = reports[0].backfill_id
    record = get_backfill(instance, backfill_id)
    assert record.status is BackfillStatus.REQUESTED and record.data["interrupted"]
    result = resume_backfill(defs, backfill_id, instance)
    assert result.success
    assert calls.keys_of("slow") == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_cancel_from_elsewhere_stops_before_the_next_run(instance):
    calls = Calls()
    defs = daily_chain(calls)

    def cancel_after_first_run(progress):
        if progress.done == 1:
            cancel_backfill(instance, progress.backfill_id)

    result = backfill(
        defs,
        selection="raw",
        partition_range=("2024-01-01", "2024-01-05"),
        instance=instance,
        on_progress=cancel_after_first_run,
    )
    assert result.status is BackfillStatus.CANCELED
    assert calls.keys_of("raw") == ["2024-01-01"]
    with pytest.raises(UsageError, match="canceled"):
        resume_backfill(defs, result.backfill_id, instance)


def test_cancel_during_a_run_is_not_overwritten_by_its_progress(instance):
    backfill_ids: list[str] = []

    @fr.asset(partitions_def=DAILY)
    def step(context: fr.AssetExecutionContext):
        if context.partition_key == "2024-01-02":
            cancel_backfill(instance, backfill_ids[0])

    result = backfill(
        fr.Definitions(assets=[step]),
        partition_range=("2024-01-01", "2024-01-04"),
        instance=instance,
        on_progress=lambda progress: backfill_ids.append(progress.backfill_id),
    )
    assert result.status is BackfillStatus.CANCELED
    assert get_backfill(instance, result.backfill_id).status is BackfillStatus.CANCELED
    assert _keys(result.materialized[fr.AssetKey("step")]) == ["2024-01-01", "2024-01-02"]
    assert _keys(result.pending[fr.AssetKey("step")]) == ["2024-01-03", "2024-01-04"]


def test_cancel_of_a_finished_backfill_is_refused(instance):
    result = backfill(daily_chain(Calls()), partition_keys=["2024-01-01"], instance=instance)
    with pytest.raises(UsageError, match="already finished"):
        cancel_backfill(instance, result.backfill_id)


def test_unknown_backfill_id_says_how_to_list_backfills(instance):
    with pytest.raises(UsageError, match="freshet backfill list"):
        resume_backfill(daily_chain(Calls()), "nope", instance)


# ---- missing / failed -----------------------------------------------------------------------


def test_only_missing_skips_materialized_partitions(instance):
    calls = Calls()
    defs = daily_chain(calls)
    backfill(defs, partition_keys=["2024-01-02"], instance=instance)
    calls.log.clear()
    result = backfill(
        defs, partition_range=("2024-01-01", "2024-01-03"), instance=instance, only="missing"
    )
    assert result.success
    assert calls.keys_of("raw") == ["2024-01-01", "2024-01-03"]


def test_only_failed_reruns_failures_and_what_is_downstream_of_them(instance):
    calls = Calls(failing={("clean", "2024-01-02")})
    defs = daily_chain(calls)
    backfill(defs, partition_range=("2024-01-01", "2024-01-03"), instance=instance)
    calls.failing.clear()
    calls.log.clear()
    result = backfill(
        defs, partition_range=("2024-01-01", "2024-01-03"), instance=instance, only="failed"
    )
    assert result.success
    assert calls.log == [("clean", "2024-01-02"), ("report", "2024-01-02")]


def test_only_missing_with_nothing_missing_runs_nothing(instance):
    defs = daily_chain(Calls())
    backfill(defs, partition_keys=["2024-01-01"], instance=instance)
    result = backfill(defs, partition_keys=["2024-01-01"], instance=instance, only="missing")
    assert result.success and result.run_ids == ()


# ---- other partitions definitions -----------------------------------------------------------


def test_static_partitions_run_one_per_key(instance):
    calls = Calls()

    @fr.asset(partitions_def=COLORS)
    def paint(context: fr.AssetExecutionContext):
        calls.record("paint", context.partition_key)

    result = backfill(
        fr.Definitions(assets=[paint]), partition_keys=["blue", "red"], instance=instance
    )
    assert result.success
    assert calls.keys_of("paint") == ["red", "blue"]


def test_dynamic_partitions_come_from_the_instance(instance):
    calls = Calls()
    files = fr.DynamicPartitionsDefinition(name="files")

    @fr.asset(partitions_def=files)
    def parsed(context: fr.AssetExecutionContext):
        calls.record("parsed", context.partition_key)

    instance.add_dynamic_partitions("files", ["b.csv", "a.csv"])
    result = backfill(fr.Definitions(assets=[parsed]), instance=instance)
    assert result.success
    assert calls.keys_of("parsed") == ["b.csv", "a.csv"]


# ---- policies (need run_assets(partition_key_range=...)) -----------------------------------


def test_single_run_policy_runs_the_whole_range_once(instance):
    ranges = []

    @fr.asset(partitions_def=DAILY, backfill_policy=fr.BackfillPolicy.single_run())
    def yearly_model(context: fr.AssetExecutionContext):
        ranges.append(context.partition_key_range)

    result = backfill(
        fr.Definitions(assets=[yearly_model]),
        partition_range=("2024-01-02", "2024-01-06"),
        instance=instance,
    )
    assert result.success and len(result.run_ids) == 1
    assert ranges == [fr.PartitionKeyRange("2024-01-02", "2024-01-06")]
    assert len(instance.get_event_records(EventType.ASSET_MATERIALIZATION)) == 5


def test_multi_run_policy_chunks_contiguous_partitions(instance):
    calls = Calls()
    defs = daily_chain(calls)
    backfill(defs, partition_keys=["2024-01-04"], instance=instance)
    result = backfill(
        defs,
        partition_range=("2024-01-01", "2024-01-08"),
        instance=instance,
        only="missing",
        policy=fr.BackfillPolicy.multi_run(2),
    )
    assert result.success
    runs = instance.get_runs(tags={BACKFILL_TAG: result.backfill_id}, ascending=True)
    # 01..03 is cut at 2 and the hole at 04 ends a chunk: [01,02] [03] [05,06] [07,08]
    assert len(runs) == 4


# ---- bad input: refused before anything is written ------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"partition_range": ("2024-01-01", "2024-01-41")}, PartitionError, "2024-01-10"),
        ({"partition_range": ("2024-01-05", "2024-01-02")}, PartitionError, "backwards"),
        ({"partition_keys": ["2024-13-01"]}, PartitionError, "2024-13-01"),
        ({"partition_keys": []}, UsageError, "empty"),
        ({"partition_keys": "2024-01-01"}, UsageError, "list"),
        (
            {"partition_range": ("2024-01-01", "2024-01-02"), "partition_keys": ["2024-01-01"]},
            UsageError,
            "not both",
        ),
        ({"partition_keys": ["2024-01-01"], "only": "fresh"}, UsageError, "'missing'"),
        ({"partition_keys": ["2024-01-01"], "selection": "summary"}, PartitionError, "none"),
        (
            {"partition_keys": ["2024-01-01"], "selection": "raw or summary"},
            PartitionError,
            "unpartitioned assets summary",
        ),
        ({"partition_keys": ["2024-01-01"], "selection": "rwa"}, SelectionError, "raw"),
    ],
    ids=[
        "key-out-of-range",
        "start-after-end",
        "invalid-key",
        "no-keys",
        "keys-as-string",
        "range-and-keys",
        "unknown-only",
        "no-partitioned-asset",
        "unpartitioned-asset",
        "unknown-asset",
    ],
)
def test_bad_request_is_refused_before_anything_is_written(instance, kwargs, error, fragment):
    calls = Calls()
    chain = daily_chain(calls)

    @fr.asset(deps=["report"])
    def summary():
        return 1

    defs = fr.Definitions(assets=[*chain.assets, summary])
    with pytest.raises(error, match=fragment):
        backfill(defs, instance=instance, **kwargs)
    assert instance.storage.get_backfills() == []
    assert instance.get_runs() == []
    assert calls.log == []


@pytest.mark.skipif(os.name != "posix", reason="checks a live process id")
def test_resume_is_refused_while_another_live_process_runs_the_backfill(instance):
    defs = daily_chain(Calls())
    paused = backfill(defs, partition_keys=["2024-01-01"], instance=instance, stop=lambda: True)
    record = get_backfill(instance, paused.backfill_id)
    runner = {"pid": os.getppid(), "host": socket.gethostname()}
    instance.storage.update_backfill(replace(record, data={**record.data, "runner": runner}))
    with pytest.raises(UsageError, match=f"still running in process {os.getppid()}"):
        resume_backfill(defs, paused.backfill_id, instance)


@pytest.mark.parametrize(
    "policy", [None, fr.BackfillPolicy.single_run()], ids=["run-per-day", "single-run"]
)
def test_a_run_partly_downstream_of_a_failure_still_runs_its_other_assets(instance, policy):
    calls = Calls(failing={("readings", "2024-01-02-05:00")})

    @fr.asset(partitions_def=HOURLY)
    def readings(context: fr.AssetExecutionContext):
        calls.record("readings", context.partition_key)

    @fr.asset(partitions_def=HOURLY)
    def prices(context: fr.AssetExecutionContext):
        calls.record("prices", context.partition_key)

    @fr.asset(partitions_def=DAILY, deps=[readings], backfill_policy=policy)
    def daily_readings(context: fr.AssetExecutionContext):
        for key in context.partition_keys:
            calls.record("daily_readings", key)

    @fr.asset(partitions_def=DAILY, deps=[prices], backfill_policy=policy)
    def daily_prices(context: fr.AssetExecutionContext):
        for key in context.partition_keys:
            calls.record("daily_prices", key)

    defs = fr.Definitions(assets=[readings, prices, daily_readings, daily_prices])
    result = backfill(
        defs, partition_range=("2024-01-01-00:00", "2024-01-02-23:00"), instance=instance
    )
    assert _keys(result.skipped[fr.AssetKey("daily_readings")]) == ["2024-01-02"]
    assert calls.keys_of("daily_readings") == ["2024-01-01"]
    assert calls.keys_of("daily_prices") == ["2024-01-01", "2024-01-02"]
    assert _keys(result.materialized[fr.AssetKey("daily_prices")]) == ["2024-01-01", "2024-01-02"]


def test_only_stale_reruns_stale_partitions_and_what_reads_them():
    daily = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-06")

    def build(version):
        @fr.asset(partitions_def=daily, code_version=version)
        def source_table(context):
            return context.partition_key

        @fr.asset(partitions_def=daily)
        def report_table(source_table):
            return source_table

        return fr.Definitions(assets=[source_table, report_table])

    instance = fr.Instance.ephemeral()
    fr.backfill(build("1"), partition_range=("2024-01-01", "2024-01-05"), instance=instance)
    changed = build("2")
    result = fr.backfill(
        changed, partition_range=("2024-01-02", "2024-01-03"), instance=instance, only="stale"
    )
    assert result.success
    ran = sorted(
        {
            (m.asset_key.to_user_string(), m.partition)
            for run_id in result.run_ids
            for m in _materializations(instance, run_id)
        }
    )
    assert ran == [
        ("report_table", "2024-01-02"),
        ("report_table", "2024-01-03"),
        ("source_table", "2024-01-02"),
        ("source_table", "2024-01-03"),
    ]


def _materializations(instance, run_id):
    from freshet.execution.result import AssetMaterialization
    from freshet.storage.records import EventType

    records = instance.get_event_records(event_type=EventType.ASSET_MATERIALIZATION, run_id=run_id)
    return [AssetMaterialization.from_event(r.event) for r in records]


def test_run_config_reaches_every_run_and_is_checked_before_anything_is_written():
    daily = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")

    class Scale(fr.Config):
        factor: int

    @fr.asset(partitions_def=daily)
    def scaled(config: Scale):
        return config.factor

    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[scaled])
    with pytest.raises(fr.ConfigError, match=r"ops\.scaled\.config"):
        fr.backfill(defs, partition_range=("2024-01-01", "2024-01-03"), instance=instance)
    assert instance.storage.get_backfills() == []
    config = {"ops": {"scaled": {"config": {"factor": 3}}}}
    result = fr.backfill(
        defs, partition_range=("2024-01-01", "2024-01-03"), instance=instance, run_config=config
    )
    assert result.success and len(result.run_ids) == 3
