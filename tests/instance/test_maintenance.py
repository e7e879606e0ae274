"""`migrate` and `prune` as `freshet instance migrate|prune` call them, on SQLite and
PostgreSQL homes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import URL

from freshet.core.keys import AssetKey
from freshet.errors import InstanceConfigError, SchemaVersionError, StorageError, UsageError
from freshet.instance import Instance
from freshet.instance.maintenance import MAX_AGE_SECONDS, migrate, parse_age, prune
from freshet.storage.records import Event, EventType, RunRecord, RunStatus
from freshet.storage.sql.schema import SCHEMA_VERSION

DAY = 86_400.0
A = AssetKey("a")


def make_foundation_home(home: Path) -> None:
    """A home whose database predates migrations (no Alembic table, fewer tables)."""
    with Instance.from_home(home) as instance:
        instance.storage.add_run(RunRecord(run_id="r1", job_name="job", status=RunStatus.QUEUED))
    conn = sqlite3.connect(home / "freshet.db")
    with conn:
        conn.execute("DROP TABLE alembic_version")
        conn.execute("DROP TABLE kv_cursors")
    conn.close()


def test_migrate_upgrades_an_older_home_keeping_its_runs(tmp_path: Path) -> None:
    make_foundation_home(tmp_path)
    with pytest.raises(SchemaVersionError, match="freshet instance migrate"):
        Instance.from_home(tmp_path)
    result = migrate(tmp_path)
    assert (result.from_version, result.to_version) == (0, SCHEMA_VERSION)
    with Instance.from_home(tmp_path) as instance:
        assert instance.get_run("r1") is not None
        instance.storage.set_cursor("automation", "1")


def test_migrate_an_open_instance_is_a_no_op(tmp_path: Path) -> None:
    with Instance.from_home(tmp_path) as instance:
        result = migrate(instance)
    assert not result.changed


def test_migrate_a_newer_home_refuses_and_touches_nothing(tmp_path: Path) -> None:
    Instance.from_home(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "freshet.db")
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (f"{SCHEMA_VERSION + 1:04d}",))
    conn.close()
    before = (tmp_path / "freshet.db").read_bytes()
    with pytest.raises(SchemaVersionError, match="upgrade freshet"):
        migrate(tmp_path)
    assert (tmp_path / "freshet.db").read_bytes() == before


def test_migrate_needs_an_existing_home(tmp_path: Path) -> None:
    with pytest.raises(InstanceConfigError, match="no instance home at"):
        migrate(tmp_path / "typo")


def test_migrate_an_ephemeral_instance_is_refused() -> None:
    with Instance.ephemeral() as instance, pytest.raises(UsageError, match="ephemeral"):
        migrate(instance)


def write_postgres_home(home: Path, url: URL, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHET_TEST_HOME_PG_URL", url.render_as_string(hide_password=False))
    (home / "freshet.yaml").write_text(
        "storage:\n  postgres:\n    url: {env: FRESHET_TEST_HOME_PG_URL}\n"
    )


def test_postgres_home_stores_runs_and_migrates(
    tmp_path: Path, empty_postgres_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_postgres_home(tmp_path, empty_postgres_url, monkeypatch)
    with Instance.from_home(tmp_path) as instance:
        assert instance.info()["backend"] == "postgresql"
        instance.storage.add_run(RunRecord(run_id="r1", job_name="job", status=RunStatus.QUEUED))
        instance.add_dynamic_partitions("files", ["a.csv", "b.csv"])
    assert not migrate(tmp_path).changed
    assert not (tmp_path / "freshet.db").exists()
    with Instance.from_home(tmp_path) as reopened:
        assert reopened.get_run("r1") is not None
        assert reopened.get_dynamic_partitions("files") == ["a.csv", "b.csv"]


def test_unreachable_postgres_home_fails_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "freshet.yaml").write_text(
        "storage: {postgres: {host: 127.0.0.1, port: 1, user: me, password: hunter2, db: x}}\n"
    )
    with pytest.raises(
        StorageError, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1:1,"
    ) as raised:
        Instance.from_home(tmp_path)
    assert "\n" not in str(raised.value)
    assert "hunter2" not in str(raised.value)


# -- prune ------------------------------------------------------------------------------------


def add_finished_run(instance: Instance, run_id: str, *, days_ago: float) -> None:
    at = time.time() - days_ago * DAY
    instance.storage.add_run(
        RunRecord(run_id=run_id, job_name="job", status=RunStatus.QUEUED, created_at=at)
    )
    instance.storage.store_events(
        [
            Event(event_type=EventType.RUN_START, run_id=run_id, timestamp=at),
            Event(event_type=EventType.ASSET_MATERIALIZATION, run_id=run_id, asset_key=A),
            Event(event_type=EventType.LOG, run_id=run_id, message="done"),
            Event(event_type=EventType.RUN_SUCCESS, run_id=run_id, timestamp=at + 1),
        ]
    )
    with instance.compute_logs.open_writer(run_id, "a", "stdout") as writer:
        writer.write("printed\n")


@pytest.fixture(params=["ephemeral", "home"], ids=["ephemeral", "home"])
def instance(request: pytest.FixtureRequest, tmp_path: Path) -> Instance:
    made = Instance.ephemeral() if request.param == "ephemeral" else Instance.from_home(tmp_path)
    request.addfinalizer(made.close)
    return made


def test_prune_deletes_old_runs_and_their_logs_but_not_the_latest_status(
    instance: Instance,
) -> None:
    add_finished_run(instance, "older", days_ago=50)
    add_finished_run(instance, "old", days_ago=40)
    add_finished_run(instance, "recent", days_ago=1)
    latest_before = instance.get_latest_materialization(A)
    report = prune(instance, parse_age("30d"))
    assert (report.runs_deleted, report.events_deleted, report.events_kept) == (2, 8, 0)
    assert "deleted 2 run(s)" in report.describe()
    assert [r.run_id for r in instance.get_runs()] == ["recent"]
    assert instance.compute_logs.read("old", "a", "stdout") is None
    assert instance.compute_logs.read("recent", "a", "stdout") == "printed\n"
    assert instance.get_latest_materialization(A) == latest_before


def test_prune_keeps_the_only_materialization_of_an_asset(instance: Instance) -> None:
    add_finished_run(instance, "old", days_ago=40)
    report = prune(instance, 30 * DAY)
    assert (report.runs_deleted, report.events_kept) == (1, 1)
    latest = instance.get_latest_materialization(A)
    assert latest is not None and latest.run_id == "old"


@pytest.mark.parametrize("age", [0, -5, "30d", True], ids=["zero", "negative", "text", "bool"])
def test_prune_needs_a_positive_age_in_seconds(instance: Instance, age: object) -> None:
    with pytest.raises(UsageError, match="prune"):
        prune(instance, age)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30d", 30 * DAY),
        ("12h", 43_200),
        ("90m", 5_400),
        ("45s", 45),
        ("2w", 14 * DAY),
        ("1.5d", 1.5 * DAY),
    ],
    ids=["days", "hours", "minutes", "seconds", "weeks", "fraction"],
)
def test_parse_age(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["30", "30 days", "d", "-3d", "0d", "36501d", "10000000000000d", "9" * 400 + "w"],
    ids=str,
)
def test_parse_age_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(UsageError, match="invalid age"):
        parse_age(text)


@pytest.mark.parametrize(
    "seconds", [MAX_AGE_SECONDS + 1, float("inf"), float("nan")], ids=["past-limit", "inf", "nan"]
)
def test_prune_refuses_an_age_beyond_the_limit_and_deletes_nothing(
    instance: Instance, seconds: float
) -> None:
    add_finished_run(instance, "old", days_ago=40)
    with pytest.raises(UsageError, match="prune"):
        prune(instance, seconds)
    assert [r.run_id for r in instance.get_runs()] == ["old"]


def test_prune_sweeps_stale_temp_files_under_the_storage_folder(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    with Instance.from_home(tmp_path / "home") as instance:
        folder = instance.storage_dir / "a" / "b"
        folder.mkdir(parents=True)
        stale = folder / f"c.{child.pid}-1.tmp"
        stale.write_bytes(b"partial")
        os.utime(stale, (0, 0))
        report = prune(instance, 30 * DAY)
    assert not stale.exists()
    assert report.temp_files_deleted == 1
    assert "removed 1 temporary file(s)" in report.describe()
