"""Backfills: materialize a selection over a set of partitions as a persisted, resumable plan of
runs (one per partition or chunk), executed in dependency order in this process."""

from freshet.instance.backfill.api import (
    backfill,
    cancel_backfill,
    get_backfill,
    resume_backfill,
)
from freshet.instance.backfill.record import (
    BackfillSummary,
    partition_labels,
    summarize_backfill,
)
from freshet.instance.backfill.results import (
    BACKFILL_TAG,
    BackfillOnly,
    BackfillProgress,
    BackfillResult,
    BackfillRunFailure,
    PartitionOutcome,
)

__all__ = [
    "BACKFILL_TAG",
    "BackfillOnly",
    "BackfillProgress",
    "BackfillResult",
    "BackfillRunFailure",
    "BackfillSummary",
    "PartitionOutcome",
    "backfill",
    "cancel_backfill",
    "get_backfill",
    "partition_labels",
    "resume_backfill",
    "summarize_backfill",
]
