"""Partition status of a 10-year hourly asset (87,672 partitions) with half of them
materialized, from a SQLite instance: one index read, then compact subsets. A second line adds
`PartitionStatus.stale` (computed on first use: the version columns of every partition row).

    python bench/bench_partitions.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _shapes import report, timed

import freshet as fr
from freshet.storage.records import Event, EventType

HOURLY = fr.HourlyPartitionsDefinition(start_date="2015-01-01-00:00", end_date="2025-01-01-00:00")


@fr.asset(partitions_def=HOURLY)
def sensor_readings():
    return 1


def _seed(instance: fr.Instance, keys: list[str]) -> None:
    """Materializations of every other partition, written as events in large batches."""
    key = fr.AssetKey("sensor_readings")
    now = time.time()
    events = [
        Event(
            event_type=EventType.ASSET_MATERIALIZATION,
            run_id="seed",
            timestamp=now,
            asset_key=key,
            partition=partition,
            data={"data_version": str(i), "code_version": None, "provenance": [], "metadata": {}},
        )
        for i, partition in enumerate(keys[::2])
    ]
    for start in range(0, len(events), 5000):
        instance.storage.store_events(events[start : start + 5000])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    defs = fr.Definitions(assets=[sensor_readings])
    keys = list(HOURLY.get_partition_keys())
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        _seed(instance, keys)
        status = fr.get_partition_status(defs, instance, "sensor_readings")
        assert len(status.materialized) == len(keys[::2]), status.counts()
        assert len(status.stale) == 0
        samples = timed(
            lambda: fr.get_partition_status(defs, instance, "sensor_readings"), args.repeat
        )
        with_stale = timed(
            lambda: fr.get_partition_status(defs, instance, "sensor_readings").stale, args.repeat
        )
    report("partition_status_hourly_10y", samples, partitions=len(keys), **status.counts())
    report("partition_status_hourly_10y_with_stale", with_stale, partitions=len(keys))


if __name__ == "__main__":
    main()
