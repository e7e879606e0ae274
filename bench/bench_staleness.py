"""Staleness of every asset of a random DAG after a root's code version changes.

Materializes N trivial assets once (SQLite instance), bumps the code version of asset a0,
and times `get_asset_statuses` over the whole graph (status index read + one topological
walk).

    python bench/bench_staleness.py [--assets 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import tempfile

from _shapes import report, timed

import freshet as fr


def _defs(n: int, root_version: str) -> fr.Definitions:
    rng = random.Random(11)
    assets = []
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        version = root_version if i == 0 else "1"
        assets.append(
            fr.asset(name=f"a{i}", deps=[f"a{p}" for p in parents], code_version=version)(lambda: 1)
        )
    return fr.Definitions(assets=assets)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        fr.materialize(_defs(args.assets, "1"), instance=instance)
        changed = _defs(args.assets, "2")
        statuses = fr.get_asset_statuses(changed, instance)
        stale = sum(1 for s in statuses.values() if s.status is fr.StaleStatus.STALE)
        samples = timed(lambda: fr.get_asset_statuses(changed, instance), args.repeat)
    report("staleness_after_root_code_change", samples, assets=args.assets, stale=stale)


if __name__ == "__main__":
    main()
