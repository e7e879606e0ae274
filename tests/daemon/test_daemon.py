"""The daemon process end to end: it dequeues launched runs and starts their workers, never
imports the project's code itself, fails a run whose worker was killed, and cancels runs."""

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

from freshet.core.keys import AssetKey
from freshet.instance.instance import Instance
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import EventType, PartitionStatusCategory, RunRecord, RunStatus
from freshet.storage.state_records import HeartbeatKind
from freshet.workspace.origin import CodeLocationOrigin

pytestmark = pytest.mark.slow

DEFS = """
    import os
    import time
    from pathlib import Path

    import freshet as fr

    # Every process that imports this module says so: the daemon must never be one of them.
    with open(Path(__file__).with_name("importers.txt"), "a") as out:
        out.write(f"{os.getpid()}\\n")

    days = fr.StaticPartitionsDefinition(["d1", "d2"])

    @fr.asset
    def quick():
        return 1

    @fr.asset(partitions_def=days, pool="warehouse")
    def slow(context):
        Path(__file__).with_name("slow-started").write_text(str(os.getpid()))
        time.sleep(60)
        return 2

    defs = fr.Definitions(assets=[quick, slow])
"""


def _written(path: Path) -> bool:
    """The file exists and holds its content (a writer truncates before it writes)."""
    return path.exists() and bool(path.read_text().strip())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "daemon_defs.py").write_text(textwrap.dedent(DEFS), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "freshet.yaml").write_text(
        "run_monitoring: {worker_heartbeat_timeout_seconds: 3}\n", encoding="utf-8"
    )
    return tmp_path


@pytest.fixture
def daemon(project: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "FRESHET_HOME": str(project / "home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "freshet.cli.main", "daemon"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture
def instance(project: Path) -> Iterator[Instance]:
    with Instance.from_home(project / "home") as opened:
        yield opened


@pytest.fixture
def workers() -> Iterator[list[int]]:
    """Pids of run workers a test saw; any still alive at the end is killed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def launch(instance: Instance, project: Path, selection: str, **fields: object) -> str:
    origin = CodeLocationOrigin(
        location_name="daemon_defs",
        python_file=project / "daemon_defs.py",
        working_directory=project,
    )
    return enqueue(
        instance.storage,
        LaunchRequest(origin=origin.to_json_dict(), selection=selection, **fields),  # type: ignore[arg-type]
    )


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def finished(instance: Instance, run_id: str) -> RunRecord | None:
    run = instance.get_run(run_id)
    return run if run is not None and run.status.is_finished else None


def worker_pid(instance: Instance, run_id: str) -> int | None:
    for record in instance.get_event_records(EventType.ENGINE_EVENT, run_id=run_id):
        if "pid" in record.event.data:
            return int(record.event.data["pid"])
    return None


def test_daemon_runs_launched_runs_without_importing_the_project(
    daemon: subprocess.Popen[str], instance: Instance, project: Path
) -> None:
    run_id = launch(instance, project, "quick")
    run = wait_for(lambda: finished(instance, run_id), 60, "the run to finish")
    assert isinstance(run, RunRecord) and run.status is RunStatus.SUCCESS
    importers = {int(line) for line in (project / "importers.txt").read_text().split()}
    assert worker_pid(instance, run_id) in importers
    assert daemon.pid not in importers
    status = subprocess.run(
        [sys.executable, "-m", "freshet.cli.main", "daemon", "status"],
        env={**os.environ, "FRESHET_HOME": str(project / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert "run_queue" in status.stdout and "run_monitoring" in status.stdout


def test_killed_worker_fails_its_run_frees_its_partitions_and_pool_slots(
    daemon: subprocess.Popen[str], instance: Instance, project: Path, workers: list[int]
) -> None:
    instance.storage.set_pool_limit("warehouse", 1)
    run_id = launch(instance, project, "slow", partition_range=("d1", "d2"))
    wait_for(lambda: _written(project / "slow-started"), 60, "the slow step to start")
    # the run worker (its heartbeat names it), not the step's process: steps run in worker
    # processes of the run's executor, which end when the run worker dies
    [beat] = instance.storage.get_heartbeats(HeartbeatKind.RUN_WORKER, [run_id])
    pid = int(beat.data["pid"])
    workers.extend([pid, int((project / "slow-started").read_text())])
    assert instance.storage.get_pool_usage("warehouse").claimed == 1
    os.kill(pid, signal.SIGKILL)
    run = wait_for(lambda: finished(instance, run_id), 30, "the run to be failed")
    assert isinstance(run, RunRecord) and run.status is RunStatus.FAILURE
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=run_id)
    assert "run worker exited unexpectedly with signal 9" in failure.event.message
    by_status = instance.storage.get_partition_keys_by_status(AssetKey("slow"))
    assert sorted(by_status[PartitionStatusCategory.FAILED]) == ["d1", "d2"]
    assert by_status[PartitionStatusCategory.IN_PROGRESS] == []
    assert instance.storage.get_pool_usage("warehouse").claimed == 0


def test_canceling_a_started_run_interrupts_its_step(
    daemon: subprocess.Popen[str], instance: Instance, project: Path, workers: list[int]
) -> None:
    run_id = launch(instance, project, "slow", partition_key="d1")
    wait_for(lambda: _written(project / "slow-started"), 60, "the slow step to start")
    workers.append(int((project / "slow-started").read_text()))
    assert instance.cancel_run(run_id[:8], requested_by="a test").status is RunStatus.CANCELING
    run = wait_for(lambda: finished(instance, run_id), 30, "the run to be canceled")
    assert isinstance(run, RunRecord) and run.status is RunStatus.CANCELED
    [canceled] = instance.get_event_records(EventType.RUN_CANCELED, run_id=run_id)
    assert "a test" in canceled.event.message
