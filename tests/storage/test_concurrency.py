"""Several processes writing one instance at once: SQLite with 4 writer processes and 2 tailing
readers, PostgreSQL with 16 writer processes. Nothing fails with "database is locked", every
event arrives exactly once (counts match exactly), tailing readers miss none, run statuses and
the latest-materialization index are consistent, and a concurrency pool is never exceeded.
"""

from __future__ import annotations

import multiprocessing
import queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent
from multiprocessing.synchronize import Lock as ProcessLock
from pathlib import Path

import pytest
from sqlalchemy import URL

from freshet.core.keys import AssetKey
from freshet.storage.base import Storage
from freshet.storage.postgres import PostgresStorage
from freshet.storage.records import Event, EventType, RunRecord, RunStatus
from freshet.storage.sqlite import SqliteStorage

SINGLE_COMMITS = 150
BATCHES = 5
BATCH_SIZE = 20
EVENTS_PER_WRITER = 2 + SINGLE_COMMITS + BATCHES * BATCH_SIZE  # with RUN_START and RUN_SUCCESS
POOL_LIMIT = 2
ASSET = AssetKey("shared")


WRITER_BUSY_TIMEOUT_MS = 50
"""SQLite writers here give up on SQLite's own lock after 50 ms (the default is 30 s), so a
write discipline that relied on that wait would fail this test with "database is locked"."""


def open_storage(target: str) -> Storage:
    if target.startswith("postgresql"):
        return PostgresStorage(target)
    return SqliteStorage(target, busy_timeout_ms=WRITER_BUSY_TIMEOUT_MS)


def write_run(
    target: str,
    run_id: str,
    start: ProcessEvent,
    holding: Synchronized[int],
    peak: Synchronized[int],
    guard: ProcessLock,
) -> None:
    storage = open_storage(target)
    start.wait()
    storage.add_run(RunRecord(run_id=run_id, job_name="job", status=RunStatus.QUEUED))
    storage.store_events([Event(event_type=EventType.RUN_START, run_id=run_id)])
    for i in range(SINGLE_COMMITS):
        if i % 3 == 0:
            event_type, asset = EventType.ASSET_MATERIALIZATION, ASSET
        else:
            event_type, asset = EventType.LOG, None
        storage.store_events(
            [Event(event_type=event_type, run_id=run_id, asset_key=asset, data={"i": i})]
        )
        if i % 25 == 0:
            _use_pool(storage, run_id, f"step{i}", holding, peak, guard)
    for b in range(BATCHES):
        first = SINGLE_COMMITS + b * BATCH_SIZE
        storage.store_events(
            [
                Event(event_type=EventType.LOG, run_id=run_id, data={"i": i})
                for i in range(first, first + BATCH_SIZE)
            ]
        )
    storage.store_events([Event(event_type=EventType.RUN_SUCCESS, run_id=run_id)])
    storage.close()


def _use_pool(
    storage: Storage,
    run_id: str,
    step: str,
    holding: Synchronized[int],
    peak: Synchronized[int],
    guard: ProcessLock,
) -> None:
    while not storage.claim_slot("db", run_id, step, limit=POOL_LIMIT):
        pass
    with guard:
        holding.value += 1
        peak.value = max(peak.value, holding.value)
    with guard:
        holding.value -= 1
    storage.release_slot("db", run_id, step)


def tail(target: str, expected: int, start: ProcessEvent, seen: multiprocessing.Queue) -> None:
    """Follow the log by cursor, as the UI does, until every expected event went by."""
    storage = open_storage(target)
    start.wait()
    cursor: int | None = None
    ids: list[int] = []
    while len(ids) < expected:
        storage.wait_for_events(cursor, timeout=1.0)
        page = storage.get_event_records(after_storage_id=cursor, limit=200)
        if page:
            ids.extend(r.storage_id for r in page)
            cursor = page[-1].storage_id
    storage.close()
    seen.put(ids)


def run_writers(target: str, writers: int, readers: int) -> list[list[int]]:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    holding, peak, guard = context.Value("i", 0), context.Value("i", 0), context.Lock()
    seen = context.Queue()
    writing = [
        context.Process(target=write_run, args=(target, f"w{n}", start, holding, peak, guard))
        for n in range(writers)
    ]
    expected = writers * EVENTS_PER_WRITER
    reading = [
        context.Process(target=tail, args=(target, expected, start, seen)) for _ in range(readers)
    ]
    for process in writing + reading:
        process.start()
    start.set()
    try:
        tails = _collect(seen, readers, writing)
        for process in writing + reading:
            process.join(timeout=600)
    finally:
        for process in writing + reading:
            if process.is_alive():
                process.terminate()
    assert [p.exitcode for p in writing + reading] == [0] * (writers + readers)
    assert 1 <= peak.value <= POOL_LIMIT
    return tails


def _collect(
    seen: multiprocessing.Queue, readers: int, writing: list[multiprocessing.Process]
) -> list[list[int]]:
    """The readers' results; stops early when a writer failed (the readers would wait on)."""
    tails: list[list[int]] = []
    while len(tails) < readers:
        try:
            tails.append(seen.get(timeout=1))
        except queue.Empty:
            failed = [p.exitcode for p in writing if p.exitcode not in (None, 0)]
            assert not failed, f"writer processes failed with exit codes {failed}"
    return tails


def check_consistent(storage: Storage, writers: int, tails: list[list[int]]) -> None:
    records = storage.get_event_records()
    assert len(records) == writers * EVENTS_PER_WRITER
    ids = [r.storage_id for r in records]
    assert len(set(ids)) == len(ids)
    for n in range(writers):
        sequence = [r.event.data["i"] for r in records if r.run_id == f"w{n}" and r.event.data]
        assert sequence == list(range(SINGLE_COMMITS + BATCHES * BATCH_SIZE))
        assert storage.get_run(f"w{n}").status is RunStatus.SUCCESS
    for tailed in tails:
        assert tailed == ids  # in order, none skipped, none twice
    materializations = [r for r in records if r.event_type is EventType.ASSET_MATERIALIZATION]
    latest = storage.get_asset_status([ASSET])[ASSET]
    assert latest.last_materialization.storage_id == materializations[-1].storage_id
    assert latest.last_run_id == materializations[-1].run_id
    assert storage.get_pool_usage("db").claimed == 0


def test_sqlite_four_writer_processes_and_two_readers(tmp_path: Path) -> None:
    path = tmp_path / "freshet.db"
    SqliteStorage(path).close()
    tails = run_writers(str(path), writers=4, readers=2)
    storage = SqliteStorage(path)
    try:
        check_consistent(storage, 4, tails)
    finally:
        storage.close()


def test_sqlite_processes_creating_one_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    tails = run_writers(str(path), writers=4, readers=0)
    storage = SqliteStorage(path)
    try:
        check_consistent(storage, 4, tails)
    finally:
        storage.close()


@pytest.mark.timeout(900)
def test_postgres_sixteen_writer_processes(clean_postgres_url: URL) -> None:
    target = clean_postgres_url.render_as_string(hide_password=False)
    tails = run_writers(target, writers=16, readers=2)
    storage = PostgresStorage(clean_postgres_url)
    try:
        check_consistent(storage, 16, tails)
    finally:
        storage.close()
