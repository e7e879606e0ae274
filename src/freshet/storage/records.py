"""Stored records: runs, events and status rows. Plain, frozen, JSON-serializable values.

Stored names (enum values, payload keys) are stable: renaming a Python symbol must never
change what is written to a database.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from freshet.core.keys import AssetKey

MAX_KEY_LENGTH = 512
"""Longest asset key (as its "a/b" string), step key or instigator name every backend stores."""
MAX_PARTITION_LENGTH = 255
"""Longest partition key, run id, pool or dynamic partitions definition name."""


class RunStatus(StrEnum):
    QUEUED = "QUEUED"
    NOT_STARTED = "NOT_STARTED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"

    @property
    def is_finished(self) -> bool:
        return self in (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED)


class EventType(StrEnum):
    RUN_ENQUEUED = "RUN_ENQUEUED"
    RUN_STARTING = "RUN_STARTING"
    RUN_START = "RUN_START"
    RUN_SUCCESS = "RUN_SUCCESS"
    RUN_FAILURE = "RUN_FAILURE"
    RUN_CANCELING = "RUN_CANCELING"
    RUN_CANCELED = "RUN_CANCELED"
    STEP_START = "STEP_START"
    STEP_INPUT = "STEP_INPUT"
    STEP_OUTPUT = "STEP_OUTPUT"
    HANDLED_OUTPUT = "HANDLED_OUTPUT"
    LOADED_INPUT = "LOADED_INPUT"
    ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"
    ASSET_MATERIALIZATION_PLANNED = "ASSET_MATERIALIZATION_PLANNED"
    ASSET_OBSERVATION = "ASSET_OBSERVATION"
    ASSET_CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"
    STEP_EXPECTATION_RESULT = "STEP_EXPECTATION_RESULT"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_UP_FOR_RETRY = "STEP_UP_FOR_RETRY"
    STEP_RESTARTED = "STEP_RESTARTED"
    RESOURCE_INIT = "RESOURCE_INIT"
    LOG = "LOG"
    ENGINE_EVENT = "ENGINE_EVENT"


RUN_STATUS_BY_EVENT: Mapping[EventType, RunStatus] = {
    EventType.RUN_ENQUEUED: RunStatus.QUEUED,
    EventType.RUN_STARTING: RunStatus.STARTING,
    EventType.RUN_START: RunStatus.STARTED,
    EventType.RUN_SUCCESS: RunStatus.SUCCESS,
    EventType.RUN_FAILURE: RunStatus.FAILURE,
    EventType.RUN_CANCELING: RunStatus.CANCELING,
    EventType.RUN_CANCELED: RunStatus.CANCELED,
}


class ComputeLogStream(StrEnum):
    """A captured output stream of a step."""

    STDOUT = "stdout"
    STDERR = "stderr"

    @property
    def file_suffix(self) -> str:
        """Compute log files are named `<step_key>.out` / `<step_key>.err`."""
        return "out" if self is ComputeLogStream.STDOUT else "err"


class LogLevel:
    """Numeric levels, matching the `logging` module."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One entry of the event log.

    `data` is a JSON-serializable payload whose keys depend on `event_type`. For
    ASSET_MATERIALIZATION it holds ``metadata`` (name -> {"type", "value"}),
    ``data_version``, ``code_version`` and ``provenance`` (a list of
    {"key", "partition", "data_version"}). For ASSET_OBSERVATION: ``metadata`` and
    ``data_version``. For ASSET_CHECK_EVALUATION: ``check_name``, ``passed``,
    ``severity``, ``metadata``, ``blocking``. For STEP_FAILURE: ``error`` ({"cls",
    "message", "traceback"}) and ``retry`` info. `asset_key`/`partition` are set on
    asset events so storage can index them.
    """

    event_type: EventType
    run_id: str
    timestamp: float = field(default_factory=time.time)
    step_key: str | None = None
    level: int = LogLevel.INFO
    message: str = ""
    asset_key: AssetKey | None = None
    partition: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def event_type_value(self) -> str:
        return self.event_type.value

    @property
    def is_step_success(self) -> bool:
        return self.event_type is EventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type is EventType.STEP_FAILURE

    @property
    def is_failure(self) -> bool:
        return self.event_type in (EventType.STEP_FAILURE, EventType.RUN_FAILURE)

    @property
    def is_step_event(self) -> bool:
        return self.step_key is not None

    @property
    def is_asset_materialization(self) -> bool:
        return self.event_type is EventType.ASSET_MATERIALIZATION

    @property
    def is_expectation_result(self) -> bool:
        return self.event_type is EventType.STEP_EXPECTATION_RESULT


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """An event as stored: with its storage id, monotonically increasing per instance."""

    storage_id: int
    event: Event

    @property
    def event_type(self) -> EventType:
        return self.event.event_type

    @property
    def run_id(self) -> str:
        return self.event.run_id

    @property
    def timestamp(self) -> float:
        return self.event.timestamp

    @property
    def asset_key(self) -> AssetKey | None:
        return self.event.asset_key

    @property
    def partition(self) -> str | None:
        return self.event.partition


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    run_id: str
    job_name: str
    status: RunStatus
    asset_selection: tuple[AssetKey, ...] = ()
    partition: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    run_config: Mapping[str, Any] = field(default_factory=dict)
    parent_run_id: str | None = None
    root_run_id: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    updated_at: float | None = None
    #: where the run's code comes from (`CodeLocationOrigin.to_json_dict()`): set on launched
    #: runs, so that a run worker in another process can load the same code again
    origin: Mapping[str, Any] | None = None
    #: the asset selection a launched run executes, as the selection syntax (resolved by the
    #: run worker against the code it loads)
    selection: str | None = None
    #: the ops a run of an op job executes (op selection entries; None: all of them)
    op_selection: tuple[str, ...] | None = None
    #: (node, output, run id) of op outputs the run loads from the earlier run that stored
    #: them instead of executing their ops (re-execution)
    reused_outputs: tuple[tuple[str, str, str], ...] = ()

    def with_status(self, status: RunStatus, at: float) -> RunRecord:
        started = at if status is RunStatus.STARTED and self.started_at is None else self.started_at
        ended = at if status.is_finished else self.ended_at
        return replace(self, status=status, started_at=started, ended_at=ended, updated_at=at)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunsFilter:
    run_ids: Sequence[str] | None = None
    #: runs whose id starts with this text (how a person names a run: its first characters)
    run_id_prefix: str | None = None
    job_name: str | None = None
    statuses: Sequence[RunStatus] | None = None
    tags: Mapping[str, str] | None = None
    asset_key: AssetKey | None = None
    created_before: float | None = None
    created_after: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetStatusRecord:
    """The status index row of one asset (or one asset partition when `partition` is set).

    The asset-level row summarizes every partition: its latest materialization is the latest
    of any partition. `last_run_id` is the run of the latest materialization; a later
    materialization clears `last_failed_run_id`; a finished run clears `in_progress_run_id`.
    The storage ids are always set; the events only when read `with_events`.
    """

    asset_key: AssetKey
    partition: str | None
    last_materialization: EventRecord | None
    last_observation: EventRecord | None = None
    last_run_id: str | None = None
    last_failed_run_id: str | None = None
    in_progress_run_id: str | None = None
    last_materialization_storage_id: int | None = None
    last_observation_storage_id: int | None = None

    @property
    def latest_data_event(self) -> EventRecord | None:
        """The newer of the latest materialization and the latest observation: the event
        that set the current data version (None when neither was read)."""
        mat, obs = self.last_materialization, self.last_observation
        if mat is None or (obs is not None and obs.storage_id > mat.storage_id):
            return obs
        return mat


class PartitionStatusCategory(StrEnum):
    """What a partition's status row says, in precedence order: a run in progress, else
    materialized but the latest attempt failed, else the last attempt failed (never
    materialized), else materialized, else only observed. Partitions without a row are
    missing; only the partitions definition knows how many those are."""

    IN_PROGRESS = "in_progress"
    #: a materialization exists (its data is still there), but the latest attempt failed
    MATERIALIZED_LATEST_FAILED = "materialized_latest_failed"
    FAILED = "failed"
    MATERIALIZED = "materialized"
    OBSERVED = "observed"


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    """What `Storage.prune_runs` removed. Events still pointed at by a status index row (the
    latest materialization or observation of an asset or partition, the latest evaluation of
    a check) are kept, so status reads the same before and after."""

    run_ids: tuple[str, ...] = ()
    events_deleted: int = 0
    events_kept: int = 0

    @property
    def runs_deleted(self) -> int:
        return len(self.run_ids)
