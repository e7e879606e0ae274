"""Freshness of every asset of a random DAG, each with a FreshnessPolicy.

Materializes N trivial assets once (SQLite instance), rebuilds the roots to the same bytes
(so data times ripple forward through early cut-off), then times `get_freshness` over the whole
graph as of two hours later (every asset late): the status index read, one topological walk,
and the causes of every late asset.

    python bench/bench_freshness.py [--assets 10000] [--repeat 5]

Wall-clock and CPU time of the evaluating process (CPU time moves least with the machine's
load).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from _shapes import report, timed

import freshet as fr


def _defs(n: int) -> fr.Definitions:
    rng = random.Random(11)
    policy = fr.FreshnessPolicy(60)
    assets = []
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        assets.append(
            fr.asset(name=f"a{i}", deps=[f"a{p}" for p in parents], freshness_policy=policy)(
                lambda: 1
            )
        )
    return fr.Definitions(assets=assets)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    defs = _defs(args.assets)
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        fr.materialize(defs, instance=instance)
        roots = [
            k
            for k in defs.get_asset_graph().toposorted_keys
            if not defs.get_asset_graph().parents(k)
        ]
        fr.materialize(defs, instance=instance, selection=fr.AssetSelection.assets(*roots))
        later = time.time() + 2 * 3600
        states = fr.get_freshness(defs, instance, now=later)
        late = sum(1 for s in states.values() if s.is_late)
        cpu: list[float] = []
        samples = timed(lambda: fr.get_freshness(defs, instance, now=later), args.repeat, cpu)
    report(
        "freshness_all_assets",
        samples,
        assets=args.assets,
        late=late,
        roots=len(roots),
        cpu_median_ms=round(statistics.median(cpu) * 1000, 2),
    )


if __name__ == "__main__":
    main()
