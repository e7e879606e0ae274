"""Temporary files of killed writers: a write to an asset's folder removes the temporary
files that processes which no longer run left there, and `instance prune` sweeps them all;
files of live writers, and recent ones, are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from freshet.core.builtin_io_managers import FilesystemIOManager
from freshet.core.io_managers import OutputContext
from freshet.core.keys import AssetKey
from freshet.core.temp_files import STALE_AFTER_SECONDS, remove_stale_temp_files

pytestmark = pytest.mark.skipif(os.name == "nt", reason="liveness is checked by POSIX pid")


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    return child.pid


def temp_file(folder: Path, name: str, pid: int, *, age: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{pid}-140000.tmp"
    path.write_bytes(b"x" * 1024)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_write_removes_old_temp_files_of_dead_writers_in_its_folder(tmp_path, dead_pid):
    folder = tmp_path / "sales"
    stale = temp_file(folder, "orders", dead_pid, age=STALE_AFTER_SECONDS + 60)
    recent = temp_file(folder, "other", dead_pid, age=0)
    live = temp_file(folder, "third", os.getppid(), age=STALE_AFTER_SECONDS + 60)
    context = OutputContext(
        run_id="r",
        step_key="orders",
        asset_key=AssetKey(["sales", "orders"]),
        base_dir=str(tmp_path),
    )
    FilesystemIOManager().handle_output(context, [1, 2, 3])
    assert not stale.exists()
    assert recent.exists() and live.exists()
    assert (folder / "orders").is_file()


def test_files_that_only_look_like_temp_files_are_kept(tmp_path):
    kept = [tmp_path / "orders.tmp", tmp_path / "orders.abc-1.tmp", tmp_path / "notes.txt"]
    for path in kept:
        path.write_text("mine")
        os.utime(path, (0, 0))
    assert remove_stale_temp_files(tmp_path, recursive=True) == 0
    assert all(path.exists() for path in kept)
