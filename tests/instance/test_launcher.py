"""The run launcher: starts run workers with the run's recorded interpreter and working
directory; with prewarm it keeps a spare worker (freshet imported, no user code) that takes
the next run."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freshet.errors import DefinitionsLoadError
from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import RunStatus
from freshet.workspace.origin import CodeLocationOrigin

pytestmark = pytest.mark.slow

DEFS = """
    import freshet as fr

    @fr.asset
    def a():
        return 1

    defs = fr.Definitions(assets=[a])
"""


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[RunLauncher]:
    started = RunLauncher(tmp_path / "home", prewarm=True)
    yield started
    pids = [*started.running.values(), *started.spare_pids]
    started.close(timeout=20)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def queue(instance: Instance, tmp_path: Path, **origin: object) -> str:
    (tmp_path / "launcher_defs.py").write_text(textwrap.dedent(DEFS), encoding="utf-8")
    code = CodeLocationOrigin(
        location_name="launcher_defs",
        python_file=tmp_path / "launcher_defs.py",
        working_directory=tmp_path,
        **origin,  # type: ignore[arg-type]
    )
    return enqueue(instance.storage, LaunchRequest(origin=code.to_json_dict(), selection="a"))


def wait_done(instance: Instance, launcher: RunLauncher, run_id: str) -> RunStatus:
    deadline = time.monotonic() + 120
    while run_id in launcher.running:
        assert time.monotonic() < deadline, "the worker did not finish"
        time.sleep(0.05)
    run = instance.get_run(run_id)
    assert run is not None
    return run.status


def test_spare_worker_takes_the_next_run(launcher: RunLauncher, tmp_path: Path) -> None:
    with Instance.from_home(tmp_path / "home") as instance:
        first = queue(instance, tmp_path)
        first_pid = launcher.launch(instance.get_run(first))  # type: ignore[arg-type]
        assert wait_done(instance, launcher, first) is RunStatus.SUCCESS
        [spare] = launcher.spare_pids
        assert spare != first_pid
        second = queue(instance, tmp_path)
        assert launcher.launch(instance.get_run(second)) == spare  # type: ignore[arg-type]
        assert wait_done(instance, launcher, second) is RunStatus.SUCCESS
        assert [exit_.run_id for exit_ in launcher.exited()] == [first, second]


def test_missing_interpreter_is_a_clear_error(launcher: RunLauncher, tmp_path: Path) -> None:
    with Instance.from_home(tmp_path / "home") as instance:
        run_id = queue(instance, tmp_path, executable_path=str(tmp_path / "no-python"))
        with pytest.raises(DefinitionsLoadError, match="cannot start the run worker with"):
            launcher.launch(instance.get_run(run_id))  # type: ignore[arg-type]
