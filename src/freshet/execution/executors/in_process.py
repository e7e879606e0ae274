"""The in-process executor: steps one after another in this process, in plan order."""

from __future__ import annotations

from freshet.core.composition import OutputHandle
from freshet.execution.plan import ExecutionPlan, Step, StepKind
from freshet.execution.state import RunState, StepOutcome
from freshet.execution.step import execute_step
from freshet.storage.records import EventType, LogLevel


def _not_run_reason(step: Step, state: RunState) -> str | None:
    """Why a step does not run without that being a failure: an optional output it reads
    was not produced (conditional branching), or an upstream step did not run for that."""
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


def _skip_reason(step: Step, state: RunState) -> str | None:
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


class InProcessExecutor:
    """Runs each step in this process; a step whose upstream did not succeed is skipped."""

    name = "in_process"

    def execute(self, plan: ExecutionPlan, state: RunState) -> None:
        for step in plan.steps:
            not_run = _not_run_reason(step, state)
            if not_run is not None:
                state.outcomes[step.key] = StepOutcome.NOT_RUN
                state.sink.emit(
                    EventType.STEP_SKIPPED,
                    step_key=step.key,
                    message=f"skipped {step.key}: {not_run}",
                    data={"reason": not_run, "failure": False},
                )
                continue
            reason = _skip_reason(step, state)
            if reason is not None:
                state.outcomes[step.key] = StepOutcome.SKIPPED
                state.sink.emit(
                    EventType.STEP_SKIPPED,
                    step_key=step.key,
                    level=LogLevel.WARNING,
                    message=f"skipped {step.key}: {reason}",
                    data={"reason": reason},
                )
                continue
            if step.node is not None and step.node.mapped_over is not None:
                state.outcomes[step.key] = self._execute_mapped(step, state)
            else:
                state.outcomes[step.key] = execute_step(step, state)
        state.sink.flush()

    def _execute_mapped(self, step: Step, state: RunState) -> StepOutcome:
        assert step.node is not None and step.node.mapped_over is not None
        outcome = StepOutcome.SUCCESS
        for mapping_key in state.mapping_keys.get(step.node.mapped_over, []):
            key = f"{step.key}[{mapping_key}]"
            result = execute_step(step, state, step_key=key, mapping_key=mapping_key)
            if result is not StepOutcome.SUCCESS:
                outcome = result
        return outcome
