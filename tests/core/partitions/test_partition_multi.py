"""Multi-dimensional partitions: key format, dimension order, key errors, subsets."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from freshet.core.partitions import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    StaticPartitionsDefinition,
)
from freshet.errors import InvalidDefinitionError, PartitionError

NOW = datetime(2024, 1, 4, tzinfo=UTC)
DAILY = DailyPartitionsDefinition("2024-01-01")
REGIONS = StaticPartitionsDefinition(["eu", "us"])
# given region-first on purpose: dimensions are ordered by name
MULTI = MultiPartitionsDefinition({"region": REGIONS, "date": DAILY})


class FakeStore:
    def __init__(self, **keys_by_name: list[str]) -> None:
        self.keys_by_name = keys_by_name

    def get_dynamic_partitions(self, name: str) -> list[str]:
        return list(self.keys_by_name.get(name, []))

    def has_dynamic_partition(self, name: str, key: str) -> bool:
        return key in self.keys_by_name.get(name, [])


def test_keys_join_dimension_keys_in_dimension_name_order():
    assert MULTI.partition_dimension_names == ["date", "region"]
    assert list(MULTI.get_partition_keys(NOW)) == [
        "2024-01-01|eu",
        "2024-01-01|us",
        "2024-01-02|eu",
        "2024-01-02|us",
        "2024-01-03|eu",
        "2024-01-03|us",
    ]
    assert MULTI.get_num_partitions(NOW) == 6


def test_multi_partition_key_is_a_string_that_knows_its_dimensions():
    key = MultiPartitionKey({"region": "eu", "date": "2024-01-01"})
    assert key == "2024-01-01|eu"
    assert dict(key.keys_by_dimension) == {"date": "2024-01-01", "region": "eu"}
    assert pickle.loads(pickle.dumps(key)).keys_by_dimension["region"] == "eu"
    assert MULTI.parse_key("2024-01-02|us").keys_by_dimension["date"] == "2024-01-02"


def test_lazy_keys_support_index_and_membership():
    keys = MULTI.get_partition_keys(NOW)
    assert keys[3] == "2024-01-02|us"
    assert keys.index("2024-01-03|eu") == 4
    assert "2024-01-03|us" in keys
    assert "2024-01-04|us" not in keys


@pytest.mark.parametrize(
    "key",
    ["2024-01-01", "2024-01-01|eu|x", ""],
    ids=["one-dimension", "three-dimensions", "empty"],
)
def test_key_with_the_wrong_number_of_dimensions_is_refused_with_an_example(key):
    with pytest.raises(PartitionError) as caught:
        MULTI.validate_key(key, NOW)
    message = str(caught.value)
    assert "has 2 (date|region)" in message
    assert "e.g. '2024-01-01|eu'" in message


def test_invalid_dimension_key_names_the_dimension_and_nearest_key():
    with pytest.raises(PartitionError) as caught:
        MULTI.validate_key("2024-01-01|uss", NOW)
    assert "dimension 'region'" in str(caught.value)
    assert "'us'" in str(caught.value)


def test_subset_for_keys_reports_all_bad_keys():
    with pytest.raises(PartitionError) as caught:
        MULTI.subset_for_keys(["2024-01-01|eu", "2024-01-09|eu", "eu"], NOW)
    message = str(caught.value)
    assert message.startswith("2 invalid multi-partition keys")
    assert "'2024-01-09'" in message
    assert "'eu' has 1 dimension(s)" in message


def test_the_time_dimension_gives_the_time_window():
    window = MULTI.time_window_for_key("2024-01-02|us")
    assert (window.start.day, window.end.day) == (2, 3)
    assert MULTI.time_window_dimension_name == "date"
    assert MULTI.primary_dimension_name == "date"


def test_range_of_multi_keys_spans_each_dimension():
    subset = MULTI.subset_for_range(PartitionKeyRange("2024-01-02|eu", "2024-01-03|us"), NOW)
    assert list(subset) == ["2024-01-02|eu", "2024-01-02|us", "2024-01-03|eu", "2024-01-03|us"]
    with pytest.raises(PartitionError, match="dimension 'date'"):
        MULTI.subset_for_range(PartitionKeyRange("2024-01-03|eu", "2024-01-02|us"), NOW)


def test_projection_onto_a_dimension():
    subset = MULTI.subset_for_keys(["2024-01-01|us", "2024-01-03|us"], NOW)
    assert list(subset.project("region")) == ["us"]
    assert list(subset.project("date")) == ["2024-01-01", "2024-01-03"]


def test_dynamic_dimension_reads_the_store():
    multi = MultiPartitionsDefinition({"date": DAILY, "file": DynamicPartitionsDefinition("files")})
    store = FakeStore(files=["a.csv", "b.csv"])
    assert multi.get_num_partitions(NOW, store) == 6
    assert multi.has_partition_key("2024-01-02|b.csv", NOW, store)
    assert not multi.has_partition_key("2024-01-02|c.csv", NOW, store)
    assert len(multi.all_subset(NOW, store).concrete()) == 6


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        ({"date": DAILY}, "2 or more"),
        ({"date": DAILY, "inner": MULTI}, "itself a MultiPartitionsDefinition"),
        ({"date": DAILY, "pair": StaticPartitionsDefinition(["a|b"])}, "contain '|'"),
        ({"date": DAILY, "region": ["eu"]}, "must be a partitions definition"),
        ({"date": DAILY, "my region": REGIONS}, "partition dimension name"),
    ],
    ids=["one-dimension", "nested", "separator-in-key", "not-a-definition", "bad-name"],
)
def test_invalid_multi_definitions_are_refused(dimensions, message):
    with pytest.raises(InvalidDefinitionError, match=message):
        MultiPartitionsDefinition(dimensions)


def test_equal_multi_definitions_are_equal_whatever_the_dict_order():
    other = MultiPartitionsDefinition({"date": DAILY, "region": REGIONS})
    assert other == MULTI
    assert hash(other) == hash(MULTI)


def test_time_window_without_a_time_dimension_says_there_is_none():
    static_only = MultiPartitionsDefinition(
        {"region": REGIONS, "kind": StaticPartitionsDefinition(["a", "b"])}
    )
    with pytest.raises(PartitionError, match="has no time dimension") as caught:
        static_only.time_window_for_key("a|eu")
    assert "'a|eu'" in str(caught.value)
