"""What crosses between a run and its worker processes, as versioned JSON with stable type
names: the run a worker joins (`WorkerRunSpec`), one step to run (`StepTask`), and what the
step left behind (`StepReport`). User values never cross: they go through IO managers, and
only where they were stored (the output's context) travels."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from freshet.core.io_managers import OutputContext
from freshet.core.keys import AssetKey
from freshet.errors import ExecutionError
from freshet.execution.plan import ExecutionPlan, PlanRef
from freshet.execution.state import RunState, StepOutcome
from freshet.storage.records import Event
from freshet.storage.serde import event_from_json, event_to_json

VERSION = 1


def _check(data: Any, type_name: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping) or data.get("__type__") != type_name:
        raise ExecutionError(f"expected a {type_name} message, got {data!r:.200}")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ExecutionError(
            f"{type_name} message of version {version!r} comes from a newer freshet (this one "
            f"reads up to {VERSION}); run the same freshet version in every worker"
        )
    return data


def _key(path: list[str]) -> AssetKey:
    return AssetKey(tuple(path))


def _versions_to_json(versions: Mapping[tuple[AssetKey, str | None], str | None]) -> list[Any]:
    return [[list(k.path), p, v] for (k, p), v in versions.items()]


def _versions_from_json(rows: list[Any]) -> dict[tuple[AssetKey, str | None], str | None]:
    return {(_key(path), p): v for path, p, v in rows}


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerRunSpec:
    """The run a worker process joins: everything but the code, which the worker loads."""

    run_id: str
    job_name: str
    plan_ref: PlanRef
    run_config: Mapping[str, Any]
    tags: Mapping[str, str]
    partition_key: str | None
    partition_keys: tuple[str, ...]
    range_run: bool
    partitioned_keys: frozenset[AssetKey]
    base_dir: str
    needed_resources: tuple[str, ...]
    #: the worker appends its events to the instance storage itself (else it reports them)
    store_events: bool
    #: data versions the run read before it started (upstreams it does not produce)
    versions: Mapping[tuple[AssetKey, str | None], str | None] = field(default_factory=dict)
    data_times: Mapping[tuple[AssetKey, str | None], float | None] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "__type__": "WorkerRunSpec",
                "version": VERSION,
                "run_id": self.run_id,
                "job_name": self.job_name,
                "plan_ref": self.plan_ref.to_json_dict(),
                "run_config": self.run_config,
                "tags": dict(self.tags),
                "partition_key": self.partition_key,
                "partition_keys": list(self.partition_keys),
                "range_run": self.range_run,
                "partitioned_keys": sorted(list(k.path) for k in self.partitioned_keys),
                "base_dir": self.base_dir,
                "needed_resources": list(self.needed_resources),
                "store_events": self.store_events,
                "versions": _versions_to_json(self.versions),
                "data_times": _versions_to_json(self.data_times),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> WorkerRunSpec:
        data = _check(json.loads(text), "WorkerRunSpec")
        return cls(
            run_id=data["run_id"],
            job_name=data["job_name"],
            plan_ref=PlanRef.from_json_dict(data["plan_ref"]),
            run_config=data["run_config"],
            tags=data["tags"],
            partition_key=data["partition_key"],
            partition_keys=tuple(data["partition_keys"]),
            range_run=data["range_run"],
            partitioned_keys=frozenset(_key(p) for p in data["partitioned_keys"]),
            base_dir=data["base_dir"],
            needed_resources=tuple(data["needed_resources"]),
            store_events=data["store_events"],
            versions=_versions_from_json(data["versions"]),
            data_times=_versions_from_json(data.get("data_times", [])),
        )


def _context_to_json(context: OutputContext) -> dict[str, Any]:
    return {
        "run_id": context.run_id,
        "step_key": context.step_key,
        "name": context.name,
        "asset_key": None if context.asset_key is None else list(context.asset_key.path),
        "partition_key": context.partition_key,
        "base_dir": context.base_dir,
    }


def _context_from_json(data: Mapping[str, Any], plan: ExecutionPlan | None) -> OutputContext:
    asset_key = data["asset_key"]
    return OutputContext(
        run_id=data["run_id"],
        step_key=data["step_key"],
        name=data["name"],
        asset_key=None if asset_key is None else _key(asset_key),
        partition_key=data["partition_key"],
        definition_metadata=_definition_metadata(plan, data["step_key"], data["name"]),
        base_dir=data["base_dir"],
    )


def _definition_metadata(plan: ExecutionPlan | None, step_key: str, output: str) -> Any:
    """The output's definition metadata, looked up in the plan (it may hold objects that are
    not JSON, so it does not travel)."""
    base = step_key.split("[", 1)[0]
    step = plan.by_key.get(base) if plan is not None else None
    out = step.op.outs.get(output) if step is not None and step.op is not None else None
    return out.metadata if out is not None else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class StepReport:
    """How one step ended and what its downstream steps need from it."""

    step_key: str
    outcome: StepOutcome
    #: step key (or mapped step key) -> why it failed or blocked its downstream
    failure_reasons: Mapping[str, str] = field(default_factory=dict)
    output_contexts: Mapping[tuple[str, str], OutputContext] = field(default_factory=dict)
    output_io_keys: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: every mapping key known after the step (its upstream's and its own)
    mapping_keys: Mapping[tuple[str, str], list[str]] = field(default_factory=dict)
    versions: Mapping[tuple[AssetKey, str | None], str | None] = field(default_factory=dict)
    data_times: Mapping[tuple[AssetKey, str | None], float | None] = field(default_factory=dict)
    #: optional outputs not produced, known after the step (its upstream's and its own)
    unproduced_outputs: frozenset[tuple[str, str]] = frozenset()
    events: tuple[Event, ...] = ()

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict())

    def to_json_dict(self, *, with_events: bool = True) -> dict[str, Any]:
        return {
                "__type__": "StepReport",
                "version": VERSION,
                "step_key": self.step_key,
                "outcome": self.outcome.value,
                "failure_reasons": dict(self.failure_reasons),
                "output_contexts": [
                    [node, out, _context_to_json(c)] for (node, out), c in self.output_contexts.items()
                ],
                "output_io_keys": [[n, o, k] for (n, o), k in self.output_io_keys.items()],
                "mapping_keys": [[n, o, list(k)] for (n, o), k in self.mapping_keys.items()],
                "versions": _versions_to_json(self.versions),
                "data_times": _versions_to_json(self.data_times),
                "unproduced_outputs": sorted([n, o] for n, o in self.unproduced_outputs),
                "events": [event_to_json(e) for e in self.events] if with_events else [],
            }

    @classmethod
    def from_json(cls, text: str, plan: ExecutionPlan | None = None) -> StepReport:
        return cls.from_json_dict(json.loads(text), plan)

    @classmethod
    def from_json_dict(cls, raw: Any, plan: ExecutionPlan | None = None) -> StepReport:
        data = _check(raw, "StepReport")
        return cls(
            step_key=data["step_key"],
            outcome=StepOutcome(data["outcome"]),
            failure_reasons=data["failure_reasons"],
            output_contexts={
                (n, o): _context_from_json(c, plan) for n, o, c in data["output_contexts"]
            },
            output_io_keys={(n, o): k for n, o, k in data["output_io_keys"]},
            mapping_keys={(n, o): list(k) for n, o, k in data["mapping_keys"]},
            versions=_versions_from_json(data["versions"]),
            data_times=_versions_from_json(data.get("data_times", [])),
            unproduced_outputs=frozenset((n, o) for n, o in data.get("unproduced_outputs", [])),
            events=tuple(event_from_json(e) for e in data["events"]),
        )

    def apply_to(self, state: RunState) -> None:
        """Make what the step left behind known to `state` (its downstream steps' run)."""
        state.outcomes[self.step_key] = self.outcome
        state.failure_reasons.update(self.failure_reasons)
        state.output_contexts.update(self.output_contexts)
        state.output_io_keys.update(self.output_io_keys)
        for origin, keys in self.mapping_keys.items():
            state.mapping_keys[origin] = list(keys)
        state.versions.update(self.versions)
        state.data_times.update(self.data_times)
        state.unproduced_outputs |= self.unproduced_outputs


@dataclass(frozen=True, slots=True)
class StateMark:
    """Copies of a run state's maps, taken before a step runs, to tell what it added."""

    failure_reasons: dict[str, str]
    output_contexts: dict[tuple[str, str], Any]
    output_io_keys: dict[tuple[str, str], str]
    versions: dict[tuple[AssetKey, str | None], str | None]
    data_times: dict[tuple[AssetKey, str | None], float | None]

    @classmethod
    def of(cls, state: RunState) -> StateMark:
        return cls(
            dict(state.failure_reasons),
            dict(state.output_contexts),
            dict(state.output_io_keys),
            dict(state.versions),
            dict(state.data_times),
        )


def report_from_state(
    step_key: str, state: RunState, before: StateMark, events: tuple[Event, ...]
) -> StepReport:
    """What `state` gained while running `step_key`, compared with `before`."""

    def new(current: Mapping[Any, Any], old: Mapping[Any, Any]) -> dict[Any, Any]:
        return {k: v for k, v in current.items() if k not in old or old[k] is not v}

    return StepReport(
        step_key=step_key,
        outcome=state.outcomes[step_key],
        failure_reasons=new(state.failure_reasons, before.failure_reasons),
        output_contexts=new(state.output_contexts, before.output_contexts),
        output_io_keys=new(state.output_io_keys, before.output_io_keys),
        mapping_keys={k: list(v) for k, v in state.mapping_keys.items()},
        versions=new(state.versions, before.versions),
        data_times=new(state.data_times, before.data_times),
        unproduced_outputs=frozenset(state.unproduced_outputs),
        events=events,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StepTask:
    """Run `step_key`, given the reports of the steps it depends on."""

    step_key: str
    upstream: tuple[StepReport, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "__type__": "StepTask",
                "version": VERSION,
                "step_key": self.step_key,
                "upstream": [r.to_json_dict(with_events=False) for r in self.upstream],
            }
        )

    @classmethod
    def from_json(cls, text: str, plan: ExecutionPlan | None = None) -> StepTask:
        data = _check(json.loads(text), "StepTask")
        return cls(
            step_key=data["step_key"],
            upstream=tuple(StepReport.from_json_dict(r, plan) for r in data["upstream"]),
        )
