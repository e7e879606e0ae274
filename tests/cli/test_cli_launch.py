"""`freshet launch`: the run is queued with its code's origin and this process imports none of
the project's code; with --wait (no daemon) it is run by a worker process and followed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from freshet.instance.instance import Instance
from freshet.instance.worker import execute_launched_run
from freshet.storage.records import EventType, RunStatus

DEFS = """
    import freshet as fr

    @fr.asset
    def a():
        return 1

    @fr.asset
    def b(a):
        return a + 1

    defs = fr.Definitions(assets=[a, b])
"""


def test_launch_queues_the_run_without_importing_the_project(
    write: Callable[[str, str], Path], invoke: Callable[..., Result], project: Path
) -> None:
    write("launched_defs.py", "raise RuntimeError('imported by the launcher')\n")
    result = invoke("-f", "launched_defs.py", "launch", "--select", "+b", "--tag", "team=data")
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip()
    assert "launched_defs" not in sys.modules
    with Instance.from_home(os.environ["FRESHET_HOME"]) as instance:
        run = instance.get_run(run_id)
        assert run is not None and run.status is RunStatus.QUEUED
        assert run.selection == "+b" and run.tags == {"team": "data"}
        assert run.origin is not None
        assert run.origin["python_file"] == str(project / "launched_defs.py")
        assert run.origin["executable_path"] == sys.executable


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--select EXPR or --job NAME"),
        (("--select", "a and ("), "--select"),
        (("--select", "*", "--partition", "p", "--partition-range", "a...b"), "not both"),
        (("--select", "*", "--tag", "freshet/priority=soon"), "whole number"),
    ],
    ids=["nothing", "bad-selection", "partition-and-range", "bad-priority"],
)
def test_bad_launch_is_refused_and_nothing_is_queued(
    write: Callable[[str, str], Path],
    invoke: Callable[..., Result],
    args: tuple[str, ...],
    message: str,
) -> None:
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "launch", *args)
    assert result.exit_code == 2
    assert message in result.output
    with Instance.from_home(os.environ["FRESHET_HOME"]) as instance:
        assert instance.get_runs() == []


@pytest.mark.slow
def test_launch_wait_runs_the_run_in_a_worker_and_follows_it(tmp_path: Path) -> None:
    (tmp_path / "defs.py").write_text(textwrap.dedent(DEFS), encoding="utf-8")
    env = {**os.environ, "FRESHET_HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "freshet.cli.main",
            "-f",
            "defs.py",
            "launch",
            "--select",
            "*",
            "--wait",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded" in done.stdout
    assert "✓ a" in done.stdout and "✓ b" in done.stdout
    with Instance.from_home(tmp_path / "home") as instance:
        [run] = instance.get_runs()
        assert run.status is RunStatus.SUCCESS
        [starting] = instance.get_event_records(EventType.ENGINE_EVENT, run_id=run.run_id)[:1]
        worker_pid = starting.event.data["pid"]
    assert worker_pid != os.getpid()


def test_runs_cancel_and_reexecute_take_id_prefixes(
    write: Callable[[str, str], Path], invoke: Callable[..., Result]
) -> None:
    write("defs.py", DEFS)
    run_id = invoke("-f", "defs.py", "launch", "--select", "b").stdout.strip()
    canceled = invoke("runs", "cancel", run_id[:8])
    assert canceled.exit_code == 0, canceled.output
    assert f"run {run_id} canceled" in canceled.output
    again = invoke("runs", "cancel", run_id[:8])
    assert again.exit_code == 2
    assert "already finished (CANCELED)" in again.output
    shown = invoke("runs", "show", run_id[:8])
    assert shown.exit_code == 0 and run_id in shown.output
    child = invoke("runs", "reexecute", run_id[:8])
    assert child.exit_code == 0, child.output
    with Instance.from_home(os.environ["FRESHET_HOME"]) as instance:
        new = instance.get_run(child.output.strip())
        assert new is not None and new.status is RunStatus.QUEUED
        assert (new.parent_run_id, new.root_run_id, new.selection) == (run_id, run_id, "b")


def test_unknown_run_id_is_a_clear_error(
    write: Callable[[str, str], Path], invoke: Callable[..., Result]
) -> None:
    result = invoke("runs", "cancel", "deadbeef")
    assert result.exit_code == 2
    assert "no run 'deadbeef', nor one whose id starts with it" in result.output


def test_pools_set_and_list(invoke: Callable[..., Result]) -> None:
    assert invoke("pools", "list").output.startswith("no pools yet")
    assert invoke("pools", "set", "warehouse", "2").exit_code == 0
    listed = invoke("pools", "list")
    assert listed.exit_code == 0
    assert listed.output.split("\n")[1].split() == ["warehouse", "2", "0"]
    assert invoke("pools", "set", "warehouse", "-1").exit_code == 2


def test_launch_without_a_daemon_says_when_the_run_will_start(
    write: Callable[[str, str], Path], invoke: Callable[..., Result]
) -> None:
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "launch", "--select", "a")
    assert "no daemon is serving the run queue" in result.stderr
    listed = invoke("runs", "list")
    assert "QUEUED" in listed.stdout and "--select a" in listed.stdout


OPS_DEFS = """
    import freshet as fr

    @fr.op
    def extract():
        return 1

    @fr.op
    def load(x):
        return x + 1

    @fr.job
    def etl():
        load(extract())

    defs = fr.Definitions(jobs=[etl])
"""


def test_reexecute_refuses_an_unknown_op_of_an_op_job_before_queueing(
    write: Callable[[str, str], Path], invoke: Callable[..., Result]
) -> None:
    write("ops_defs.py", OPS_DEFS)
    run_id = invoke("-f", "ops_defs.py", "launch", "--job", "etl").stdout.strip()
    with Instance.from_home(os.environ["FRESHET_HOME"]) as instance:
        execute_launched_run(instance, run_id)

    result = invoke("runs", "reexecute", run_id[:8], "--select", "lod*")

    assert result.exit_code == 2
    assert "--select (ops of job 'etl'" in result.output
    assert "'lod*' matches no op in the job (did you mean load?)" in result.output
    with Instance.from_home(os.environ["FRESHET_HOME"]) as instance:
        assert [run.run_id for run in instance.get_runs()] == [run_id]
    accepted = invoke("runs", "reexecute", run_id[:8], "--select", "load")
    assert accepted.exit_code == 0, accepted.output
