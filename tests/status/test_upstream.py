"""Staleness must read provenance exactly as a run wrote it: the same upstream partitions per
partition, and the same digest when many are folded into one entry."""

import pytest

import freshet as fr
from freshet.execution.partitions import upstream_partition_keys
from freshet.execution.versions import folded_entry
from freshet.status.rules import folded_digest
from freshet.status.upstream import same_partition, upstream_of

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11")
HOURLY = fr.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-04-00:00")
REGIONS = fr.StaticPartitionsDefinition(["eu", "us"])


def _graph(upstream_def, downstream_def, mapping=None):
    dep = fr.AssetDep("up", partition_mapping=mapping) if mapping is not None else "up"
    up = fr.asset(name="up", partitions_def=upstream_def)(lambda: 1)
    down = fr.asset(name="down", deps=[dep], partitions_def=downstream_def)(lambda: 1)
    return fr.Definitions(assets=[up, down]).get_asset_graph()


CASES = [
    (DAILY, DAILY, None, "2024-01-03"),
    (HOURLY, DAILY, None, "2024-01-02"),
    (HOURLY, DAILY, fr.TimeWindowPartitionMapping(start_offset=-1), "2024-01-02"),
    (DAILY, DAILY, fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1), "2024-01-05"),
    (DAILY, DAILY, fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1), "2024-01-01"),
    (DAILY, HOURLY, None, "2024-01-02-07:00"),
    (DAILY, None, None, None),
    (None, DAILY, None, "2024-01-02"),
    (DAILY, REGIONS, fr.LastPartitionMapping(), "eu"),
    (REGIONS, REGIONS, fr.StaticPartitionMapping({"eu": "us", "us": "eu"}), "us"),
]
IDS = [
    "identity",
    "daily-of-hourly",
    "two-days-of-hourly",
    "previous-day",
    "previous-day-before-start",
    "hourly-of-daily",
    "unpartitioned-of-daily",
    "daily-of-unpartitioned",
    "last-partition",
    "static-mapping",
]


@pytest.mark.parametrize(("up_def", "down_def", "mapping", "partition"), CASES, ids=IDS)
def test_upstream_partitions_are_those_a_run_records(up_def, down_def, mapping, partition):
    graph = _graph(up_def, down_def, mapping)
    down, up = fr.AssetKey("down"), fr.AssetKey("up")
    recorded = upstream_partition_keys(graph, down, up, partition)
    expected = (None,) if recorded is None else tuple(recorded)
    assert upstream_of(graph, down, up, None)(partition) == expected


@pytest.mark.parametrize(
    ("up_def", "down_def"), [(DAILY, DAILY), (None, None)], ids=["same-definition", "unpartitioned"]
)
def test_same_key_dependencies_take_the_fast_path(up_def, down_def):
    graph = _graph(up_def, down_def)
    assert upstream_of(graph, fr.AssetKey("down"), fr.AssetKey("up"), None) is same_partition


@pytest.mark.parametrize(
    "versions",
    [
        {f"2024-01-{d:02d}": f"v{d}" for d in range(1, 31)},
        {f"2024-01-{d:02d}": (None if d % 3 else "x") for d in range(1, 31)},
        {},
    ],
    ids=["all-versions", "some-missing", "none"],
)
def test_folded_digest_matches_the_one_a_run_records(versions):
    partitions = [f"2024-01-{d:02d}" for d in range(30, 0, -1)]
    entry = folded_entry(fr.AssetKey("up"), partitions, versions)
    assert folded_digest(partitions, versions) == entry.data_version
