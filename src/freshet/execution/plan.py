"""Planning: a selection of assets (or an op job's graph) becomes ordered steps.

One step per op node, per asset definition (all of its selected assets) and per asset
check with its own function. Steps are ordered so every step comes after the steps it
depends on; a blocking check is an ordering dependency of everything downstream of its
asset."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from freshet.core.assets import AssetsDefinition
from freshet.core.checks import AssetChecksDefinition, AssetCheckSpec
from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY, OpDefinition
from freshet.errors import CycleError, SelectionError, UsageError
from freshet.lineage import dag
from freshet.lineage.view import ExecutableAssetGraph

if TYPE_CHECKING:
    from freshet.core.composition import NodeInvocation
    from freshet.core.graphs import GraphDefinition


class StepKind(StrEnum):
    ASSET = "ASSET"
    CHECK = "CHECK"
    OP = "OP"
    OBSERVE = "OBSERVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepInput:
    """Where one input of a step comes from.

    Asset steps name the upstream `asset_key`; `upstream_step` is set when that asset is
    produced in this same run. Op steps name a node output (or a collected/fanned-in set
    of outputs) through `source`."""

    name: str
    asset_key: AssetKey | None = None
    upstream_step: str | None = None
    upstream_output: str | None = None
    source: Any = None
    io_manager_key: str = DEFAULT_IO_MANAGER_KEY
    upstream_partitioned: bool = False
    #: an op input whose upstream op is neither in this run nor reused from an earlier run:
    #: its value comes from run config `inputs`, else the input's default
    outside: bool = False


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Step:
    key: str
    kind: StepKind
    op: OpDefinition | None
    assets_def: AssetsDefinition | None = None
    check_def: AssetChecksDefinition | None = None
    graph: GraphDefinition | None = None
    asset_keys: tuple[AssetKey, ...] = ()
    check_keys: tuple[AssetCheckKey, ...] = ()
    inputs: tuple[StepInput, ...] = ()
    upstream_steps: frozenset[str] = frozenset()
    node: NodeInvocation | None = None
    #: a mapped op re-executed over a fan-out loaded from an earlier run: the mapping keys it
    #: does not run again (their outputs are loaded from the run that stored them)
    done_mapping_keys: frozenset[str] = frozenset()

    @property
    def config_node_name(self) -> str:
        """The name this step's config is given under in run config (`ops.<name>`)."""
        if self.node is not None:
            return self.node.name
        if self.op is not None:
            return self.op.name
        return self.key


class PlanKind(StrEnum):
    ASSETS = "assets"
    OBSERVATIONS = "observations"
    GRAPH = "graph"


