"""The stored backfill record: how partitions, policies, progress and the running process are
encoded in its data, and the summary read back from a record alone."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import (
    BackfillPolicy,
    BackfillPolicyType,
    PartitionKeyRange,
    PartitionsSubset,
    TimeWindowPartitionsSubset,
)
from freshet.instance.backfill.results import (
    BackfillRunFailure,
    PartitionOutcome,
    total_partitions,
)
from freshet.storage.state_records import BackfillRecord, BackfillStatus

DATA_VERSION = 1
#: failed runs kept in the stored record (the runs themselves carry the backfill tag)
_MAX_STORED_FAILURES = 100


# ---- partitions and policies --------------------------------------------------------------


def encode_subset(subset: PartitionsSubset) -> dict[str, list[Any]]:
    if isinstance(subset, TimeWindowPartitionsSubset):
        return {"ranges": [[r.start, r.end] for r in subset.key_ranges()]}
    return {"keys": [str(k) for k in subset]}


def decode_subset(definition: Any, encoded: Mapping[str, Any], store: Any) -> PartitionsSubset:
    subset = definition.empty_subset()
    for first, last in encoded.get("ranges", ()):
        key_range = PartitionKeyRange(first, last)
        subset = subset | definition.subset_for_range(key_range, dynamic_store=store)
    keys = encoded.get("keys")
    if keys:
        subset = subset | definition.subset_for_keys(keys, dynamic_store=store)
    return subset.concrete()  # type: ignore[no-any-return]


def _labels(encoded: Mapping[str, Any]) -> list[str]:
    """Partitions of an encoded subset as labels ('a...b' per range), without definitions."""
    ranges = [a if a == b else f"{a}...{b}" for a, b in encoded.get("ranges", ())]
    return ranges + list(encoded.get("keys", ()))


def partition_labels(subset: PartitionsSubset) -> list[str]:
    """A subset's partitions for people: one 'first...last' per contiguous time range."""
    return _labels(encode_subset(subset))


def encode_policy(policy: BackfillPolicy | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {"type": policy.policy_type.value, "max": policy.max_partitions_per_run}


def decode_policy(doc: Mapping[str, Any] | None) -> BackfillPolicy | None:
    if doc is None:
        return None
    kind = BackfillPolicyType(doc["type"])
    if kind is BackfillPolicyType.SINGLE_RUN:
        return BackfillPolicy.single_run()
    return BackfillPolicy.multi_run(doc["max"])


# ---- progress and the process running it --------------------------------------------------


def progress_data(
    data: Mapping[str, Any],
    *,
    targets: Mapping[AssetKey, PartitionsSubset],
    encoded_targets: Mapping[str, Any],
    outcomes: Mapping[PartitionOutcome, Mapping[AssetKey, PartitionsSubset]],
    failed_runs: Sequence[BackfillRunFailure],
    interrupted: bool,
    running: bool,
) -> dict[str, Any]:
    """The record's `data` updated with this progress: outcomes and their counts, the latest
    failed runs, and the process running the backfill (when `running`)."""
    encoded_outcomes = {
        o.value: {k.to_user_string(): encode_subset(s) for k, s in by_asset.items() if s}
        for o, by_asset in outcomes.items()
    }
    counts = {"targets": total_partitions(targets)}
    counts.update({o.value: total_partitions(by_asset) for o, by_asset in outcomes.items()})
    return {
        **data,
        "version": DATA_VERSION,
        "targets": encoded_targets,
        "outcomes": encoded_outcomes,
        "counts": counts,
        "failed_runs": [f.to_json() for f in failed_runs[-_MAX_STORED_FAILURES:]],
        "interrupted": interrupted,
        "runner": _runner() if running else None,
    }


def _runner() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def still_running(record: BackfillRecord) -> int | None:
    """The pid of a live process on this host that is running the backfill, if any."""
    runner = record.data.get("runner")
    if not runner or runner.get("host") != socket.gethostname() or os.name != "posix":
        return None
    pid = int(runner.get("pid", 0))
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


# ---- reading a record back ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillSummary:
    """What `freshet backfill list|show` print, read from a stored record alone."""

    backfill_id: str
    status: BackfillStatus
    interrupted: bool
    asset_keys: tuple[AssetKey, ...]
    partitions: str
    selection: str | None
    partition_range: tuple[str, str] | None
    partition_keys: tuple[str, ...]
    counts: Mapping[str, int]
    failed: Mapping[str, tuple[str, ...]]
    skipped: Mapping[str, tuple[str, ...]]
    failed_runs: tuple[BackfillRunFailure, ...]
    created_at: float
    updated_at: float | None
    error: str | None

    @property
    def state(self) -> str:
        """The status, with a paused backfill shown as INTERRUPTED."""
        if self.status is BackfillStatus.REQUESTED and self.interrupted:
            return "INTERRUPTED"
        return self.status.value


def summarize_backfill(record: BackfillRecord) -> BackfillSummary:
    data = record.data
    outcomes = data.get("outcomes", {})
    request = data.get("request", {})
    key_range = request.get("partition_range")
    return BackfillSummary(
        backfill_id=record.backfill_id,
        status=record.status,
        interrupted=bool(data.get("interrupted")),
        asset_keys=record.asset_selection,
        partitions=str(request.get("description", "")),
        selection=request.get("selection"),
        partition_range=None if key_range is None else (key_range[0], key_range[1]),
        partition_keys=record.partition_keys,
        counts=dict(data.get("counts", {})),
        failed={k: tuple(_labels(v)) for k, v in outcomes.get("failed", {}).items()},
        skipped={k: tuple(_labels(v)) for k, v in outcomes.get("skipped", {}).items()},
        failed_runs=tuple(BackfillRunFailure.from_json(f) for f in data.get("failed_runs", ())),
        created_at=record.created_at,
        updated_at=record.updated_at,
        error=record.error,
    )
