"""What `freshet daemon status` shows: each duty's last heartbeat, how old it is, and whether
that is recent enough to call the duty running."""

from __future__ import annotations

import time
from dataclasses import dataclass

from freshet.storage.base import StorageReader
from freshet.storage.state_records import HeartbeatKind

#: a duty is running when it beat within this many of its intervals (and a few seconds)
MISSED_BEATS = 3
GRACE_SECONDS = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DutyStatus:
    name: str
    last_heartbeat: float
    age_seconds: float
    running: bool
    pid: int | None
    error: str | None


def duty_statuses(storage: StorageReader, now: float | None = None) -> list[DutyStatus]:
    now = time.time() if now is None else now
    statuses = []
    for beat in storage.get_heartbeats(HeartbeatKind.DAEMON_DUTY):
        interval = float(beat.data.get("interval_seconds") or 1.0)
        age = max(0.0, now - beat.timestamp)
        statuses.append(
            DutyStatus(
                name=beat.name,
                last_heartbeat=beat.timestamp,
                age_seconds=age,
                running=age <= MISSED_BEATS * interval + GRACE_SECONDS,
                pid=beat.data.get("pid"),
                error=beat.data.get("error"),
            )
        )
    return statuses
