"""Definitions snapshots of a 10,000-asset random DAG (daily partitions on every tenth asset):
build from `Definitions`, write JSON, read JSON, JSON size; then `get_asset_statuses` over the
snapshot read back against the live definitions, on one SQLite instance.

    python bench/bench_snapshot.py [--assets 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from dataclasses import replace

from _shapes import report, timed

import freshet as fr
from freshet.snapshot import DefinitionsSnapshot

DAILY = fr.DailyPartitionsDefinition("2024-01-01", end_date="2025-01-01")


def _defs(n: int, root_version: str = "1") -> fr.Definitions:
    """Like `_shapes.random_dag_assets` (up to 3 earlier parents each), with non-input deps so
    that partitioned and unpartitioned assets mix freely, a code version on each and daily
    partitions on every tenth asset."""
    rng = random.Random(7)
    assets = []
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        assets.append(
            fr.asset(
                name=f"a{i}",
                deps=[f"a{p}" for p in parents],
                code_version=root_version if i == 0 else "1",
                partitions_def=DAILY if i % 10 == 5 else None,
                group_name=f"g{i % 7}",
                tags={"team": f"t{i % 3}"},
            )(lambda: 1)
        )
    return fr.Definitions(assets=assets)


def _cpu_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _snapshot_figures(defs: fr.Definitions, repeat: int, n: int) -> DefinitionsSnapshot:
    snapshot = DefinitionsSnapshot.from_definitions(defs)
    text = snapshot.to_json()
    cpu: dict[str, list[float]] = {"build": [], "write": [], "read": []}
    build = timed(lambda: DefinitionsSnapshot.from_definitions(defs), repeat, cpu["build"])
    # a copy has no cached JSON: every sample writes it anew
    write = timed(lambda: replace(snapshot).to_json(), repeat, cpu["write"])
    read = timed(lambda: DefinitionsSnapshot.from_json(text), repeat, cpu["read"])
    size = len(text.encode("utf-8"))
    report("snapshot_build", build, assets=n, cpu_median_ms=_cpu_ms(cpu["build"]))
    report(
        "snapshot_to_json",
        write,
        assets=n,
        json_mb=round(size / 1e6, 2),
        cpu_median_ms=_cpu_ms(cpu["write"]),
    )
    report("snapshot_from_json", read, assets=n, cpu_median_ms=_cpu_ms(cpu["read"]))
    return DefinitionsSnapshot.from_json(text)


def _status_figures(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        first = _defs(n)
        graph = first.get_asset_graph()
        partitioned = [k for k in graph.all_keys if graph.node(k).partitions_def is not None]
        plain = sorted(graph.all_keys - set(partitioned))
        fr.materialize(first, selection=plain, instance=instance)
        fr.materialize(first, selection=partitioned, partition_key="2024-06-01", instance=instance)
        changed = _defs(n, root_version="2")
        snapshot = DefinitionsSnapshot.from_json(
            DefinitionsSnapshot.from_definitions(changed).to_json()
        )
        live_result = fr.get_asset_statuses(changed, instance)
        assert fr.get_asset_statuses(snapshot, instance) == live_result
        stale = sum(1 for s in live_result.values() if s.status is fr.StaleStatus.STALE)
        live, from_snapshot, live_cpu, snapshot_cpu = [], [], [], []
        for _ in range(repeat):  # interleaved, so that the machine's load hits both alike
            live += timed(lambda: fr.get_asset_statuses(changed, instance), 1, live_cpu)
            from_snapshot += timed(
                lambda: fr.get_asset_statuses(snapshot, instance), 1, snapshot_cpu
            )
        ratio = statistics.median(from_snapshot) / statistics.median(live)
        cpu_ratio = statistics.median(snapshot_cpu) / statistics.median(live_cpu)
        # the fastest samples are the ones the machine's load disturbed least
        cpu_min_ratio = min(snapshot_cpu) / min(live_cpu)
        report(
            "statuses_live_definitions",
            live,
            assets=n,
            stale=stale,
            cpu_median_ms=_cpu_ms(live_cpu),
        )
        report(
            "statuses_snapshot",
            from_snapshot,
            assets=n,
            cpu_median_ms=_cpu_ms(snapshot_cpu),
            ratio_to_live=round(ratio, 3),
            cpu_ratio_to_live=round(cpu_ratio, 3),
            cpu_min_ratio_to_live=round(cpu_min_ratio, 3),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _snapshot_figures(_defs(args.assets), args.repeat, args.assets)
    _status_figures(args.assets, args.repeat)


if __name__ == "__main__":
    main()
