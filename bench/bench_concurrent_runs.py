"""Many launched runs at once on one instance: every event stored, no "database is locked".

    python bench/bench_concurrent_runs.py --backend sqlite --runs 4 [--assets 200]
    python bench/bench_concurrent_runs.py --backend postgres --runs 16 \\
        [--url postgresql://postgres@127.0.0.1:5432/postgres]

A daemon (max_concurrent_runs = --runs) starts all runs together; each run materializes
--assets trivial assets (a random DAG) in its own worker process. A first run, alone, gives
the number of events a run stores; every concurrent run must store exactly as many, all
succeed, and no worker log or event may mention "database is locked".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _daemon import daemon, launch, wait_finished
from bench_workspace import definitions_source

from freshet.instance.instance import Instance
from freshet.storage.records import EventType, RunStatus

LOCKED = "database is locked"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    database = None
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        home = root / "home"
        home.mkdir()
        storage = ""
        if args.backend == "postgres":
            database = f"freshet_bench_{uuid.uuid4().hex[:8]}"
            _postgres(args.url, f'CREATE DATABASE "{database}"')
            storage = f"storage: {{postgres: {{url: '{args.url.rsplit('/', 1)[0]}/{database}'}}}}\n"
        (home / "freshet.yaml").write_text(
            storage + f"run_queue: {{max_concurrent_runs: {args.runs}}}\n"
        )
        defs = root / "bench_concurrent_defs.py"
        defs.write_text(definitions_source(args.assets, "c"))
        try:
            figures = _measure(home, root, defs, args.runs)
        finally:
            if database is not None:
                _postgres(args.url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(figures, flush=True)


def _measure(home: Path, root: Path, defs: Path, runs: int) -> str:
    import json

    with Instance.from_home(home) as instance, daemon(home, root):
        [alone] = wait_finished(instance, [launch(instance, defs, "*")], timeout=600)
        assert alone.status is RunStatus.SUCCESS, alone
        expected = len(instance.get_event_records(run_id=alone.run_id))
        started = time.perf_counter()
        run_ids = [launch(instance, defs, "*") for _ in range(runs)]
        finished = wait_finished(instance, run_ids, timeout=1800)
        seconds = time.perf_counter() - started
        counts = [len(instance.get_event_records(run_id=run_id)) for run_id in run_ids]
        materialized = [
            len(instance.get_event_records(EventType.ASSET_MATERIALIZATION, run_id=run_id))
            for run_id in run_ids
        ]
        locked_events = sum(
            LOCKED in record.event.message
            for run_id in run_ids
            for record in instance.get_event_records(run_id=run_id)
        )
        overlap = _max_overlap(instance, run_ids)
    logs = home / "logs" / "workers"
    locked_logs = sum(path.read_text(errors="replace").count(LOCKED) for path in logs.glob("*.log"))
    return json.dumps(
        {
            "bench": "concurrent_launched_runs",
            "backend": instance.info()["backend"],
            "runs": runs,
            "runs_in_progress_at_once": overlap,
            "assets_per_run": len(materialized) and max(materialized),
            "succeeded": sum(run.status is RunStatus.SUCCESS for run in finished),
            "events_per_run_expected": expected,
            "lost_events": sum(expected - count for count in counts),
            "database_is_locked": locked_events + locked_logs,
            "wall_s": round(seconds, 2),
        }
    )


def _max_overlap(instance: Instance, run_ids: list[str]) -> int:
    """How many runs were between RUN_START and their end at the same moment."""
    marks = []
    for run_id in run_ids:
        run = instance.get_run(run_id)
        if run is not None and run.started_at is not None and run.ended_at is not None:
            marks += [(run.started_at, 1), (run.ended_at, -1)]
    best = current = 0
    for _, step in sorted(marks):
        current += step
        best = max(best, current)
    return best


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


if __name__ == "__main__":
    main()
