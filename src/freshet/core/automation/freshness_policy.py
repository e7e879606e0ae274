"""`FreshnessPolicy`: how up to date an asset must be.

"At all times (or by each tick of `cron_schedule`), the asset incorporates all source data that
arrived up to `maximum_lag_minutes` earlier." An asset's data time — the newest time T such
that it incorporates all root data up to T — is computed by `freshet.status.freshness`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from freshet.errors import InvalidDefinitionError

#: a year: a longer lag is almost certainly minutes given as seconds or a typo
MAX_LAG_MINUTES = 366 * 24 * 60


@dataclass(frozen=True, slots=True)
class FreshnessPolicy:
    maximum_lag_minutes: float
    cron_schedule: str | None = None
    cron_schedule_timezone: str = "UTC"

    def __post_init__(self) -> None:
        lag = self.maximum_lag_minutes
        if isinstance(lag, bool) or not isinstance(lag, int | float) or not math.isfinite(lag):
            raise InvalidDefinitionError(
                f"FreshnessPolicy: maximum_lag_minutes must be a number of minutes, got {lag!r}"
            )
        if lag < 0 or lag > MAX_LAG_MINUTES:
            raise InvalidDefinitionError(
                f"FreshnessPolicy: maximum_lag_minutes must be between 0 and {MAX_LAG_MINUTES} "
                f"(a year), got {lag!r}"
            )
        object.__setattr__(self, "maximum_lag_minutes", float(lag))
        if self.cron_schedule is not None:
            # Imported here for start-up time: croniter costs ~25 ms; most policies have no cron.
            from freshet.core.cron import cron_problem

            problem = cron_problem(self.cron_schedule)
            if problem is not None:
                raise InvalidDefinitionError(f"FreshnessPolicy: {problem}")
        # Imported here for start-up time: most projects define no freshness policy.
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.cron_schedule_timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidDefinitionError(
                f"FreshnessPolicy: unknown cron_schedule_timezone "
                f"{self.cron_schedule_timezone!r}; use an IANA name such as 'UTC' or "
                "'Europe/Berlin'"
            ) from None

    @property
    def maximum_lag_seconds(self) -> float:
        return self.maximum_lag_minutes * 60.0

    def describe(self) -> str:
        lag = _minutes(self.maximum_lag_minutes)
        if self.cron_schedule is None:
            return f"at most {lag} behind at all times"
        return (
            f"at most {lag} behind at each tick of '{self.cron_schedule}' "
            f"({self.cron_schedule_timezone})"
        )


def _minutes(value: float) -> str:
    if value >= 120 and value % 60 == 0:
        return f"{value / 60:g} h"
    return f"{value:g} min"
