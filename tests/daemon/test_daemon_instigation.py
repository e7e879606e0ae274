"""The daemon ticks the schedules and sensors of its code locations (each in its own code
server): a sensor's run is queued and executed, and a daemon killed with -9 and restarted
never queues a run key twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freshet.instance.instance import Instance
from freshet.storage.records import RunsFilter, RunStatus
from freshet.storage.state_records import InstigatorType, TickStatus

pytestmark = pytest.mark.slow

DEFS = """
    import freshet as fr

    @fr.asset
    def table():
        return 1

    @fr.sensor(target="table", minimum_interval_seconds=1, default_status="RUNNING")
    def once(context):
        return fr.RunRequest(run_key="the-only-run")

    defs = fr.Definitions(assets=[table], sensors=[once])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sensor_defs.py").write_text(textwrap.dedent(DEFS), encoding="utf-8")
    (tmp_path / "home").mkdir()
    return tmp_path


@pytest.fixture
def start_daemon(project: Path) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "freshet.cli.main", "-f", "sensor_defs.py", "daemon"],
            cwd=project,
            env={**os.environ, "FRESHET_HOME": str(project / "home")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_sensor_run_is_queued_executed_and_never_repeated_after_kill_9(project, start_daemon):
    instance = Instance.from_home(project / "home")
    storage = instance.storage

    def runs():
        return storage.get_runs(RunsFilter(tags={"freshet/sensor": "once"}))

    daemon = start_daemon()
    _wait_for(lambda: len(runs()) == 1 and runs()[0].status is RunStatus.SUCCESS)
    _wait_for(lambda: len(storage.get_ticks(InstigatorType.SENSOR, "once")) >= 2)
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(timeout=20)
    start_daemon()
    before = len(storage.get_ticks(InstigatorType.SENSOR, "once"))
    _wait_for(lambda: len(storage.get_ticks(InstigatorType.SENSOR, "once")) >= before + 2)
    assert len(runs()) == 1
    statuses = {t.tick.status for t in storage.get_ticks(InstigatorType.SENSOR, "once")}
    assert TickStatus.FAILURE not in statuses
    instance.close()
