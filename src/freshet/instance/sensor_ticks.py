"""Ticks of schedules and sensors, evaluated in the code location's process (user code) with
the instance at hand: plain schedules and sensors through their own functions, run status
sensors once per run that reached a watched status, freshness sensors once per change of an
asset between late and on time.

Cursors are strings the daemon stores between ticks; for run status and freshness sensors
they are JSON owned by this module.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from freshet.core.keys import AssetKey
from freshet.core.schedules import ScheduleDefinition, ScheduleEvaluationContext
from freshet.core.sensors import (
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorEvaluationError,
    SensorType,
    TickEvaluation,
    evaluate_sensor,
    normalize_tick_result,
)
from freshet.definitions import Definitions
from freshet.errors import FreshetError, UsageError
from freshet.lineage.selection import select_assets
from freshet.status.freshness import AssetFreshness, FreshnessStatus, freshness_of
from freshet.storage.records import RunRecord, RunsFilter, RunStatus

#: runs looked at per run status sensor tick, oldest first
RUN_BATCH = 200


def tick_schedule(
    defs: Definitions, name: str, scheduled_execution_time: float, instance: Any
) -> TickEvaluation:
    schedule = _schedule(defs, name)
    moment = datetime.fromtimestamp(
        scheduled_execution_time, tz=ZoneInfo(schedule.execution_timezone)
    )
    context = ScheduleEvaluationContext(
        scheduled_execution_time=moment,
        instance=instance,
        resources=defs.resources,
        schedule_name=name,
    )
    return checked_requests(defs, schedule.evaluate_tick(context), f"schedule {name!r}", schedule)


def tick_sensor(
    defs: Definitions,
    name: str,
    *,
    cursor: str | None,
    instance: Any,
    last_tick_completion_time: float | None = None,
    evaluation_time: float | None = None,
) -> TickEvaluation:
    sensor_def = _sensor(defs, name)
    now = evaluation_time if evaluation_time is not None else time.time()
    where = f"sensor {name!r}"
    if sensor_def.sensor_type is SensorType.RUN_STATUS:
        evaluation = _tick_run_status_sensor(sensor_def, cursor, instance, now)
        return checked_requests(defs, evaluation, where, sensor_def, instance)
    if sensor_def.sensor_type is SensorType.FRESHNESS:
        evaluation = _tick_freshness_sensor(defs, sensor_def, cursor, instance, now)
        return checked_requests(defs, evaluation, where, sensor_def, instance)
    context = SensorEvaluationContext(
        cursor=cursor,
        instance=instance,
        resources=defs.resources,
        sensor_name=name,
        last_tick_completion_time=last_tick_completion_time,
        evaluation_time=now,
    )
    return checked_requests(defs, evaluate_sensor(sensor_def, context), where, sensor_def, instance)


def checked_requests(
    defs: Definitions,
    evaluation: TickEvaluation,
    where: str,
    target: Any,
    instance: Any = None,
) -> TickEvaluation:
    """Refuse a tick whose run requests name an asset, job or partition these definitions do
    not have, before anything is queued (a clear FAILURE tick instead of a failed run)."""
    graph = defs.get_asset_graph()
    job_names = {job.name for job in defs.get_all_job_defs()}
    for request in evaluation.run_requests:
        job_name = request.job_name or getattr(target, "job_name", None)
        if request.job_name is not None and request.job_name not in job_names:
            raise SensorEvaluationError(
                f"{where} requested job {request.job_name!r}, which is not in this code location"
            )
        keys = request.asset_selection
        unknown = [k.to_user_string() for k in keys or () if k not in graph.nodes]
        if unknown:
            raise SensorEvaluationError(
                f"{where} requested unknown asset(s) {', '.join(sorted(unknown))}"
            )
        if request.partition_key is None:
            continue
        if keys is None and job_name is not None:
            partitions_def = defs.get_job_def(job_name).partitions_def
            definitions = [partitions_def] if partitions_def is not None else []
        else:
            selected = keys if keys is not None else _target_keys(defs, target)
            definitions = [
                graph.node(k).partitions_def
                for k in selected
                if graph.node(k).partitions_def is not None
            ]
        if not definitions:
            raise SensorEvaluationError(
                f"{where} requested partition {request.partition_key!r} of a target that is "
                "not partitioned"
            )
        store = getattr(instance, "storage", None)
        for definition in definitions:
            try:
                definition.validate_key(request.partition_key, dynamic_store=store)
            except FreshetError as exc:
                raise SensorEvaluationError(f"{where}: {exc}") from None
    return evaluation


def _target_keys(defs: Definitions, target: Any) -> set[AssetKey]:
    selection = getattr(target, "target", None) or getattr(target, "asset_selection", None)
    if selection is None:
        return set()
    return select_assets(defs.get_asset_graph(), selection)


def _schedule(defs: Definitions, name: str) -> ScheduleDefinition:
    for schedule in defs.schedules:
        if schedule.name == name:
            return schedule  # type: ignore[no-any-return]
    raise UsageError(f"no schedule named {name!r} in this code location")


def _sensor(defs: Definitions, name: str) -> SensorDefinition:
    for sensor_def in defs.sensors:
        if sensor_def.name == name:
            return sensor_def  # type: ignore[no-any-return]
    raise UsageError(f"no sensor named {name!r} in this code location")


# ---- run status sensors -------------------------------------------------------------------


class RunStatusSensorContext(SensorEvaluationContext):
    """What a run status sensor's function receives: `.run`, the run that reached the
    status, and `.run_status`."""

    def __init__(self, *, run: RunRecord, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run
        self.run_status = run.status


def _tick_run_status_sensor(
    sensor_def: SensorDefinition, cursor: str | None, instance: Any, now: float
) -> TickEvaluation:
    """Call the function once per run that reached a watched status after the cursor's
    watermark (a first tick starts watching from now: old runs never fire)."""
    state = _json_cursor(cursor)
    watermark = float(state.get("after", now))
    seen = set(state.get("seen_at_watermark", ()))
    statuses = [RunStatus(s) for s in sensor_def.run_statuses]
    runs = instance.storage.get_runs(RunsFilter(statuses=statuses), limit=RUN_BATCH * 5)
    due = sorted(
        (r for r in runs if _reached_at(r) >= watermark and r.run_id not in seen),
        key=_reached_at,
    )[:RUN_BATCH]
    if sensor_def.monitored_assets is not None:
        due = [r for r in due if r.job_name in sensor_def.monitored_assets]
    requests: list[RunRequest] = []
    where = f"sensor {sensor_def.name!r}"
    for run in due:
        context = RunStatusSensorContext(
            run=run, cursor=cursor, instance=instance, sensor_name=sensor_def.name
        )
        result = normalize_tick_result(sensor_def.evaluation_fn(context), where)
        requests.extend(result.run_requests)
    if due:
        newest = _reached_at(due[-1])
        seen_now = [r.run_id for r in due if _reached_at(r) == newest]
        if newest == watermark:
            seen_now += sorted(seen)
        state = {"after": newest, "seen_at_watermark": seen_now}
    else:
        state = {"after": watermark, "seen_at_watermark": sorted(seen)}
    skip = None if due else f"no run reached {', '.join(sensor_def.run_statuses)}"
    return TickEvaluation(
        run_requests=tuple(requests),
        skip_reason=skip if not requests else None,
        cursor=json.dumps(state, sort_keys=True),
        cursor_updated=True,
    )


def _reached_at(run: RunRecord) -> float:
    return run.ended_at or run.updated_at or run.started_at or run.created_at


def _json_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        raise SensorEvaluationError(f"unreadable sensor cursor {cursor[:80]!r}") from None
    return value if isinstance(value, dict) else {}


# ---- freshness sensors --------------------------------------------------------------------


class FreshnessSensorContext(SensorEvaluationContext):
    """What a freshness sensor's function receives: the asset, its freshness now (lag,
    cause), and its status at the previous tick."""

    def __init__(
        self,
        *,
        asset_key: AssetKey,
        freshness: AssetFreshness,
        previous_status: FreshnessStatus | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.asset_key = asset_key
        self.freshness = freshness
        self.previous_status = previous_status

    @property
    def became_late(self) -> bool:
        return self.freshness.is_late

    @property
    def recovered(self) -> bool:
        return self.previous_status is FreshnessStatus.LATE and not self.freshness.is_late


def _tick_freshness_sensor(
    defs: Definitions, sensor_def: SensorDefinition, cursor: str | None, instance: Any, now: float
) -> TickEvaluation:
    """Call the function for each watched asset that became late, or recovered, since the
    previous tick (the cursor remembers each asset's last status)."""
    graph = defs.get_asset_graph()
    keys = (
        None
        if sensor_def.monitored_assets is None
        else select_assets(graph, sensor_def.monitored_assets)
    )
    states = freshness_of(graph, instance.storage, keys, now=now)
    previous = _json_cursor(cursor)
    requests: list[RunRequest] = []
    where = f"sensor {sensor_def.name!r}"
    fired = 0
    for key, state in states.items():
        name = key.to_user_string()
        before = previous.get(name)
        before_status = FreshnessStatus(before) if before else None
        became_late = state.is_late and before_status is not FreshnessStatus.LATE
        recovered = (
            before_status is FreshnessStatus.LATE and state.status is FreshnessStatus.ON_TIME
        )
        if became_late or recovered:
            fired += 1
            context = FreshnessSensorContext(
                asset_key=key,
                freshness=state,
                previous_status=before_status,
                cursor=cursor,
                instance=instance,
                sensor_name=sensor_def.name,
            )
            result = normalize_tick_result(sensor_def.evaluation_fn(context), where)
            requests.extend(result.run_requests)
    now_states = {k.to_user_string(): s.status.value for k, s in states.items()}
    return TickEvaluation(
        run_requests=tuple(requests),
        skip_reason=None if fired else "no asset became late or recovered",
        cursor=json.dumps(now_states, sort_keys=True),
        cursor_updated=True,
    )
