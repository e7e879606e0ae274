"""`@graph` and `@job`: ops composed by calling them; the graph's nodes, inputs, outputs.

`@job` lives here rather than in jobs.py because a job is built from a graph, and
`GraphDefinition.to_job` needs `JobDefinition`; jobs.py stays below graphs.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from freshet.core import composition
from freshet.core.composition import (
    CollectHandle,
    GraphInputHandle,
    NodeInvocation,
    OutputHandle,
)
from freshet.core.jobs import JobDefinition
from freshet.core.keys import check_name
from freshet.core.retries import RetryPolicy
from freshet.core.signature import read_function_shape
from freshet.errors import InvalidDefinitionError


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class GraphDefinition:
    name: str
    nodes: Mapping[str, NodeInvocation]
    input_names: tuple[str, ...]
    output_map: Mapping[str, OutputHandle]
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_job(
        self,
        name: str | None = None,
        *,
        resource_defs: Mapping[str, Any] | None = None,
        config: Any = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        executor_def: Any = None,
        op_retry_policy: Any = None,
        allow_inputs: bool = False,
        partitions_def: Any = None,
    ) -> JobDefinition:
        if self.input_names and not allow_inputs:
            raise InvalidDefinitionError(
                f"graph {self.name!r} has inputs ({', '.join(self.input_names)}) and cannot "
                "become a job: a job's ops must get every input from other ops"
            )
        # Imported here for start-up time: only a job needs it.
        from freshet.core.config_mapping import ConfigMapping, PartitionedConfig

        graph = self if op_retry_policy is None else _with_default_retry(self, op_retry_policy)
        if isinstance(config, PartitionedConfig):
            if partitions_def is not None and partitions_def != config.partitions_def:
                raise InvalidDefinitionError(
                    f"job {name or self.name!r}: partitions_def differs from that of its "
                    "partitioned config; give one"
                )
            partitions_def = config.partitions_def
        elif not isinstance(config, ConfigMapping):
            config = dict(config or {})
        return JobDefinition(
            name=check_name(name or self.name, "job name"),
            graph=graph,
            resource_defs=dict(resource_defs or {}),
            config=config,
            partitions_def=partitions_def,
            tags={**self.tags, **(tags or {})},
            description=description or self.description,
            executor_def=executor_def,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if composition.is_composing():
            return composition.inline_graph(self, args, kwargs)
        raise InvalidDefinitionError(
            f"graph {self.name!r}: a graph runs inside a @job or @graph body, or with "
            f"{self.name}.execute_in_process()"
        )

    def execute_in_process(
        self,
        run_config: Any = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        *,
        raise_on_error: bool = True,
        tags: Mapping[str, str] | None = None,
        op_selection: Any = None,
        input_values: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run this graph as a job in this process (ephemeral instance unless given);
        `input_values` gives the graph's own inputs."""
        job = self.to_job(resource_defs=resources, allow_inputs=True)
        return job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=raise_on_error,
            tags=tags,
            op_selection=op_selection,
            input_values=input_values,
        )


def _with_default_retry(graph: GraphDefinition, policy: Any) -> GraphDefinition:
    """The graph with `policy` on every op that has no retry policy of its own."""
    if not isinstance(policy, RetryPolicy):
        raise InvalidDefinitionError(
            f"job {graph.name!r}: op_retry_policy must be a RetryPolicy, got {policy!r}"
        )
    nodes = {
        name: node
        if node.definition.retry_policy is not None
        else replace(node, definition=node.definition.with_retry_policy(policy))
        for name, node in graph.nodes.items()
    }
    return replace(graph, nodes=nodes)


def _output_map(returned: Any, name: str) -> dict[str, OutputHandle]:
    if returned is None:
        return {}
    if isinstance(returned, OutputHandle):
        return {"result": returned}
    if isinstance(returned, Mapping):
        result = {}
        for key, value in returned.items():
            if not isinstance(value, OutputHandle):
                raise InvalidDefinitionError(f"graph {name!r}: output {key!r} is not an op output")
            result[key] = value
        return result
    if isinstance(returned, tuple) and all(isinstance(v, OutputHandle) for v in returned):
        fields = getattr(returned, "_fields", None) or [f"result_{i}" for i in range(len(returned))]
        return dict(zip(fields, returned, strict=True))
    if isinstance(returned, CollectHandle):
        raise InvalidDefinitionError(
            f"graph {name!r}: return a collected output by passing it to an op first"
        )
    raise InvalidDefinitionError(
        f"graph {name!r} returned {type(returned).__name__}; return an op output, a dict of "
        "op outputs, or nothing"
    )


def build_graph(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> GraphDefinition:
    graph_name = check_name(name or fn.__name__, "graph name")
    shape = read_function_shape(fn, what=f"graph {graph_name!r}")
    inputs = shape.data_param_names
    with composition.composing(graph_name) as comp:
        returned = fn(*(GraphInputHandle(n) for n in inputs))
    if not comp.nodes:
        raise InvalidDefinitionError(f"graph {graph_name!r} ({shape.location}) calls no ops")
    return GraphDefinition(
        name=graph_name,
        nodes=dict(comp.nodes),
        input_names=inputs,
        output_map=_output_map(returned, graph_name),
        description=description or (fn.__doc__ or "").strip() or None,
    )


def graph(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Any:
    """Compose ops: inside the body, calling an op records a node and returns its output."""

    def decorate(func: Callable[..., Any]) -> GraphDefinition:
        return build_graph(func, name=name, description=description)

    return decorate(fn) if fn is not None else decorate


def job(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config: Any = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    executor_def: Any = None,
    op_retry_policy: Any = None,
    partitions_def: Any = None,
    run_tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    owners: Any = None,
) -> Any:
    """Compose ops into a runnable job (a graph plus resources, default config and tags).
    `op_retry_policy` applies to every op without a retry policy of its own; `run_tags` are
    added to the job's tags; `metadata` and `owners` describe it and do not change a run."""

    def decorate(func: Callable[..., Any]) -> JobDefinition:
        built = build_graph(func, name=name, description=description)
        if built.input_names:
            raise InvalidDefinitionError(
                f"job {built.name!r}: a job's function takes no inputs "
                f"(got {', '.join(built.input_names)})"
            )
        return built.to_job(
            resource_defs=resource_defs,
            config=config,
            tags={**(tags or {}), **(run_tags or {})},
            executor_def=executor_def,
            op_retry_policy=op_retry_policy,
            partitions_def=partitions_def,
        )

    return decorate(fn) if fn is not None else decorate
