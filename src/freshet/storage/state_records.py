"""Stored state of the daemon's duties: schedule, sensor and automation state and their ticks,
backfills, and concurrency pools. Plain, frozen, JSON-serializable values, like `records`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from freshet.core.keys import AssetKey


class InstigatorType(StrEnum):
    """What starts runs on its own: a schedule, a sensor, or the automation loop."""

    SCHEDULE = "SCHEDULE"
    SENSOR = "SENSOR"
    AUTOMATION = "AUTOMATION"


class InstigatorStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True, kw_only=True)
class InstigatorState:
    """Whether a schedule, sensor or automation is on, and what it remembers between ticks
    (`data`: e.g. a sensor's cursor or the last tick's scheduled time)."""

    name: str
    instigator_type: InstigatorType
    status: InstigatorStatus
    data: Mapping[str, Any] = field(default_factory=dict)
    updated_at: float = field(default_factory=time.time)


class TickStatus(StrEnum):
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    SKIPPED = "SKIPPED"
    FAILURE = "FAILURE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """One evaluation of a schedule, sensor or automation: when, its outcome, what it did."""

    instigator_type: InstigatorType
    instigator_name: str
    status: TickStatus
    timestamp: float = field(default_factory=time.time)
    end_timestamp: float | None = None
    run_ids: tuple[str, ...] = ()
    run_keys: tuple[str, ...] = ()
    skip_reason: str | None = None
    error: str | None = None
    cursor: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def with_status(self, status: TickStatus, at: float, **changes: Any) -> Tick:
        """The tick finished (or moved on) at `at`, with other fields changed as given."""
        return replace(self, status=status, end_timestamp=at, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class TickRecord:
    """A tick as stored, with its id (increasing per instance)."""

    tick_id: int
    tick: Tick


class BackfillStatus(StrEnum):
    REQUESTED = "REQUESTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"

    @property
    def is_finished(self) -> bool:
        return self in (BackfillStatus.COMPLETED, BackfillStatus.FAILED, BackfillStatus.CANCELED)


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillRecord:
    """A persisted backfill: what it targets and how far it got (`data`, owned by the
    backfill daemon: requested, completed and failed partitions, its cursor), so that it can
    resume after a restart."""

    backfill_id: str
    status: BackfillStatus
    asset_selection: tuple[AssetKey, ...] = ()
    partition_keys: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedSlot:
    """A concurrency slot held by one step of one run."""

    run_id: str
    step_key: str
    claimed_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolUsage:
    """A concurrency pool: its limit (as last given to `claim_slot`) and the slots held."""

    pool: str
    limit: int | None
    slots: tuple[ClaimedSlot, ...] = ()

    @property
    def claimed(self) -> int:
        return len(self.slots)


class HeartbeatKind(StrEnum):
    """Who beats: one of the daemon's duties, or the worker of a run."""

    DAEMON_DUTY = "DAEMON_DUTY"
    RUN_WORKER = "RUN_WORKER"


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """The last sign of life of a daemon duty (named by the duty) or of a run worker (named
    by its run id), with what it reports about itself (`data`: pid, host, errors...)."""

    kind: HeartbeatKind
    name: str
    timestamp: float = field(default_factory=time.time)
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomationEvaluationRecord:
    """One asset's evaluation in one automation tick: how many asset partitions it requested
    and `body_json`, the evaluated condition tree as JSON text (written and read by
    `freshet.automation`; storage keeps it as it is, and `body` decodes it). Kept as text so
    that a tick storing 10,000 evaluations holds 10,000 strings, not 10,000 trees of dicts.
    `tick_id` is set when stored."""

    asset_key: AssetKey
    num_requested: int
    body_json: str
    tick_id: int = 0
    timestamp: float = 0.0

    @classmethod
    def of(
        cls, asset_key: AssetKey, num_requested: int, body: Mapping[str, Any]
    ) -> AutomationEvaluationRecord:
        """A record of `body`, encoded as storage keeps it (keys sorted, compact)."""
        return cls(asset_key=asset_key, num_requested=num_requested, body_json=encode_body(body))

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.body_json)  # type: ignore[no-any-return]


def encode_body(body: Mapping[str, Any]) -> str:
    """The stored text of an evaluation body: the same body always gives the same text."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
