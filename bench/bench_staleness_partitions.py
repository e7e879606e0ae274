"""Staleness of every partition of 1,000 daily-partitioned assets x 365 days (365,000 asset
partitions) after the code version of the root asset a0 changes, from a SQLite instance.

The history is written as the events a run records (data versions derived from the code
version and the consumed upstream versions, provenance of one entry per upstream partition)
in large batches, since 365 runs of 1,000 assets would take minutes to set up. The timed
part runs in a fresh process, which reports its peak RSS:

- `get_asset_statuses` over the whole graph (every partition evaluated, summed up per asset);
- the same walk keeping the per-partition result (`StalenessResolver.partition_statuses`).

    python bench/bench_staleness_partitions.py [--assets 1000] [--days 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time

from _shapes import report, timed

import freshet as fr
from freshet.execution.versions import ProvenanceEntry, derived_data_version
from freshet.status.staleness import StalenessResolver
from freshet.storage.records import Event, EventType

START = dt.date(2023, 1, 1)
BATCH = 20_000


def _parents(n: int) -> list[list[int]]:
    rng = random.Random(11)
    return [rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else [] for i in range(n)]


def _daily(days: int) -> fr.DailyPartitionsDefinition:
    return fr.DailyPartitionsDefinition(
        start_date=START.isoformat(), end_date=(START + dt.timedelta(days=days)).isoformat()
    )


def _defs(n: int, days: int, root_version: str) -> fr.Definitions:
    daily = _daily(days)
    assets = []
    for i, parents in enumerate(_parents(n)):
        assets.append(
            fr.asset(
                name=f"a{i}",
                deps=[f"a{p}" for p in parents],
                code_version=root_version if i == 0 else "1",
                partitions_def=daily,
            )(lambda: 1)
        )
    return fr.Definitions(assets=assets)


def _seed(instance: fr.Instance, n: int, days: int) -> None:
    """One materialization per asset partition, in topological order, as a run records it."""
    keys = list(_daily(days).get_partition_keys())
    versions: dict[tuple[int, str], str] = {}
    events: list[Event] = []
    now = time.time()
    for i, parents in enumerate(_parents(n)):
        key = fr.AssetKey(f"a{i}")
        for partition in keys:
            provenance = [
                ProvenanceEntry(fr.AssetKey(f"a{p}"), partition, versions[(p, partition)])
                for p in parents
            ]
            version = derived_data_version("1", provenance)
            versions[(i, partition)] = version
            events.append(_materialization(key, partition, version, provenance, now))
            if len(events) >= BATCH:
                instance.storage.store_events(events)
                events = []
    instance.storage.store_events(events)


def _materialization(
    key: fr.AssetKey, partition: str, version: str, provenance: list, now: float
) -> Event:
    return Event(
        event_type=EventType.ASSET_MATERIALIZATION,
        run_id=f"seed-{partition}",
        timestamp=now,
        step_key=key.to_user_string(),
        asset_key=key,
        partition=partition,
        message=f"materialized {key.to_user_string()} [{partition}]",
        data={
            "metadata": {},
            "data_version": version,
            "data_version_source": "derived",
            "code_version": "1",
            "provenance": [entry.to_json() for entry in provenance],
            "tags": {},
        },
    )


def _measure(home: str, n: int, days: int, repeat: int) -> None:
    changed = _defs(n, days, root_version="2")
    graph = changed.get_asset_graph()
    stale_assets = len(graph.downstream([fr.AssetKey("a0")])) + 1
    with fr.Instance.from_home(home) as instance:
        statuses = fr.get_asset_statuses(changed, instance)
        per_partition = StalenessResolver(graph, instance.storage).partition_statuses()
        stale = sum(len(s.stale) for s in per_partition.values())
        up_to_date = sum(len(s.up_to_date) for s in per_partition.values())
        assert sum(s.status is fr.StaleStatus.STALE for s in statuses.values()) == stale_assets
        assert stale == stale_assets * days, (stale, stale_assets)
        assert stale + up_to_date == n * days
        summed = timed(lambda: fr.get_asset_statuses(changed, instance), repeat)
        partitions = timed(
            lambda: StalenessResolver(graph, instance.storage).partition_statuses(), repeat
        )
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    shape = {"assets": n, "partitions": n * days, "stale_partitions": stale}
    report("staleness_partitions_get_asset_statuses", summed, **shape, peak_rss_mb=peak_mb)
    report("staleness_partitions_per_partition", partitions, **shape, peak_rss_mb=peak_mb)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure-home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_home:
        _measure(args.measure_home, args.assets, args.days, args.repeat)
        return
    with tempfile.TemporaryDirectory() as home:
        with fr.Instance.from_home(home) as instance:
            started = time.perf_counter()
            _seed(instance, args.assets, args.days)
            seeded = round(time.perf_counter() - started, 1)
        print(json.dumps({"setup": "seeded", "seconds": seeded}), file=sys.stderr, flush=True)
        command = [sys.executable, __file__, "--measure-home", home]
        command += ["--assets", str(args.assets), "--days", str(args.days)]
        command += ["--repeat", str(args.repeat)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
