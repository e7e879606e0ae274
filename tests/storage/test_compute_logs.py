"""Compute log stores: lazy files, safe paths, and the in-memory twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from freshet.errors import StorageError
from freshet.storage.base import ComputeLogStore
from freshet.storage.compute_logs import LocalComputeLogStore, MemoryComputeLogStore
from freshet.storage.records import ComputeLogStream

OUT, ERR = ComputeLogStream.STDOUT, ComputeLogStream.STDERR


@pytest.fixture(params=["local", "memory"], ids=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ComputeLogStore:
    if request.param == "local":
        return LocalComputeLogStore(tmp_path / "logs")
    return MemoryComputeLogStore()


def test_written_text_reads_back_per_stream(store: ComputeLogStore) -> None:
    out = store.open_writer("run-1", "my_step", OUT)
    err = store.open_writer("run-1", "my_step", ERR)
    out.write("hello ")
    out.write("world\n")
    err.write("warning\n")
    for writer in (out, err):
        writer.flush()
        writer.close()
    assert store.read("run-1", "my_step", OUT) == "hello world\n"
    assert store.read("run-1", "my_step", ERR) == "warning\n"


def test_steps_that_print_nothing_have_no_log(store: ComputeLogStore) -> None:
    silent = store.open_writer("run-1", "silent", OUT)
    silent.write("")
    silent.close()
    store.open_writer("run-1", "loud", ERR).write("x")
    assert store.read("run-1", "silent", OUT) is None
    assert store.list_steps("run-1") == ["loud"]
    assert store.list_steps("other-run") == []


def test_local_files_are_created_on_first_write_only(tmp_path: Path) -> None:
    store = LocalComputeLogStore(tmp_path / "logs")
    writer = store.open_writer("run-1", "a__b[p1]", OUT)
    assert not (tmp_path / "logs").exists()
    writer.write("text")
    writer.close()
    assert (tmp_path / "logs" / "run-1" / "a__b[p1].out").read_text() == "text"


@pytest.mark.parametrize(
    ("run_id", "step_key"),
    [
        ("..", "step"),
        ("run", ".."),
        ("run", "../../etc/passwd"),
        ("a/b", "step"),
        ("run", "a\\b"),
        ("run", ".hidden"),
        ("/abs", "step"),
        ("run", ""),
        ("run", "c:stream"),
        ("run", "nul\x00byte"),
    ],
    ids=[
        "dotdot-run",
        "dotdot-step",
        "traversal",
        "slash",
        "backslash",
        "hidden",
        "absolute",
        "empty",
        "colon",
        "nul",
    ],
)
def test_names_that_could_escape_the_folder_are_refused(
    store: ComputeLogStore, run_id: str, step_key: str
) -> None:
    with pytest.raises(StorageError, match="invalid"):
        store.open_writer(run_id, step_key, OUT)


def test_unknown_stream_is_refused(store: ComputeLogStore) -> None:
    with pytest.raises(StorageError, match="unknown compute log stream 'stdin'"):
        store.open_writer("run", "step", "stdin")


@pytest.mark.parametrize(
    ("stream", "suffix"),
    [(OUT, "out"), (ERR, "err"), ("stdout", "out"), ("stderr", "err")],
    ids=["enum-out", "enum-err", "name-out", "name-err"],
)
def test_streams_map_to_file_suffixes(tmp_path: Path, stream: str, suffix: str) -> None:
    store = LocalComputeLogStore(tmp_path)
    assert store.path_for("run", "step", stream) == tmp_path / "run" / f"step.{suffix}"


def test_deleting_a_runs_logs_leaves_other_runs(store: ComputeLogStore) -> None:
    for run_id in ("run-1", "run-2"):
        with store.open_writer(run_id, "step", OUT) as writer:
            writer.write(f"{run_id}\n")
    store.delete_run_logs("run-1")
    store.delete_run_logs("never-ran")
    assert store.list_steps("run-1") == []
    assert store.read("run-1", "step", OUT) is None
    assert store.read("run-2", "step", OUT) == "run-2\n"


def test_deleting_logs_refuses_a_path_outside_the_folder(store: ComputeLogStore) -> None:
    with pytest.raises(StorageError, match="invalid run id"):
        store.delete_run_logs("..")
