"""Instance: ephemeral vs persistent homes, FRESHET_HOME, freshet.yaml, and its query API."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import pytest

from freshet.core.keys import AssetKey
from freshet.errors import InstanceConfigError, UsageError
from freshet.instance import Instance
from freshet.storage.records import Event, EventType, RunRecord, RunStatus


def add_materialized_run(instance: Instance, run_id: str = "r1") -> None:
    instance.storage.add_run(
        RunRecord(
            run_id=run_id,
            job_name="job",
            status=RunStatus.QUEUED,
            asset_selection=(AssetKey(("a", "b")),),
            tags={"team": "data"},
        )
    )
    instance.storage.store_events(
        [
            Event(event_type=EventType.RUN_START, run_id=run_id),
            Event(
                event_type=EventType.ASSET_MATERIALIZATION,
                run_id=run_id,
                asset_key=AssetKey(("a", "b")),
                partition="p1",
            ),
            Event(event_type=EventType.RUN_SUCCESS, run_id=run_id),
        ]
    )


def test_ephemeral_instance_is_in_memory_with_a_temporary_storage_dir() -> None:
    instance = Instance.ephemeral()
    storage_dir = instance.storage_dir
    assert instance.home is None
    assert instance.info()["backend"] == "memory"
    assert storage_dir.is_dir()
    instance.close()
    assert not storage_dir.exists()


def test_ephemeral_storage_dir_is_removed_when_garbage_collected() -> None:
    instance = Instance.ephemeral()
    storage_dir = instance.storage_dir
    (storage_dir / "value.pkl").write_bytes(b"x")
    del instance
    gc.collect()
    assert not storage_dir.exists()


def test_ephemeral_instances_do_not_share_data() -> None:
    with Instance.ephemeral() as first, Instance.ephemeral() as second:
        add_materialized_run(first)
        assert second.get_run("r1") is None


def test_home_persists_across_reopening(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Instance.from_home(home) as instance:
        add_materialized_run(instance)
        assert instance.home == home
        assert instance.storage_dir == home / "storage"
    assert {p.name for p in home.iterdir()} >= {"freshet.db", "storage", "logs"}
    with Instance.from_home(home) as reopened:
        assert reopened.get_run("r1").status is RunStatus.SUCCESS
        assert reopened.get_latest_materialization("a/b", "p1") is not None


def test_home_comes_from_freshet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHET_HOME", str(tmp_path / "from-env"))
    with Instance.from_home() as instance:
        assert instance.home == tmp_path / "from-env"
    assert (tmp_path / "from-env" / "freshet.db").is_file()


def test_home_defaults_to_dot_freshet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRESHET_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with Instance.from_home() as instance:
        assert instance.home == tmp_path / ".freshet"


def test_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("not a folder")
    with pytest.raises(InstanceConfigError, match="cannot create the instance home"):
        Instance.from_home(tmp_path / "home")


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "storage:\n", "storage:\n  sqlite:\n", "storage: {sqlite: {}}\n"],
    ids=["empty", "comment", "empty-storage", "empty-sqlite", "flow-style"],
)
def test_minimal_config_files_use_the_default_database(tmp_path: Path, text: str) -> None:
    (tmp_path / "freshet.yaml").write_text(text)
    with Instance.from_home(tmp_path) as instance:
        assert instance.info()["location"] == str(tmp_path / "freshet.db")


def test_config_chooses_the_sqlite_path_relative_to_home(tmp_path: Path) -> None:
    (tmp_path / "freshet.yaml").write_text("storage:\n  sqlite:\n    path: db/runs.db\n")
    (tmp_path / "db").mkdir()
    with Instance.from_home(tmp_path) as instance:
        assert instance.info()["location"] == str(tmp_path / "db" / "runs.db")
    assert (tmp_path / "db" / "runs.db").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("storage: {}\nsorage: 1\n", "sorage: unknown key; expected one of: storage"),
        ("storage:\n  mysql: {}\n", "storage.mysql: unknown key; expected one of: sqlite"),
        ("storage:\n  sqlite:\n    pth: x.db\n", "storage.sqlite.pth: unknown key; expected"),
        ("storage:\n  sqlite:\n    path: 3\n", "storage.sqlite.path: expected a file path"),
        ("storage: [sqlite]\n", "storage: expected a mapping"),
        ("- just\n- a list\n", r"\(top level\): expected a mapping"),
        ("storage: {sqlite: {path: x}\n", "not valid YAML at line 2"),
    ],
    ids=[
        "unknown-top-level",
        "unknown-backend",
        "unknown-sqlite-key",
        "path-not-a-string",
        "storage-not-a-mapping",
        "top-level-list",
        "bad-yaml",
    ],
)
def test_bad_config_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "freshet.yaml").write_text(text)
    with pytest.raises(InstanceConfigError, match=message) as raised:
        Instance.from_home(tmp_path)
    assert "freshet.yaml" in str(raised.value)
    assert not (tmp_path / "freshet.db").exists()


def test_config_reports_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "freshet.yaml").write_text("extra: 1\nstorage:\n  sqlite: {path: 3, x: 1}\n")
    with pytest.raises(InstanceConfigError, match=r"\(3 problem\(s\)\)"):
        Instance.from_home(tmp_path)


def test_persistent_instance_pickles_by_home(tmp_path: Path) -> None:
    with Instance.from_home(tmp_path) as instance:
        add_materialized_run(instance)
        copy = pickle.loads(pickle.dumps(instance))
    with copy:
        assert copy.home == tmp_path
        assert copy.get_run("r1") is not None


def test_ephemeral_instance_refuses_to_be_pickled() -> None:
    with Instance.ephemeral() as instance, pytest.raises(UsageError, match="from_home"):
        pickle.dumps(instance)


@pytest.fixture(params=["ephemeral", "home"], ids=["ephemeral", "home"])
def instance(request: pytest.FixtureRequest, tmp_path: Path) -> Instance:
    made = Instance.ephemeral() if request.param == "ephemeral" else Instance.from_home(tmp_path)
    add_materialized_run(made, "r1")
    add_materialized_run(made, "r2")
    request.addfinalizer(made.close)
    return made


def test_queries_accept_asset_keys_as_strings(instance: Instance) -> None:
    key = AssetKey(("a", "b"))
    latest = instance.get_latest_materialization("a/b", partition="p1")
    assert latest is not None and latest.run_id == "r2"
    assert instance.get_latest_materialization(key) == instance.get_latest_materialization("a/b")
    assert instance.get_latest_observation("a/b") is None
    assert set(instance.get_asset_status(["a/b", "missing"])) == {key}
    assert [r.run_id for r in instance.get_runs(asset_key="a/b")] == ["r2", "r1"]


def test_run_queries_delegate_filters(instance: Instance) -> None:
    instance.storage.add_run(RunRecord(run_id="r3", job_name="other", status=RunStatus.QUEUED))
    assert [r.run_id for r in instance.get_runs(status=RunStatus.QUEUED)] == ["r3"]
    assert {r.run_id for r in instance.get_runs(job_name="job", tags={"team": "data"})} == {
        "r1",
        "r2",
    }
    first = instance.get_runs(limit=1)
    assert len(first) == 1
    rest = instance.get_runs(cursor=first[0].run_id)
    assert len(rest) == 2 and first[0] not in rest


def test_event_queries_delegate_filters(instance: Instance) -> None:
    run_events = instance.get_event_records(run_id="r1")
    assert [r.event_type for r in run_events] == [
        EventType.RUN_START,
        EventType.ASSET_MATERIALIZATION,
        EventType.RUN_SUCCESS,
    ]
    tail = instance.get_event_records(after_storage_id=run_events[-1].storage_id)
    assert {r.run_id for r in tail} == {"r2"}
    latest = instance.get_event_records(
        event_type=EventType.ASSET_MATERIALIZATION,
        asset_key="a/b",
        partition="p1",
        ascending=False,
        limit=1,
    )
    assert [r.run_id for r in latest] == ["r2"]


def test_info_describes_backend_and_counts(instance: Instance) -> None:
    info = instance.info()
    assert (info["runs"], info["events"], info["assets"]) == (2, 6, 1)
    assert info["storage_dir"] == str(instance.storage_dir)
    assert {"backend", "location", "schema_version", "home"} <= set(info)


def test_dynamic_partitions_through_the_instance(instance: Instance) -> None:
    instance.add_dynamic_partitions("customers", ["acme", "globex"])
    instance.add_dynamic_partitions("customers", ["globex", "initech"])
    instance.delete_dynamic_partition("customers", "acme")
    assert instance.get_dynamic_partitions("customers") == ["globex", "initech"]
    assert instance.has_dynamic_partition("customers", "initech")
    assert not instance.has_dynamic_partition("customers", "acme")
