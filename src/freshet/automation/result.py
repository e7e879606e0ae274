"""What a tick decided: per asset, the evaluated condition tree (each node's result) and the
requested partitions; the runs those requests form; and the cursor for the next tick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from freshet.automation.cursor import AutomationCursor, Slot
from freshet.core.keys import AssetKey

#: a node keeps its true partitions when there are at most this many candidates
MAX_RECORDED_PARTITIONS = 1000


class NodeEvaluation(NamedTuple):
    """One node of an evaluated condition tree. `true_partitions` is None for an
    unpartitioned asset (then `true_count` is 0 or 1) and when there were too many
    candidates to keep. (A named tuple: a tick builds tens of thousands of them; the
    one-line description is written from `condition` only when asked for.)"""

    node_id: str
    node_type: str
    label: str | None
    candidate_count: int
    true_count: int
    true_partitions: tuple[str, ...] | None = None
    children: tuple[NodeEvaluation, ...] = ()
    condition: Any = None
    stored_description: str | None = None

    @property
    def description(self) -> str:
        if self.stored_description is not None:
            return self.stored_description
        return "" if self.condition is None else str(self.condition.describe())

    @property
    def title(self) -> str:
        return self.label or self.node_type

    def holds_for(self, partition: str | None) -> bool | None:
        """True/False for one partition; None when the tick did not keep that detail."""
        if partition is None:
            return self.true_count > 0
        if self.true_partitions is None:
            return None
        return partition in self.true_partitions

    def to_json(self) -> dict[str, Any]:  # type: ignore[override]
        return {
            "node_id": self.node_id,
            "type": self.node_type,
            "label": self.label,
            "description": self.description,
            "candidates": self.candidate_count,
            "true": self.true_count,
            "true_partitions": None if self.true_partitions is None else list(self.true_partitions),
            "children": [c.to_json() for c in self.children],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> NodeEvaluation:
        parts = doc.get("true_partitions")
        return cls(
            node_id=doc["node_id"],
            node_type=doc["type"],
            label=doc.get("label"),
            stored_description=doc.get("description", ""),
            candidate_count=doc["candidates"],
            true_count=doc["true"],
            true_partitions=None if parts is None else tuple(parts),
            children=tuple(cls.from_json(c) for c in doc.get("children", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetEvaluation:
    """One asset's evaluation in one tick. `requested` are the partitions requested (None
    for an unpartitioned asset); `discarded` those the condition selected but a guard rail
    held back, with why."""

    key: AssetKey
    partitioned: bool
    tree: NodeEvaluation
    requested: frozenset[Slot] = frozenset()
    discarded: Mapping[str, int] = field(default_factory=dict)

    @property
    def num_requested(self) -> int:
        return len(self.requested)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_user_string(),
            "partitioned": self.partitioned,
            "requested": sorted(s for s in self.requested if s is not None)
            if self.partitioned
            else len(self.requested),
            "discarded": dict(self.discarded),
            "tree": self.tree.to_json(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> AssetEvaluation:
        partitioned = doc["partitioned"]
        requested: frozenset[Slot] = (
            frozenset(doc["requested"])
            if partitioned
            else (frozenset({None}) if doc["requested"] else frozenset())
        )
        return cls(
            key=AssetKey.from_user_string(doc["key"]),
            partitioned=partitioned,
            tree=NodeEvaluation.from_json(doc["tree"]),
            requested=requested,
            discarded=doc.get("discarded", {}),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestedRun:
    """A run the tick asks for: assets requested together with their dependencies, for one
    partition (None for unpartitioned assets)."""

    asset_keys: tuple[AssetKey, ...]
    partition: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_keys": [k.to_user_string() for k in self.asset_keys],
            "partition": self.partition,
            "tags": dict(self.tags),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RequestedRun:
        return cls(
            asset_keys=tuple(AssetKey.from_user_string(k) for k in doc["asset_keys"]),
            partition=doc.get("partition"),
            tags=doc.get("tags", {}),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomationResult:
    """The outcome of `evaluate_automation_conditions`."""

    evaluation_time: float
    results: Sequence[AssetEvaluation]
    run_requests: Sequence[RequestedRun]
    cursor: AutomationCursor
    skipped: bool = False

    @property
    def total_requested(self) -> int:
        """Asset partitions requested (an unpartitioned asset counts one)."""
        return sum(r.num_requested for r in self.results)

    def _result(self, key: AssetKey | str | Sequence[str]) -> AssetEvaluation | None:
        wanted = AssetKey.from_coercible(key)
        return next((r for r in self.results if r.key == wanted), None)

    def get_num_requested(self, key: AssetKey | str | Sequence[str]) -> int:
        result = self._result(key)
        return 0 if result is None else result.num_requested

    def get_requested_partitions(self, key: AssetKey | str | Sequence[str]) -> set[Slot]:
        """The requested partition keys of `key` ({None} for a requested unpartitioned
        asset; empty when nothing was requested)."""
        result = self._result(key)
        return set() if result is None else set(result.requested)

    def get_evaluation(self, key: AssetKey | str | Sequence[str]) -> AssetEvaluation:
        result = self._result(key)
        if result is None:
            raise KeyError(
                f"asset {AssetKey.from_coercible(key).to_user_string()!r} was not evaluated"
            )
        return result
