"""Shared by the launched-run benchmarks: a temporary instance home, a daemon process on it
(stopped by pid), launching runs and waiting for them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from freshet.instance.instance import Instance
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import RunRecord
from freshet.workspace.origin import CodeLocationOrigin


@contextmanager
def daemon(home: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "freshet.cli.main", "daemon"],
        cwd=cwd,
        env={**os.environ, "FRESHET_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def launch(instance: Instance, defs_file: Path, selection: str, **fields: object) -> str:
    origin = CodeLocationOrigin(
        location_name=defs_file.stem, python_file=defs_file, working_directory=defs_file.parent
    )
    request = LaunchRequest(origin=origin.to_json_dict(), selection=selection, **fields)  # type: ignore[arg-type]
    return enqueue(instance.storage, request)


def wait_finished(instance: Instance, run_ids: list[str], timeout: float) -> list[RunRecord]:
    deadline = time.monotonic() + timeout
    while True:
        runs = [instance.get_run(run_id) for run_id in run_ids]
        if all(run is not None and run.status.is_finished for run in runs):
            return [run for run in runs if run is not None]
        if time.monotonic() > deadline:
            raise SystemExit(f"runs did not finish within {timeout} s: {runs}")
        time.sleep(0.02)
