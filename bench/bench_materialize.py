"""In-process materialization of N trivial assets (a chain: each loads its predecessor)
with a persistent SQLite instance and the default filesystem IO manager. Events included.

    python bench/bench_materialize.py [--sizes 10,100,500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile

from _shapes import chain_assets, report, timed

import freshet as fr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for n in [int(s) for s in args.sizes.split(",")]:
        defs = fr.Definitions(assets=chain_assets(n))
        with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
            fr.materialize(defs, instance=instance)  # warm: schema, imports
            samples = timed(lambda d=defs, i=instance: fr.materialize(d, instance=i), args.repeat)
            events = len(instance.get_event_records())
        median = sorted(samples)[len(samples) // 2]
        report(
            "materialize_sqlite",
            samples,
            assets=n,
            ms_per_asset=round(median * 1000 / n, 3),
            events_per_run=events // (args.repeat + 1),
        )


if __name__ == "__main__":
    main()
