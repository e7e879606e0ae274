"""What core's values need from the layers above them, provided at `import freshet` time.

`JobDefinition.execute_in_process` is part of the familiar public API of a job value, but
running a job needs execution and an instance, which sit above core. Core declares the port
here; the package root (`freshet/__init__.py`) provides the implementation. Core itself never
imports execution, runs or the instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: runs a JobDefinition in this process: `runner(job, **options) -> RunResult`
JobRunner = Callable[..., Any]

_job_runner: JobRunner | None = None


def provide_job_runner(runner: JobRunner) -> None:
    global _job_runner
    _job_runner = runner


def job_runner() -> JobRunner:
    if _job_runner is None:  # only reachable if freshet's package root failed to import
        raise RuntimeError("freshet is not fully imported: no in-process job runner")
    return _job_runner
