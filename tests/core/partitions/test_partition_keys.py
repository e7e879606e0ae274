"""Partition keys: validation with the nearest valid key or range, key ranges, static and
dynamic definitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from freshet.core.partitions import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    PartitionKeyRange,
    StaticPartitionsDefinition,
    TimeWindowPartitionsSubset,
)
from freshet.errors import InvalidDefinitionError, PartitionError

NOW = datetime(2024, 2, 1, tzinfo=UTC)
DAILY = DailyPartitionsDefinition("2024-01-01")
REGIONS = StaticPartitionsDefinition(["eu", "us", "apac"])


class FakeStore:
    """The instance's dynamic partitions, reduced to what definitions ask of it."""

    def __init__(self, **keys_by_name: list[str]) -> None:
        self.keys_by_name = keys_by_name

    def get_dynamic_partitions(self, name: str) -> list[str]:
        return list(self.keys_by_name.get(name, []))

    def has_dynamic_partition(self, name: str, key: str) -> bool:
        return key in self.keys_by_name.get(name, [])


@pytest.mark.parametrize(
    ("key", "expected_message"),
    [
        ("2024-13-01", "keys look like '2024-01-01'"),
        ("yesterday", "valid keys run from '2024-01-01' to '2024-01-31'"),
        ("2023-12-31", "before the first partition"),
        ("2024-02-01", "after the last partition"),
        ("2024-01-05-00:00", "the nearest valid key is '2024-01-05'"),
        ("2024/01/05", "keys look like '2024-01-01' (format '%Y-%m-%d')"),
    ],
    ids=[
        "bad-month",
        "not-a-date",
        "before-start",
        "not-yet",
        "hourly-key-for-daily",
        "wrong-separators",
    ],
)
def test_invalid_daily_key_names_the_valid_range(key, expected_message):
    with pytest.raises(PartitionError) as caught:
        DAILY.validate_key(key, NOW)
    assert expected_message in str(caught.value)
    assert repr(key) in str(caught.value)


def test_misaligned_key_suggests_the_nearest_valid_key():
    weekly_like = HourlyPartitionsDefinition("2024-01-01", minute_offset=30)
    with pytest.raises(PartitionError, match="nearest valid key is '2024-01-05-10:30'"):
        weekly_like.validate_key("2024-01-05-10:00", NOW)


def test_ambiguous_hour_without_offset_suggests_both_readings():
    hourly = HourlyPartitionsDefinition("2024-10-27", timezone="Europe/Berlin")
    with pytest.raises(PartitionError) as caught:
        hourly.validate_key("2024-10-27-02:00", datetime(2024, 10, 28, tzinfo=UTC))
    assert "'2024-10-27-02:00+02:00'" in str(caught.value)
    assert "'2024-10-27-02:00+01:00'" in str(caught.value)


def test_end_bounded_key_error_mentions_the_end():
    bounded = DailyPartitionsDefinition("2024-01-01", "2024-01-10")
    with pytest.raises(PartitionError, match=r"after the last partition \(end\)"):
        bounded.validate_key("2024-01-15", NOW)


def test_subset_for_keys_reports_every_invalid_key_at_once():
    with pytest.raises(PartitionError) as caught:
        DAILY.subset_for_keys(["2024-01-02", "bad", "2025-01-01", "2024-01-03"], NOW)
    message = str(caught.value)
    assert message.startswith("2 invalid partition keys")
    assert "'bad'" in message
    assert "'2025-01-01'" in message


def test_static_key_error_suggests_close_keys():
    with pytest.raises(PartitionError, match="nearest valid key\\(s\\): 'apac'"):
        REGIONS.validate_key("apak")


def test_static_definition_keeps_order_and_refuses_duplicates():
    assert list(REGIONS.get_partition_keys()) == ["eu", "us", "apac"]
    with pytest.raises(InvalidDefinitionError, match=r"duplicate keys \['eu'\]"):
        StaticPartitionsDefinition(["eu", "us", "eu"])
    with pytest.raises(InvalidDefinitionError, match="takes a list of keys"):
        StaticPartitionsDefinition("eu")


