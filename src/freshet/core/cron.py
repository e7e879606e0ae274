"""Cron schedules: the one validator (for partitions, schedules and automation conditions) and
cadences for cron schedules that are not simple hourly/daily/weekly/monthly shapes.

This is the one module of the core that imports a third-party library (croniter); nothing
imports it at `import freshet` time, because croniter costs ~25 ms to import. croniter walks
naive local wall times; this module turns them into instants, DST-correctly: a wall time
that occurs twice fires once (both times only for schedules that fire every hour, whose keys
then carry their UTC offset), a wall time skipped by DST moves forward by the gap, and two
wall times that land on the same instant fire once.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo

from croniter import CroniterBadDateError, croniter

from freshet.core.partitions.time import (
    Cadence,
    fires_every_hour,
    is_single_time_of_day,
    local_wall_time,
    offset_text,
)
from freshet.errors import InvalidDefinitionError

_CHUNK = 256
Tick = tuple[float, str]


_ALIASES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"})


def cron_problem(cron_schedule: object) -> str | None:
    """Why `cron_schedule` is not a standard cron string, as a sentence; None if it is one.

    Standard means five fields or an @alias: croniter alone would also take six or seven
    fields (seconds, years), which no scheduler of freshet honours."""
    if not isinstance(cron_schedule, str):
        return f"cron_schedule must be a string, got {type(cron_schedule).__name__}"
    stripped = cron_schedule.strip()
    if stripped in _ALIASES:
        return None
    if len(stripped.split()) == 5 and croniter.is_valid(stripped):
        return None
    return (
        f"invalid cron_schedule {cron_schedule!r}: write five fields 'minute hour "
        "day-of-month month day-of-week', e.g. '0 6 * * 1-5' (weekdays at 06:00), or one of "
        f"{', '.join(sorted(_ALIASES))}"
    )


def check_cron(cron_schedule: object) -> None:
    problem = cron_problem(cron_schedule)
    if problem is not None:
        raise InvalidDefinitionError(problem)


class CronCadence(Cadence):
    """Ticks of any cron schedule, enumerated lazily and remembered.

    Tick 0 is the first at or after `anchor`; negative numbers count backwards from it.
    Counting ticks has no closed form for arbitrary schedules, so the instants found so far
    are kept (as floats) and extended on demand."""

    is_walked = True

    def __init__(self, cron_schedule: str, zone: tzinfo, anchor: float) -> None:
        check_cron(cron_schedule)
        self.zone = zone
        self.is_sub_daily = not is_single_time_of_day(cron_schedule)
        self._cron = cron_schedule
        self._every_hour = fires_every_hour(cron_schedule)
        self._lock = threading.RLock()
        anchor_wall = local_wall_time(anchor, zone).replace(fold=0)
        self._forward: list[Tick] = []
        self._backward: list[Tick] = []
        self._forward_source = self._walk(anchor_wall - timedelta(seconds=1), True, anchor)
        self._backward_source = self._walk(anchor_wall + timedelta(minutes=1), False, anchor)
        try:
            self.tick_timestamp(1)
        except CroniterBadDateError:
            raise InvalidDefinitionError(
                f"cron_schedule {cron_schedule!r} never fires (no date matches it); "
                "check the day-of-month and month fields"
            ) from None

    def tick_timestamp(self, number: int) -> float:
        return self._tick(number)[0]

    def offset_suffix(self, number: int) -> str:
        return self._tick(number)[1]

    def first_tick_at_or_after(self, timestamp: float) -> int:
        if timestamp <= self.tick_timestamp(0):
            number = 0
            while self.tick_timestamp(number - 1) >= timestamp:
                number -= 1
            return number
        with self._lock:
            while self._forward[-1][0] < timestamp:
                self._extend(self._forward, self._forward_source, len(self._forward) + _CHUNK)
        return bisect_left(self._forward, (timestamp, ""))

    def _tick(self, number: int) -> Tick:
        memo, source, position = (
            (self._forward, self._forward_source, number)
            if number >= 0
            else (self._backward, self._backward_source, -number - 1)
        )
        if position >= len(memo):
            with self._lock:
                self._extend(memo, source, position + _CHUNK)
        return memo[position]

    @staticmethod
    def _extend(memo: list[Tick], source: Iterator[Tick], size: int) -> None:
        while len(memo) < size:
            memo.append(next(source))

    def _walk(self, start: datetime, forward: bool, anchor: float) -> Iterator[Tick]:
        """Instants of ticks after (or before) `start`, strictly monotonic, from `anchor` on."""
        walker = croniter(self._cron, start)
        step = walker.get_next if forward else walker.get_prev
        later: Callable[[float, float], bool] = float.__gt__ if forward else float.__lt__
        pending: list[Tick] = []
        last: float | None = None
        while True:
            try:
                wall = step(datetime)
            except (ValueError, OverflowError):
                if forward and last is None:
                    raise  # never fires (CroniterBadDateError), or starts at the end of time
                break
            near, far = self._instants(wall, forward)
            for tick in [*_take_before(pending, near[0], later), near]:
                on_our_side = tick[0] >= anchor if forward else tick[0] < anchor
                if on_our_side and (last is None or later(tick[0], last)):
                    last = tick[0]
                    yield tick
            if far is not None:
                pending.append(far)
        for tick in pending:
            if last is None or later(tick[0], last):
                yield tick
        # past year 9999 (or before year 1): every further tick is beyond every time
        beyond: Tick = (math.inf if forward else -math.inf, "")
        while True:
            yield beyond

    def _instants(self, wall: datetime, forward: bool) -> tuple[Tick, Tick | None]:
        """The tick for a wall time and, for a repeated hour of an hourly schedule, the other
        reading of it (to be emitted once the repeated hour has passed)."""
        first = wall.replace(tzinfo=self.zone)
        second = wall.replace(tzinfo=self.zone, fold=1)
        first_offset, second_offset = first.utcoffset(), second.utcoffset()
        repeated = (
            first_offset is not None and second_offset is not None and first_offset > second_offset
        )
        if not (repeated and self._every_hour):
            # a skipped wall time reads with the earlier offset, i.e. moves forward by the gap
            return (first.timestamp(), ""), None
        early = (first.timestamp(), offset_text(first_offset))  # type: ignore[arg-type]
        late = (second.timestamp(), offset_text(second_offset))  # type: ignore[arg-type]
        return (early, late) if forward else (late, early)


def _take_before(
    pending: list[Tick], instant: float, later: Callable[[float, float], bool]
) -> list[Tick]:
    """Remove and return the pending ticks that come before `instant` in walking order."""
    ready = [tick for tick in pending if later(instant, tick[0])]
    if ready:
        pending[:] = [tick for tick in pending if tick not in ready]
    return ready
