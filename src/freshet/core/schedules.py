"""Schedules: run a job on a cron. The value is validated by `Definitions`; the daemon that
ticks schedules is part of the automation layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from freshet.core.keys import check_name
from freshet.errors import InvalidDefinitionError


class DefaultScheduleStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ScheduleDefinition:
    """Run `job` (a job definition, an asset job, or a job name) at every tick of
    `cron_schedule`, evaluated in `execution_timezone`."""

    name: str
    cron_schedule: str
    job: Any
    execution_timezone: str = "UTC"
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED
    description: str | None = None

    def __init__(
        self,
        *,
        cron_schedule: str,
        job: Any,
        name: str | None = None,
        execution_timezone: str = "UTC",
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        default_status: DefaultScheduleStatus | str = DefaultScheduleStatus.STOPPED,
        description: str | None = None,
    ) -> None:
        job_name = job if isinstance(job, str) else getattr(job, "name", None)
        if not isinstance(job_name, str):
            raise InvalidDefinitionError(
                f"ScheduleDefinition: job must be a job or a job name, got {job!r}"
            )
        if not isinstance(cron_schedule, str):
            raise InvalidDefinitionError(
                f"schedule for job {job_name!r}: cron_schedule must be a string like "
                f"'0 6 * * *', got {cron_schedule!r}"
            )
        values = {
            "name": check_name(name or f"{job_name}_schedule", "schedule name"),
            "cron_schedule": cron_schedule,
            "job": job,
            "execution_timezone": execution_timezone,
            "run_config": dict(run_config or {}),
            "tags": dict(tags or {}),
            "default_status": DefaultScheduleStatus(default_status),
            "description": description,
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def job_name(self) -> str:
        return self.job if isinstance(self.job, str) else self.job.name
