"""A launch request: what to run, recorded as a QUEUED run with the origin of its code so that
a run worker in another process can load that code and execute it. Recording a request never
imports the user's code."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from freshet.core.ids import random_uuid
from freshet.core.keys import AssetKey
from freshet.core.op_selection import OpSelectionEntry, as_entries
from freshet.core.partitions import PartitionKeyRange
from freshet.core.run_config import redact_run_config
from freshet.errors import SelectionError, UsageError
from freshet.lineage.selection.parser import parse
from freshet.storage.base import StorageWriter
from freshet.storage.records import Event, EventType, RunRecord, RunStatus

ASSET_JOB_NAME = "__asset_job"
#: the job name of runs of observation functions (`freshet observe`)
OBSERVE_JOB_NAME = "__observe"
PRIORITY_TAG = "freshet/priority"


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchRequest:
    """One run to launch: an asset selection (the selection syntax) and/or a job, at most one
    of a partition and a partition range, run config, tags, and where the code lives
    (`CodeLocationOrigin.to_json_dict()`)."""

    origin: Mapping[str, Any]
    selection: str | None = None
    job_name: str | None = None
    partition_key: str | None = None
    partition_range: tuple[str, str] | None = None
    run_config: Mapping[str, Any] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    root_run_id: str | None = None
    #: op jobs: the ops to run (op selection entries; None: all of them)
    op_selection: tuple[str, ...] | None = None
    #: op jobs: (node, output, run id) of outputs to load from the earlier run that stored
    #: them when their op is not run
    reused_outputs: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.selection is None and self.job_name is None:
            raise UsageError("a launch needs a selection (--select) or a job (--job)")
        if self.op_selection is not None:
            if self.job_name is None or self.selection is not None:
                raise UsageError(
                    "an op selection selects ops of an op job: give it with the job and no "
                    "asset selection"
                )
            for entry in as_entries(self.op_selection, f"job {self.job_name!r}"):
                OpSelectionEntry.parse(entry)
        for row in self.reused_outputs:
            if not (
                isinstance(row, tuple | list)
                and len(row) == 3
                and all(isinstance(v, str) and v for v in row)
            ):
                raise UsageError(
                    f"reused_outputs: each row is (op node, output name, run id), got {row!r}"
                )
        if self.reused_outputs and self.job_name is None:
            raise UsageError("reused_outputs are outputs of an op job's ops: give the job")
        if self.partition_key is not None and self.partition_range is not None:
            raise UsageError("give either a partition or a partition range, not both")
        if self.selection is not None:
            try:
                parse(self.selection)
            except SelectionError as exc:
                raise SelectionError(f"--select {self.selection!r}: {exc}") from None
        priority = self.tags.get(PRIORITY_TAG)
        if priority is not None:
            run_priority({PRIORITY_TAG: priority}, strict=True)

    @property
    def partition(self) -> str | None:
        """How the run record names its partition(s): a key, or `first...last`."""
        if self.partition_range is not None:
            return str(PartitionKeyRange(*self.partition_range))
        return self.partition_key


def keys_selection(keys: Iterable[AssetKey]) -> str:
    """A selection of exactly these assets, each by its quoted key."""
    return " or ".join(f'key:"{key.to_user_string()}"' for key in keys)


def run_priority(tags: Mapping[str, str], *, strict: bool = False) -> int:
    """The run's `freshet/priority` tag as a number (higher runs first; default 0)."""
    raw = tags.get(PRIORITY_TAG)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        if strict:
            raise UsageError(
                f"tag {PRIORITY_TAG}={raw!r} is not a whole number; use e.g. "
                f"--tag {PRIORITY_TAG}=10 (higher runs first)"
            ) from None
        return 0


def split_partition(partition: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """A run record's partition back as (key, None) or (None, (first, last))."""
    if partition is None or not PartitionKeyRange.is_range_text(partition):
        return partition, None
    parsed = PartitionKeyRange.parse(partition)
    return None, (parsed.start, parsed.end)


def enqueue(storage: StorageWriter, request: LaunchRequest, *, run_id: str | None = None) -> str:
    """Record the request as a QUEUED run (with a RUN_ENQUEUED event); returns its id."""
    run_id = run_id or random_uuid()
    now = time.time()
    storage.add_run(
        RunRecord(
            run_id=run_id,
            job_name=request.job_name or ASSET_JOB_NAME,
            status=RunStatus.QUEUED,
            partition=request.partition,
            tags=dict(request.tags),
            run_config=redact_run_config(request.run_config),
            parent_run_id=request.parent_run_id,
            root_run_id=request.root_run_id,
            created_at=now,
            origin=dict(request.origin),
            selection=request.selection,
            op_selection=request.op_selection,
            reused_outputs=request.reused_outputs,
        ),
        events=[
            Event(
                event_type=EventType.RUN_ENQUEUED,
                run_id=run_id,
                timestamp=now,
                message="run queued",
            )
        ],
    )
    return run_id
