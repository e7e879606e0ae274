"""Time-window math: cadences (numbered window boundaries), key formats, DST-correct windows.

A cadence numbers its ticks with integers in time order and converts both ways between a
tick number and a POSIX timestamp by arithmetic. Hourly and finer cadences step in absolute
time (a 'fall back' day has 25 hourly windows, the repeated hour's keys carry their UTC
offset); daily and coarser cadences step in local wall-clock time (each tick fires once, even
when its wall time occurs twice; a wall time skipped by DST moves forward by the gap).
Schedules that fit none of these go to `cron.py`.
"""

from __future__ import annotations

import difflib
import math
import re
from abc import ABC, abstractmethod
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from freshet.errors import InvalidDefinitionError

DATE_FORMAT = "%Y-%m-%d"
MINUTE_FORMAT = "%Y-%m-%d-%H:%M"

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
_OFFSET_SUFFIX = re.compile(r"[+-]\d\d:\d\d$")

# Time partitions start within [FIRST_SUPPORTED, END_SUPPORTED): a year inside the range of
# Python's datetime at each side, so a window's neighbours and UTC offsets never leave it.
FIRST_SUPPORTED = datetime(2, 1, 1)
END_SUPPORTED = datetime(9999, 1, 1)
FIRST_SUPPORTED_TIMESTAMP = FIRST_SUPPORTED.replace(tzinfo=UTC).timestamp()
END_SUPPORTED_TIMESTAMP = END_SUPPORTED.replace(tzinfo=UTC).timestamp()
SUPPORTED_SPAN = "between 0002-01-01 and 9998-12-31"


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindow:
    """The half-open interval [start, end) a time partition covers, in the partitions'
    timezone. Python subtracts datetimes of one zone by wall clock (`end - start` is 24h on a
    25-hour day); `duration` is the elapsed time."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.end.timestamp() - self.start.timestamp())


def load_timezone(name: str) -> tzinfo:
    """The zone called `name`, or an error suggesting close names."""
    if name in ("UTC", "Etc/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InvalidDefinitionError(
            f"unknown timezone {name!r}: use an IANA name such as 'UTC' or 'Europe/Berlin'{hint}"
        ) from None


def offset_text(offset: timedelta) -> str:
    """A UTC offset as '+01:00' / '-05:00'."""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def split_offset_suffix(key: str) -> tuple[str, timedelta] | None:
    """'2024-10-27-02:00+01:00' -> ('2024-10-27-02:00', +1h); None without a suffix."""
    if len(key) <= 6 or not _OFFSET_SUFFIX.search(key):
        return None
    hours, minutes = int(key[-5:-3]), int(key[-2:])
    if hours > 23 or minutes > 59:  # no such UTC offset: the key names no time
        return None
    sign = 1 if key[-6] == "+" else -1
    return key[:-6], timedelta(hours=hours, minutes=minutes) * sign


class FormatKind(Enum):
    DATE = "date"
    MINUTE = "minute"
    CUSTOM = "custom"


class KeyFormat:
    """Formats window starts as keys and parses keys back; fast paths for the default formats.

    A parse of a DATE or MINUTE key succeeds only on the canonical text, so callers may skip
    re-formatting to check a key; CUSTOM keys must be checked by formatting."""

    __slots__ = ("fmt", "kind")

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        if fmt == DATE_FORMAT:
            self.kind = FormatKind.DATE
        elif fmt == MINUTE_FORMAT:
            self.kind = FormatKind.MINUTE
        else:
            self.kind = FormatKind.CUSTOM

    @property
    def is_canonical(self) -> bool:
        return self.kind is not FormatKind.CUSTOM

    @property
    def shows_offset(self) -> bool:
        return "%z" in self.fmt or "%Z" in self.fmt

    def format(self, local: datetime) -> str:
        if self.kind is FormatKind.DATE:
            return local.date().isoformat()
        if self.kind is FormatKind.MINUTE:
            text = local.isoformat(timespec="minutes")
            return f"{text[:10]}-{text[11:16]}"
        return local.strftime(self.fmt)

    def parse(self, key: str) -> datetime | None:
        """The naive local datetime a key names, or None when it does not parse."""
        try:
            if self.kind is FormatKind.DATE:
                if len(key) != 10 or key[4] != "-" or key[7] != "-":
                    return None
                return datetime.fromisoformat(key)
            if self.kind is FormatKind.MINUTE:
                if len(key) != 16 or key[10] != "-" or key[13] != ":":
                    return None
                return datetime.fromisoformat(f"{key[:10]}T{key[11:]}")
            return datetime.strptime(key, self.fmt).replace(tzinfo=None)
        except ValueError:
            return None


def local_timestamp(naive: datetime, zone: tzinfo, offset: timedelta | None = None) -> float:
    """The instant of a local wall time: the given UTC offset, else the earlier reading."""
    if offset is not None:
        return naive.replace(tzinfo=timezone(offset)).timestamp()
    if zone is UTC:
        return (naive.toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY + _seconds_of_day(naive)
    return naive.replace(tzinfo=zone).timestamp()


def local_wall_time(timestamp: float, zone: tzinfo) -> datetime:
    """The naive local wall time at an instant."""
    return datetime.fromtimestamp(timestamp, zone).replace(tzinfo=None)


def is_ambiguous_or_missing(naive: datetime, zone: tzinfo) -> bool:
    """True when a wall time occurs twice (clocks go back) or never (clocks go forward)."""
    if zone is UTC:
        return False
    return naive.replace(tzinfo=zone).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()


def _seconds_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


class Cadence(ABC):
    """Window boundaries ('ticks') of a schedule, numbered by integers in time order.

    A tick outside the years Python's datetime represents has the timestamp -inf or +inf."""

    zone: tzinfo
    is_sub_daily: bool
    #: True when ticks are found by walking the schedule one by one (cost grows with distance)
    is_walked: bool = False

    @abstractmethod
    def tick_timestamp(self, number: int) -> float: ...

    @abstractmethod
    def first_tick_at_or_after(self, timestamp: float) -> int: ...

    def first_tick_after(self, timestamp: float) -> int:
        number = self.first_tick_at_or_after(timestamp)
        return number + 1 if self.tick_timestamp(number) == timestamp else number

    def offset_suffix(self, number: int) -> str:
        """'+01:00' when tick `number`'s wall time is shared with another tick, else ''."""
        return ""


