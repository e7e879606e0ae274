"""The in-process executor: steps one after another in this process, in plan order, with
the run's resources initialised here once."""

from __future__ import annotations

from freshet.execution.executors.base import ExecutorRun, initialised_resources, run_step, skip_all
from freshet.execution.plan import ExecutionPlan


class InProcessExecutor:
    """Runs each step in this process; a step whose upstream did not succeed is skipped."""

    name = "in_process"

    def execute(self, plan: ExecutionPlan, run: ExecutorRun) -> None:
        state = run.state
        with initialised_resources(
            run.resources, run.resource_config, run.needed_resources, state
        ) as resources:
            if resources is None:
                skip_all(plan.steps, state, "resources failed to initialise")
                state.sink.flush()
                return
            state.resources = resources
            for step in plan.steps:
                run_step(step, state)
            state.sink.flush()
