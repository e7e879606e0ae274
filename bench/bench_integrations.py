"""Integrations: loading a generated 1,000-model dbt manifest into assets (and its snapshot),
and the cost of the pandas Parquet IO manager over pandas' own `to_parquet`.

    python bench/bench_integrations.py [--models 1000] [--rows 1000000] [--repeat 5]

Prints JSON lines (medians of --repeat runs).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import freshet as fr


def generated_manifest(models: int, *, seed: int = 11) -> dict[str, Any]:
    """A manifest v12 of ``models`` models in a random DAG (≤ 3 refs each; every tenth reads
    one of 20 sources), 2 tests per model, in 10 folders with tags."""
    rng = random.Random(seed)
    sources = {
        f"source.big.raw.t{i}": {
            "resource_type": "source", "name": f"t{i}", "source_name": "raw",
            "package_name": "big", "fqn": ["big", "raw", f"t{i}"],
            "original_file_path": "models/sources.yml", "description": "", "tags": [],
            "config": {},
        }
        for i in range(20)
    }
    nodes: dict[str, Any] = {}
    for i in range(models):
        folder = f"f{i % 10}"
        refs = [f"model.big.m{p}" for p in rng.sample(range(i), k=min(i, rng.randint(0, 3)))]
        if i % 10 == 0:
            refs.append(f"source.big.raw.t{rng.randrange(20)}")
        nodes[f"model.big.m{i}"] = {
            "resource_type": "model", "name": f"m{i}", "package_name": "big",
            "fqn": ["big", folder, f"m{i}"], "original_file_path": f"models/{folder}/m{i}.sql",
            "description": f"Model {i}.", "tags": [folder, "nightly"],
            "config": {"materialized": "table", "tags": [folder], "meta": {"owner": "a@b.c"}},
            "raw_code": f"select * from {{{{ ref('m{max(i - 1, 0)}') }}}} -- {i}",
            "depends_on": {"nodes": refs},
        }
        for test in ("not_null", "unique"):
            nodes[f"test.big.{test}_m{i}_id.{i:06x}"] = {
                "resource_type": "test", "name": f"{test}_m{i}_id", "package_name": "big",
                "fqn": ["big", folder, f"{test}_m{i}_id"],
                "original_file_path": f"models/{folder}/schema.yml", "description": "",
                "tags": [], "config": {"severity": "ERROR"}, "raw_code": "",
                "depends_on": {"nodes": [f"model.big.m{i}"]},
                "attached_node": f"model.big.m{i}",
            }
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0", "project_name": "big", "adapter_type": "duckdb",
        },
        "nodes": nodes, "sources": sources, "groups": {}, "child_map": {},
    }


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_dbt(models: int, repeat: int) -> None:
    from freshet.integrations.dbt import dbt_assets
    from freshet.snapshot import DefinitionsSnapshot

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.json"
        path.write_text(json.dumps(generated_manifest(models)))
        size_mb = path.stat().st_size / 1e6
        made: dict[str, Any] = {}

        def load() -> None:
            @dbt_assets(manifest=path)
            def big(context):
                yield from ()

            made["defs"] = fr.Definitions(assets=[big])

        seconds = _median(load, repeat)
        defs = made["defs"]
        snapshot_s = _median(lambda: DefinitionsSnapshot.from_definitions(defs).to_json(), repeat)
        checks = sum(len(a.check_specs) for a in defs.assets)
        print(json.dumps({
            "bench": "dbt_manifest_to_definitions", "models": models, "checks": checks,
            "manifest_mb": round(size_mb, 2), "seconds": round(seconds, 3),
        }))
        print(json.dumps({
            "bench": "dbt_definitions_snapshot_json", "models": models,
            "seconds": round(snapshot_s, 3),
        }))


def bench_parquet(rows: int, repeat: int) -> None:
    import numpy as np
    import pandas as pd

    from freshet.integrations.pandas import PandasParquetIOManager

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "user_id": rng.integers(0, 50_000, rows),
        "track_id": rng.integers(0, 5_000, rows),
        "seconds": rng.random(rows) * 300,
        "country": rng.choice(["de", "fr", "us", "br", "jp"], rows),
        "played_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86_400, rows),
                                                                  unit="s"),
    })
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        io = PandasParquetIOManager(base_path=str(base / "io"))
        context = fr.OutputContext(run_id="r", step_key="plays", asset_key=fr.AssetKey("plays"))
        baseline = _median(lambda: frame.to_parquet(base / "plain.parquet", engine="pyarrow"),
                           repeat)
        managed = _median(lambda: io.handle_output(context, frame), repeat)
        size_mb = (base / "io" / "plays.parquet").stat().st_size / 1e6
    print(json.dumps({
        "bench": "pandas_parquet_io_manager", "rows": rows, "file_mb": round(size_mb, 1),
        "to_parquet_s": round(baseline, 3), "io_manager_s": round(managed, 3),
        "overhead_pct": round(100 * (managed / baseline - 1), 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_dbt(args.models, args.repeat)
    bench_parquet(args.rows, args.repeat)


if __name__ == "__main__":
    main()
