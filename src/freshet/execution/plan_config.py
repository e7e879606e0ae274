"""Checking a run config against a plan: every node's and resource's config, with paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freshet.core.resources import resource_config_schema
from freshet.core.run_config import ResolvedRunConfig, schema_for, validate_run_config
from freshet.errors import ConfigError
from freshet.execution.plan import ExecutionPlan, StepKind


def _config_schemas(plan: ExecutionPlan) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for step in plan.steps:
        ops = [(step.config_node_name, step.op)] if step.op is not None else []
        if step.graph is not None:
            ops += [(node.name, node.definition) for node in step.graph.nodes.values()]
        for name, op_def in ops:
            schemas[name] = schema_for(op_def.config_schema, f"ops.{name}.config")
    return schemas


def validate_plan_config(
    plan: ExecutionPlan, run_config: Any, resources: Mapping[str, Any]
) -> ResolvedRunConfig:
    """Check `run_config` against every node and resource of `plan`; raise one
    `ConfigError` listing every problem with its path."""
    schemas = _config_schemas(plan)
    resource_schemas = {k: resource_config_schema(v) for k, v in resources.items()}
    # ops an op selection leaves out may keep their config (a re-execution keeps the job's)
    optional = {
        name: schema_for(op_def.config_schema, f"ops.{name}.config")
        for name, op_def in plan.unselected.items()
    }
    resolved = validate_run_config(
        run_config, ops=schemas, resources=resource_schemas, optional_ops=optional
    )
    problems = _input_problems(plan, resolved.op_inputs)
    if problems:
        raise ConfigError(problems)
    return resolved


def _input_problems(plan: ExecutionPlan, given: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Run config `inputs` may give only inputs that no op of the run feeds."""
    problems = []
    steps = {step.config_node_name: step for step in plan.steps}
    for node, inputs in given.items():
        left_out = plan.unselected.get(node)
        if left_out is not None:  # checked, then ignored, like the op's config
            problems += [
                f"ops.{node}.inputs.{name}: op {left_out.name!r} has no input {name!r} "
                f"({', '.join(left_out.ins) or 'none'})"
                for name in inputs
                if name not in left_out.ins
            ]
            continue
        step = steps.get(node)
        if step is None or step.op is None or step.kind is not StepKind.OP:
            problems.append(f"ops.{node}.inputs: only ops of an op job take inputs from config")
            continue
        specs = {spec.name: spec for spec in step.inputs}
        for name in inputs:
            where = f"ops.{node}.inputs.{name}"
            if name not in step.op.ins:
                known = ", ".join(step.op.ins) or "none"
                problems.append(f"{where}: op {step.op.name!r} has no input {name!r} ({known})")
            elif name in specs and specs[name].source is not None and not specs[name].outside:
                problems.append(
                    f"{where}: this input is wired to an op of the run (or a graph input); "
                    "remove it"
                )
    return problems
