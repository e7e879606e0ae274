"""The schedules and sensors duty: at each pass, every schedule with a tick due and every
sensor whose interval has passed is evaluated in its code location (through the workspace
host's code servers), its tick recorded, and its run requests queued.

Exactly once: run ids are derived from what asked for them (the schedule and its tick time;
the sensor and its run key, or its tick id and the request's position), and a run id that is
already stored is never queued again. A tick is recorded STARTED before any run is queued and
resumed (same tick, same ids) after a crash, so a daemon killed at any moment and restarted
never fires a tick twice. Missed schedule ticks (the daemon was down): the latest
`max_catchup_ticks` of them run, oldest first, one per pass (default 1: only the latest).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from freshet.core.partitions.time import fires_every_hour
from freshet.core.schedules import DefaultScheduleStatus
from freshet.core.sensors import DefaultSensorStatus, RunRequest, TickEvaluation
from freshet.errors import FreshetError
from freshet.instance.config import SchedulesAndSensorsConfig, load_instance_config
from freshet.instance.instance import Instance
from freshet.runs.launch import LaunchRequest, enqueue, keys_selection
from freshet.snapshot import ScheduleSnapshot, SensorSnapshot
from freshet.storage.base import Storage
from freshet.storage.state_records import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickRecord,
    TickStatus,
)
from freshet.workspace.host import CodeLocationEntry, LocationStatus, WorkspaceHost

log = logging.getLogger(__name__)

#: run tags saying what launched a run
SCHEDULE_TAG = "freshet/schedule"
SENSOR_TAG = "freshet/sensor"
RUN_KEY_TAG = "freshet/run_key"
#: the tick that queued a run (so a tick resumed after a crash counts the runs it had queued)
TICK_TAG = "freshet/tick_id"
#: seconds a tick may take in its code location before it fails
DEFAULT_TICK_TIMEOUT = SchedulesAndSensorsConfig().tick_timeout_seconds
_NAMESPACE = uuid.UUID("8f0c2a55-3c1e-4b8e-9a51-6a1d2f0e7c44")


@dataclass(frozen=True, slots=True, kw_only=True)
class InstigatorRef:
    """A schedule or sensor of a loaded location."""

    location: CodeLocationEntry
    instigator_type: InstigatorType
    schedule: ScheduleSnapshot | None = None
    sensor: SensorSnapshot | None = None

    @property
    def name(self) -> str:
        item = self.schedule if self.schedule is not None else self.sensor
        assert item is not None
        return item.name

    @property
    def default_running(self) -> bool:
        if self.schedule is not None:
            return self.schedule.default_status is DefaultScheduleStatus.RUNNING
        assert self.sensor is not None
        return self.sensor.default_status is DefaultSensorStatus.RUNNING


def instigators(host: WorkspaceHost) -> list[InstigatorRef]:
    """Every schedule and sensor of the host's loaded locations."""
    found = []
    for entry in host:
        if entry.status is not LocationStatus.LOADED or entry.snapshot is None:
            continue
        for schedule in entry.snapshot.schedules:
            found.append(
                InstigatorRef(
                    location=entry, instigator_type=InstigatorType.SCHEDULE, schedule=schedule
                )
            )
        for sensor in entry.snapshot.sensors:
            found.append(
                InstigatorRef(location=entry, instigator_type=InstigatorType.SENSOR, sensor=sensor)
            )
    return found


def effective_status(ref: InstigatorRef, state: InstigatorState | None) -> InstigatorStatus:
    """On or off: the stored state once a user changed it, else the default status."""
    if state is not None and not state.data.get("from_default"):
        return state.status
    return InstigatorStatus.RUNNING if ref.default_running else InstigatorStatus.STOPPED


