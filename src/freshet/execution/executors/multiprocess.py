"""The multiprocess executor: a pool of long-lived worker processes for one run.

Each worker gets the run once — by default forked from this process, inheriting the
definitions it holds (a run worker loaded them from the run's code location; an in-process
`materialize(...)` has no code location, so forking is the only way there); with
`start_method="spawn"` or `"forkserver"` a worker loads the code location from the run's
origin through its `RunLoader` — then opens the instance, initialises the resources once, then runs steps as this process hands them out: a step starts when every
step it depends on has ended, and at most `max_concurrent` run at once. Workers write their
events to the instance storage themselves; when the instance lives in this process's
memory they send them back with each step's report and this process stores them.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from freshet.errors import ExecutionError
from freshet.execution.executors.base import (
    ExecutionInstance,
    ExecutorRun,
    InstanceOpener,
    LoadedRun,
    RunLoader,
    settle_without_running,
    skip_all,
)
from freshet.execution.executors.messages import StepReport, StepTask, WorkerRunSpec
from freshet.execution.executors.worker import StepWorker, WorkerStartError
from freshet.execution.plan import ExecutionPlan, PlanRef, Step
from freshet.execution.state import RunState, StepOutcome
from freshet.storage.records import EventType, LogLevel
from freshet.storage.serde import event_from_json, event_to_json

#: how long a worker may take to tear its resources down when the run ends
SHUTDOWN_SECONDS = 30.0
_POLL_SECONDS = 0.5

# Runs handed to forked workers, by token: the child inherits this module's memory.
_INHERITED: dict[str, tuple[LoadedRun, ExecutionInstance | None]] = {}
_tokens = itertools.count(1)


@dataclass(frozen=True, slots=True)
class InheritedRun:
    """The `RunLoader` of a forked worker: the run is already in its memory."""

    token: str

    def load(self, plan_ref: PlanRef, job_name: str) -> LoadedRun:
        try:
            return _INHERITED[self.token][0]
        except KeyError:
            raise WorkerStartError(
                "this worker was not forked from the process that started the run; give the "
                "run a code location (a RunLoader) to use another start method"
            ) from None


def worker_spec(run: ExecutorRun, plan: ExecutionPlan) -> WorkerRunSpec:
    """The run as worker processes receive it."""
    state = run.state
    return WorkerRunSpec(
        run_id=state.run_id,
        job_name=state.job_name,
        plan_ref=plan.ref,
        run_config=run.stored_run_config,
        tags=dict(state.tags),
        partition_key=state.partition_key,
        partition_keys=state.partition_keys,
        range_run=state.range_run,
        partitioned_keys=state.partitioned_keys,
        base_dir=str(state.base_dir),
        needed_resources=tuple(run.needed_resources),
        store_events=run.instance_opener is not None,
        versions=dict(state.versions),
        data_times=dict(state.data_times),
    )


def _worker_main(
    index: int,
    spec_json: str,
    loader: RunLoader,
    opener: InstanceOpener | None,
    token: str | None,
    conn: Any,
) -> None:
    """A worker process: start, then answer tasks until told to stop (None)."""
    _exit_with_parent()
    spec = WorkerRunSpec.from_json(spec_json)
    inherited = _INHERITED[token][1] if token is not None and token in _INHERITED else None
    worker = StepWorker(spec, loader, opener, inherited)
    try:
        worker.open()
    except Exception as exc:
        message = str(exc) if isinstance(exc, WorkerStartError) else f"{type(exc).__name__}: {exc}"
        conn.send(("start_failed", index, message))
        worker.close()
        return
    conn.send(("ready", index, None))
    while True:
        try:
            item = conn.recv()
        except EOFError:  # the run's process is gone: stop
            break
        if item is None:
            break
        try:
            report = worker.run(StepTask.from_json(item))
            conn.send(("report", index, report.to_json()))
        except Exception as exc:
            conn.send(("worker_error", index, f"{type(exc).__name__}: {exc}"))
    events, error = worker.close()
    try:
        conn.send(("closed", index, ([event_to_json(e) for e in events], error)))
    except OSError:
        pass


def _exit_with_parent(interval: float = 0.5) -> None:
    """End this worker when the run's process dies (kill -9, OOM): a worker left behind
    would go on writing events for a run that monitoring has already failed."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="freshet-parent-watch", daemon=True).start()