#: (node, output name) -> the id of the run that stored that output
ReusedOutputs = Mapping[tuple[str, str], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRef:
    """How a plan was made, as data: another process with the same definitions makes the
    same plan again from it (`plan_assets`, `plan_observations`, or the job's graph, with
    the op selection and the outputs reused from earlier runs)."""

    kind: PlanKind
    asset_keys: tuple[AssetKey, ...] = ()
    include_checks: bool = True
    #: op graphs: the selected nodes (empty: all of them)
    op_selection: tuple[str, ...] = ()
    reused_outputs: tuple[tuple[str, str, str], ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "__type__": "PlanRef",
            "version": 1,
            "kind": self.kind.value,
            "asset_keys": [list(k.path) for k in self.asset_keys],
            "include_checks": self.include_checks,
            "op_selection": list(self.op_selection),
            "reused_outputs": [list(row) for row in self.reused_outputs],
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> PlanRef:
        if data.get("__type__") != "PlanRef" or data.get("version") != 1:
            raise ValueError(f"not a version-1 PlanRef: {data!r:.200}")
        return cls(
            kind=PlanKind(data["kind"]),
            asset_keys=tuple(AssetKey(tuple(path)) for path in data["asset_keys"]),
            include_checks=bool(data["include_checks"]),
            op_selection=tuple(data.get("op_selection", ())),
            reused_outputs=tuple(
                (node, output, run_id) for node, output, run_id in data.get("reused_outputs", ())
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReusedOutput:
    """An output of an op the run does not execute, loaded from the run that stored it
    (op outputs are identified by run id, step key and output name)."""

    run_id: str
    io_manager_key: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: the (first) step of this run that reads it
    read_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionPlan:
    steps: tuple[Step, ...]
    asset_keys: frozenset[AssetKey] = frozenset()
    check_keys: frozenset[AssetCheckKey] = frozenset()
    by_key: Mapping[str, Step] = field(default_factory=dict)
    ref: PlanRef = PlanRef(kind=PlanKind.GRAPH)
    #: op graphs: outputs of ops outside the run that its steps read, by (node, output)
    reused: Mapping[tuple[str, str], ReusedOutput] = field(default_factory=dict)
    #: op graphs: the op definitions of the nodes an op selection leaves out, by node name
    #: (run config may still configure them: it is checked, then ignored)
    unselected: Mapping[str, OpDefinition] = field(default_factory=dict)
    #: op graphs: the dynamic outputs of nodes the run does not execute whose fan-outs it
    #: reads from an earlier run, with their mapping keys in the order they were yielded
    fan_outs: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    #: op graphs: the mapped nodes the run does not execute whose outputs a step collects,
    #: with the dynamic output each is mapped over
    collected: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def step(self, key: str) -> Step:
        return self.by_key[key]

    @property
    def step_keys(self) -> list[str]:
        return [s.key for s in self.steps]


def _ordered(steps: list[Step]) -> tuple[Step, ...]:
    by_key = {s.key: s for s in steps}
    parents = {s.key: s.upstream_steps for s in steps}
    cycle = dag.find_cycle(list(by_key), parents)
    if cycle:
        raise CycleError(
            "these steps depend on each other in a cycle: " + " -> ".join(cycle) + "; a "
            "multi_asset whose outputs depend on each other through other assets must "
            "be split"
        )
    return tuple(by_key[k] for k in dag.toposort(list(by_key), parents))


# ---- asset plans ----------------------------------------------------------------------


def plan_assets(
    graph: ExecutableAssetGraph,
    asset_keys: Iterable[AssetKey],
    *,
    include_checks: bool = True,
) -> ExecutionPlan:
    """Steps that materialize `asset_keys` (plus their checks) in dependency order."""
    requested = {k for k in asset_keys if graph.node(k).is_materializable}
    if not requested:
        raise SelectionError(
            "nothing to materialize: the selection holds no materializable assets "
            "(source and external assets are observed or made elsewhere)"
        )
    by_def: dict[int, tuple[AssetsDefinition, list[AssetKey]]] = {}
    for key in graph.toposort_subset(requested):
        assets_def = graph.assets_def_for(key)
        by_def.setdefault(id(assets_def), (assets_def, []))[1].append(key)
    producer: dict[AssetKey, str] = {}
    for assets_def, keys in by_def.values():
        _check_subset(assets_def, keys)
        for key in keys:
            producer[key] = assets_def.node_name
    blocking = _blocking_check_steps(graph, requested) if include_checks else {}
    steps: list[Step] = []
    for assets_def, keys in by_def.values():
        steps.append(_asset_step(graph, assets_def, keys, producer, blocking))
    check_keys: set[AssetCheckKey] = set()
    check_defs: dict[int, tuple[AssetChecksDefinition, list[AssetCheckSpec]]] = {}
    for key in graph.toposort_subset(requested):
        for spec in graph.check_specs_for(key):
            check_keys.add(spec.key)
            check_def = graph.check_defs.get(spec.key)
            if check_def is not None and include_checks:
                check_defs.setdefault(id(check_def), (check_def, []))[1].append(spec)
    for check_def, specs in check_defs.values():
        steps.append(_check_step(graph, check_def, specs, producer))
    ordered = _ordered(steps)
    return ExecutionPlan(
        steps=ordered,
        asset_keys=frozenset(requested),
        check_keys=frozenset(check_keys),
        by_key={s.key: s for s in ordered},
        ref=PlanRef(
            kind=PlanKind.ASSETS, asset_keys=tuple(sorted(requested)), include_checks=include_checks
        ),
    )


def _check_subset(assets_def: AssetsDefinition, keys: list[AssetKey]) -> None:
    if assets_def.can_subset or len(keys) == len(assets_def.keys):
        return
    missing = sorted(k.to_user_string() for k in set(assets_def.keys) - set(keys))
    raise SelectionError(
        f"{assets_def.node_name!r} produces its assets together and cannot run a subset; "
        f"also select {', '.join(missing)} (AssetSelection.required_multi_asset_neighbors() "
        "does this)"
    )


def _blocking_check_steps(
    graph: ExecutableAssetGraph, keys: set[AssetKey]
) -> dict[AssetKey, set[str]]:
    result: dict[AssetKey, set[str]] = {}
    for key in keys:
        for spec in graph.check_specs_for(key):
            check_def = graph.check_defs.get(spec.key)
            if spec.blocking and check_def is not None:
                result.setdefault(key, set()).add(check_def.op.name)
    return result


def _asset_step(
    graph: ExecutableAssetGraph,
    assets_def: AssetsDefinition,
    keys: list[AssetKey],
    producer: Mapping[AssetKey, str],
    blocking: Mapping[AssetKey, set[str]],
) -> Step:
    own = assets_def.node_name
    upstream: set[str] = set()
    for key in keys:
        for parent in graph.parents(key):
            step = producer.get(parent)
            if step is not None and step != own:
                upstream.add(step)
                upstream |= blocking.get(parent, set())
    inputs = []
    for name, key in assets_def.keys_by_input.items():
        step_input = _asset_input(graph, name, key, producer, own)
        in_def = assets_def.op.ins.get(name) if assets_def.op is not None else None
        if in_def is not None and in_def.input_manager_key:
            step_input = replace(step_input, io_manager_key=in_def.input_manager_key)
        inputs.append(step_input)
    return Step(
        key=own,
        kind=StepKind.ASSET,
        op=assets_def.op,
        assets_def=assets_def,
        graph=assets_def.graph,
        asset_keys=tuple(keys),
        check_keys=tuple(s.key for s in assets_def.check_specs if s.asset_key in keys),
        inputs=tuple(inputs),
        upstream_steps=frozenset(upstream),
    )


def _asset_input(
    graph: ExecutableAssetGraph,
    name: str,
    key: AssetKey,
    producer: Mapping[AssetKey, str],
    own: str | None,
) -> StepInput:
    source_step = producer.get(key)
    upstream = graph.node(key)
    upstream_def = graph.assets_def_for(key)
    return StepInput(
        name=name,
        asset_key=key,
        upstream_step=source_step if source_step != own else None,
        upstream_output=upstream_def.output_names_by_key.get(key),
        io_manager_key=upstream_def.io_manager_keys.get(key, DEFAULT_IO_MANAGER_KEY),
        upstream_partitioned=upstream.partitions_def is not None,
    )


def _check_step(
    graph: ExecutableAssetGraph,
    check_def: AssetChecksDefinition,
    specs: list[AssetCheckSpec],
    producer: Mapping[AssetKey, str],
) -> Step:
    """One step evaluating `specs` (those of `check_def` whose assets are planned)."""
    upstream: set[str] = set()
    for spec in check_def.specs:
        upstream |= {producer[k] for k in (spec.asset_key, *spec.additional_deps) if k in producer}
    inputs: tuple[StepInput, ...] = ()
    if check_def.asset_input is not None:
        asset_key = check_def.spec.asset_key
        inputs = (_asset_input(graph, check_def.asset_input, asset_key, producer, None),)
    inputs += tuple(
        _asset_input(graph, name, key, producer, None)
        for name, key in check_def.additional_ins.items()
    )
    return Step(
        key=check_def.op.name,
        kind=StepKind.CHECK,
        op=check_def.op,
        check_def=check_def,
        check_keys=tuple(spec.key for spec in specs),
        inputs=inputs,
        upstream_steps=frozenset(upstream),
    )


def plan_observations(graph: ExecutableAssetGraph, asset_keys: Iterable[AssetKey]) -> ExecutionPlan:
    """One step per observable source asset in `asset_keys` (others are ignored)."""
    keys = [k for k in graph.toposort_subset(asset_keys) if graph.node(k).is_observable]
    if not keys:
        raise SelectionError(
            "nothing to observe: the selection holds no observable source assets "
            "(define them with @observable_source_asset)"
        )
    steps = []
    for key in keys:
        assets_def = graph.assets_def_for(key)
        steps.append(
            Step(
                key=assets_def.node_name,
                kind=StepKind.OBSERVE,
                op=assets_def.op,
                assets_def=assets_def,
                asset_keys=(key,),
            )
        )
    return ExecutionPlan(
        steps=tuple(steps),
        by_key={s.key: s for s in steps},
        ref=PlanRef(kind=PlanKind.OBSERVATIONS, asset_keys=tuple(keys)),
    )


# ---- op job plans ---------------------------------------------------------------------


def plan_graph(
    graph_def: GraphDefinition,
    *,
    op_selection: Sequence[str] | None = None,
    reused_outputs: ReusedOutputs | None = None,
) -> ExecutionPlan:
    """One step per node of an op graph (of the nodes `op_selection` selects, when given);
    dynamic (mapped) nodes expand when run.

    A selected node mapped over a dynamic output, or collecting one, brings along the node
    that yields the output and every node mapped over it: mapping keys are known only by
    running that node, so such a fan-out runs whole. Unless `reused_outputs` hold the fan-out
    from an earlier run: the mapping keys (rows `yielder[key]`, in the order they were
    yielded) and, for a node that only collects, every collected output. Then a mapped node
    runs for every key, or for the keys its selection names (`square[k2]`; the outputs of its
    other keys are loaded), and a collecting node loads the outputs it gathers. Any other
    input whose upstream node is not selected is loaded from `reused_outputs` (the run that
    stored that output) when it is there; otherwise it is marked `outside` (run config
    `inputs` or its default give it)."""
    # Imported here for start-up time: a run of assets never selects ops.
    from freshet.core.op_selection import select_nodes, selected_mapping_keys

    nodes = graph_def.nodes
    selected = set(nodes) if op_selection is None else set(select_nodes(nodes, op_selection))
    stored = dict(reused_outputs or {})
    known_keys = _mapping_keys(stored)
    selected = _with_whole_fan_outs(nodes, selected, stored, known_keys)
    fan_outs: dict[tuple[str, str], tuple[str, ...]] = {}
    collected: dict[str, tuple[str, str]] = {}
    done = _done_mapping_keys(
        nodes, selected, stored, known_keys, selected_mapping_keys(op_selection or ())
    )
    reused: dict[tuple[str, str], ReusedOutput] = {}
    steps = []
    for node in nodes.values():
        if node.name not in selected:
            continue
        inputs = []
        upstream: set[str] = set()
        for name, source in node.inputs.items():
            # an input manager loads its input whatever produced it
            reader = _Reader(node, name, known_keys, done.get(node.name, frozenset()))
            outside = not node.definition.ins[name].input_manager_key and _reads_outside(
                reader, source, nodes, selected, stored, reused
            )
            inputs.append(StepInput(name=name, source=source, outside=outside))
            upstream |= _source_nodes(source) & selected
            for origin, collected_node in _fan_outs_read(source, nodes, selected):
                fan_outs[origin] = tuple(known_keys[origin])
                if collected_node is not None:
                    collected[collected_node] = origin
        for name, in_def in node.definition.ins.items():
            if in_def.input_manager_key and name not in node.inputs:
                # a root input: loaded by its input manager alone
                inputs.append(StepInput(name=name, io_manager_key=in_def.input_manager_key))
        if node.mapped_over is not None and node.mapped_over[0] in selected:
            upstream.add(node.mapped_over[0])
        for key in sorted(done.get(node.name, ())):
            for output in node.definition.outs:
                if (f"{node.name}[{key}]", output) in stored:
                    _reuse(nodes, stored, reused, node.name, node.name, key, output)
        steps.append(
            Step(
                key=node.name,
                kind=StepKind.OP,
                op=node.definition,
                inputs=tuple(inputs),
                upstream_steps=frozenset(upstream),
                node=node,
                done_mapping_keys=done.get(node.name, frozenset()),
            )
        )
    ordered = _ordered(steps)
    subset = op_selection is not None and selected != set(nodes)
    rows: dict[tuple[str, str], str] = {}
    for (yielder, output), keys in fan_outs.items():
        for key in keys:
            # the mapping keys travel as the rows of the dynamic output, in yielded order
            row = (f"{yielder}[{key}]", output)
            rows[row] = stored[row]
    for row, reused_output in reused.items():
        rows.setdefault(row, reused_output.run_id)
    ref = PlanRef(
        kind=PlanKind.GRAPH,
        op_selection=_selection_entries(ordered, fan_outs) if subset else (),
        reused_outputs=ordered_output_rows((n, o, run_id) for (n, o), run_id in rows.items()),
    )
    unselected = {name: node.definition for name, node in nodes.items() if name not in selected}
    return ExecutionPlan(
        steps=ordered,
        by_key={s.key: s for s in ordered},
        ref=ref,
        reused=reused,
        unselected=unselected,
        fan_outs=fan_outs,
        collected=collected,
    )


def _selection_entries(
    steps: Sequence[Step], fan_outs: Mapping[tuple[str, str], tuple[str, ...]]
) -> tuple[str, ...]:
    """The op selection that makes the plan of `steps` again: their nodes, and for a mapped
    node running only some keys of a fan-out loaded from an earlier run, those keys."""
    entries: list[str] = []
    for step in steps:
        node = step.node
        if step.done_mapping_keys and node is not None and node.mapped_over is not None:
            keys = fan_outs.get(node.mapped_over, ())
            entries += [f"{step.key}[{k}]" for k in keys if k not in step.done_mapping_keys]
        else:
            entries.append(step.key)
    return tuple(entries)


def ordered_output_rows(
    rows: Iterable[tuple[str, str, str]],
) -> tuple[tuple[str, str, str], ...]:
    """(node, output, run id) rows sorted by node and output, the outputs of a mapped node
    (`node[key]`) kept in the order given: for a dynamic output, the order its mapping keys
    were yielded."""
    return tuple(sorted(rows, key=lambda row: (row[0].split("[", 1)[0], row[1])))


def _mapping_keys(stored: ReusedOutputs) -> dict[tuple[str, str], list[str]]:
    """The mapping keys of each dynamic output among stored rows (`node[key]`), in order:
    of every node's outputs by mapping key, those of dynamic outputs serve."""
    keys: dict[tuple[str, str], list[str]] = {}
    for node, output in stored:
        if node.endswith("]") and "[" in node:
            base, key = node[:-1].split("[", 1)
            keys.setdefault((base, output), []).append(key)
    return keys


def _origin(nodes: Mapping[str, NodeInvocation], handle: Any) -> tuple[str, str]:
    """The dynamic output a collected (or per-key) source fans out from."""
    return nodes[handle.node_name].mapped_over or (handle.node_name, handle.output_name)


def _loadable_collect(
    nodes: Mapping[str, NodeInvocation],
    handle: Any,
    stored: ReusedOutputs,
    known_keys: Mapping[tuple[str, str], list[str]],
) -> bool:
    """Whether the outputs a collect of `handle` gathers are all stored by earlier runs."""
    keys = known_keys.get(_origin(nodes, handle))
    return bool(keys) and all(
        (f"{handle.node_name}[{k}]", handle.output_name) in stored for k in keys
    )


def _with_whole_fan_outs(
    nodes: Mapping[str, NodeInvocation],
    selected: set[str],
    stored: ReusedOutputs,
    known_keys: Mapping[tuple[str, str], list[str]],
) -> set[str]:
    """`selected` plus, for each fan-out a selected node reads that runs again (its yielder is
    selected) or that earlier runs do not hold, the node yielding the dynamic output and
    every node mapped over it."""
    # Imported here for start-up time: only op graphs have sources (see _source_handles).
    from freshet.core.composition import CollectHandle

    while True:
        yielders: set[str] = set()
        for name in selected:
            origin = nodes[name].mapped_over
            if origin is not None and (origin[0] in selected or origin not in known_keys):
                yielders.add(origin[0])
            for source in nodes[name].inputs.values():
                if not isinstance(source, CollectHandle) or source.node_name in selected:
                    continue
                origin = _origin(nodes, source)
                if origin[0] in selected or not _loadable_collect(
                    nodes, source, stored, known_keys
                ):
                    yielders.add(origin[0])
        family = {n.name for n in nodes.values() if n.mapped_over and n.mapped_over[0] in yielders}
        grown = selected | yielders | family
        if grown == selected:
            return selected
        selected = grown


def _done_mapping_keys(
    nodes: Mapping[str, NodeInvocation],
    selected: set[str],
    stored: ReusedOutputs,
    known_keys: Mapping[tuple[str, str], list[str]],
    named_keys: Mapping[str, frozenset[str]],
) -> dict[str, frozenset[str]]:
    """For each selected mapped node whose fan-out is loaded from an earlier run and whose
    selection names some of its keys: the other keys, where every output it must produce was
    stored (a key without them runs too). A named key the fan-out does not have is refused."""
    done: dict[str, frozenset[str]] = {}
    for name, wanted in named_keys.items():
        node = nodes.get(name)
        if node is None or node.mapped_over is None:
            raise SelectionError(
                f"op_selection: {name!r} is not an op mapped over a dynamic output; name its "
                f"mapping keys only for such an op (e.g. 'square[k2]')"
            )
        if name not in selected or node.mapped_over[0] in selected:
            continue  # the fan-out runs whole
        keys = known_keys[node.mapped_over]
        unknown = sorted(wanted - set(keys))
        if unknown:
            raise SelectionError(
                f"op_selection: {name!r} has no mapping key {', '.join(map(repr, unknown))} "
                f"in the run that yielded its fan-out (keys: {', '.join(keys)})"
            )
        required = [o for o, out in node.definition.outs.items() if out.is_required]
        done[name] = frozenset(
            k
            for k in keys
            if k not in wanted and all((f"{name}[{k}]", o) in stored for o in required)
        )
    return done


def _fan_outs_read(
    source: Any, nodes: Mapping[str, NodeInvocation], selected: set[str]
) -> list[tuple[tuple[str, str], str | None]]:
    """The dynamic outputs of unselected yielders an input's source reads through (with the
    unselected mapped node it collects, if any)."""
    from freshet.core.composition import CollectHandle, OutputHandle

    found: list[tuple[tuple[str, str], str | None]] = []
    for handle in _source_handles(source):
        origin = _origin(nodes, handle)
        if origin[0] in selected:
            continue
        if isinstance(handle, CollectHandle):
            mapped = handle.node_name if handle.node_name != origin[0] else None
            found.append((origin, mapped if handle.node_name not in selected else None))
        elif isinstance(handle, OutputHandle) and handle.mapped_over is not None:
            found.append((origin, None))
    return found


class _Reader:
    """The node input whose sources are being resolved: the node, the mapping keys of the
    fan-outs earlier runs hold, and the keys of this node that do not run again."""

    __slots__ = ("done", "input_name", "known_keys", "node")

    def __init__(
        self,
        node: NodeInvocation,
        input_name: str,
        known_keys: Mapping[tuple[str, str], list[str]],
        done: frozenset[str],
    ) -> None:
        self.node = node
        self.input_name = input_name
        self.known_keys = known_keys
        self.done = done

    def keys_of(self, origin: tuple[str, str]) -> list[str]:
        return self.known_keys.get(origin, [])

    def run_keys(self, origin: tuple[str, str]) -> list[str]:
        return [k for k in self.keys_of(origin) if k not in self.done]


def _reads_outside(
    reader: _Reader,
    source: Any,
    nodes: Mapping[str, NodeInvocation],
    selected: set[str],
    stored: ReusedOutputs,
    reused: dict[tuple[str, str], ReusedOutput],
) -> bool:
    """Whether an input reads outputs of ops the run neither executes nor reuses (run config
    `inputs` or its default then give it): reused are those `stored` ((node, output) -> the
    run that stored it; a mapped node's per mapping key); the outputs it reuses go into
    `reused`. A fan-in list only partly produced is refused: neither config nor a default
    gives part of it."""
    from freshet.core.composition import CollectHandle, OutputHandle

    name = reader.node.name
    if isinstance(source, CollectHandle) and source.node_name not in selected:
        # a fan-out loaded whole from an earlier run (see _with_whole_fan_outs)
        for key in reader.keys_of(_origin(nodes, source)):
            _reuse(nodes, stored, reused, name, source.node_name, key, source.output_name)
        return False
    if isinstance(source, OutputHandle) and source.mapped_over is not None:
        if source.node_name in selected:
            return False
        # this node's keys that run read the per-key outputs of an earlier run
        keys = reader.run_keys(_origin(nodes, source))
        rows = [(f"{source.node_name}[{k}]", source.output_name) for k in keys]
        if not all(row in stored for row in rows):
            return True
        for key in keys:
            _reuse(nodes, stored, reused, name, source.node_name, key, source.output_name)
        return False
    handles = _source_handles(source)
    missing = [
        h.node_name
        for h in handles
        if h.node_name not in selected and (h.node_name, h.output_name) not in stored
    ]
    if missing and len(missing) < len(handles):
        raise UsageError(
            f"op {name!r} input {reader.input_name!r} gathers outputs of "
            f"{', '.join(h.node_name for h in handles)}; this run does not execute "
            f"{', '.join(missing)}: select {'it' if len(missing) == 1 else 'them'} too"
        )
    for handle in handles:
        if handle.node_name in selected or handle.node_name in missing:
            continue
        _reuse(nodes, stored, reused, name, handle.node_name, None, handle.output_name)
    return bool(missing)


def _reuse(
    nodes: Mapping[str, NodeInvocation],
    stored: ReusedOutputs,
    reused: dict[tuple[str, str], ReusedOutput],
    reader: str,
    node: str,
    mapping_key: str | None,
    output: str,
) -> None:
    """Record in `reused` that `reader` loads the `output` of `node` (of one mapping key of
    it, if given) from the run that stored it."""
    step = node if mapping_key is None else f"{node}[{mapping_key}]"
    out_def = nodes[node].definition.outs[output]
    reused.setdefault(
        (step, output),
        ReusedOutput(
            run_id=stored[(step, output)],
            io_manager_key=out_def.io_manager_key,
            metadata=out_def.metadata,
            read_by=reader,
        ),
    )


def plan_from_ref(graph_def: GraphDefinition, ref: PlanRef) -> ExecutionPlan:
    """The op graph plan `ref` describes, made again (in a worker process)."""
    return plan_graph(
        graph_def,
        op_selection=ref.op_selection or None,
        reused_outputs={(n, o): run_id for n, o, run_id in ref.reused_outputs},
    )


def outside_inputs(plan: ExecutionPlan, given: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each op input of `plan` that nothing gives a value: its upstream op is not in the run
    nor reused from an earlier run, and neither run config `inputs` (`given`: node ->
    input -> value) nor a default supplies it."""
    problems = []
    for step in plan.steps:
        for spec in step.inputs:
            if not spec.outside or spec.name in given.get(step.config_node_name, {}):
                continue
            in_def = step.op.ins.get(spec.name) if step.op is not None else None
            if in_def is not None and (in_def.is_nothing or in_def.has_default):
                continue
            producers = ", ".join(sorted(h.node_name for h in _source_handles(spec.source)))
            problems.append(
                f"op {step.key!r} input {spec.name!r} comes from {producers}, which this run "
                f"does not execute; select it too, or give the value as run config "
                f"ops.{step.config_node_name}.inputs.{spec.name}"
            )
    return problems


def _source_handles(source: Any) -> list[Any]:
    """The node outputs an input source reads (a collected output counts as its node's)."""
    # Imported here for start-up time: only an op graph has sources, and it has loaded
    # composition already; a run of assets does not need it.
    from freshet.core.composition import CollectHandle, OutputHandle

    if isinstance(source, OutputHandle | CollectHandle):
        return [source]
    if isinstance(source, tuple):
        return list(source)
    return []


def _source_nodes(source: Any) -> set[str]:
    return {h.node_name for h in _source_handles(source)}