@dataclass(slots=True)
class InstigationDuty:
    """One pass evaluates what is due; `max_workers` sensors/schedules run concurrently so a
    slow one does not delay the others."""

    storage: Storage
    host: WorkspaceHost
    tick_timeout: float = DEFAULT_TICK_TIMEOUT
    max_workers: int = SchedulesAndSensorsConfig().max_concurrent_ticks
    max_catchup_ticks: int = SchedulesAndSensorsConfig().max_catchup_ticks
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)
    _in_flight: dict[tuple[InstigatorType, str], Future[Tick]] = field(
        default_factory=dict, init=False
    )

    @classmethod
    def for_instance(cls, instance: Instance, host: WorkspaceHost) -> InstigationDuty:
        """The duty as the instance's freshet.yaml `schedules_and_sensors` sets it."""
        config = (
            SchedulesAndSensorsConfig()
            if instance.home is None
            else load_instance_config(instance.home).schedules_and_sensors
        )
        return cls(
            storage=instance.storage,
            host=host,
            tick_timeout=config.tick_timeout_seconds,
            max_workers=config.max_concurrent_ticks,
            max_catchup_ticks=config.max_catchup_ticks,
        )

    def run_once(self, now: float | None = None) -> list[Tick]:
        """Evaluate every due schedule and sensor and wait for them; returns the ticks."""
        return [future.result() for future in self.start_due(now)]

    def start_due(self, now: float | None = None) -> list[Future[Tick]]:
        """Start ticking every due schedule and sensor that is not ticking already, without
        waiting (the daemon's other duties go on meanwhile)."""
        self._in_flight = {k: f for k, f in self._in_flight.items() if not f.done()}
        return [
            self._in_flight.setdefault(
                (ref.instigator_type, ref.name), self._submit(ref, state, at)
            )
            for ref, state, at in self._due(now)
            if (ref.instigator_type, ref.name) not in self._in_flight
        ]

    def _submit(self, ref: InstigatorRef, state: InstigatorState | None, at: float) -> Future[Tick]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="freshet-tick"
            )
        return self._pool.submit(self._tick, ref, state, at)

    def _due(self, now: float | None) -> list[tuple[InstigatorRef, InstigatorState | None, float]]:
        now = now if now is not None else time.time()
        states = {(s.instigator_type, s.name): s for s in self.storage.get_instigator_states()}
        due = []
        for ref in instigators(self.host):
            state = states.get((ref.instigator_type, ref.name))
            if effective_status(ref, state) is not InstigatorStatus.RUNNING:
                continue
            if ref.schedule is not None:
                tick_time = self._due_schedule_tick(ref.schedule, state, now)
                if tick_time is not None:
                    due.append((ref, state, tick_time))
            elif self._sensor_due(ref, state, now):
                due.append((ref, state, now))
        return due

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def tick_now(
        self, ref: InstigatorRef, state: InstigatorState | None, *, cursor: str | None
    ) -> Tick:
        """Tick one schedule or sensor now, whatever its interval or state (the CLI's
        `sensors tick`), with `cursor` instead of the stored one."""
        data = dict(state.data) if state is not None else {}
        data["cursor"] = cursor
        stand_in = InstigatorState(
            name=ref.name,
            instigator_type=ref.instigator_type,
            status=InstigatorStatus.RUNNING,
            data=data,
        )
        return self._tick(ref, state if cursor is None else stand_in, time.time())

    # -- when -----------------------------------------------------------------------------
    def _due_schedule_tick(
        self, schedule: ScheduleSnapshot, state: InstigatorState | None, now: float
    ) -> float | None:
        """The cron tick to run next (None if none is due): of the ticks after the last one
        run, at or before `now`, the oldest of the latest `max_catchup_ticks`. A schedule
        never ticked starts at the first tick after it was turned on."""
        from croniter import croniter  # ~25 ms; only the daemon ticks schedules

        zone = ZoneInfo(schedule.execution_timezone)
        data = state.data if state is not None else {}
        last = data.get("last_tick_time")
        since = float(last) if last is not None else float(data.get("started_at", now))
        if last is None and state is None:
            self._remember(
                InstigatorType.SCHEDULE,
                schedule.name,
                InstigatorStatus.RUNNING,
                {"started_at": now},
                default=True,
            )
            return None
        cron = schedule.cron_schedule
        at = datetime.fromtimestamp(now, tz=zone)
        candidate = croniter(cron, at).get_prev(datetime)
        if at == croniter(cron, datetime.fromtimestamp(now - 1, tz=zone)).get_next(datetime):
            candidate = at  # `now` is a tick itself
        # When clocks go back, a wall-clock time occurs twice: fire it once. (Schedules that
        # fire every hour fire both: each is a real hour.)
        repeated = (
            None
            if last is None or fires_every_hour(cron)
            else datetime.fromtimestamp(float(last), tz=zone).replace(tzinfo=None)
        )
        missed: list[float] = []
        while candidate.timestamp() > since and len(missed) < self.max_catchup_ticks:
            if candidate.replace(tzinfo=None) != repeated:
                missed.append(candidate.timestamp())
            candidate = croniter(cron, candidate).get_prev(datetime)
        return min(missed) if missed else None

    def _sensor_due(self, ref: InstigatorRef, state: InstigatorState | None, now: float) -> bool:
        assert ref.sensor is not None
        last = (state.data if state is not None else {}).get("last_tick_time")
        return last is None or now - float(last) >= ref.sensor.minimum_interval_seconds

    # -- ticking --------------------------------------------------------------------------
    def _tick(self, ref: InstigatorRef, state: InstigatorState | None, at: float) -> Tick:
        stored = state.data if state is not None else {}
        cursor = stored.get("cursor")
        record = self._resume_or_start(ref, at, cursor)
        tick = record.tick
        client = self.host.client(ref.location.name)
        try:
            if ref.schedule is not None:
                evaluation = client.tick_schedule(ref.name, at, timeout=self.tick_timeout)
            else:
                evaluation = client.tick_sensor(
                    ref.name,
                    cursor=cursor,
                    last_tick_completion_time=stored.get("last_tick_time"),
                    evaluation_time=at,
                    timeout=self.tick_timeout,
                )
            run_ids, run_keys = self._queue(ref, evaluation, record.tick_id, at)
            self._apply_dynamic_partitions(evaluation)
        except FreshetError as exc:
            finished = tick.with_status(TickStatus.FAILURE, time.time(), error=str(exc))
            self.storage.update_tick(record.tick_id, finished)
            self._remember_tick(ref, state, at, cursor)
            return finished
        status = TickStatus.SUCCESS if run_ids else TickStatus.SKIPPED
        new_cursor = evaluation.cursor if evaluation.cursor_updated else cursor
        finished = tick.with_status(
            status,
            time.time(),
            run_ids=tuple(run_ids),
            run_keys=tuple(run_keys),
            skip_reason=None if run_ids else evaluation.skip_reason,
            cursor=new_cursor,
            data={**tick.data, "requested": len(evaluation.run_requests)},
        )
        self.storage.update_tick(record.tick_id, finished)
        self._remember_tick(ref, state, at, new_cursor)
        return finished

    def _resume_or_start(self, ref: InstigatorRef, at: float, cursor: str | None) -> TickRecord:
        """The STARTED tick a crash left for this time (same id: same run ids), or a new one."""
        started = self.storage.get_ticks(
            ref.instigator_type, ref.name, statuses=[TickStatus.STARTED], limit=1
        )
        if started and started[0].tick.data.get("tick_time") == at:
            return started[0]
        return self.storage.add_tick(
            Tick(
                instigator_type=ref.instigator_type,
                instigator_name=ref.name,
                status=TickStatus.STARTED,
                timestamp=time.time(),
                cursor=cursor,
                data={"tick_time": at, "cursor_before": cursor, "location": ref.location.name},
            )
        )

    def _queue(
        self, ref: InstigatorRef, evaluation: TickEvaluation, tick_id: int, at: float
    ) -> tuple[list[str], list[str]]:
        run_ids: list[str] = []
        run_keys: list[str] = []
        for position, request in enumerate(evaluation.run_requests):
            run_id = self._run_id(ref, request, tick_id, position, at)
            if request.run_key is not None:
                run_keys.append(request.run_key)
            existing = self.storage.get_run(run_id)
            if existing is not None:
                # Queued before a crash by this very tick (it counts), or by an earlier tick
                # with the same run key (it does not).
                if existing.tags.get(TICK_TAG) == str(tick_id):
                    run_ids.append(run_id)
                continue
            request_tags = {**request.tags, TICK_TAG: str(tick_id)}
            launch = self._launch_request(ref, replace(request, tags=request_tags))
            enqueue(self.storage, launch, run_id=run_id)
            run_ids.append(run_id)
        return run_ids, run_keys

    def _run_id(
        self, ref: InstigatorRef, request: RunRequest, tick_id: int, position: int, at: float
    ) -> str:
        kind = ref.instigator_type.value
        if request.run_key is not None:
            basis = f"{kind}:{ref.location.name}:{ref.name}:key:{request.run_key}"
        elif ref.schedule is not None:
            basis = f"{kind}:{ref.location.name}:{ref.name}:at:{at}:{position}"
        else:
            basis = f"{kind}:{ref.location.name}:{ref.name}:tick:{tick_id}:{position}"
        return str(uuid.uuid5(_NAMESPACE, basis))

    def _launch_request(self, ref: InstigatorRef, request: RunRequest) -> LaunchRequest:
        target = ref.schedule if ref.schedule is not None else ref.sensor
        assert target is not None
        job_name = request.job_name or target.job_name
        keys = request.asset_selection
        if keys is None and job_name is None:
            keys = target.target_keys
        selection = None if keys is None else keys_selection(keys)
        tag = SCHEDULE_TAG if ref.schedule is not None else SENSOR_TAG
        tags = {**(dict(ref.schedule.tags) if ref.schedule is not None else {}), **request.tags}
        tags[tag] = ref.name
        if request.run_key is not None:
            tags[RUN_KEY_TAG] = request.run_key
        return LaunchRequest(
            origin=ref.location.origin.to_json_dict(),
            selection=selection,
            job_name=None if selection is not None else job_name,
            partition_key=request.partition_key,
            run_config=dict(request.run_config) or None,
            tags=tags,
        )

    def _apply_dynamic_partitions(self, evaluation: TickEvaluation) -> None:
        for request in evaluation.dynamic_partitions_requests:
            if type(request).__name__.startswith("Add"):
                self.storage.add_dynamic_partitions(
                    request.partitions_def_name, list(request.partition_keys)
                )
            else:
                for key in request.partition_keys:
                    self.storage.delete_dynamic_partition(request.partitions_def_name, key)

    # -- state ----------------------------------------------------------------------------
    def _remember_tick(
        self, ref: InstigatorRef, state: InstigatorState | None, at: float, cursor: str | None
    ) -> None:
        data: dict[str, Any] = dict(state.data) if state is not None else {}
        data["last_tick_time"] = at
        if cursor is not None:
            data["cursor"] = cursor
        status = state.status if state is not None else InstigatorStatus.RUNNING
        self._remember(ref.instigator_type, ref.name, status, data, default=state is None)

    def _remember(
        self,
        kind: InstigatorType,
        name: str,
        status: InstigatorStatus,
        data: Mapping[str, Any],
        *,
        default: bool,
    ) -> None:
        # A state stored only to remember ticks keeps following the default status until a
        # user turns the schedule or sensor on or off (`from_default` marks it).
        stored = self.storage.get_instigator_state(kind, name)
        if stored is not None:
            merged = {**stored.data, **data}
            self.storage.set_instigator_state(replace(stored, data=merged, updated_at=time.time()))
            return
        self.storage.set_instigator_state(
            InstigatorState(
                name=name,
                instigator_type=kind,
                status=status,
                data={**data, "from_default": default},
            )
        )


