"""A worker process's share of a run: it rebuilds the run (plan, resources) once, opens the
instance, initialises the resources once, then runs steps one at a time from `StepTask`s
and answers each with a `StepReport`. Used by the multiprocess and Dask executors."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from freshet.errors import ExecutionError, FreshetError
from freshet.execution.events import EventSink
from freshet.execution.executors.base import (
    ExecutionInstance,
    InstanceOpener,
    LoadedRun,
    RunLoader,
    initialised_resources,
    prepare_state,
    run_step,
)
from freshet.execution.executors.messages import (
    StateMark,
    StepReport,
    StepTask,
    WorkerRunSpec,
    report_from_state,
)
from freshet.execution.plan_config import validate_plan_config
from freshet.execution.state import RunState
from freshet.storage.records import Event


class _ReportOnly:
    """An event writer for workers whose run stores its events in the parent process."""

    def store_events(self, events: Sequence[Event]) -> list[int]:
        return []


class WorkerStartError(ExecutionError):
    """A worker could not load the run's code, open the instance or start its resources."""


class StepWorker:
    """Runs steps of one run in this process. `open()` once, `run(task)` per step,
    `close()` at the end (tears the resources down)."""

    def __init__(
        self,
        spec: WorkerRunSpec,
        loader: RunLoader,
        opener: InstanceOpener | None,
        inherited_instance: ExecutionInstance | None = None,
    ) -> None:
        self.spec = spec
        self._loader = loader
        self._opener = opener
        self._instance = inherited_instance
        self._owns_instance = False
        self._stack = contextlib.ExitStack()
        self._loaded: LoadedRun | None = None
        self._resources: Any = None
        self._op_configs: dict[str, Any] = {}
        self._op_inputs: dict[str, dict[str, Any]] = {}
        #: events emitted while starting (resource initialisation), sent with the first report
        self._pending: list[Event] = []
        self._open_state: RunState | None = None

    @property
    def plan(self) -> Any:
        """The plan this worker rebuilt (after `open()`)."""
        return self._loaded.plan if self._loaded is not None else None

    # -- lifetime ----------------------------------------------------------------------

    def open(self) -> None:
        """Load the run, open the instance and initialise the resources; raise
        `WorkerStartError` saying which of these failed."""
        spec = self.spec
        try:
            self._loaded = self._loader.load(spec.plan_ref, spec.job_name)
        except FreshetError as exc:
            raise WorkerStartError(
                f"worker {os.getpid()} could not load the run's code: {exc}"
            ) from exc
        plan = self._loaded.plan
        missing = [k for k in spec.needed_resources if k not in self._loaded.resources]
        if missing:
            raise WorkerStartError(
                f"worker {os.getpid()}: the code it loaded lacks resources the run needs "
                f"({', '.join(missing)}); was the code location changed during the run?"
            )
        if self._opener is not None:
            try:
                self._instance = self._opener()
            except FreshetError as exc:
                raise WorkerStartError(
                    f"worker {os.getpid()} could not open the instance: {exc}"
                ) from exc
            self._owns_instance = True
        resolved = validate_plan_config(plan, spec.run_config, self._loaded.resources)
        self._op_configs = resolved.ops
        self._op_inputs = resolved.op_inputs
        state = self._open_state = self._state(self._sink())
        resources = self._stack.enter_context(
            initialised_resources(
                self._loaded.resources, resolved.resources, spec.needed_resources, state
            )
        )
        self._pending.extend(state.sink.events)
        state.sink.flush()
        if resources is None:
            raise WorkerStartError(f"worker {os.getpid()}: {state.run_error}")
        self._resources = resources

    def close(self) -> tuple[list[Event], str | None]:
        """Tear the resources down; return the events that produced and the teardown error."""
        sink = self._sink()
        state = self._state(sink)
        # the resources' context reports to the state it was opened with: swap in this sink
        if self._open_state is not None:
            self._open_state.sink = sink
        try:
            self._stack.close()
        except FreshetError as exc:
            state.run_error = exc
        error = self._open_state.run_error if self._open_state is not None else None
        sink.flush()
        if self._owns_instance and self._instance is not None:
            closer = getattr(self._instance, "close", None)
            if closer is not None:
                closer()
        return list(sink.events), None if error is None else str(error)

    # -- steps -------------------------------------------------------------------------

    def run(self, task: StepTask) -> StepReport:
        assert self._loaded is not None, "open() the worker first"
        plan = self._loaded.plan
        step = plan.by_key.get(task.step_key)
        if step is None:
            raise ExecutionError(
                f"no step {task.step_key!r} in the plan this worker loaded; was the code "
                "location changed during the run?"
            )
        sink = self._sink()
        state = self._state(sink)
        for report in task.upstream:
            report.apply_to(state)
        mark = StateMark.of(state)
        run_step(step, state)
        sink.flush()
        events = tuple(self._pending) + tuple(sink.events)
        self._pending.clear()
        return report_from_state(step.key, state, mark, events)

    def _sink(self) -> EventSink:
        writer: Any = _ReportOnly()
        if self.spec.store_events and self._instance is not None:
            writer = self._instance.storage
        return EventSink(writer, self.spec.run_id)

    def _state(self, sink: EventSink) -> RunState:
        spec = self.spec
        instance = self._instance
        storage = instance.storage if instance is not None else None
        loaded = self._loaded
        state = RunState(
            run_id=spec.run_id,
            job_name=spec.job_name,
            sink=sink,
            resources=self._resources,
            op_configs=self._op_configs,
            base_dir=Path(spec.base_dir),
            compute_logs=instance.compute_logs
            if instance is not None and spec.store_events
            else None,
            instance=instance,
            partition_key=spec.partition_key,
            partition_keys=spec.partition_keys,
            range_run=spec.range_run,
            tags=spec.tags,
            partitioned_keys=spec.partitioned_keys,
            asset_graph=loaded.asset_graph if loaded is not None else None,
            graph_inputs=dict(loaded.graph_inputs) if loaded is not None else {},
            config_inputs=self._op_inputs,
            dynamic_store=storage,
            storage=storage,
        )
        state.versions.update(spec.versions)
        state.data_times.update(spec.data_times)
        if loaded is not None:
            prepare_state(state, loaded.plan)
        return state
