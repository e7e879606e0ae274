"""Time-window partitions: key formats, lazy counts, DST, end offsets, cron schedules."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import freshet as fr
from freshet.core.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    PartitionKeys,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from freshet.errors import InvalidDefinitionError

NOW = datetime(2024, 3, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def keys_on(definition, day: str, now: datetime) -> list[str]:
    return [k for k in definition.get_partition_keys(now) if k.startswith(day)]


@pytest.mark.parametrize(
    ("definition", "expected_first_keys"),
    [
        (DailyPartitionsDefinition("2024-01-30"), ["2024-01-30", "2024-01-31", "2024-02-01"]),
        (
            HourlyPartitionsDefinition("2024-01-31"),
            ["2024-01-31-00:00", "2024-01-31-01:00", "2024-01-31-02:00"],
        ),
        (WeeklyPartitionsDefinition("2024-01-01"), ["2024-01-07", "2024-01-14", "2024-01-21"]),
        (MonthlyPartitionsDefinition("2023-12-01"), ["2023-12-01", "2024-01-01", "2024-02-01"]),
        (
            TimeWindowPartitionsDefinition("*/30 * * * *", "2024-01-31"),
            ["2024-01-31-00:00", "2024-01-31-00:30", "2024-01-31-01:00"],
        ),
    ],
    ids=["daily", "hourly", "weekly-starts-sunday", "monthly", "every-30-minutes"],
)
def test_default_key_format_is_the_window_start(definition, expected_first_keys):
    assert list(definition.get_partition_keys(NOW)[:3]) == expected_first_keys


def test_custom_fmt_formats_and_parses_keys():
    daily = DailyPartitionsDefinition("2024-01-01", fmt="%Y%m%d")
    assert daily.get_partition_keys(NOW)[0] == "20240101"
    assert daily.has_partition_key("20240215", NOW)
    assert not daily.has_partition_key("2024-02-15", NOW)


def test_start_may_be_a_date_a_datetime_or_a_string():
    expected = DailyPartitionsDefinition("2024-01-01")
    assert DailyPartitionsDefinition(date(2024, 1, 1)) == expected
    assert DailyPartitionsDefinition(datetime(2024, 1, 1)) == expected
    assert DailyPartitionsDefinition(datetime(2024, 1, 1, tzinfo=UTC)) == expected


def test_start_between_ticks_begins_at_the_next_window():
    daily = DailyPartitionsDefinition("2024-01-01 10:00")
    assert daily.get_first_partition_key(NOW) == "2024-01-02"


@pytest.mark.parametrize(
    ("current_time", "expected_count", "expected_last"),
    [
        (datetime(2024, 1, 1, tzinfo=UTC), 0, None),
        (datetime(2024, 1, 1, 23, 59, tzinfo=UTC), 0, None),
        (datetime(2024, 1, 2, tzinfo=UTC), 1, "2024-01-01"),
        (datetime(2024, 1, 10, 12, tzinfo=UTC), 9, "2024-01-09"),
    ],
    ids=["at-start", "first-window-in-progress", "first-window-complete", "mid-day"],
)
def test_a_partition_exists_once_its_window_has_ended(current_time, expected_count, expected_last):
    daily = DailyPartitionsDefinition("2024-01-01")
    assert daily.get_num_partitions(current_time) == expected_count
    assert daily.get_last_partition_key(current_time) == expected_last


@pytest.mark.parametrize(
    ("end_offset", "expected_last"),
    [(1, "2024-01-10"), (2, "2024-01-11"), (-1, "2024-01-08")],
    ids=["current-window", "next-window", "one-less"],
)
def test_end_offset_shifts_the_last_partition(end_offset, expected_last):
    daily = DailyPartitionsDefinition("2024-01-01", end_offset=end_offset)
    assert daily.get_last_partition_key(datetime(2024, 1, 10, 12, tzinfo=UTC)) == expected_last


def test_end_date_bounds_the_partitions_whatever_the_current_time():
    daily = DailyPartitionsDefinition("2024-01-01", "2024-01-05", end_offset=3)
    assert list(daily.get_partition_keys(NOW)) == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]


def test_naive_current_time_is_read_in_the_definition_timezone():
    daily = DailyPartitionsDefinition("2024-01-01", timezone="America/New_York")
    # 2024-01-03 00:30 in New York is 05:30 UTC; read as UTC it would be a day earlier locally
    assert daily.get_num_partitions(datetime(2024, 1, 3, 0, 30)) == 2
    assert daily.get_num_partitions(datetime(2024, 1, 3, 0, 30, tzinfo=UTC)) == 1


def test_ten_year_hourly_count_is_arithmetic_not_a_list(monkeypatch):
    hourly = HourlyPartitionsDefinition("2014-01-01")
    # counting must not format a single key
    monkeypatch.setattr(type(hourly), "partition_key_at", _refuse)
    assert hourly.get_num_partitions(datetime(2024, 1, 1, tzinfo=UTC)) == 87_648
    keys = hourly.get_partition_keys(datetime(2024, 1, 1, tzinfo=UTC))
    assert isinstance(keys, PartitionKeys)
    assert len(keys) == 87_648


def _refuse(*args, **kwargs):
    raise AssertionError("keys were formatted")


def test_partition_keys_are_a_lazy_indexable_sequence():
    keys = HourlyPartitionsDefinition("2014-01-01").get_partition_keys(
        datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert keys[0] == "2014-01-01-00:00"
    assert keys[-1] == "2023-12-31-23:00"
    assert keys[24] == "2014-01-02-00:00"
    assert "2020-02-29-12:00" in keys
    assert "2024-01-01-00:00" not in keys
    assert keys.index("2014-01-02-00:00") == 24
    assert keys[1:3] == ["2014-01-01-01:00", "2014-01-01-02:00"]


@pytest.mark.parametrize(
    ("timezone", "spring_day", "fall_day", "repeated"),
    [
        (
            "Europe/Berlin",
            "2024-03-31",
            "2024-10-27",
            ("2024-10-27-02:00+02:00", "2024-10-27-02:00+01:00"),
        ),
        (
            "America/New_York",
            "2024-03-10",
            "2024-11-03",
            ("2024-11-03-01:00-04:00", "2024-11-03-01:00-05:00"),
        ),
    ],
    ids=["berlin", "new-york"],
)
def test_hourly_keys_across_dst_days_are_23_and_25_unique(timezone, spring_day, fall_day, repeated):
    hourly = HourlyPartitionsDefinition("2024-01-01", timezone=timezone)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    fall = keys_on(hourly, fall_day, now)
    assert len(keys_on(hourly, spring_day, now)) == 23
    assert len(fall) == 25
    assert len(set(fall)) == 25
    first, second = repeated
    assert fall.index(second) == fall.index(first) + 1


def test_hourly_repeated_hour_keys_name_consecutive_absolute_hours():
    hourly = HourlyPartitionsDefinition("2024-10-27", timezone="Europe/Berlin")
    first = hourly.time_window_for_key("2024-10-27-02:00+02:00")
    second = hourly.time_window_for_key("2024-10-27-02:00+01:00")
    assert first.end == second.start
    assert first.duration == second.duration == timedelta(hours=1)
    assert second.start.timestamp() - first.start.timestamp() == 3600
    assert first.start.astimezone(UTC) == datetime(2024, 10, 27, 0, tzinfo=UTC)


def test_hourly_skipped_hour_has_no_key():
    hourly = HourlyPartitionsDefinition("2024-03-31", timezone="Europe/Berlin")
    now = datetime(2024, 4, 1, tzinfo=UTC)
    assert not hourly.has_partition_key("2024-03-31-02:00", now)
    assert hourly.has_partition_key("2024-03-31-03:00", now)


def test_daily_windows_follow_local_midnight_across_dst():
    daily = DailyPartitionsDefinition("2024-03-01", timezone="Europe/Berlin")
    spring = daily.time_window_for_key("2024-03-31")
    fall = daily.time_window_for_key("2024-10-27")
    assert spring.duration == timedelta(hours=23)
    assert fall.duration == timedelta(hours=25)
    assert spring.start == datetime(2024, 3, 31, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("day", "expected_start_utc"),
    [
        ("2024-03-31", datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),
        ("2024-10-27", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
    ],
    ids=["skipped-time-moves-forward", "repeated-time-fires-once-at-first"],
)
def test_daily_tick_inside_a_dst_change_fires_once(day, expected_start_utc):
    daily = DailyPartitionsDefinition(
        "2024-03-01", hour_offset=2, minute_offset=30, timezone="Europe/Berlin"
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert keys_on(daily, day, now) == [day]
    assert daily.time_window_for_key(day).start.astimezone(UTC) == expected_start_utc


def test_cron_schedule_fires_once_on_the_fall_back_day():
    # 02:30 occurs twice in Berlin on 2024-10-27 (a Sunday)
    definition = TimeWindowPartitionsDefinition(
        "30 2 * * 0,3", "2024-10-01", timezone="Europe/Berlin"
    )
    assert keys_on(definition, "2024-10-27", datetime(2024, 11, 1, tzinfo=UTC)) == ["2024-10-27"]


def test_hourly_cron_with_day_restriction_keeps_25_unique_hours_on_fall_back_day():
    definition = TimeWindowPartitionsDefinition("0 * * * 0", "2024-10-01", timezone="Europe/Berlin")
    # the day's last window runs until the next Sunday
    fall = keys_on(definition, "2024-10-27", datetime(2024, 11, 10, tzinfo=UTC))
    assert len(fall) == len(set(fall)) == 25
    assert "2024-10-27-02:00+01:00" in fall


def test_cron_schedule_keys_round_trip_and_skip_unscheduled_days():
    weekdays = TimeWindowPartitionsDefinition("0 6 * * 1-5", "2024-01-01")
    keys = list(weekdays.get_partition_keys(datetime(2024, 1, 16, tzinfo=UTC)))
    assert keys[:6] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
        "2024-01-08",
    ]
    assert [weekdays.index_of(k) for k in keys] == list(range(len(keys)))
    window = weekdays.time_window_for_key("2024-01-05")
    assert (window.start.hour, window.end.day) == (6, 8)


def test_standard_schedules_do_not_load_the_cron_library():
    code = (
        "import sys, datetime\n"
        "from freshet.core.partitions import (\n"
        "    DailyPartitionsDefinition, HourlyPartitionsDefinition\n"
        ")\n"
        "DailyPartitionsDefinition('2024-01-01', timezone='Europe/Berlin').get_num_partitions()\n"
        "HourlyPartitionsDefinition('2024-01-01').get_partition_keys()[0]\n"
        "print('croniter' in sys.modules)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: TimeWindowPartitionsDefinition("every day", "2024-01-01"),
            "invalid cron_schedule",
        ),
        (lambda: TimeWindowPartitionsDefinition("0 0 30 2 *", "2024-01-01"), "never fires"),
        (lambda: DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berln"), "Europe/Berlin"),
        (lambda: DailyPartitionsDefinition("first of january"), "is not a date"),
        (lambda: DailyPartitionsDefinition("2024-01-05", "2024-01-01"), "is before start"),
        (lambda: HourlyPartitionsDefinition("2024-01-01", fmt="%Y-%m-%d"), "same key"),
        (lambda: DailyPartitionsDefinition("2024-01-01", hour_offset=24), "hour_offset"),
        (lambda: MonthlyPartitionsDefinition("2024-01-01", day_offset=31), "days 29-31"),
        (lambda: WeeklyPartitionsDefinition("2024-01-01", day_offset=7), "0 is Sunday"),
    ],
    ids=[
        "bad-cron",
        "cron-never-fires",
        "unknown-timezone-suggests",
        "unparseable-start",
        "end-before-start",
        "fmt-too-coarse",
        "hour-offset-out-of-range",
        "monthly-day-past-28",
        "weekly-day-out-of-range",
    ],
)
def test_invalid_time_window_arguments_are_refused_with_a_hint(build, message):
    with pytest.raises(InvalidDefinitionError, match=message):
        build()


def test_definitions_with_equal_arguments_are_equal_hashable_and_picklable():
    first = DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
    second = DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
    cron = TimeWindowPartitionsDefinition("0 6 * * 1-5", "2024-01-01")
    assert first == second
    assert len({first, second}) == 1
    assert first != DailyPartitionsDefinition("2024-01-02", timezone="Europe/Berlin")
    assert pickle.loads(pickle.dumps(first)) == first
    restored = pickle.loads(pickle.dumps(cron))
    assert restored == cron
    assert restored.get_partition_keys(NOW)[:2] == ["2024-01-01", "2024-01-02"]


def test_partition_key_for_time_names_the_window_containing_it():
    hourly = HourlyPartitionsDefinition("2024-01-01")
    assert (
        hourly.partition_key_for_time(datetime(2024, 1, 2, 5, 59, tzinfo=UTC)) == "2024-01-02-05:00"
    )
    assert hourly.partition_key_for_time(datetime(2023, 12, 31, tzinfo=UTC)) is None


@pytest.mark.parametrize("cron", ["0 0 6 * * *", "0 6 * * * 2030"], ids=["seconds", "year"])
def test_partitions_and_schedules_refuse_the_same_non_standard_cron(cron):
    with pytest.raises(InvalidDefinitionError, match="write five fields"):
        TimeWindowPartitionsDefinition(cron_schedule=cron, start="2024-01-01", fmt="%Y-%m-%d")
    job = fr.define_asset_job("j", selection="*")
    schedule = fr.ScheduleDefinition(job="j", cron_schedule=cron)
    with pytest.raises(fr.DefinitionsError, match="write five fields"):
        fr.Definitions(jobs=[job], schedules=[schedule])


@pytest.mark.parametrize(
    "given",
    ["2024-01-01...2024-01-31", ("2024-01-01", "2024-01-31"), ["2024-01-01", "2024-01-31"]],
    ids=["text", "tuple", "list"],
)
def test_one_parser_for_partition_ranges(given):
    parsed = fr.PartitionKeyRange.coerce(given, "partition_key_range")
    assert parsed == fr.PartitionKeyRange("2024-01-01", "2024-01-31")
    assert fr.PartitionKeyRange.parse(str(parsed)) == parsed


@pytest.mark.parametrize("text", ["2024-01-01", "...2024-01-31", "2024-01-01..."], ids=str)
def test_a_range_without_both_ends_says_how_to_write_it(text):
    with pytest.raises(fr.PartitionError, match=r"separated by '\.\.\.'"):
        fr.PartitionKeyRange.parse(text)
