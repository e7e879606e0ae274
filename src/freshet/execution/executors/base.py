"""The executor interface and what every executor shares.

An executor gets a plan and the run (`ExecutorRun`) and must leave an outcome in
`run.state.outcomes` for every step of the plan (or set `run.state.run_error`). Executors that
run steps in other processes rebuild the run there through a `RunLoader` (which the layer
that knows code locations supplies) and exchange JSON messages (`messages.py`) with them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from freshet.core.io_managers import OutputContext
from freshet.core.resources import build_resources
from freshet.errors import FreshetError
from freshet.execution.boundary import error_info
from freshet.execution.plan import ExecutionPlan, PlanRef, Step, StepKind
from freshet.execution.state import RunState, StepOutcome
from freshet.execution.step import execute_step
from freshet.storage.base import ComputeLogStore, Storage
from freshet.storage.records import EventType, LogLevel


class Executor(Protocol):
    """Runs the steps of one run. `execute` returns when every step has an outcome."""

    name: str

    def execute(self, plan: ExecutionPlan, run: ExecutorRun) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedRun:
    """A run's live pieces, as a worker process rebuilds them: its plan, resource
    definitions (before initialisation) and asset graph."""

    plan: ExecutionPlan
    resources: Mapping[str, Any]
    asset_graph: Any = None
    #: values of an op graph's own inputs (only a forked worker has them: they are the
    #: caller's objects)
    graph_inputs: Mapping[str, Any] = field(default_factory=dict)


class RunLoader(Protocol):
    """Rebuilds a run in another process. Must be picklable: it is sent to worker processes
    (e.g. a code location origin and how the run's resources are chosen)."""

    def load(self, plan_ref: PlanRef, job_name: str) -> LoadedRun: ...


class ExecutionInstance(Protocol):
    """What a run needs of the instance: storage, compute logs and a storage folder."""

    @property
    def storage(self) -> Storage: ...

    @property
    def compute_logs(self) -> ComputeLogStore | None: ...

    @property
    def storage_dir(self) -> Path: ...


#: opens the run's instance in another process (picklable), e.g. `Instance.from_home(home)`
InstanceOpener = Callable[[], ExecutionInstance]


@dataclass(eq=False, kw_only=True)
class ExecutorRun:
    """One run as the executor sees it: the state it fills, the resources the steps use
    and how another process can get the same run."""

    state: RunState
    #: resource definitions (not initialised yet) and their validated config
    resources: Mapping[str, Any]
    resource_config: Mapping[str, Any]
    needed_resources: Sequence[str]
    #: how worker processes rebuild the run; None: only a forked process can (it inherits it)
    loader: RunLoader | None
    #: how worker processes open the instance; None: the instance lives in this process
    #: (memory), so workers send their events back and this process stores them
    instance_opener: InstanceOpener | None
    #: the run config as stored (env vars as references): workers validate it again
    stored_run_config: Mapping[str, Any]


def prepare_state(state: RunState, plan: ExecutionPlan) -> None:
    """What a run's state knows from its plan before any step runs: which nodes are mapped
    over which dynamic outputs, where the outputs reused from earlier runs are stored, and
    the mapping keys of the fan-outs it collects from them."""
    for step in plan.steps:
        if step.node is not None and step.node.mapped_over is not None:
            state.mapped_over[step.key] = step.node.mapped_over
    for (node, output), reused in plan.reused.items():
        state.output_contexts[(node, output)] = OutputContext(
            run_id=reused.run_id,
            step_key=node,
            name=output,
            definition_metadata=reused.metadata,
            base_dir=str(state.base_dir),
        )
        state.output_io_keys[(node, output)] = reused.io_manager_key
    for node, origin in plan.collected.items():
        state.mapped_over[node] = origin
    for origin, keys in plan.fan_outs.items():
        state.mapping_keys[origin] = list(keys)


# ---- what every executor does per step ---------------------------------------------------


def not_run_reason(step: Step, state: RunState) -> str | None:
    """Why a step does not run without that being a failure: an optional output it reads
    was not produced (conditional branching), or an upstream step did not run for that."""
    if state.unproduced_outputs:
        # Imported here for start-up time: only op graphs leave outputs unproduced, and they
        # have loaded the composition classes; a run of assets never needs them.
        from freshet.core.composition import OutputHandle

        for spec in step.inputs:
            source = spec.source
            if (
                isinstance(source, OutputHandle)
                and (source.node_name, source.output_name) in state.unproduced_outputs
            ):
                return f"optional output {source.node_name}.{source.output_name} was not produced"
    for upstream in sorted(step.upstream_steps):
        if state.outcomes.get(upstream) is StepOutcome.NOT_RUN:
            return f"upstream step {upstream!r} did not run"
    return None


def skip_reason(step: Step, state: RunState) -> str | None:
    """Why `step` must not run given its upstream outcomes, or None if it may."""
    for upstream in sorted(step.upstream_steps):
        outcome = state.outcomes.get(upstream)
        if outcome is StepOutcome.SUCCESS:
            continue
        if outcome is StepOutcome.BLOCKED and step.kind is StepKind.CHECK:
            continue  # the asset was materialized: its other checks still evaluate it
        if outcome is StepOutcome.BLOCKED:
            return f"upstream {upstream!r}: {state.failure_reasons.get(upstream, 'blocked')}"
        if outcome is StepOutcome.FAILURE:
            return f"upstream step {upstream!r} failed"
        return f"upstream step {upstream!r} was skipped"
    return None


def emit_skipped(step: Step, state: RunState, reason: str) -> None:
    state.outcomes[step.key] = StepOutcome.SKIPPED
    state.sink.emit(
        EventType.STEP_SKIPPED,
        step_key=step.key,
        level=LogLevel.WARNING,
        message=f"skipped {step.key}: {reason}",
        data={"reason": reason},
    )


def settle_without_running(step: Step, state: RunState) -> bool:
    """Record `step` as not run (an optional input was not produced) or skipped (an
    upstream did not succeed), emitting its STEP_SKIPPED event; False if it should run."""
    not_run = not_run_reason(step, state)
    if not_run is not None:
        state.outcomes[step.key] = StepOutcome.NOT_RUN
        state.sink.emit(
            EventType.STEP_SKIPPED,
            step_key=step.key,
            message=f"skipped {step.key}: {not_run}",
            data={"reason": not_run, "failure": False},
        )
        return True
    reason = skip_reason(step, state)
    if reason is not None:
        emit_skipped(step, state, reason)
        return True
    return False


def run_step(step: Step, state: RunState) -> StepOutcome:
    """Settle `step` without running it when its inputs say so, else execute it (every
    mapping key of a mapped op, but those an earlier run did); record and return its
    outcome."""
    if settle_without_running(step, state):
        return state.outcomes[step.key]
    if step.node is not None and step.node.mapped_over is not None:
        outcome = StepOutcome.SUCCESS
        for mapping_key in state.mapping_keys.get(step.node.mapped_over, []):
            if mapping_key in step.done_mapping_keys:
                continue  # loaded from the earlier run that stored its outputs
            key = f"{step.key}[{mapping_key}]"
            result = execute_step(step, state, step_key=key, mapping_key=mapping_key)
            if result is not StepOutcome.SUCCESS:
                outcome = result
    else:
        outcome = execute_step(step, state)
    state.outcomes[step.key] = outcome
    return outcome


def skip_all(steps: Sequence[Step], state: RunState, reason: str) -> None:
    """Every step of `steps` without an outcome yet is skipped for `reason`."""
    for step in steps:
        if step.key not in state.outcomes:
            emit_skipped(step, state, reason)


@contextlib.contextmanager
def initialised_resources(
    resources: Mapping[str, Any],
    config: Mapping[str, Any],
    keys: Sequence[str],
    state: RunState,
) -> Iterator[Any]:
    """Initialise `keys` of `resources` (emitting RESOURCE_INIT events), yield them, tear
    them down. Yields None (and sets `state.run_error`) when they cannot start; a teardown
    failure is reported and, if nothing else failed, becomes the run's error."""

    def on_init(key: str, seconds: float) -> None:
        state.sink.emit(
            EventType.RESOURCE_INIT,
            message=f"initialised resource {key!r} in {seconds * 1000:.1f} ms",
            data={"resource_key": key, "duration_ms": round(seconds * 1000, 3)},
        )

    try:
        manager = build_resources(resources, config=config, keys=list(keys), on_init=on_init)
        opened = manager.__enter__()
    except FreshetError as exc:
        state.sink.emit(
            EventType.ENGINE_EVENT,
            level=LogLevel.ERROR,
            message=str(exc),
            data={"error": error_info(exc, "resources").to_json()},
        )
        state.run_error = exc
        yield None
        return
    ok = False
    try:
        yield opened
        ok = True
    finally:
        try:
            manager.__exit__(None, None, None)
        except FreshetError as exc:
            state.sink.emit(
                EventType.ENGINE_EVENT,
                level=LogLevel.ERROR,
                message=f"resource teardown failed: {exc}",
            )
            if ok and state.run_error is None:
                state.run_error = exc
