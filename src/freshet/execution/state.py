"""Per-run mutable state shared by the steps of one run (one process)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from freshet.core.keys import AssetKey
from freshet.execution.events import EventSink
from freshet.execution.versions import data_time_of
from freshet.storage.base import ComputeLogStore


class StepOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"
    #: the step ran, but a blocking check on its asset failed: downstream must not run
    BLOCKED = "BLOCKED"
    #: not run because an optional output it reads was not produced; not a failure
    NOT_RUN = "NOT_RUN"


@dataclass(eq=False)
class RunState:
    run_id: str
    job_name: str
    sink: EventSink
    resources: Any
    op_configs: Mapping[str, Any]
    base_dir: Path
    compute_logs: ComputeLogStore | None
    instance: Any = None
    partition_key: str | None = None
    #: every partition this run covers: () unpartitioned, one key, or a range's keys
    partition_keys: tuple[str, ...] = ()
    #: the run was asked for a range (values may be dicts keyed by partition)
    range_run: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    capture_values: bool = True
    partitioned_keys: frozenset[AssetKey] = frozenset()
    #: current data version of each (asset, partition) known to this run
    versions: dict[tuple[AssetKey, str | None], str | None] = field(default_factory=dict)
    #: data time (unix seconds) of each (asset, partition) known to this run: the newest time
    #: up to which it incorporates all root data; None when unknown (never materialized)
    data_times: dict[tuple[AssetKey, str | None], float | None] = field(default_factory=dict)
    #: step key -> wall-clock time its latest attempt started
    step_started_at: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    failure_reasons: dict[str, str] = field(default_factory=dict)
    #: (step key, output name) -> the context the output was stored with
    output_contexts: dict[tuple[str, str], Any] = field(default_factory=dict)
    output_values: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: (node, dynamic output) -> mapping keys in the order they were yielded
    mapping_keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: mapped node -> the (node, dynamic output) it is mapped over
    mapped_over: dict[str, tuple[str, str]] = field(default_factory=dict)
    output_io_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    #: values of the graph's own inputs, given to the run
    graph_inputs: Mapping[str, Any] = field(default_factory=dict)
    #: node -> input -> value from run config `inputs` (inputs no op of the run feeds)
    config_inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: (step key, output name) of optional outputs a finished step did not produce
    unproduced_outputs: set[tuple[str, str]] = field(default_factory=set)
    step_exceptions: dict[str, BaseException] = field(default_factory=dict)
    asset_graph: Any = None
    #: where dynamic partitions are looked up (the instance's storage)
    dynamic_store: Any = None
    storage: Any = None
    #: a failure of the run itself (resources could not start or stop), not of a step
    run_error: BaseException | None = None

    def io_manager(self, key: str) -> Any:
        return getattr(self.resources, key)

    def data_time(self, key: AssetKey, partition: str | None) -> float | None:
        """The data time of an upstream (partition) as this run consumed it."""
        if (key, partition) not in self.data_times and partition is not None:
            self.partition_versions(key, [partition])
        return self.data_times.get((key, partition))

    def partition_versions(self, key: AssetKey, partitions: list[str]) -> dict[str, str | None]:
        """Current data versions of some partitions of `key`: this run's own
        materializations first, then one storage read for the rest."""
        found = {p: self.versions[(key, p)] for p in partitions if (key, p) in self.versions}
        missing = [p for p in partitions if p not in found]
        if missing and self.storage is not None:
            rows = self.storage.get_partition_status(key, missing)
            for partition in missing:
                row = rows.get(partition)
                event = row.latest_data_event if row is not None else None
                version = event.event.data.get("data_version") if event is not None else None
                self.versions[(key, partition)] = version
                self.data_times[(key, partition)] = data_time_of(event)
                found[partition] = version
        return found
