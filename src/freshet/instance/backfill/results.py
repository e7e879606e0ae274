"""What a backfill reports: partition outcomes, failed runs, progress while it runs, and the
result of a call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import PartitionsSubset
from freshet.storage.state_records import BackfillStatus

#: the tag every run of a backfill carries: `freshet runs list` can find them by it
BACKFILL_TAG = "freshet/backfill"


class BackfillOnly(StrEnum):
    """Which of the requested partitions to run, by their current status."""

    MISSING = "missing"
    FAILED = "failed"
    STALE = "stale"


class PartitionOutcome(StrEnum):
    """What a backfill did with one asset partition."""

    MATERIALIZED = "materialized"
    FAILED = "failed"
    #: not run: an upstream partition in the same backfill failed (or was skipped)
    SKIPPED = "skipped"


OUTCOMES = tuple(PartitionOutcome)


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillRunFailure:
    """A run of the backfill in which some assets failed."""

    run_id: str
    label: str
    failed_assets: tuple[AssetKey, ...]
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "label": self.label,
            "failed_assets": [k.to_user_string() for k in self.failed_assets],
            "message": self.message,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> BackfillRunFailure:
        return cls(
            run_id=doc["run_id"],
            label=doc.get("label", ""),
            failed_assets=tuple(AssetKey.from_user_string(k) for k in doc["failed_assets"]),
            message=doc.get("message"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillProgress:
    """Reported once when a backfill's runs are planned (`outcome` None, `done` 0) and after
    each of its runs, or each run skipped whole because an upstream partition failed."""

    backfill_id: str
    done: int
    total: int
    label: str = ""
    asset_keys: tuple[AssetKey, ...] = ()
    outcome: PartitionOutcome | None = None
    run_id: str | None = None
    failed_assets: tuple[AssetKey, ...] = ()
    skipped_assets: tuple[AssetKey, ...] = ()


ProgressCallback = Callable[[BackfillProgress], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillResult:
    """A backfill after this call: what it targets and what happened to each partition.

    `run_ids` are the runs this call launched; `interrupted` is True when the stop callback
    ended it early: `resume_backfill` continues with what is left. (On Ctrl-C the call raises
    KeyboardInterrupt after saving the same paused state.)"""

    backfill_id: str
    status: BackfillStatus
    targets: Mapping[AssetKey, PartitionsSubset]
    materialized: Mapping[AssetKey, PartitionsSubset]
    failed: Mapping[AssetKey, PartitionsSubset]
    skipped: Mapping[AssetKey, PartitionsSubset]
    run_ids: tuple[str, ...] = ()
    failed_runs: tuple[BackfillRunFailure, ...] = ()
    interrupted: bool = False

    @property
    def success(self) -> bool:
        return self.status is BackfillStatus.COMPLETED

    @property
    def pending(self) -> dict[AssetKey, PartitionsSubset]:
        """Targets with no outcome yet (left by an interruption or a cancel)."""
        return pending_partitions(self.targets, (self.materialized, self.failed, self.skipped))

    def counts(self) -> dict[str, int]:
        return {
            "targets": total_partitions(self.targets),
            "materialized": total_partitions(self.materialized),
            "failed": total_partitions(self.failed),
            "skipped": total_partitions(self.skipped),
            "pending": total_partitions(self.pending),
        }


def total_partitions(subsets: Mapping[AssetKey, PartitionsSubset]) -> int:
    return sum(len(s) for s in subsets.values())


def pending_partitions(
    targets: Mapping[AssetKey, PartitionsSubset],
    outcomes: Iterable[Mapping[AssetKey, PartitionsSubset]],
) -> dict[AssetKey, PartitionsSubset]:
    """The targets with none of these outcomes."""
    left = dict(targets)
    for by_asset in outcomes:
        for key, subset in by_asset.items():
            if key in left:
                left[key] = left[key] - subset
    return {k: s for k, s in left.items() if s}
