"""Partition subsets: set algebra agrees with plain Python sets; time ranges stay compact."""

from __future__ import annotations

import itertools
import operator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freshet.core.partitions import (
    AllPartitionsSubset,
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    KeysPartitionsSubset,
    MultiPartitionsDefinition,
    MultiPartitionsSubset,
    PartitionsSubset,
    StaticPartitionsDefinition,
    TimeWindowPartitionsSubset,
    UnpartitionedSubset,
    ranges,
)
from freshet.errors import PartitionError

NOW = datetime(2024, 2, 10, tzinfo=UTC)
DAILY = DailyPartitionsDefinition("2024-01-01")  # 40 partitions as of NOW
DAILY_KEYS = list(DAILY.get_partition_keys(NOW))
LETTERS = StaticPartitionsDefinition(list("abcdefgh"))
MULTI = MultiPartitionsDefinition(
    {"date": DailyPartitionsDefinition("2024-01-01", "2024-01-08"), "region": LETTERS}
)
MULTI_KEYS = list(MULTI.get_partition_keys(NOW))

OPERATIONS = [
    (operator.or_, set.union),
    (operator.and_, set.intersection),
    (operator.sub, set.difference),
]


def subsets_of(keys: list[str]) -> st.SearchStrategy[set[str]]:
    return st.sets(st.sampled_from(keys), max_size=len(keys))


def check_algebra(definition, left: set[str], right: set[str], key_order: list[str]) -> None:
    left_subset = definition.subset_for_keys(left, NOW)
    right_subset = definition.subset_for_keys(right, NOW)
    for subset_operation, set_operation in OPERATIONS:
        result = subset_operation(left_subset, right_subset)
        expected = set_operation(left, right)
        assert len(result) == len(expected)
        assert list(result) == [k for k in key_order if k in expected]
        assert all(k in result for k in expected)
        assert not any(k in result for k in key_order if k not in expected)


@settings(max_examples=150, deadline=None)
@given(left=subsets_of(DAILY_KEYS), right=subsets_of(DAILY_KEYS))
def test_time_window_subset_algebra_matches_python_sets(left, right):
    check_algebra(DAILY, left, right, DAILY_KEYS)


@settings(max_examples=100, deadline=None)
@given(left=subsets_of(list(LETTERS.keys)), right=subsets_of(list(LETTERS.keys)))
def test_static_subset_algebra_matches_python_sets(left, right):
    check_algebra(LETTERS, left, right, list(LETTERS.keys))


@settings(max_examples=100, deadline=None)
@given(left=subsets_of(MULTI_KEYS), right=subsets_of(MULTI_KEYS))
def test_multi_subset_algebra_matches_python_sets(left, right):
    check_algebra(MULTI, left, right, MULTI_KEYS)


@settings(max_examples=200, deadline=None)
@given(
    left=st.sets(st.integers(-20, 60), max_size=40),
    right=st.sets(st.integers(-20, 60), max_size=40),
)
def test_range_set_operations_match_python_sets(left, right):
    def expand(range_set: ranges.RangeSet) -> set[int]:
        return {i for start, end in range_set for i in range(start, end)}

    left_ranges = ranges.from_sorted_indexes(sorted(left))
    right_ranges = ranges.normalize((i, i + 1) for i in right)
    assert expand(left_ranges) == left
    assert expand(ranges.union(left_ranges, right_ranges)) == left | right
    assert expand(ranges.intersection(left_ranges, right_ranges)) == left & right
    assert expand(ranges.difference(left_ranges, right_ranges)) == left - right
    assert ranges.count(left_ranges) == len(left)
    assert all(ranges.contains(left_ranges, i) == (i in left) for i in range(-21, 62))
    # normalized: sorted, disjoint and not touching
    assert all(a[1] < b[0] for a, b in itertools.pairwise(left_ranges))


