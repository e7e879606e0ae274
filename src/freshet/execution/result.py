"""What a finished in-process run returns: success, events, outputs, materializations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.results import MetadataValue
from freshet.errors import UsageError
from freshet.storage.records import Event, EventType


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetMaterialization:
    """A materialization as recorded: metadata, data and code versions, provenance."""

    asset_key: AssetKey
    partition: str | None
    metadata: Mapping[str, MetadataValue]
    data_version: str | None
    code_version: str | None
    provenance: tuple[Mapping[str, Any], ...]
    step_key: str | None
    timestamp: float
    run_id: str = ""

    @property
    def materialization(self) -> AssetMaterialization:
        """Itself: the event and its materialization are one record here."""
        return self

    asset_materialization = materialization

    @classmethod
    def from_event(cls, event: Event) -> AssetMaterialization:
        assert event.asset_key is not None
        data = event.data
        return cls(
            asset_key=event.asset_key,
            partition=event.partition,
            metadata={k: MetadataValue.from_json(v) for k, v in data.get("metadata", {}).items()},
            data_version=data.get("data_version"),
            code_version=data.get("code_version"),
            provenance=tuple(data.get("provenance", ())),
            step_key=event.step_key,
            timestamp=event.timestamp,
            run_id=event.run_id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetCheckEvaluation:
    asset_key: AssetKey
    check_name: str
    passed: bool
    severity: str
    blocking: bool
    description: str | None
    metadata: Mapping[str, MetadataValue]
    partition: str | None = None

    @classmethod
    def from_event(cls, event: Event) -> AssetCheckEvaluation:
        assert event.asset_key is not None
        data = event.data
        return cls(
            asset_key=event.asset_key,
            check_name=data["check_name"],
            passed=data["passed"],
            severity=data["severity"],
            blocking=data.get("blocking", False),
            description=data.get("description"),
            metadata={k: MetadataValue.from_json(v) for k, v in data.get("metadata", {}).items()},
            partition=event.partition,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    run_id: str
    success: bool
    all_events: Sequence[Event]
    output_values: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    asset_output_steps: Mapping[AssetKey, tuple[str, str]] = field(default_factory=dict)
    step_outcomes: Mapping[str, str] = field(default_factory=dict)
    #: for a job built from a graph: graph output name -> (node, output) holding its value
    graph_outputs: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def output_value(self, output_name: str = "result") -> Any:
        """The value of one of the job's (graph's) own outputs."""
        where = self.graph_outputs.get(output_name)
        if where is None:
            known = ", ".join(sorted(self.graph_outputs)) or "none"
            raise UsageError(
                f"the job has no output {output_name!r} (outputs: {known}); use "
                "output_for_node(node, output) for an op's output"
            )
        return self.output_for_node(*where)

    def output_for_node(self, node_name: str, output_name: str = "result") -> Any:
        try:
            return self.output_values[(node_name, output_name)]
        except KeyError:
            known = ", ".join(sorted({f"{n}.{o}" for n, o in self.output_values})) or "none"
            raise UsageError(
                f"no output {output_name!r} of node {node_name!r} in run {self.run_id} "
                f"(outputs: {known})"
            ) from None

    def asset_value(self, asset_key: AssetKey | str) -> Any:
        key = AssetKey.from_coercible(asset_key)
        where = self.asset_output_steps.get(key)
        if where is None or where not in self.output_values:
            raise UsageError(
                f"asset {key.to_user_string()!r} produced no value in run {self.run_id} (not "
                "selected, failed, or it stored its data itself with MaterializeResult)"
            )
        return self.output_values[where]

    def events_of_type(self, event_type: EventType) -> list[Event]:
        return [e for e in self.all_events if e.event_type is event_type]

    def asset_materializations_for_node(self, node_name: str) -> list[AssetMaterialization]:
        return [
            AssetMaterialization.from_event(e)
            for e in self.all_events
            if e.event_type is EventType.ASSET_MATERIALIZATION and e.step_key == node_name
        ]

    def get_asset_materialization_events(self) -> list[AssetMaterialization]:
        return [
            AssetMaterialization.from_event(e)
            for e in self.events_of_type(EventType.ASSET_MATERIALIZATION)
        ]

    def get_asset_check_evaluations(self) -> list[AssetCheckEvaluation]:
        return [
            AssetCheckEvaluation.from_event(e)
            for e in self.events_of_type(EventType.ASSET_CHECK_EVALUATION)
        ]

    def get_step_failure_events(self) -> list[Event]:
        return self.events_of_type(EventType.STEP_FAILURE)

    def get_step_success_events(self) -> list[Event]:
        return self.events_of_type(EventType.STEP_SUCCESS)

    def get_asset_observation_events(self) -> list[Event]:
        return self.events_of_type(EventType.ASSET_OBSERVATION)

    def events_for_node(self, node_name: str) -> list[Event]:
        """The events of one node's step(s), mapped copies (`node[key]`) included."""
        return [
            e
            for e in self.all_events
            if e.step_key == node_name
            or (e.step_key is not None and e.step_key.startswith(f"{node_name}["))
        ]

    def get_failed_step_keys(self) -> set[str]:
        return {e.step_key for e in self.get_step_failure_events() if e.step_key is not None}

    def is_node_success(self, node_name: str) -> bool:
        return any(e.event_type is EventType.STEP_SUCCESS for e in self.events_for_node(node_name))

    def is_node_failed(self, node_name: str) -> bool:
        return any(e.event_type is EventType.STEP_FAILURE for e in self.events_for_node(node_name))

    @property
    def failure_message(self) -> str | None:
        failures = self.get_step_failure_events()
        return failures[0].message if failures else None