def set_status(
    storage: Storage, kind: InstigatorType, name: str, status: InstigatorStatus
) -> InstigatorState:
    """Turn a schedule or sensor on or off (stored; survives restarts)."""
    stored = storage.get_instigator_state(kind, name)
    data = dict(stored.data) if stored is not None else {}
    data["from_default"] = False
    if status is InstigatorStatus.RUNNING and (stored is None or stored.status != status):
        # Turned on now: a schedule's ticks count from now, never the ones missed while off.
        data["started_at"] = time.time()
        if kind is InstigatorType.SCHEDULE:
            data.pop("last_tick_time", None)
    state = InstigatorState(name=name, instigator_type=kind, status=status, data=data)
    storage.set_instigator_state(state)
    return state


def describe_ticks(ticks: Iterable[TickRecord]) -> list[dict[str, Any]]:
    """Ticks as JSON-safe dicts (for the CLI and, later, the web API)."""
    return [
        {
            "tick_id": record.tick_id,
            "status": record.tick.status.value,
            "timestamp": record.tick.timestamp,
            "tick_time": record.tick.data.get("tick_time"),
            "run_ids": list(record.tick.run_ids),
            "run_keys": list(record.tick.run_keys),
            "skip_reason": record.tick.skip_reason,
            "error": record.tick.error,
            "cursor_before": record.tick.data.get("cursor_before"),
            "cursor": record.tick.cursor,
        }
        for record in ticks
    ]
