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
            "resource_type": "source",
            "name": f"t{i}",
            "source_name": "raw",
            "package_name": "big",
            "fqn": ["big", "raw", f"t{i}"],
            "original_file_path": "models/sources.yml",
            "description": "",
            "tags": [],
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
            "resource_type": "model",
            "name": f"m{i}",
            "package_name": "big",
            "fqn": ["big", folder, f"m{i}"],
            "original_file_path": f"models/{folder}/m{i}.sql",
            "description": f"Model {i}.",
            "tags": [folder, "nightly"],
            "config": {"materialized": "table", "tags": [folder], "meta": {"owner": "a@b.c"}},
            "raw_code": f"select * from {{{{ ref('m{max(i - 1, 0)}') }}}} -- {i}",
            "depends_on": {"nodes": refs},
        }
        for test in ("not_null", "unique"):
            nodes[f"test.big.{test}_m{i}_id.{i:06x}"] = {
                "resource_type": "test",
                "name": f"{test}_m{i}_id",
                "package_name": "big",
                "fqn": ["big", folder, f"{test}_m{i}_id"],
                "original_file_path": f"models/{folder}/schema.yml",
                "description": "",
                "tags": [],
                "config": {"severity": "ERROR"},
                "raw_code": "",
                "depends_on": {"nodes": [f"model.big.m{i}"]},
                "attached_node": f"model.big.m{i}",
            }
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0",
            "project_name": "big",
            "adapter_type": "duckdb",
        },
        "nodes": nodes,
        "sources": sources,
        "groups": {},
        "child_map": {},
    }


def _timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``repeat`` calls (CPU time is the figure
    to trust on a loaded machine: it does not count time spent waiting for a core)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


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

        wall, cpu = _timed(load, repeat)
        defs = made["defs"]
        checks = sum(len(a.check_specs) for a in defs.assets)
        print(
            json.dumps(
                {
                    "bench": "dbt_manifest_to_definitions",
                    "models": models,
                    "checks": checks,
                    "manifest_mb": round(size_mb, 2),
                    "cpu_s": round(cpu, 3),
                    "wall_s": round(wall, 3),
                }
            )
        )
        snapshot = DefinitionsSnapshot.from_definitions(defs)
        text = snapshot.to_json()
        for what, fn in (
            ("build", lambda: DefinitionsSnapshot.from_definitions(defs)),
            ("to_json", lambda: DefinitionsSnapshot.from_definitions(defs).to_json()),
            ("from_json", lambda: DefinitionsSnapshot.from_json(text)),
        ):
            wall, cpu = _timed(fn, repeat)
            print(
                json.dumps(
                    {
                        "bench": f"dbt_snapshot_{what}",
                        "models": models,
                        "cpu_s": round(cpu, 3),
                        "wall_s": round(wall, 3),
                        "json_mb": round(len(text.encode()) / 1e6, 2),
                    }
                )
            )


def bench_parquet(rows: int, repeat: int) -> None:
    import numpy as np
    import pandas as pd

    from freshet.integrations.pandas import PandasParquetIOManager

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 50_000, rows),
            "track_id": rng.integers(0, 5_000, rows),
            "seconds": rng.random(rows) * 300,
            "country": rng.choice(["de", "fr", "us", "br", "jp"], rows),
            "played_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s"),
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        io = PandasParquetIOManager(base_path=str(base / "io"))
        context = fr.OutputContext(run_id="r", step_key="plays", asset_key=fr.AssetKey("plays"))
        # Interleaved, so that both see the same load on a shared machine; CPU time (all
        # threads of the process) is the figure that the machine's load does not move.
        plain, managed = [], []
        for _ in range(repeat):
            start = time.process_time()
            frame.to_parquet(base / "plain.parquet", engine="pyarrow")
            plain.append(time.process_time() - start)
            start = time.process_time()
            io.handle_output(context, frame)
            managed.append(time.process_time() - start)
        size_mb = (base / "io" / "plays.parquet").stat().st_size / 1e6
    median_plain, median_managed = statistics.median(plain), statistics.median(managed)
    print(
        json.dumps(
            {
                "bench": "pandas_parquet_io_manager",
                "rows": rows,
                "file_mb": round(size_mb, 1),
                "to_parquet_cpu_s": round(median_plain, 3),
                "io_manager_cpu_s": round(median_managed, 3),
                "overhead_pct": round(100 * (median_managed / median_plain - 1), 1),
                "overhead_pct_best_of": round(100 * (min(managed) / min(plain) - 1), 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    bench_dbt(args.models, args.repeat)
    bench_parquet(args.rows, args.repeat)


if __name__ == "__main__":
    main()