def test_all_subset_answers_len_and_in_and_equals_its_concrete_form():
    everything = DAILY.all_subset(NOW)
    assert isinstance(everything, AllPartitionsSubset)
    assert len(everything) == 40
    assert "2024-02-09" in everything
    assert "2024-02-10" not in everything
    concrete = DAILY.subset_for_keys(DAILY_KEYS, NOW)
    assert everything == concrete
    assert hash(everything) == hash(concrete)
    assert len(everything - DAILY.subset_for_keys(["2024-01-01"], NOW)) == 39


def test_multi_all_subset_counts_the_product_without_listing():
    everything = MULTI.all_subset(NOW)
    assert len(everything) == 7 * 8
    assert "2024-01-07|h" in everything
    assert "2024-01-08|h" not in everything


def test_subsets_of_different_definitions_do_not_combine():
    other = DailyPartitionsDefinition("2024-01-02")
    with pytest.raises(PartitionError, match="different definitions"):
        _ = DAILY.empty_subset() | other.empty_subset()


def test_subset_equality_is_by_content():
    first = DAILY.subset_for_keys(["2024-01-02", "2024-01-01"], NOW)
    second = DAILY.subset_for_keys(["2024-01-01", "2024-01-02"], NOW)
    assert first == second
    assert first != DAILY.subset_for_keys(["2024-01-01"], NOW)
    assert len({first, second}) == 1


def test_with_keys_adds_validated_keys():
    subset = LETTERS.empty_subset().with_keys(["c", "a"])
    assert isinstance(subset, KeysPartitionsSubset)
    assert list(subset) == ["a", "c"]
    with pytest.raises(PartitionError, match="'z'"):
        subset.with_keys(["z"])


def test_from_keys_builds_the_definitions_compact_subset():
    subset = PartitionsSubset.from_keys(DAILY, ["2024-01-03", "2024-01-04"], NOW)
    assert isinstance(subset, TimeWindowPartitionsSubset)
    assert subset.ranges == ((2, 4),)


@pytest.mark.parametrize(
    ("left", "right", "union", "intersection", "difference"),
    [
        (True, True, True, True, False),
        (True, False, True, False, True),
        (False, True, True, False, False),
    ],
    ids=["both", "left-only", "right-only"],
)
def test_unpartitioned_subset_algebra_is_boolean(left, right, union, intersection, difference):
    a, b = UnpartitionedSubset(included=left), UnpartitionedSubset(included=right)
    assert (a | b).included is union
    assert (a & b).included is intersection
    assert (a - b).included is difference
    assert len(UnpartitionedSubset.whole()) == 1
    assert list(UnpartitionedSubset.whole()) == []


def test_ten_year_hourly_set_algebra_touches_ranges_not_keys(monkeypatch):
    hourly = HourlyPartitionsDefinition("2014-01-01")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    everything = hourly.all_subset(now)
    first_half = hourly.subset_for_indexes(0, 43_824)
    failed = hourly.subset_for_keys(["2015-06-01-10:00", "2020-01-01-00:00"], now)
    # nothing below may format a key: formatting is what listing 87,648 keys costs
    monkeypatch.setattr(type(hourly), "partition_key_at", _refuse)

    missing = everything - first_half
    assert isinstance(missing, TimeWindowPartitionsSubset)
    assert missing.ranges == ((43_824, 87_648),)
    assert len(missing) == 43_824
    with_failures = missing | failed
    assert len(with_failures.ranges) == 2
    assert len(with_failures) == 43_825
    assert len(first_half & failed) == 1
    assert "2020-01-01-00:00" in with_failures
    assert "2019-12-31-23:00" in missing
    assert "2015-06-01-11:00" not in with_failures


def _refuse(*args, **kwargs):
    raise AssertionError("a key was formatted")


def test_multi_subset_keeps_time_ranges_per_other_dimension_key():
    hourly = HourlyPartitionsDefinition("2014-01-01")
    multi = MultiPartitionsDefinition({"hour": hourly, "region": LETTERS})
    now = datetime(2024, 1, 1, tzinfo=UTC)
    everything = multi.all_subset(now).concrete()
    assert isinstance(everything, MultiPartitionsSubset)
    assert len(everything) == 87_648 * 8
    assert all(part.ranges == ((0, 87_648),) for part in everything.parts.values())