class MinuteGridCadence(Cadence):
    """Ticks at fixed minutes of every hour, stepping in absolute time (hourly and finer).

    Assumes the zone's DST shifts are whole hours (true of all but Lord Howe Island)."""

    is_sub_daily = True

    def __init__(self, zone: tzinfo, minutes: tuple[int, ...], reference: float) -> None:
        self.zone = zone
        self._offsets = tuple(m * 60 for m in minutes)
        self._positions = {offset: i for i, offset in enumerate(self._offsets)}
        self._per_hour = len(minutes)
        # align hour boundaries with local minute 0 (zones like Asia/Kolkata sit at :30 UTC)
        utc_offset = datetime.fromtimestamp(reference, zone).utcoffset() or timedelta()
        self._base = -int(utc_offset.total_seconds()) % 3600

    def tick_timestamp(self, number: int) -> float:
        hour, position = divmod(number, self._per_hour)
        return self._base + hour * 3600 + self._offsets[position]

    @property
    def minutes(self) -> tuple[int, ...]:
        return tuple(offset // 60 for offset in self._offsets)

    def first_number_of_hour(self, timestamp: float) -> int:
        """The number of the first tick in the (whole) hour starting at `timestamp`."""
        return int((timestamp - self._base) // 3600) * self._per_hour

    def number_at(self, timestamp: float) -> int | None:
        """The tick exactly at `timestamp`, or None."""
        hour, remainder = divmod(timestamp - self._base, 3600)
        position = self._positions.get(remainder)
        return None if position is None else int(hour) * self._per_hour + position

    def first_tick_at_or_after(self, timestamp: float) -> int:
        hour = math.floor((timestamp - self._base) / 3600)
        position = bisect_left(self._offsets, timestamp - self._base - hour * 3600)
        if position == self._per_hour:
            hour, position = hour + 1, 0
        return hour * self._per_hour + position

    def offset_suffix(self, number: int) -> str:
        if self.zone is UTC:
            return ""
        local = datetime.fromtimestamp(self.tick_timestamp(number), self.zone)
        offset = local.utcoffset()
        if local.replace(fold=1 - local.fold).utcoffset() == offset or offset is None:
            return ""
        return offset_text(offset)


class WallClockCadence(Cadence):
    """Ticks at a local wall time on calendar days; each numbered tick fires exactly once."""

    is_sub_daily = False

    def __init__(self, zone: tzinfo, hour: int, minute: int) -> None:
        self.zone = zone
        self._hour = hour
        self._minute = minute
        self._time_seconds = hour * 3600 + minute * 60

    @abstractmethod
    def day_ordinal(self, number: int) -> int:
        """The proleptic Gregorian ordinal of tick `number`'s (nominal) calendar day."""

    @abstractmethod
    def number_on(self, day: date) -> int | None:
        """The tick scheduled on `day`, or None."""

    @abstractmethod
    def _number_on_or_after(self, naive: datetime) -> int:
        """The first tick whose nominal wall time is at or after `naive`."""

    def tick_timestamp(self, number: int) -> float:
        try:
            ordinal = self.day_ordinal(number)
            if self.zone is UTC:
                return (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY + self._time_seconds
            nominal = datetime.fromordinal(ordinal).replace(hour=self._hour, minute=self._minute)
        except (ValueError, OverflowError):
            # a day outside years 1..9999: before or after every supported time
            return math.inf if number > 0 else -math.inf
        # fold=0 reads a wall time skipped by DST with the earlier offset: it moves forward
        return nominal.replace(tzinfo=self.zone).timestamp()

    def first_tick_at_or_after(self, timestamp: float) -> int:
        number = self._number_on_or_after(local_wall_time(timestamp, self.zone))
        # DST can move a tick across the local time we started from; settle on exact instants
        while self.tick_timestamp(number) < timestamp:
            number += 1
        while self.tick_timestamp(number - 1) >= timestamp:
            number -= 1
        return number

    def _after_time_of_day(self, naive: datetime) -> bool:
        return (naive.hour, naive.minute, naive.second, naive.microsecond) > (
            self._hour,
            self._minute,
            0,
            0,
        )


class DailyCadence(WallClockCadence):
    """Number n is the day with proleptic ordinal n."""

    def day_ordinal(self, number: int) -> int:
        return number

    def number_on(self, day: date) -> int | None:
        return day.toordinal()

    def _number_on_or_after(self, naive: datetime) -> int:
        return naive.toordinal() + (1 if self._after_time_of_day(naive) else 0)


class WeeklyCadence(WallClockCadence):
    """Number n is the n-th week since year 1, on a fixed weekday."""

    def __init__(self, zone: tzinfo, weekday: int, hour: int, minute: int) -> None:
        super().__init__(zone, hour, minute)
        # cron counts Sunday as 0; ordinal 1 (0001-01-01) was a Monday
        self._ordinal_remainder = ((weekday + 6) % 7 + 1) % 7

    def day_ordinal(self, number: int) -> int:
        return number * 7 + self._ordinal_remainder

    def number_on(self, day: date) -> int | None:
        number, days_past = divmod(day.toordinal() - self._ordinal_remainder, 7)
        return None if days_past else number

    def _number_on_or_after(self, naive: datetime) -> int:
        number, days_past = divmod(naive.toordinal() - self._ordinal_remainder, 7)
        if days_past or self._after_time_of_day(naive):
            number += 1
        return number


class MonthlyCadence(WallClockCadence):
    """Number n is month (n mod 12) + 1 of year n // 12, on a fixed day (1..28)."""

    def __init__(self, zone: tzinfo, day: int, hour: int, minute: int) -> None:
        super().__init__(zone, hour, minute)
        self._day = day

    def day_ordinal(self, number: int) -> int:
        year, month = divmod(number, 12)
        return date(year, month + 1, self._day).toordinal()

    def number_on(self, day: date) -> int | None:
        return day.year * 12 + day.month - 1 if day.day == self._day else None

    def _number_on_or_after(self, naive: datetime) -> int:
        number = naive.year * 12 + naive.month - 1
        if naive.day > self._day or (naive.day == self._day and self._after_time_of_day(naive)):
            number += 1
        return number


@dataclass(frozen=True, slots=True, kw_only=True)
class CronFields:
    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str


_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}


def normalize_cron(cron_schedule: str) -> str:
    if not isinstance(cron_schedule, str) or not cron_schedule.strip():
        raise InvalidDefinitionError(
            f"cron_schedule must be a cron string such as '0 0 * * *', got {cron_schedule!r}"
        )
    text = " ".join(cron_schedule.split())
    return _ALIASES.get(text, text)


def split_cron(cron_schedule: str) -> CronFields | None:
    parts = cron_schedule.split()
    if len(parts) != 5:
        return None
    return CronFields(
        minute=parts[0], hour=parts[1], day_of_month=parts[2], month=parts[3], day_of_week=parts[4]
    )


def arithmetic_cadence(cron_schedule: str, zone: tzinfo, reference: float) -> Cadence | None:
    """A cadence computed without a cron library, when the schedule is one of the common
    shapes (every hour at given minutes; daily, weekly or monthly at one time); else None."""
    fields = split_cron(cron_schedule)
    if fields is None or fields.month != "*":
        return None
    if fields.hour == "*" and fields.day_of_month == "*" and fields.day_of_week == "*":
        minutes = expand_minutes(fields.minute)
        return MinuteGridCadence(zone, minutes, reference) if minutes else None
    minute, hour = _number(fields.minute, 0, 59), _number(fields.hour, 0, 23)
    if minute is None or hour is None:
        return None
    if fields.day_of_month == "*" and fields.day_of_week == "*":
        return DailyCadence(zone, hour, minute)
    weekday = _number(fields.day_of_week, 0, 7)
    if fields.day_of_month == "*" and weekday is not None:
        return WeeklyCadence(zone, weekday % 7, hour, minute)
    day = _number(fields.day_of_month, 1, 28)
    if fields.day_of_week == "*" and day is not None:
        return MonthlyCadence(zone, day, hour, minute)
    return None


def is_single_time_of_day(cron_schedule: str) -> bool:
    """Whether the schedule fires at most once a day (so a date names its window)."""
    fields = split_cron(cron_schedule)
    return (
        fields is not None
        and _number(fields.minute, 0, 59) is not None
        and _number(fields.hour, 0, 23) is not None
    )


def fires_every_hour(cron_schedule: str) -> bool:
    fields = split_cron(cron_schedule)
    return fields is not None and fields.hour in ("*", "*/1", "0-23")


def expand_minutes(field: str) -> tuple[int, ...] | None:
    """The minutes a cron minute field selects ('*', '*/15', '5', '0,30', '10-20/5')."""
    minutes: set[int] = set()
    for part in field.split(","):
        bounds = _minute_bounds(part)
        if bounds is None:
            return None
        low, high, step = bounds
        minutes.update(range(low, high + 1, step))
    return tuple(sorted(minutes)) or None


def _minute_bounds(part: str) -> tuple[int, int, int] | None:
    spec, has_step, step_text = part.partition("/")
    step = _number(step_text, 1, 59) if has_step else 1
    if step is None:
        return None
    if spec == "*":
        return 0, 59, step
    low_text, has_dash, high_text = spec.partition("-")
    low = _number(low_text, 0, 59)
    high = _number(high_text, 0, 59) if has_dash else (59 if has_step else low)
    if low is None or high is None or high < low:
        return None
    return low, high, step


def _number(text: str, low: int, high: int) -> int | None:
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None
