"""Building and validating `Definitions` of N trivial assets in a random DAG (each asset
depends on up to 3 earlier ones), then resolving the graph (`*` selection + topo order).

    python bench/bench_definitions.py [--sizes 100,1000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse

from _shapes import random_dag_assets, report, timed

import freshet as fr


def build_and_resolve(n: int) -> None:
    defs = fr.Definitions(assets=random_dag_assets(n))
    graph = defs.get_asset_graph()
    assert len(fr.AssetSelection.from_string("*").resolve(graph)) == n
    assert len(graph.toposorted_keys) == n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    build_and_resolve(10)  # warm imports
    for n in [int(s) for s in args.sizes.split(",")]:
        samples = timed(lambda n=n: build_and_resolve(n), args.repeat)
        report("definitions_build_validate_resolve", samples, assets=n)


if __name__ == "__main__":
    main()
