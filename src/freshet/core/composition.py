"""Recording a graph: inside `@graph`/`@job` bodies, calling an op records a node instead of
running it. The recording is a stack of compositions held in a context variable."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from freshet.errors import InvalidDefinitionError


@dataclass(frozen=True, slots=True)
class GraphInputHandle:
    name: str


@dataclass(frozen=True, slots=True)
class OutputHandle:
    """The output `output_name` of node `node_name`; `mapped_over` when inside a `.map`."""

    node_name: str
    output_name: str
    mapped_over: tuple[str, str] | None = None

    def collect(self) -> CollectHandle:
        if self.mapped_over is None:
            raise InvalidDefinitionError(
                f"collect() on {self.node_name}.{self.output_name}: only outputs of ops "
                "inside a .map() over a DynamicOut can be collected"
            )
        return CollectHandle(self.node_name, self.output_name)

    def map(self, fn: Callable[[OutputHandle], Any]) -> Any:
        """Map `fn` over the same mapping keys again (`split().map(a).map(b)`): each op `fn`
        invokes runs once per key, on this op's output for that key."""
        if self.mapped_over is None:
            raise InvalidDefinitionError(
                f"map() on {self.node_name}.{self.output_name}: only a DynamicOut, or an "
                "output of an op inside a .map() over one, can be mapped"
            )
        return fn(self)


@dataclass(frozen=True, slots=True)
class DynamicOutputHandle:
    """A DynamicOut output: `.map(fn)` fans out one invocation per yielded mapping key."""

    node_name: str
    output_name: str

    def map(self, fn: Callable[[OutputHandle], Any]) -> Any:
        source = (self.node_name, self.output_name)
        return fn(OutputHandle(self.node_name, self.output_name, mapped_over=source))

    def collect(self) -> CollectHandle:
        return CollectHandle(self.node_name, self.output_name)


@dataclass(frozen=True, slots=True)
class CollectHandle:
    node_name: str
    output_name: str


InputSource = GraphInputHandle | OutputHandle | CollectHandle | tuple[OutputHandle, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeInvocation:
    name: str
    definition: Any  # an OpDefinition
    inputs: Mapping[str, InputSource]
    mapped_over: tuple[str, str] | None = None


@dataclass(slots=True)
class PendingNode:
    """`op.alias("name")`: call it to record the op under another node name."""

    definition: Any
    alias: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return invoke(self.definition, self.alias, args, kwargs)


@dataclass
class Composition:
    graph_name: str
    nodes: dict[str, NodeInvocation] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)

    def unique_name(self, base: str) -> str:
        """`base`, then `base_2`, `base_3`... skipping names another node already has."""
        count = self.uses.get(base, 0)
        while True:
            count += 1
            name = base if count == 1 else f"{base}_{count}"
            if name not in self.nodes:
                self.uses[base] = count
                return name

    def claim(self, alias: str) -> str:
        if alias in self.nodes:
            raise InvalidDefinitionError(
                f"graph {self.graph_name!r}: node name {alias!r} is already used; pick another "
                "alias"
            )
        return alias


_STACK: contextvars.ContextVar[tuple[Composition, ...]] = contextvars.ContextVar(
    "freshet_composition", default=()
)


def is_composing() -> bool:
    return bool(_STACK.get())


@contextmanager
def composing(graph_name: str) -> Iterator[Composition]:
    comp = Composition(graph_name)
    token = _STACK.set((*_STACK.get(), comp))
    try:
        yield comp
    finally:
        _STACK.reset(token)


def _bind(definition: Any, args: Sequence[Any], kwargs: Mapping[str, Any], node: str) -> dict:
    names = list(definition.ins)
    if len(args) > len(names):
        raise InvalidDefinitionError(
            f"node {node!r}: called with {len(args)} positional inputs, op "
            f"{definition.name!r} has {len(names)} ({', '.join(names) or 'none'})"
        )
    bound: dict[str, Any] = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in definition.ins:
            raise InvalidDefinitionError(
                f"node {node!r}: op {definition.name!r} has no input {key!r} "
                f"(inputs: {', '.join(names) or 'none'})"
            )
        if key in bound:
            raise InvalidDefinitionError(f"node {node!r}: input {key!r} given twice")
        bound[key] = value
    return bound


def _source_of(value: Any, node: str, input_name: str) -> InputSource:
    if isinstance(value, GraphInputHandle | OutputHandle | CollectHandle):
        return value
    if isinstance(value, DynamicOutputHandle):
        raise InvalidDefinitionError(
            f"node {node!r} input {input_name!r}: a DynamicOut must be used with .map(...) or "
            ".collect()"
        )
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, OutputHandle) for v in value)
    ):
        return tuple(value)
    raise InvalidDefinitionError(
        f"node {node!r} input {input_name!r}: inside a graph, inputs must be outputs of other "
        f"ops or graph inputs, got {type(value).__name__}"
    )


