"""The run launcher: starts a run worker process for a dequeued run, with the interpreter and
working directory of the run's recorded code origin. It never imports the user's code."""

from __future__ import annotations

import subprocess
import sys
import time
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
    monitoring also notices dead workers it did not start, by their heartbeats).

    With `prewarm`, it keeps one spare worker per interpreter and working directory it has
    launched with: a process that has imported freshet and opened the instance (but no
    user code) and waits for a run id on its stdin, so that the next run skips that start-up.
    """

    def __init__(self, home: Path | None, *, prewarm: bool = False) -> None:
        if home is None:
            raise UsageError(
                "an ephemeral instance cannot launch runs: workers run in other processes; use "
                "Instance.from_home(path)"
            )
        self._home = home
        self._prewarm = prewarm
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._spares: dict[tuple[str, Path], subprocess.Popen[bytes]] = {}

    def launch(self, run: RunRecord) -> int:
        """Start the worker of `run` (or hand it to a spare); returns the worker's pid.
        Raises `DefinitionsLoadError` when the run has no origin or its interpreter cannot be
        started."""
        if run.origin is None:
            raise DefinitionsLoadError(
                f"run {run.run_id} records no code location origin, so no worker can load its "
                "code; launch it with `freshet launch`"
            )
        origin = CodeLocationOrigin.from_json_dict(dict(run.origin))
        place = (origin.executable_path or sys.executable, origin.working_directory)
        process = self._hand_to_spare(place, run.run_id)
        if process is None:
            process = self._start(place, [run.run_id])
        self._children[run.run_id] = process
        if self._prewarm and place not in self._spares:
            try:
                self._spares[place] = self._start(place, ["--wait-for-run"], stdin=True)
            except DefinitionsLoadError:
                pass  # the run itself started: a missing spare only costs start-up time
        return process.pid

    def _hand_to_spare(
        self, place: tuple[str, Path], run_id: str
    ) -> subprocess.Popen[bytes] | None:
        spare = self._spares.pop(place, None)
        if spare is None or spare.stdin is None or spare.poll() is not None:
            return None
        try:
            spare.stdin.write(f"{run_id}\n".encode())
            spare.stdin.close()
        except OSError:
            return None
        return spare

    def _start(
        self, place: tuple[str, Path], args: list[str], *, stdin: bool = False
    ) -> subprocess.Popen[bytes]:
        executable, cwd = place
        log_dir = self._home / WORKER_LOGS
        log_dir.mkdir(parents=True, exist_ok=True)
        command = [executable, "-m", WORKER_MODULE, *args, "--home", str(self._home)]
        name = args[0] if not stdin else f"spare-{time.time_ns()}"
        with open(log_dir / f"{name}.log", "ab") as log:
            try:
                return subprocess.Popen(
                    command,
                    cwd=cwd,
                    stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # The worker outlives a daemon restart and ignores the terminal's Ctrl-C.
                    start_new_session=True,
                )
            except OSError as exc:
                raise DefinitionsLoadError(
                    f"cannot start the run worker with {executable} in {cwd} "
                    f"({exc.strerror or exc}); check the code location's executable_path and "
                    "working_directory"
                ) from None

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

    @property
    def spare_pids(self) -> list[int]:
        return [spare.pid for spare in self._spares.values() if spare.poll() is None]

    def close(self, timeout: float = 10.0) -> None:
        """Let the spares go (they exit when their stdin closes); running workers go on."""
        spares, self._spares = list(self._spares.values()), {}
        for spare in spares:
            if spare.stdin is not None:
                try:
                    spare.stdin.close()
                except OSError:
                    pass
        for spare in spares:
            try:
                spare.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                spare.kill()
                spare.wait(timeout=timeout)
