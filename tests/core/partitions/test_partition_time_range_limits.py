"""Time partitions at the edges of what a datetime holds: keys and definitions out of range,
impossible UTC offsets, huge end offsets and bad formats are clear errors naming the
definition and the key, never ValueError, OverflowError, TypeError or StopIteration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from freshet.core.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from freshet.errors import InvalidDefinitionError, PartitionError

NOW = datetime(2024, 3, 1, tzinfo=UTC)
DEFINITIONS = [
    DailyPartitionsDefinition("2024-01-01"),
    HourlyPartitionsDefinition("2024-01-01-00:00"),
    WeeklyPartitionsDefinition("2024-01-01"),
    MonthlyPartitionsDefinition("2024-01-01"),
    DailyPartitionsDefinition("2024-01-01", timezone="Pacific/Kiritimati"),
    TimeWindowPartitionsDefinition("*/7 9-17 * * 1-5", "2024-01-01", timezone="Europe/Berlin"),
    TimeWindowPartitionsDefinition("0 0 29 2 *", "2024-01-01"),
]
DEFINITION_IDS = ["daily", "hourly", "weekly", "monthly", "daily-utc+14", "cron", "leap-days"]
EDGE_KEYS = [
    "9999-12-31",
    "9999-12-31-23:00",
    "0001-01-01",
    "0001-01-01-00:00",
    "2024-01-01+99:99",
    "2024-01-01-00:00+99:99",
    "2024-01-01-00:00-24:00",
    "2024-02-30",
]


@pytest.mark.parametrize("definition", DEFINITIONS, ids=DEFINITION_IDS)
@pytest.mark.parametrize("key", EDGE_KEYS, ids=str)
def test_edge_keys_are_not_possible_and_their_errors_name_definition_and_key(definition, key):
    assert definition.is_possible_key(key) is False
    for ask in (
        definition.key_order,
        definition.time_window_for_key,
        lambda k: definition.validate_key(k, NOW),
        lambda k: definition.subset_for_keys([k], NOW),
    ):
        with pytest.raises(PartitionError) as caught:
            ask(key)
        assert repr(key) in str(caught.value) and repr(definition) in str(caught.value)


def test_a_key_past_the_supported_times_says_which_times_are_supported():
    with pytest.raises(PartitionError, match="between 0002-01-01 and 9998-12-31"):
        DailyPartitionsDefinition("2024-01-01").key_order("9999-12-31")


@pytest.mark.parametrize(
    "make",
    [
        lambda: DailyPartitionsDefinition("9999-12-31"),
        lambda: DailyPartitionsDefinition("0001-01-01"),
        lambda: MonthlyPartitionsDefinition("0001-01-01"),
        lambda: WeeklyPartitionsDefinition("9999-06-01"),
        lambda: HourlyPartitionsDefinition(datetime.max),
        lambda: TimeWindowPartitionsDefinition("0 0 29 2 *", "9998-03-01"),
        lambda: TimeWindowPartitionsDefinition("*/7 * * * 1", "9999-12-31"),
    ],
    ids=[
        "daily-9999",
        "daily-0001",
        "monthly-0001",
        "weekly-9999",
        "hourly-max",
        "leap-day-end",
        "cron-9999",
    ],
)
def test_definitions_at_the_edge_of_datetime_are_refused_naming_the_start(make):
    with pytest.raises(InvalidDefinitionError, match="start"):
        make()


def test_the_last_supported_partitions_exist_and_have_windows():
    monthly = MonthlyPartitionsDefinition("9998-01-01")
    keys = monthly.get_partition_keys(datetime(9999, 12, 31, tzinfo=UTC))
    assert (len(keys), keys[-1]) == (12, "9998-12-01")
    assert str(monthly.time_window_for_key("9998-12-01").end) == "9999-01-01 00:00:00+00:00"


def test_the_last_supported_day_is_a_possible_key_with_a_window():
    daily = DailyPartitionsDefinition("2024-01-01")
    assert daily.is_possible_key("9998-12-31")
    assert str(daily.time_window_for_key("9998-12-31").end) == "9999-01-01 00:00:00+00:00"


def test_an_end_past_the_supported_times_ends_with_them():
    daily = DailyPartitionsDefinition("9998-12-30", end_date="9999-12-31")
    assert list(daily.get_partition_keys(datetime.max)) == ["9998-12-30", "9998-12-31"]


@pytest.mark.parametrize("end_offset", [10**12, -(10**12), 100_001], ids=str)
def test_end_offset_is_bounded(end_offset):
    with pytest.raises(InvalidDefinitionError, match="end_offset must be an int from -100000"):
        DailyPartitionsDefinition("2024-01-01", end_offset=end_offset)


def test_a_large_end_offset_stops_at_the_supported_times():
    monthly = MonthlyPartitionsDefinition("2024-01-01", end_offset=100_000)
    last = monthly.get_last_partition_key(NOW)
    assert last == "9998-12-01"
    assert monthly.time_window_for_key(last).end.year == 9999


@pytest.mark.parametrize(
    "fmt", [5, b"%Y", "", "%Y-%m-%d\x00"], ids=["int", "bytes", "empty", "nul"]
)
def test_fmt_that_is_no_format_string_is_refused(fmt):
    with pytest.raises(InvalidDefinitionError, match="fmt"):
        DailyPartitionsDefinition("2024-01-01", fmt=fmt)


def test_a_far_future_key_of_a_walked_cron_schedule_is_refused_without_walking_to_it():
    business_hours = TimeWindowPartitionsDefinition("*/15 9-17 * * 1-5", "2024-01-01")
    assert business_hours.is_possible_key("9000-01-03-10:00") is False
    with pytest.raises(PartitionError, match="more than a year from now"):
        business_hours.key_order("9000-01-03-10:00")