def invoke(definition: Any, alias: str | None, args: Sequence[Any], kwargs: Mapping[str, Any]):
    stack = _STACK.get()
    if not stack:
        raise InvalidDefinitionError(
            f"{definition.name}.alias(...) can only be called inside a @graph or @job body"
        )
    comp = stack[-1]
    name = comp.claim(alias) if alias else comp.unique_name(definition.name)
    sources = {
        key: _source_of(value, name, key)
        for key, value in _bind(definition, args, kwargs, name).items()
    }
    mapped = {s.mapped_over for s in sources.values() if isinstance(s, OutputHandle)} - {None}
    if len(mapped) > 1:
        raise InvalidDefinitionError(f"node {name!r}: inputs mapped over two dynamic outputs")
    mapped_over = mapped.pop() if mapped else None
    comp.nodes[name] = NodeInvocation(
        name=name, definition=definition, inputs=sources, mapped_over=mapped_over
    )
    return _handles(definition, name, mapped_over)


def _handles(definition: Any, name: str, mapped_over: tuple[str, str] | None) -> Any:
    outs = definition.outs
    handles = []
    for out_name, out in outs.items():
        if out.is_dynamic:
            if mapped_over is not None:
                raise InvalidDefinitionError(f"node {name!r}: nested dynamic outputs")
            handles.append(DynamicOutputHandle(name, out_name))
        else:
            handles.append(OutputHandle(name, out_name, mapped_over))
    if len(handles) == 1:
        return handles[0]
    tuple_type = NamedTuple(f"{name}_outputs", [(n, Any) for n in outs])  # type: ignore[misc]
    return tuple_type(*handles)


def inline_graph(graph_def: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Calling a graph inside another graph: its nodes join the outer graph under
    `<graph name>.<node name>`, its inputs wired to what the call passed."""
    stack = _STACK.get()
    comp = stack[-1]
    names = list(graph_def.input_names)
    if len(args) > len(names):
        raise InvalidDefinitionError(
            f"graph {graph_def.name!r}: called with {len(args)} positional inputs, it has "
            f"{len(names)} ({', '.join(names) or 'none'})"
        )
    bound: dict[str, Any] = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names or key in bound:
            raise InvalidDefinitionError(
                f"graph {graph_def.name!r}: unknown or repeated input {key!r} "
                f"(inputs: {', '.join(names) or 'none'})"
            )
        bound[key] = value
    missing = [n for n in names if n not in bound]
    if missing:
        raise InvalidDefinitionError(
            f"graph {graph_def.name!r}: no value for input(s) {', '.join(missing)}"
        )
    prefix = comp.unique_name(graph_def.name)
    outer = {name: _source_of(value, prefix, name) for name, value in bound.items()}

    def renamed(node_name: str) -> str:
        return f"{prefix}.{node_name}"

    def remap(source: Any) -> Any:
        if isinstance(source, GraphInputHandle):
            return outer[source.name]
        if isinstance(source, OutputHandle):
            mapped = source.mapped_over
            return OutputHandle(
                renamed(source.node_name),
                source.output_name,
                None if mapped is None else (renamed(mapped[0]), mapped[1]),
            )
        if isinstance(source, CollectHandle):
            return CollectHandle(renamed(source.node_name), source.output_name)
        if isinstance(source, tuple):
            return tuple(remap(s) for s in source)
        return source

    for node in graph_def.nodes.values():
        inputs = {key: remap(source) for key, source in node.inputs.items()}
        mapped_over = node.mapped_over
        if mapped_over is not None:
            mapped_over = (renamed(mapped_over[0]), mapped_over[1])
        else:
            from_outer = {s.mapped_over for s in inputs.values() if isinstance(s, OutputHandle)}
            from_outer.discard(None)
            mapped_over = from_outer.pop() if from_outer else None
        name = renamed(node.name)
        comp.nodes[name] = NodeInvocation(
            name=name, definition=node.definition, inputs=inputs, mapped_over=mapped_over
        )
    outputs = [remap(handle) for handle in graph_def.output_map.values()]
    if not outputs:
        return None
    if list(graph_def.output_map) == ["result"]:
        return outputs[0]
    tuple_type = NamedTuple(  # type: ignore[misc]
        f"{prefix}_outputs", [(n, Any) for n in graph_def.output_map]
    )
    return tuple_type(*outputs)
