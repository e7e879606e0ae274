"""Tick number <-> partition key for one time-window definition, with fast paths for the
default key formats (status queries convert ~100k stored keys at a time).

Keys of daily and coarser schedules in the default '%Y-%m-%d' format are the scheduled
calendar date, converted by date arithmetic alone. Keys of hourly and finer schedules in the
default '%Y-%m-%d-%H:%M' format are read and written through per-date caches and a table of
the schedule's 'HH:MM' values; days on which the zone's UTC offset changes take the exact
(slower) path, since some of their wall times repeat or never happen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from freshet.core.partitions.time import (
    Cadence,
    FormatKind,
    KeyFormat,
    MinuteGridCadence,
    WallClockCadence,
)

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CACHE_LIMIT = 200_000
_CLOCK_TEXT = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))
_UNKNOWN = object()


class TimeKeyCodec:
    """Formats tick numbers as keys; reads keys back to tick numbers when that is certain."""

    __slots__ = (
        "_cadence",
        "_date_texts",
        "_day_first_numbers",
        "_day_offsets",
        "_format",
        "_grid",
        "_numbers_within_day",
        "_suffixes",
        "_wall_clock",
        "_zone",
    )

    def __init__(self, cadence: Cadence, key_format: KeyFormat, zone: tzinfo) -> None:
        self._cadence = cadence
        self._format = key_format
        self._zone = zone
        self._wall_clock = (
            cadence
            if isinstance(cadence, WallClockCadence) and key_format.kind is FormatKind.DATE
            else None
        )
        self._grid = (
            cadence
            if isinstance(cadence, MinuteGridCadence) and key_format.kind is FormatKind.MINUTE
            else None
        )
        self._suffixes = cadence.is_sub_daily and not key_format.shows_offset and zone is not UTC
        self._day_offsets: dict[int, float | None] = {}
        self._date_texts: dict[int, str] = {}
        self._day_first_numbers: dict[str, int | None] = {}
        self._numbers_within_day = _numbers_within_day(self._grid)

    def key(self, number: int) -> str:
        if self._wall_clock is not None:
            return date.fromordinal(self._wall_clock.day_ordinal(number)).isoformat()
        local = datetime.fromtimestamp(self._cadence.tick_timestamp(number), self._zone)
        if self._grid is not None:
            clock = _CLOCK_TEXT[local.hour * 60 + local.minute]
            key = f"{self._date_text(local.toordinal())}-{clock}"
        else:
            key = self._format.format(local)
        if self._suffixes and self.day_offset(local.toordinal()) is None:
            key += self._cadence.offset_suffix(number)
        return key

    def quick_number(self, key: str) -> int | None:
        """The tick whose key is certainly `key`, or None when undecided (invalid keys and
        wall times on days when the UTC offset changes are left to the exact path)."""
        if self._wall_clock is not None:
            if len(key) != 10 or key[4] != "-" or key[7] != "-":
                return None
            try:
                return self._wall_clock.number_on(date.fromisoformat(key))
            except ValueError:
                return None
        if self._grid is None or len(key) != 16 or key[10] != "-":
            return None
        day_text = key[:10]
        first = self._day_first_numbers.get(day_text, _UNKNOWN)
        if first is _UNKNOWN:
            first = self._first_number_of_day(day_text)
        within = self._numbers_within_day.get(key[11:])
        if first is None or within is None:
            return None
        return first + within  # type: ignore[operator]

    def _first_number_of_day(self, day_text: str) -> int | None:
        """The number of the tick at local 00:00 (hour granularity) of a date given as text,
        or None when the text is no canonical date or the day's UTC offset changes."""
        first = None
        if len(day_text) == 10 and day_text[4] == "-" and day_text[7] == "-":
            try:
                ordinal = date.fromisoformat(day_text).toordinal()
            except ValueError:
                ordinal = None
            offset = None if ordinal is None else self.day_offset(ordinal)
            if ordinal is not None and offset is not None and self._grid is not None:
                midnight = (ordinal - _EPOCH_ORDINAL) * 86_400 - offset
                first = self._grid.first_number_of_hour(midnight)
        _bounded(self._day_first_numbers)[day_text] = first
        return first

    def _date_text(self, ordinal: int) -> str:
        text = self._date_texts.get(ordinal)
        if text is None:
            text = date.fromordinal(ordinal).isoformat()
            _bounded(self._date_texts)[ordinal] = text
        return text

    def day_offset(self, ordinal: int) -> float | None:
        """The zone's UTC offset (seconds) throughout local day `ordinal`; None if it changes
        that day (so some wall times of the day are repeated or skipped)."""
        if self._zone is UTC:
            return 0.0
        cached = self._day_offsets.get(ordinal, _UNKNOWN)
        if cached is not _UNKNOWN:
            return cached  # type: ignore[return-value]
        day = datetime.fromordinal(ordinal)
        first = day.replace(tzinfo=self._zone).utcoffset()
        last = day.replace(hour=23, minute=59, second=59, tzinfo=self._zone, fold=1).utcoffset()
        offset = first.total_seconds() if first is not None and first == last else None
        _bounded(self._day_offsets)[ordinal] = offset
        return offset


def _numbers_within_day(grid: MinuteGridCadence | None) -> dict[str, int]:
    """'HH:MM' -> how many ticks after the day's first tick it falls, for a minute grid."""
    if grid is None:
        return {}
    minutes = grid.minutes
    return {
        _CLOCK_TEXT[hour * 60 + minute]: hour * len(minutes) + position
        for hour in range(24)
        for position, minute in enumerate(minutes)
    }


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    """`cache`, emptied first if it has grown past its limit."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    return cache