class _Pool:
    """The run's worker processes, each with its own pipe: a worker that dies mid-write
    damages only its own channel, never another worker's."""

    def __init__(self, context: Any, size: int, args: tuple[Any, ...]) -> None:
        self.conns: list[Any] = []
        self._child_ends: list[Any] = []
        self.processes = []
        for i in range(size):
            parent_end, child_end = context.Pipe()
            self.conns.append(parent_end)
            self._child_ends.append(child_end)
            self.processes.append(
                context.Process(
                    target=_worker_main,
                    args=(i, *args, child_end),
                    name=f"freshet-worker-{i}",
                    daemon=True,
                )
            )
        self.closed: set[int] = set()

    def start(self) -> None:
        for process in self.processes:
            process.start()
        for end in self._child_ends:
            end.close()  # only the workers hold these now: EOF here means a worker is gone

    def send(self, index: int, task: StepTask | None) -> None:
        try:
            self.conns[index].send(None if task is None else task.to_json())
        except OSError:
            pass  # the worker is gone; the next check reports it

    def receive(self, timeout: float) -> tuple[str, int, Any] | None:
        open_conns = [c for i, c in enumerate(self.conns) if i not in self.closed]
        if not open_conns:
            time.sleep(min(timeout, 0.05))
            return None
        for conn in multiprocessing.connection.wait(open_conns, timeout):
            try:
                return conn.recv()
            except (EOFError, OSError):
                index = self.conns.index(conn)
                self.processes[index].join(timeout=1)
                if self.processes[index].exitcode is None:
                    self.processes[index].kill()
                    self.processes[index].join(timeout=2)
                return ("exited", index, None)
        return None

    def dead(self) -> Iterator[int]:
        for index, process in enumerate(self.processes):
            if process.exitcode is not None and index not in self.closed:
                yield index

    def describe_exit(self, index: int) -> str:
        process = self.processes[index]
        code = process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"worker process {process.pid} exited unexpectedly with {how}"


class MultiprocessExecutor:
    """Runs steps in a pool of worker processes, independent steps in parallel."""

    name = "multiprocess"

    def __init__(self, *, max_concurrent: int | None = None, start_method: str | None = None):
        self.max_concurrent = max_concurrent or os.cpu_count() or 1
        self.start_method = start_method

    def _method(self, run: ExecutorRun) -> str:
        forkable = "fork" in multiprocessing.get_all_start_methods()
        if self.start_method is not None:
            if run.loader is None and self.start_method != "fork":
                raise ExecutionError(
                    f"the multiprocess executor cannot use start_method "
                    f"{self.start_method!r} for a run without a code location (e.g. "
                    "materialize(...) called in a script): its workers could not load the "
                    "definitions. Use start_method 'fork' (the default there), or launch the "
                    "run from a code location (freshet launch)"
                )
            return self.start_method
        if forkable:
            # Workers start in milliseconds and share this process's definitions (a run
            # worker loaded them from the run's origin). They open the instance afresh and
            # never use a connection or lock of this process.
            return "fork"
        if run.loader is not None:
            return "spawn"  # workers load the code location from the run's origin
        raise ExecutionError(
            "the multiprocess executor needs the 'fork' start method to run definitions "
            "that come from no code location, and this platform has none; launch the run "
            "from a code location (freshet launch) or use the in-process executor"
        )

    def execute(self, plan: ExecutionPlan, run: ExecutorRun) -> None:
        state = run.state
        method = self._method(run)
        loader = run.loader
        token = None
        if method == "fork":
            token = f"{os.getpid()}-{next(_tokens)}"
            loaded = LoadedRun(
                plan=plan,
                resources=run.resources,
                asset_graph=state.asset_graph,
                graph_inputs=dict(state.graph_inputs),
            )
            _INHERITED[token] = (loaded, state.instance)
            loader = InheritedRun(token)
        size = max(1, min(self.max_concurrent, len(plan.steps)))
        spec = worker_spec(run, plan)
        pool = _Pool(
            multiprocessing.get_context(method),
            size,
            (spec.to_json(), loader, run.instance_opener, token),
        )
        finished = False
        try:
            pool.start()
            _Driver(plan, run, pool).drive()
            finished = True
        finally:
            # interrupted (the run was canceled): stop the workers' steps at once
            _shutdown(pool, run, abort=not finished)
            if token is not None:
                _INHERITED.pop(token, None)
            state.sink.flush()


