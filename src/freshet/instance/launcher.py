"""The run launcher: starts a run worker process for a dequeued run, with the interpreter and
working directory of the run's recorded code origin. It never imports the user's code."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from freshet.errors import DefinitionsLoadError, UsageError
from freshet.storage.records import RunRecord
from freshet.workspace.origin import CodeLocationOrigin

WORKER_MODULE = "freshet.instance.worker"
WORKER_LOGS = "logs/workers"


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerExit:
    """A worker this launcher started has exited with `returncode` (negative: a signal)."""

    run_id: str
    pid: int
    returncode: int

    @property
    def reason(self) -> str:
        if self.returncode < 0:
            return f"run worker exited unexpectedly with signal {-self.returncode}"
        return f"run worker exited unexpectedly with exit code {self.returncode}"


class RunLauncher:
    """Starts workers and remembers them, so that their exits are noticed at once (run
    monitoring also notices dead workers it did not start, by their heartbeats)."""

    def __init__(self, home: Path | None) -> None:
        if home is None:
            raise UsageError(
                "an ephemeral instance cannot launch runs: workers run in other processes; use "
                "Instance.from_home(path)"
            )
        self._home = home
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def launch(self, run: RunRecord) -> int:
        """Start the worker of `run`; returns its pid. Raises `DefinitionsLoadError` when the
        run has no origin or its interpreter cannot be started."""
        if run.origin is None:
            raise DefinitionsLoadError(
                f"run {run.run_id} records no code location origin, so no worker can load its "
                "code; launch it with `freshet launch`"
            )
        origin = CodeLocationOrigin.from_json_dict(dict(run.origin))
        executable = origin.executable_path or sys.executable
        log_dir = self._home / WORKER_LOGS
        log_dir.mkdir(parents=True, exist_ok=True)
        command = [executable, "-m", WORKER_MODULE, run.run_id, "--home", str(self._home)]
        with open(log_dir / f"{run.run_id}.log", "ab") as log:
            try:
                process = subprocess.Popen(
                    command,
                    cwd=origin.working_directory,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # The worker outlives a daemon restart and ignores the terminal's Ctrl-C.
                    start_new_session=True,
                )
            except OSError as exc:
                raise DefinitionsLoadError(
                    f"cannot start the run worker with {executable} in "
                    f"{origin.working_directory} ({exc.strerror or exc}); check the code "
                    "location's executable_path and working_directory"
                ) from None
        self._children[run.run_id] = process
        return process.pid

    def exited(self) -> list[WorkerExit]:
        """Workers that have exited since the last call (each reported once)."""
        done = []
        for run_id, process in list(self._children.items()):
            code = process.poll()
            if code is not None:
                del self._children[run_id]
                done.append(WorkerExit(run_id=run_id, pid=process.pid, returncode=code))
        return done

    @property
    def running(self) -> dict[str, int]:
        """Run id -> pid of the workers still running."""
        return {run_id: p.pid for run_id, p in self._children.items() if p.poll() is None}
