"""From an executor definition (a value in `core`) to the executor that runs the steps."""

from __future__ import annotations

from freshet.core.executors import ExecutorDefinition, ExecutorKind
from freshet.execution.executors.base import Executor
from freshet.execution.executors.in_process import InProcessExecutor


def executor_for(definition: ExecutorDefinition | None) -> Executor:
    """The executor `definition` names, configured; None means in-process."""
    if definition is None or definition.kind is ExecutorKind.IN_PROCESS:
        return InProcessExecutor()
    if definition.kind is ExecutorKind.MULTIPROCESS:
        # Imported only when chosen, for start-up time: multiprocessing and the worker
        # protocol cost ~6 ms that an in-process run (materialize, tests) never needs.
        from freshet.execution.executors.multiprocess import MultiprocessExecutor

        return MultiprocessExecutor(
            max_concurrent=definition.setting("max_concurrent"),
            start_method=definition.setting("start_method"),
        )
    # Imported only when chosen: dask.distributed takes ~1 s to import.
    from freshet.execution.executors.dask import DaskExecutor

    return DaskExecutor(
        address=definition.setting("address"),
        n_workers=definition.setting("n_workers"),
        threads_per_worker=definition.setting("threads_per_worker"),
        timeout=definition.setting("timeout"),
    )
