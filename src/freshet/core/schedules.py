"""Schedules: run a job (or an asset selection) at every tick of a cron schedule. A schedule is
a value (`ScheduleDefinition`) or a function (`@schedule`) that decides, per tick, what to
run. `Definitions` validates them; the daemon ticks them; tests call them directly."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from freshet.core.jobs import JobDefinition, UnresolvedAssetJob
from freshet.core.keys import check_name
from freshet.core.sensors import (
    ContextResources,
    RunRequest,
    SensorEvaluationError,
    TickEvaluation,
    _job_name,
    normalize_tick_result,
)
from freshet.errors import InvalidDefinitionError


class DefaultScheduleStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class ScheduleEvaluationContext:
    """What a schedule's function receives: the tick's `scheduled_execution_time` (aware, in
    the schedule's timezone), the instance and resources."""

    def __init__(
        self,
        *,
        scheduled_execution_time: datetime | None = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        schedule_name: str | None = None,
    ) -> None:
        if scheduled_execution_time is not None and not isinstance(
            scheduled_execution_time, datetime
        ):
            raise SensorEvaluationError(
                "scheduled_execution_time must be a datetime, got "
                f"{type(scheduled_execution_time).__name__}"
            )
        if scheduled_execution_time is not None and scheduled_execution_time.tzinfo is None:
            scheduled_execution_time = scheduled_execution_time.replace(tzinfo=UTC)
        self.scheduled_execution_time = scheduled_execution_time
        self._instance = instance
        self.resources = ContextResources(resources or {})
        self.schedule_name = schedule_name

    @property
    def instance(self) -> Any:
        if self._instance is None:
            raise SensorEvaluationError(
                "this schedule context has no instance: pass one to "
                "build_schedule_context(instance=fr.Instance.ephemeral())"
            )
        return self._instance


def build_schedule_context(
    scheduled_execution_time: datetime | None = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
) -> ScheduleEvaluationContext:
    """A context for calling a schedule directly in a test."""
    return ScheduleEvaluationContext(
        scheduled_execution_time=scheduled_execution_time, instance=instance, resources=resources
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ScheduleDefinition:
    """Run `job` (a job definition, an asset job, or a job name) or `target` (an asset
    selection) at every tick of `cron_schedule`, evaluated in `execution_timezone`.

    With `execution_fn` (what `@schedule` builds), the function decides per tick; otherwise
    every tick requests one run with `run_config` and `tags`."""

    name: str
    cron_schedule: str
    job: Any = None
    target: Any = None
    execution_timezone: str = "UTC"
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED
    description: str | None = None
    execution_fn: Callable[..., Any] | None = None
    #: the partitions definition whose latest partition each tick requests, if any
    partitions_def: Any = None

    def __init__(
        self,
        *,
        cron_schedule: str,
        job: Any = None,
        target: Any = None,
        name: str | None = None,
        execution_timezone: str = "UTC",
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        default_status: DefaultScheduleStatus | str = DefaultScheduleStatus.STOPPED,
        description: str | None = None,
        execution_fn: Callable[..., Any] | None = None,
        job_name: str | None = None,
        partitions_def: Any = None,
    ) -> None:
        job = job if job is not None else job_name
        if isinstance(target, JobDefinition | UnresolvedAssetJob):
            job, target = target, None
        if (job is None) == (target is None):
            raise InvalidDefinitionError(
                f"ScheduleDefinition {name or ''}: give job= (a job or job name) or target= "
                "(an asset selection), not both or neither".replace("  ", " ")
            )
        job_name = None if job is None else _job_name(job, "ScheduleDefinition")
        default_name = f"{job_name}_schedule" if job_name else None
        if name is None and default_name is None:
            raise InvalidDefinitionError("ScheduleDefinition with target= needs a name=")
        schedule_name = check_name(name or default_name, "schedule name")
        if not isinstance(cron_schedule, str):
            raise InvalidDefinitionError(
                f"schedule {schedule_name!r}: cron_schedule must be a string like "
                f"'0 6 * * *', got {cron_schedule!r}"
            )
        if run_config is not None and not isinstance(run_config, Mapping):
            raise InvalidDefinitionError(
                f"schedule {schedule_name!r}: run_config must be a dict, got "
                f"{type(run_config).__name__}"
            )
        try:
            status = DefaultScheduleStatus(default_status)
        except ValueError:
            raise InvalidDefinitionError(
                f"schedule {schedule_name!r}: default_status must be RUNNING or STOPPED, got "
                f"{default_status!r}"
            ) from None
        values = {
            "name": schedule_name,
            "cron_schedule": cron_schedule,
            "job": job,
            "target": target,
            "execution_timezone": execution_timezone,
            "run_config": dict(run_config or {}),
            "tags": dict(tags or {}),
            "default_status": status,
            "description": description,
            "execution_fn": execution_fn,
            "partitions_def": partitions_def,
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def job_name(self) -> str | None:
        if self.job is None:
            return None
        return self.job if isinstance(self.job, str) else self.job.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation, for tests: what the schedule's function returns (generators
        collected into a list); a schedule without a function returns its run request."""
        if self.execution_fn is None:
            context = args[0] if args else kwargs.get("context")
            return self._default_request(context)
        parameters = inspect.signature(self.execution_fn).parameters
        value = self.execution_fn(*args, **kwargs) if parameters else self.execution_fn()
        return list(value) if inspect.isgenerator(value) else value

    def evaluate_tick(self, context: ScheduleEvaluationContext) -> TickEvaluation:
        """One tick, normalized (a run config dict is a run request)."""
        where = f"schedule {self.name!r}"
        if self.execution_fn is None:
            return normalize_tick_result(self._default_request(context), where)
        return normalize_tick_result(self(context), where, config_dict_is_request=True)

    def _default_request(self, context: ScheduleEvaluationContext | None) -> RunRequest:
        partition_key = None
        if self.partitions_def is not None and context is not None:
            when = context.scheduled_execution_time
            partition_key = self.partitions_def.get_last_partition_key(current_time=when)
        return RunRequest(run_config=self.run_config, tags=self.tags, partition_key=partition_key)


def schedule(
    cron_schedule: str,
    *,
    job: Any = None,
    target: Any = None,
    name: str | None = None,
    execution_timezone: str = "UTC",
    default_status: DefaultScheduleStatus | str = DefaultScheduleStatus.STOPPED,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    job_name: str | None = None,
) -> Callable[[Callable[..., Any]], ScheduleDefinition]:
    """`@schedule("0 6 * * *", job=...)`: the function gets a `ScheduleEvaluationContext`
    and returns or yields `RunRequest`s, a `SkipReason`, or a run config dict."""

    def decorate(fn: Callable[..., Any]) -> ScheduleDefinition:
        if not callable(fn):
            raise InvalidDefinitionError(f"@schedule decorates a function, got {fn!r}")
        return ScheduleDefinition(
            cron_schedule=cron_schedule,
            job=job if job is not None else job_name,
            target=target,
            name=name or fn.__name__,
            execution_timezone=execution_timezone,
            default_status=default_status,
            tags=tags,
            description=description or inspect.getdoc(fn),
            execution_fn=fn,
        )

    return decorate


def build_schedule_from_partitioned_job(
    job: Any,
    *,
    name: str | None = None,
    minute_of_hour: int | None = None,
    hour_of_day: int | None = None,
    day_of_week: int | None = None,
    day_of_month: int | None = None,
    default_status: DefaultScheduleStatus | str = DefaultScheduleStatus.STOPPED,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
) -> ScheduleDefinition:
    """A schedule that runs `job` (time-partitioned) once per partition, as each partition's
    window ends: every tick requests the latest complete partition."""
    partitions_def = getattr(job, "partitions_def", None)
    cron = getattr(partitions_def, "cron_schedule", None)
    if not isinstance(cron, str):
        raise InvalidDefinitionError(
            f"build_schedule_from_partitioned_job: job {getattr(job, 'name', job)!r} has no "
            "time-based partitions_def (daily, hourly, weekly, monthly or cron-based)"
        )
    fields = cron.split()
    overrides = (minute_of_hour, hour_of_day, day_of_month, None, day_of_week)
    for index, value in enumerate(overrides):
        if value is not None and len(fields) == 5:
            fields[index] = str(value)
    return ScheduleDefinition(
        cron_schedule=" ".join(fields),
        job=job,
        name=name,
        execution_timezone=getattr(partitions_def, "timezone", None) or "UTC",
        default_status=default_status,
        tags=tags,
        description=description,
        partitions_def=partitions_def,
    )
