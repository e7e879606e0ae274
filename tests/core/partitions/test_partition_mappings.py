"""Partition mappings: each mapping in both directions, the defaults, and refused mappings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from freshet.core.partitions import (
    AllPartitionMapping,
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionKeyRange,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    TimeWindowPartitionsSubset,
    UnpartitionedSubset,
    WeeklyPartitionsDefinition,
    default_partition_mapping,
    validate_mapping,
)
from freshet.errors import InvalidDefinitionError, PartitionError

NOW = datetime(2024, 3, 1, tzinfo=UTC)
DAILY = DailyPartitionsDefinition("2024-01-01")
HOURLY = HourlyPartitionsDefinition("2024-01-01")
WEEKLY = WeeklyPartitionsDefinition("2024-01-01")
REGIONS = StaticPartitionsDefinition(["eu", "us", "apac"])
MARKETS = StaticPartitionsDefinition(["emea", "amer", "asia"])
DAILY_REGIONS = MultiPartitionsDefinition({"date": DAILY, "region": REGIONS})


def upstream(mapping, keys, up, down, now=NOW):
    subset = down.subset_for_keys(keys, now) if down is not None else UnpartitionedSubset.whole()
    return mapping.upstream_partitions_for(subset, up, down, current_time=now)


def downstream(mapping, keys, up, down, now=NOW):
    subset = up.subset_for_keys(keys, now) if up is not None else UnpartitionedSubset.whole()
    return mapping.downstream_partitions_for(subset, up, down, current_time=now)


def test_daily_partition_depends_on_its_24_hourly_partitions():
    hours = upstream(TimeWindowPartitionMapping(), ["2024-01-10"], HOURLY, DAILY)
    assert len(hours) == 24
    assert hours.key_ranges() == [PartitionKeyRange("2024-01-10-00:00", "2024-01-10-23:00")]


def test_daily_partition_on_dst_days_depends_on_23_or_25_hourly_partitions():
    hourly = HourlyPartitionsDefinition("2024-03-01", timezone="Europe/Berlin")
    daily = DailyPartitionsDefinition("2024-03-01", timezone="Europe/Berlin")
    now = datetime(2024, 11, 1, tzinfo=UTC)
    assert len(upstream(TimeWindowPartitionMapping(), ["2024-03-31"], hourly, daily, now)) == 23
    assert len(upstream(TimeWindowPartitionMapping(), ["2024-10-27"], hourly, daily, now)) == 25


def test_hourly_partition_depends_on_the_day_containing_it():
    assert list(upstream(TimeWindowPartitionMapping(), ["2024-01-10-13:00"], DAILY, HOURLY)) == [
        "2024-01-10"
    ]


def test_hourly_partitions_affect_the_days_they_fall_in():
    days = downstream(
        TimeWindowPartitionMapping(), ["2024-01-10-05:00", "2024-01-11-00:00"], HOURLY, DAILY
    )
    assert list(days) == ["2024-01-10", "2024-01-11"]


def test_a_day_affects_its_24_hours():
    hours = downstream(TimeWindowPartitionMapping(), ["2024-01-10"], DAILY, HOURLY)
    assert isinstance(hours, TimeWindowPartitionsSubset)
    assert len(hours) == 24


def test_previous_day_mapping_shifts_both_ways():
    previous = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    assert list(upstream(previous, ["2024-01-10"], DAILY, DAILY)) == ["2024-01-09"]
    assert list(downstream(previous, ["2024-01-10"], DAILY, DAILY)) == ["2024-01-11"]


def test_previous_day_of_the_first_partition_does_not_exist():
    previous = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    assert len(upstream(previous, ["2024-01-01"], DAILY, DAILY)) == 0


def test_rolling_window_mapping_covers_the_last_seven_days():
    rolling = TimeWindowPartitionMapping(start_offset=-6, end_offset=0)
    week = upstream(rolling, ["2024-01-10"], DAILY, DAILY)
    assert list(week) == [f"2024-01-{day:02d}" for day in range(4, 11)]
    affected = downstream(rolling, ["2024-01-10"], DAILY, DAILY)
    assert list(affected) == [f"2024-01-{day:02d}" for day in range(10, 17)]


def test_downstream_partitions_stop_at_those_that_exist():
    assert list(downstream(TimeWindowPartitionMapping(), ["2024-02-29"], DAILY, WEEKLY)) == []
    assert list(downstream(TimeWindowPartitionMapping(), ["2024-02-20"], DAILY, WEEKLY)) == [
        "2024-02-18"
    ]


def test_time_mapping_of_a_range_is_a_range():
    days = DAILY.subset_for_indexes(0, 40)
    hours = TimeWindowPartitionMapping().upstream_partitions_for(
        days, HOURLY, DAILY, current_time=NOW
    )
    assert isinstance(hours, TimeWindowPartitionsSubset)
    assert hours.ranges == ((0, 40 * 24),)


def test_time_mapping_between_a_cron_schedule_and_daily_partitions():
    weekdays = TimeWindowPartitionsDefinition("0 0 * * 1-5", "2024-01-01")
    # Friday's window runs to Monday, so it overlaps Friday, Saturday and Sunday
    days = upstream(TimeWindowPartitionMapping(), ["2024-01-05"], DAILY, weekdays)
    assert list(days) == ["2024-01-05", "2024-01-06", "2024-01-07"]


def test_identity_maps_the_same_keys():
    assert list(upstream(IdentityPartitionMapping(), ["us"], REGIONS, REGIONS)) == ["us"]


def test_identity_between_static_definitions_keeps_shared_keys():
    subset_regions = StaticPartitionsDefinition(["eu", "us"])
    assert list(upstream(IdentityPartitionMapping(), ["eu", "apac"], subset_regions, REGIONS)) == [
        "eu"
    ]


def test_identity_between_daily_definitions_with_different_starts_matches_dates():
    later = DailyPartitionsDefinition("2024-01-05")
    assert list(upstream(IdentityPartitionMapping(), ["2024-01-06"], DAILY, later)) == [
        "2024-01-06"
    ]


@pytest.mark.parametrize(
    ("up", "down", "expected_up_len"),
    [(DAILY, None, 60), (None, DAILY, 1)],
    ids=["partitioned-upstream", "unpartitioned-upstream"],
)
def test_all_mapping_between_partitioned_and_unpartitioned(up, down, expected_up_len):
    result = upstream(AllPartitionMapping(), ["2024-01-03"] if down else [], up, down)
    assert len(result) == expected_up_len
    if up is None:
        assert result == UnpartitionedSubset.whole()


def test_all_mapping_of_an_empty_subset_is_empty():
    nothing = AllPartitionMapping().upstream_partitions_for(
        DAILY.empty_subset(), REGIONS, DAILY, current_time=NOW
    )
    assert len(nothing) == 0
    whole = downstream(AllPartitionMapping(), ["2024-01-03"], DAILY, None)
    assert whole == UnpartitionedSubset.whole()


def test_last_partition_mapping_depends_on_the_latest_partition():
    last = LastPartitionMapping()
    assert list(upstream(last, ["eu", "us"], DAILY, REGIONS)) == ["2024-02-29"]
    assert len(downstream(last, ["2024-02-29"], DAILY, REGIONS)) == 3
    assert len(downstream(last, ["2024-02-28"], DAILY, REGIONS)) == 0


def test_static_mapping_follows_the_given_correspondence():
    mapping = StaticPartitionMapping({"eu": "emea", "us": ["amer"], "apac": {"asia", "emea"}})
    assert list(upstream(mapping, ["emea"], REGIONS, MARKETS)) == ["eu", "apac"]
    assert list(downstream(mapping, ["apac"], REGIONS, MARKETS)) == ["emea", "asia"]
    assert mapping == StaticPartitionMapping(
        {"eu": ["emea"], "us": "amer", "apac": ["emea", "asia"]}
    )


def test_specific_partitions_mapping_depends_on_the_listed_keys():
    mapping = SpecificPartitionsPartitionMapping(["us", "eu"])
    assert list(upstream(mapping, ["2024-01-10"], REGIONS, DAILY)) == ["eu", "us"]
    assert len(downstream(mapping, ["us"], REGIONS, DAILY)) == 60
    assert len(downstream(mapping, ["apac"], REGIONS, DAILY)) == 0


def test_multi_to_single_maps_a_day_to_all_its_regions():
    mapping = MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
    keys = upstream(mapping, ["2024-01-10"], DAILY_REGIONS, DAILY)
    assert list(keys) == ["2024-01-10|eu", "2024-01-10|us", "2024-01-10|apac"]
    days = downstream(mapping, ["2024-01-10|us", "2024-01-12|eu"], DAILY_REGIONS, DAILY)
    assert list(days) == ["2024-01-10", "2024-01-12"]


def test_multi_to_single_maps_a_region_to_all_its_days():
    mapping = MultiToSingleDimensionPartitionMapping()
    regions = upstream(mapping, ["2024-01-10|us", "2024-01-11|us"], REGIONS, DAILY_REGIONS)
    assert list(regions) == ["us"]
    affected = downstream(mapping, ["apac"], REGIONS, DAILY_REGIONS)
    assert len(affected) == 60
    assert "2024-02-01|apac" in affected
    assert "2024-02-01|eu" not in affected


@pytest.mark.parametrize(
    ("up", "down", "expected"),
    [
        (DAILY, DAILY, IdentityPartitionMapping()),
        (HOURLY, DAILY, TimeWindowPartitionMapping()),
        (DAILY, HOURLY, TimeWindowPartitionMapping()),
        (DAILY, DailyPartitionsDefinition("2023-01-01"), TimeWindowPartitionMapping()),
        (None, DAILY, AllPartitionMapping()),
        (DAILY, None, AllPartitionMapping()),
        (DAILY_REGIONS, DAILY, MultiToSingleDimensionPartitionMapping()),
        (REGIONS, DAILY_REGIONS, MultiToSingleDimensionPartitionMapping()),
        (REGIONS, MARKETS, IdentityPartitionMapping()),
    ],
    ids=[
        "same-definition-identity",
        "finer-to-coarser-time",
        "coarser-to-finer-time",
        "same-cadence-other-start",
        "unpartitioned-upstream",
        "unpartitioned-downstream",
        "multi-to-its-dimension",
        "dimension-to-multi",
        "static-to-static",
    ],
)
def test_default_partition_mapping(up, down, expected):
    assert default_partition_mapping(up, down) == expected


@pytest.mark.parametrize(
    ("up", "down", "mapping", "expected_problem"),
    [
        (REGIONS, DAILY, None, "cannot be matched one to one"),
        (HOURLY, DAILY, IdentityPartitionMapping(), "use TimeWindowPartitionMapping"),
        (REGIONS, DAILY, TimeWindowPartitionMapping(), "maps time windows, but the upstream"),
        (DAILY_REGIONS, HOURLY, TimeWindowPartitionMapping(), "MultiToSingleDimension"),
        (REGIONS, MARKETS, None, "share no partition key"),
        (REGIONS, MARKETS, StaticPartitionMapping({"eu": "europe"}), "['europe']"),
        (REGIONS, DAILY, SpecificPartitionsPartitionMapping(["mars"]), "['mars']"),
        (None, DAILY, LastPartitionMapping(), "needs a partitioned upstream"),
        (
            DAILY_REGIONS,
            DAILY,
            MultiToSingleDimensionPartitionMapping(partition_dimension_name="day"),
            "has no dimension 'day'",
        ),
        (DAILY_REGIONS, HOURLY, MultiToSingleDimensionPartitionMapping(), "cannot tell which"),
        (DAILY, DAILY, "previous day", "must be a PartitionMapping"),
    ],
    ids=[
        "static-to-time-default",
        "identity-across-cadences",
        "time-mapping-on-static",
        "time-mapping-on-multi",
        "disjoint-static-default",
        "static-mapping-unknown-key",
        "specific-unknown-key",
        "last-of-unpartitioned",
        "unknown-dimension",
        "no-matching-dimension",
        "not-a-mapping",
    ],
)
def test_invalid_mapping_is_described_in_one_sentence(up, down, mapping, expected_problem):
    problem = validate_mapping(up, down, mapping)
    assert problem is not None
    assert expected_problem in problem


@pytest.mark.parametrize(
    ("up", "down", "mapping"),
    [
        (HOURLY, DAILY, TimeWindowPartitionMapping(start_offset=-1, end_offset=0)),
        (DAILY_REGIONS, DAILY, MultiToSingleDimensionPartitionMapping()),
        (DAILY, None, LastPartitionMapping()),
        (REGIONS, MARKETS, StaticPartitionMapping({"eu": "emea"})),
        (None, None, None),
    ],
    ids=["time", "multi-to-single", "last-to-unpartitioned", "static", "both-unpartitioned"],
)
def test_valid_mapping_has_no_problem(up, down, mapping):
    assert validate_mapping(up, down, mapping) is None


def test_applying_an_invalid_mapping_raises_its_problem():
    with pytest.raises(PartitionError, match="maps time windows"):
        upstream(TimeWindowPartitionMapping(), ["2024-01-10"], REGIONS, DAILY)


def test_subset_of_another_definition_is_refused():
    with pytest.raises(PartitionError, match="build it from that definition"):
        IdentityPartitionMapping().upstream_partitions_for(
            HOURLY.empty_subset(), DAILY, DAILY, current_time=NOW
        )


def test_time_window_mapping_offsets_must_be_ordered():
    with pytest.raises(InvalidDefinitionError, match="start_offset=1 is after end_offset=0"):
        TimeWindowPartitionMapping(start_offset=1, end_offset=0)