class _Driver:
    """Hands ready steps to idle workers and takes their reports until every step ended."""

    def __init__(self, plan: ExecutionPlan, run: ExecutorRun, pool: _Pool) -> None:
        self.plan = plan
        self.run = run
        self.state: RunState = run.state
        self.pool = pool
        self.waiting: list[Step] = list(plan.steps)
        self.running: dict[int, str] = {}
        self.idle: deque[int] = deque()
        self.reports: dict[str, StepReport] = {}
        self.stored = run.instance_opener is not None

    def drive(self) -> None:
        while self.waiting or self.running:
            self._dispatch()
            self.state.sink.flush()
            if not self.waiting and not self.running:
                return
            message = self.pool.receive(_POLL_SECONDS)
            if message is None:
                self._check_workers()
            else:
                self._handle(*message)
            if self.state.run_error is not None and not self.running:
                skip_all(self.waiting, self.state, f"the run failed: {self.state.run_error}")
                self.waiting.clear()

    def _dispatch(self) -> None:
        state = self.state
        for step in list(self.waiting):
            if any(u not in state.outcomes for u in step.upstream_steps):
                continue
            if settle_without_running(step, state):
                self.waiting.remove(step)
                continue
            if not self.idle or state.run_error is not None:
                continue
            index = self.idle.popleft()
            upstream = tuple(self.reports[u] for u in sorted(step.upstream_steps))
            self.pool.send(index, StepTask(step_key=step.key, upstream=upstream))
            self.running[index] = step.key
            self.waiting.remove(step)

    def _handle(self, kind: str, index: int, payload: Any) -> None:
        state = self.state
        if kind == "ready":
            self.idle.append(index)
        elif kind == "report":
            report = StepReport.from_json(payload, self.plan)
            report.apply_to(state)
            state.sink.record(report.events, stored=self.stored)
            self.reports[report.step_key] = report
            self.running.pop(index, None)
            self.idle.append(index)
        elif kind == "start_failed":
            self.pool.closed.add(index)
            if state.run_error is None:
                state.run_error = WorkerStartError(payload)
                state.sink.emit(EventType.ENGINE_EVENT, level=LogLevel.ERROR, message=payload)
        elif kind == "worker_error":
            key = self.running.pop(index, None)
            if key is not None:
                _fail_step(state, key, f"internal error in the worker: {payload}")
            self.idle.append(index)
        elif kind == "closed":
            self.pool.closed.add(index)
        elif kind == "exited":
            self._check_workers()

    def _check_workers(self) -> None:
        state = self.state
        for index in list(self.pool.dead()):
            self.pool.closed.add(index)
            reason = self.pool.describe_exit(index)
            key = self.running.pop(index, None)
            if key is not None:
                _fail_step(state, key, reason)
            if index in self.idle:
                self.idle.remove(index)
            state.sink.emit(EventType.ENGINE_EVENT, level=LogLevel.ERROR, message=reason)
        if len(self.pool.closed) == len(self.pool.processes) and self.waiting:
            if state.run_error is None:
                state.run_error = ExecutionError("every worker process of the run has exited")
            skip_all(self.waiting, state, f"the run failed: {state.run_error}")
            self.waiting.clear()


def _fail_step(state: RunState, key: str, reason: str) -> None:
    state.outcomes[key] = StepOutcome.FAILURE
    state.failure_reasons[key] = reason
    state.sink.emit(
        EventType.STEP_FAILURE,
        step_key=key,
        level=LogLevel.ERROR,
        message=f"{key} failed: {reason}",
        data={"error": {"cls": "WorkerExited", "message": reason, "traceback": "", "phase": "worker"}},
    )


def _shutdown(pool: _Pool, run: ExecutorRun, *, abort: bool) -> None:
    """Ask every worker to stop (tearing its resources down), wait for them within
    `SHUTDOWN_SECONDS`, then terminate any that remain; with `abort`, terminate them now."""
    state = run.state
    stored = run.instance_opener is not None
    for index, process in enumerate(pool.processes):
        if abort and process.is_alive():
            process.terminate()
        elif process.is_alive() and index not in pool.closed:
            pool.send(index, None)
    deadline = time.monotonic() + (2.0 if abort else SHUTDOWN_SECONDS)
    while time.monotonic() < deadline and len(pool.closed) < len(pool.processes):
        message = pool.receive(0.2)
        if message is None:
            for index in list(pool.dead()):
                pool.closed.add(index)
            continue
        kind, index, payload = message
        if kind in ("closed", "exited", "start_failed"):
            pool.closed.add(index)
        if kind == "closed":
            events, error = payload
            state.sink.record([event_from_json(e) for e in events], stored=stored)
            if error is not None and state.run_error is None:
                state.run_error = ExecutionError(error)
    for process in pool.processes:
        process.join(timeout=max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join(timeout=2)
        if process.is_alive():
            process.kill()
            process.join(timeout=2)
    for conn in pool.conns:
        conn.close()
