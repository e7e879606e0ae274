"""The Dask executor: each step is a task on a `dask.distributed` cluster.

Either a running scheduler (`address=`) or a `LocalCluster` started for the run
(`n_workers`, `threads_per_worker`). A worker plugin, registered for the run, rebuilds the
run on each Dask worker from its code location, opens the instance and initialises the
resources once (torn down when the run ends). A step's task depends on the tasks of the
steps it needs and receives their reports, so Dask orders and parallelises the steps; the
worker writes the step's events to the instance storage itself.
"""

from __future__ import annotations

import logging
from typing import Any

from freshet.errors import ExecutionError
from freshet.execution.executors.base import ExecutorRun, InstanceOpener, RunLoader, skip_all
from freshet.execution.executors.messages import StepReport, StepTask, WorkerRunSpec
from freshet.execution.executors.multiprocess import worker_spec
from freshet.execution.executors.worker import StepWorker, WorkerStartError
from freshet.execution.plan import ExecutionPlan
from freshet.storage.records import EventType, LogLevel

try:  # the `dask` extra: pip install 'freshet[dask]'
    from dask.distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
except ImportError:  # pragma: no cover - depends on the environment
    Client = None  # type: ignore[assignment,misc]
    WorkerPlugin = object  # type: ignore[assignment,misc]


class RunPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """On each Dask worker: the run's `StepWorker`, opened at setup, closed at teardown.
    A failure to start is kept and raised by the run's first task on that worker."""

    def __init__(self, spec_json: str, loader: RunLoader, opener: InstanceOpener) -> None:
        self.spec_json = spec_json
        self.loader = loader
        self.opener = opener
        self.worker: StepWorker | None = None
        self.error: str | None = None

    def setup(self, worker: Any = None) -> None:
        step_worker = StepWorker(WorkerRunSpec.from_json(self.spec_json), self.loader, self.opener)
        try:
            step_worker.open()
        except Exception as exc:
            self.error = str(exc) if isinstance(exc, WorkerStartError) else f"{exc!r}"
            step_worker.close()
            return
        self.worker = step_worker

    def teardown(self, worker: Any = None) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


def run_dask_step(plugin_name: str, step_key: str, *upstream: str) -> str:
    """The task of one step: run it with the worker's `StepWorker`; return its report."""
    plugin = get_worker().plugins[plugin_name]
    if plugin.worker is None:
        raise WorkerStartError(plugin.error or "the worker's run was torn down")
    plan = plugin.worker.plan
    task = StepTask(
        step_key=step_key, upstream=tuple(StepReport.from_json(r, plan) for r in upstream)
    )
    return plugin.worker.run(task).to_json()


class DaskExecutor:
    """Submits one Dask task per step; Dask runs them in dependency order."""

    name = "dask"

    def __init__(
        self,
        *,
        address: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        timeout: float = 10,
    ) -> None:
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.timeout = timeout

    def _check(self, run: ExecutorRun) -> tuple[RunLoader, InstanceOpener]:
        if Client is None:
            raise ExecutionError(
                "the Dask executor needs dask.distributed: pip install 'freshet[dask]'"
            )
        if run.loader is None:
            raise ExecutionError(
                "the Dask executor runs steps in Dask workers, which load the run's code from "
                "its code location, and this run has none (e.g. materialize(...) called in a "
                "script); launch the run from a code location (freshet launch) or use the "
                "multiprocess executor"
            )
        if run.instance_opener is None:
            raise ExecutionError(
                "the Dask executor needs an instance its workers can open (SQLite or "
                "PostgreSQL in an instance home); this run's instance lives in memory"
            )
        return run.loader, run.instance_opener

    def _client(self) -> tuple[Any, Any]:
        if self.address is not None:
            try:
                return Client(self.address, timeout=self.timeout, set_as_default=False), None
            except (OSError, TimeoutError) as exc:
                raise ExecutionError(
                    f"the Dask scheduler at {self.address!r} did not answer within "
                    f"{self.timeout} s ({exc}); start it (dask scheduler) or fix "
                    "execution.dask.address"
                ) from None
        cluster = LocalCluster(
            n_workers=self.n_workers,
            threads_per_worker=self.threads_per_worker,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        try:
            return Client(cluster, timeout=self.timeout, set_as_default=False), cluster
        except BaseException:
            cluster.close()
            raise

    def execute(self, plan: ExecutionPlan, run: ExecutorRun) -> None:
        loader, opener = self._check(run)
        state = run.state
        spec = worker_spec(run, plan)
        client, cluster = self._client()
        plugin_name = f"freshet-run-{state.run_id}"
        try:
            client.register_plugin(RunPlugin(spec.to_json(), loader, opener), name=plugin_name)
            futures: dict[str, Any] = {}
            for step in plan.steps:
                upstream = [futures[u] for u in sorted(step.upstream_steps)]
                futures[step.key] = client.submit(
                    run_dask_step,
                    plugin_name,
                    step.key,
                    *upstream,
                    key=f"freshet-{state.run_id}-{step.key}",
                    pure=False,
                )
            keys = {future.key: step_key for step_key, future in futures.items()}
            for future in as_completed(list(futures.values()), loop=client.loop):
                self._take(future, keys[future.key], plan, run)
            state.sink.flush()
            if state.run_error is not None:
                skip_all(plan.steps, state, f"the run failed: {state.run_error}")
        finally:
            try:
                client.unregister_worker_plugin(plugin_name)
            except Exception:  # the cluster may be gone already: nothing left to tear down
                pass
            client.close(timeout=self.timeout)
            if cluster is not None:
                cluster.close(timeout=self.timeout)
            state.sink.flush()

    def _take(self, future: Any, step_key: str, plan: ExecutionPlan, run: ExecutorRun) -> None:
        state = run.state
        if future.status == "finished":
            report = StepReport.from_json(future.result(), plan)
            report.apply_to(state)
            state.sink.record(report.events, stored=True)
            return
        error = future.exception()
        if state.run_error is None:
            state.run_error = (
                error if isinstance(error, ExecutionError) else ExecutionError(f"{error!r}")
            )
            state.sink.emit(
                EventType.ENGINE_EVENT,
                level=LogLevel.ERROR,
                message=f"Dask task of step {step_key!r} failed: {error}",
            )