@pytest.mark.parametrize(
    ("definition", "start", "end", "expected"),
    [
        (DAILY, "2024-01-03", "2024-01-05", ["2024-01-03", "2024-01-04", "2024-01-05"]),
        (DAILY, "2024-01-03", "2024-01-03", ["2024-01-03"]),
        (REGIONS, "us", "apac", ["us", "apac"]),
    ],
    ids=["daily", "single-key", "static-in-definition-order"],
)
def test_subset_for_range_includes_both_ends(definition, start, end, expected):
    subset = definition.subset_for_range(PartitionKeyRange(start, end), NOW)
    assert list(subset) == expected


@pytest.mark.parametrize(
    ("definition", "start", "end"),
    [(DAILY, "2024-01-05", "2024-01-03"), (REGIONS, "apac", "eu")],
    ids=["daily", "static"],
)
def test_backwards_range_is_refused_naming_both_keys(definition, start, end):
    with pytest.raises(PartitionError) as caught:
        definition.get_partition_key_range(start, end, NOW)
    assert f"{start}...{end}" in str(caught.value)
    assert f"swap them ({end}...{start})" in str(caught.value)


def test_range_with_an_invalid_end_is_refused():
    with pytest.raises(PartitionError, match="'2024-03-01'"):
        DAILY.subset_for_range(PartitionKeyRange("2024-01-03", "2024-03-01"), NOW)


def test_partition_key_range_needs_two_keys():
    with pytest.raises(PartitionError, match=r"PartitionKeyRange\.end"):
        PartitionKeyRange("2024-01-01", "")


def test_time_subset_splits_into_key_ranges_and_windows():
    subset = DAILY.subset_for_keys(["2024-01-01", "2024-01-02", "2024-01-05"], NOW)
    assert isinstance(subset, TimeWindowPartitionsSubset)
    assert subset.key_ranges() == [
        PartitionKeyRange("2024-01-01", "2024-01-02"),
        PartitionKeyRange("2024-01-05", "2024-01-05"),
    ]
    window = subset.time_windows()[0]
    assert (window.start.day, window.end.day) == (1, 3)


def test_time_window_for_range_spans_first_start_to_last_end():
    window = DAILY.time_window_for_range(PartitionKeyRange("2024-01-02", "2024-01-04"))
    assert window.start == datetime(2024, 1, 2, tzinfo=UTC)
    assert window.end == datetime(2024, 1, 5, tzinfo=UTC)


def test_static_partitions_have_no_time_window():
    with pytest.raises(PartitionError, match="not time-partitioned"):
        REGIONS.time_window_for_key("eu")


def test_dynamic_partitions_read_keys_from_the_store():
    files = DynamicPartitionsDefinition("files")
    store = FakeStore(files=["b.csv", "a.csv"])
    assert list(files.get_partition_keys(dynamic_store=store)) == ["b.csv", "a.csv"]
    assert files.get_num_partitions(dynamic_store=store) == 2
    assert files.has_partition_key("a.csv", dynamic_store=store)
    assert len(files.all_subset(dynamic_store=store)) == 2
    assert list(
        files.subset_for_range(PartitionKeyRange("b.csv", "a.csv"), dynamic_store=store)
    ) == [
        "a.csv",
        "b.csv",
    ]


def test_dynamic_partitions_without_a_store_say_what_to_pass():
    with pytest.raises(PartitionError, match="pass dynamic_store=instance"):
        DynamicPartitionsDefinition("files").get_num_partitions()


def test_unknown_dynamic_key_says_how_to_add_it():
    files = DynamicPartitionsDefinition("files")
    with pytest.raises(PartitionError) as caught:
        files.validate_key("c.csv", dynamic_store=FakeStore(files=["c.csvx"]))
    assert "instance.add_dynamic_partitions('files', ['c.csv'])" in str(caught.value)
    assert "'c.csvx'" in str(caught.value)


def test_dynamic_definition_name_must_be_a_valid_name():
    with pytest.raises(InvalidDefinitionError, match="dynamic partitions name"):
        DynamicPartitionsDefinition("my files")
