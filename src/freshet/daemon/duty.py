"""What the daemon's loop runs: a duty does one bounded piece of work per tick, every
`interval_seconds`. New duties (automation, schedules, sensors) implement this protocol and
are added to `daemon.duties.default_duties`."""

from __future__ import annotations

from typing import Protocol


class Duty(Protocol):
    #: stable name, shown by `freshet daemon status` and used as its heartbeat's name
    name: str
    #: seconds between the starts of two ticks
    interval_seconds: float

    def tick(self) -> None:
        """Do one round of work; an exception is recorded with the heartbeat and the loop
        goes on with the next tick."""
        ...

    def close(self) -> None:
        """Release what the duty holds when the daemon stops."""
        ...
