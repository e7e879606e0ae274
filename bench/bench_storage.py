"""Storage throughput and status queries, on SQLite and (when a server is reachable)
PostgreSQL: event appends as single-event commits and in batches, the latest status of 1,000
assets in one query, status counts and rows over 100,000 partitions of one asset, and adding
50,000 dynamic partitions in one call.

    python bench/bench_storage.py [--backends sqlite,postgres] [--repeat 5]

PostgreSQL: $FRESHET_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
names the server; a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from _shapes import report, timed
from sqlalchemy import make_url

from freshet.core.keys import AssetKey
from freshet.errors import StorageError
from freshet.storage.base import Storage
from freshet.storage.postgres import PostgresStorage
from freshet.storage.records import Event, EventType
from freshet.storage.sqlite import SqliteStorage

SINGLE_COMMITS = 2_000
BATCHED_EVENTS = 50_000
BATCH = 500
ASSETS = 1_000
PARTITIONS = 100_000
DYNAMIC_KEYS = 50_000
PG_URL_ENV = "FRESHET_BENCH_POSTGRES_URL"


def log_event(i: int) -> Event:
    return Event(event_type=EventType.LOG, run_id="bench", step_key="step", data={"i": i})


def materialization(key: AssetKey, partition: str | None = None) -> Event:
    return Event(
        event_type=EventType.ASSET_MATERIALIZATION,
        run_id="bench",
        step_key=key.to_user_string(),
        asset_key=key,
        partition=partition,
        data={"data_version": "v1", "metadata": {"rows": {"type": "int", "value": 3}}},
    )


def bench_appends(backend: str, storage: Storage, repeat: int) -> None:
    def single() -> None:
        for i in range(SINGLE_COMMITS):
            storage.store_events([log_event(i)])

    samples = timed(single, repeat)
    report(
        "append_single_commits",
        samples,
        backend=backend,
        events=SINGLE_COMMITS,
        events_per_s=round(SINGLE_COMMITS / min(samples)),
    )
    events = [log_event(i) for i in range(BATCHED_EVENTS)]

    def batched() -> None:
        for start in range(0, BATCHED_EVENTS, BATCH):
            storage.store_events(events[start : start + BATCH])

    samples = timed(batched, repeat)
    report(
        "append_batched",
        samples,
        backend=backend,
        events=BATCHED_EVENTS,
        batch=BATCH,
        events_per_s=round(BATCHED_EVENTS / min(samples)),
    )


def bench_asset_status(backend: str, storage: Storage, repeat: int) -> None:
    keys = [AssetKey(("bench", f"asset_{i}")) for i in range(ASSETS)]
    storage.store_events([materialization(key) for key in keys])
    for with_events in (True, False):
        samples = timed(lambda w=with_events: storage.get_asset_status(keys, with_events=w), repeat)
        report(
            "latest_status_of_assets",
            samples,
            backend=backend,
            assets=ASSETS,
            with_events=with_events,
        )


def bench_partitions(backend: str, storage: Storage, repeat: int) -> None:
    key = AssetKey("partitioned")
    partitions = [f"p{i:06d}" for i in range(PARTITIONS)]
    started = time.perf_counter()
    for start in range(0, PARTITIONS, 10_000):
        storage.store_events([materialization(key, p) for p in partitions[start : start + 10_000]])
    report(
        "store_partition_materializations",
        [time.perf_counter() - started],
        backend=backend,
        partitions=PARTITIONS,
    )
    samples = timed(lambda: storage.count_partition_statuses(key), repeat)
    report("count_partition_statuses", samples, backend=backend, partitions=PARTITIONS)
    samples = timed(lambda: storage.get_partition_status(key, with_events=False), repeat)
    report("partition_status_rows", samples, backend=backend, partitions=PARTITIONS)


def bench_dynamic_partitions(backend: str, storage: Storage) -> None:
    keys = [f"file-{i:06d}.csv" for i in range(DYNAMIC_KEYS)]
    samples = timed(lambda: storage.add_dynamic_partitions("bench", keys), 1)
    report("add_dynamic_partitions", samples, backend=backend, keys=DYNAMIC_KEYS)


@contextmanager
def sqlite_storage() -> Iterator[Storage]:
    with tempfile.TemporaryDirectory() as folder:
        storage = SqliteStorage(Path(folder) / "bench.db")
        try:
            yield storage
        finally:
            storage.close()


class Unavailable(Exception):
    """The backend cannot be benchmarked here (no server)."""


@contextmanager
def postgres_storage() -> Iterator[Storage]:
    server = make_url(os.environ.get(PG_URL_ENV) or "postgresql://postgres@127.0.0.1:5432/postgres")
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"freshet_bench_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise Unavailable(" ".join(str(exc).split())) from None
    storage = PostgresStorage(server.set(database=name))
    try:
        yield storage
    finally:
        storage.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


OPENERS: dict[str, Callable[[], AbstractContextManager[Storage]]] = {
    "sqlite": sqlite_storage,
    "postgres": postgres_storage,
}


def run_all(backend: str, storage: Storage, repeat: int) -> None:
    bench_appends(backend, storage, repeat)
    bench_asset_status(backend, storage, repeat)
    bench_partitions(backend, storage, repeat)
    bench_dynamic_partitions(backend, storage)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        try:
            with OPENERS[backend]() as storage:
                run_all(backend, storage, args.repeat)
        except (Unavailable, StorageError) as exc:
            print(json.dumps({"bench": "storage", "backend": backend, "skipped": str(exc)}))


if __name__ == "__main__":
    main()
