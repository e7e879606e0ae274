"""Checking a run config against a plan: every node's and resource's config, with paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freshet.core.resources import resource_config_schema
from freshet.core.run_config import ResolvedRunConfig, schema_for, validate_run_config
from freshet.execution.plan import ExecutionPlan


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
    return validate_run_config(run_config, ops=schemas, resources=resource_schemas)
