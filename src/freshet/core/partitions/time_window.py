"""Time-window partitions: one partition per window of a cron schedule, keys computed lazily.

Partition i covers [tick(origin + i), tick(origin + i + 1)) of the definition's cadence, where
tick `origin` is the first at or after `start`. A partition exists once its window has ended
(`end_offset` adds windows beyond that, e.g. 1 for the one in progress) and ends before `end`.
"""

from __future__ import annotations

import functools
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from freshet.core.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionKeys,
    PartitionsDefinition,
    describe_problems,
    resolve_current_time,
)
from freshet.core.partitions.codec import TimeKeyCodec
from freshet.core.partitions.subsets import (
    AllPartitionsSubset,
    PartitionsSubset,
    TimeWindowPartitionsSubset,
)
from freshet.core.partitions.time import (
    DATE_FORMAT,
    END_SUPPORTED,
    END_SUPPORTED_TIMESTAMP,
    FIRST_SUPPORTED,
    FIRST_SUPPORTED_TIMESTAMP,
    MINUTE_FORMAT,
    SUPPORTED_SPAN,
    Cadence,
    KeyFormat,
    TimeWindow,
    arithmetic_cadence,
    is_ambiguous_or_missing,
    load_timezone,
    local_timestamp,
    local_wall_time,
    normalize_cron,
    split_offset_suffix,
)
from freshet.errors import InvalidDefinitionError, PartitionError

Moment = str | date | datetime

# later times count as this one: every window starting in the supported times has ended by
# then, and it is still far enough from datetime's limit to read in any timezone
_LATEST_NOW = END_SUPPORTED_TIMESTAMP + 180 * 86_400

#: how far past now keys of schedules walked tick by tick (core/cron.py) are numbered:
#: further keys would cost a walk over every window in between (seconds per 100,000 windows)
WALK_AHEAD_SECONDS = 366 * 86_400

#: the most windows `end_offset` may add (or, negative, remove) beyond the completed ones
MAX_END_OFFSET = 100_000


@dataclass(frozen=True, slots=True, init=False, repr=False)
class TimeWindowPartitionsDefinition(PartitionsDefinition):
    """Partitions by the windows of a cron schedule in a timezone, DST-correct.

    Keys are each window's start, formatted with `fmt` (default '%Y-%m-%d' for daily and
    coarser schedules, '%Y-%m-%d-%H:%M' for finer ones); in the hour repeated when clocks go
    back, keys of hourly and finer schedules end with their UTC offset ('+02:00' / '+01:00').
    Naive datetimes (for `start`, `end`, `current_time`) are read in `timezone`."""

    cron_schedule: str
    start: datetime
    timezone: str
    fmt: str
    end: datetime | None
    end_offset: int
    _zone: tzinfo = field(compare=False)
    _cadence: Cadence = field(compare=False)
    _format: KeyFormat = field(compare=False)
    _codec: TimeKeyCodec = field(compare=False)
    _origin: int = field(compare=False)
    _end_count: int | None = field(compare=False)

    def __init__(
        self,
        cron_schedule: str,
        start: Moment,
        fmt: str | None = None,
        timezone: str = "UTC",
        *,
        end: Moment | None = None,
        end_offset: int = 0,
    ) -> None:
        arguments = (cron_schedule, start, fmt, timezone, end, end_offset)
        try:
            hash(arguments)
        except TypeError:
            derived = _derive(*arguments)
        else:
            derived = _derive_cached(*arguments)
        for name, value in zip(_DERIVED_FIELDS, derived, strict=True):
            object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # the cadence may hold a lock and a croniter walk; rebuild it rather than pickle it
        arguments = (self.cron_schedule, self.start, self.fmt, self.timezone)
        options = {"end": self.end, "end_offset": self.end_offset}
        return (_rebuild, (type(self), arguments, options))

    # -- keys and windows by index ---------------------------------------------------------

    def partition_key_at(self, index: int) -> str:
        """The key of partition `index` (0 is the first), whether or not it exists yet."""
        try:
            return self._codec.key(self._origin + index)
        except (ValueError, OverflowError):
            raise PartitionError(self._beyond_supported(f"partition number {index}")) from None

    def window_start_timestamp(self, index: int) -> float:
        return self._cadence.tick_timestamp(self._origin + index)

    def time_window_at(self, index: int) -> TimeWindow:
        return self.time_window_for_indexes(index, index + 1)

    def time_window_for_indexes(self, start: int, end: int) -> TimeWindow:
        """The window from the start of partition `start` to the start of partition `end`."""
        try:
            return TimeWindow(
                start=datetime.fromtimestamp(self.window_start_timestamp(start), self._zone),
                end=datetime.fromtimestamp(self.window_start_timestamp(end), self._zone),
            )
        except (ValueError, OverflowError):
            raise PartitionError(
                self._beyond_supported(f"the window of partitions {start} to {end}")
            ) from None

    def _beyond_supported(self, what: str) -> str:
        return f"{what} of {self!r} is out of range: time partitions start {SUPPORTED_SPAN}"

    def index_of(self, key: str, limit: int | None = None) -> int | None:
        """The index of the partition named `key`, or None when no partition (below `limit`,
        and before `end`) has that key."""
        if not isinstance(key, str):
            return None
        if self._end_count is not None:
            limit = self._end_count if limit is None else min(limit, self._end_count)
        number = self._codec.quick_number(key)
        if number is not None:
            index = number - self._origin
            if index < 0 or (limit is not None and index >= limit):
                return None
            # with a limit, the count below it already ends within the supported times
            return index if limit is not None or self._is_supported(index) else None
        located = self._locate(key, limit)
        if located is None:
            return None
        index, exact = located
        if index < 0 or (limit is not None and index >= limit):
            return None
        if limit is None and not self._is_supported(index):
            return None
        return index if exact or self.partition_key_at(index) == key else None

    def _is_beyond_walk(self, timestamp: float) -> bool:
        """Whether numbering a key this far ahead would walk a cron schedule tick by tick for
        too long (keys more than `WALK_AHEAD_SECONDS` after now); such keys are refused."""
        return self._cadence.is_walked and timestamp > _time.time() + WALK_AHEAD_SECONDS

    def _is_supported(self, index: int) -> bool:
        """Whether partition `index` starts before the end of the supported times."""
        return self.window_start_timestamp(index) < END_SUPPORTED_TIMESTAMP

    def _parse_key(self, key: str) -> tuple[datetime, timedelta | None] | None:
        """The naive local time a key names and its UTC offset suffix, if it has one."""
        parsed = self._format.parse(key)
        if parsed is not None:
            return parsed, None
        split = split_offset_suffix(key)
        if split is None or (parsed := self._format.parse(split[0])) is None:
            return None
        return parsed, split[1]

    def _locate(self, key: str, limit: int | None) -> tuple[int, bool] | None:
        """The index of the first window starting at or after the time `key` names, and
        whether the key is that window's key without re-formatting it to check."""
        named = self._parse_key(key)
        if named is None or not FIRST_SUPPORTED <= named[0] < END_SUPPORTED:
            return None
        parsed, offset = named
        timestamp = local_timestamp(parsed, self._zone, offset)
        if limit is None and self._is_beyond_walk(timestamp):
            return None
        # bound the search: schedules walked by croniter would enumerate to reach far times
        if timestamp <= self.window_start_timestamp(-1):
            return -1, False
        if limit is not None and timestamp > self.window_start_timestamp(limit):
            return limit, False
        number = self._cadence.first_tick_at_or_after(timestamp)
        exact = (
            self._format.is_canonical
            and offset is None
            and self._cadence.tick_timestamp(number) == timestamp
            and not is_ambiguous_or_missing(parsed, self._zone)
        )
        return number - self._origin, exact

    def indexes_overlapping(self, start: float, end: float, floor: int = 0) -> tuple[int, int]:
        """Indexes [low, high) of the windows overlapping the instants [start, end), from
        index `floor` on."""
        floor_ts = self.window_start_timestamp(floor)
        # beyond the supported times there are no windows (and no datetimes to find them by)
        low_ts, high_ts = max(floor_ts, FIRST_SUPPORTED_TIMESTAMP), END_SUPPORTED_TIMESTAMP
        start, end = min(max(start, low_ts), high_ts), min(max(end, low_ts), high_ts)
        low = self._cadence.first_tick_after(start) - 1 - self._origin
        high = self._cadence.first_tick_at_or_after(end) - self._origin
        return low, max(low, high)

    def has_same_cadence(self, other: object) -> bool:
        """Whether `other` has the same windows (keys may start elsewhere or be formatted
        differently)."""
        return (
            isinstance(other, TimeWindowPartitionsDefinition)
            and other.cron_schedule == self.cron_schedule
            and other.timezone == self.timezone
        )

    # -- the PartitionsDefinition interface ------------------------------------------------

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> int:
        now = min(self._timestamp(resolve_current_time(current_time)), _LATEST_NOW)
        # long before the start the answer is 0; the floor spares croniter a walk back in time
        now = max(now, self.window_start_timestamp(-max(self.end_offset, 0) - 1))
        complete = self._cadence.first_tick_after(now) - 1 - self._origin
        count = max(0, complete + self.end_offset)
        if self._end_count is not None:
            return min(count, self._end_count)
        if count and not self._is_supported(count - 1):
            # partitions stop at the end of the supported times (end_count does so already)
            count = self._cadence.first_tick_at_or_after(END_SUPPORTED_TIMESTAMP) - self._origin
        return count

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionKeys:
        count = self.get_num_partitions(current_time)
        return PartitionKeys(
            count, self.partition_key_at, lambda key: self.index_of(key, limit=count)
        )

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        return self.partition_key_at(0) if self.get_num_partitions(current_time) else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        count = self.get_num_partitions(current_time)
        return self.partition_key_at(count - 1) if count else None

    def has_partition_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return self.index_of(key, limit=self.get_num_partitions(current_time)) is not None

    def is_possible_key(self, key: str) -> bool:
        return self.index_of(key) is not None

    def validate_key(
        self,
        key: str,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> None:
        count = self.get_num_partitions(current_time)
        if not isinstance(key, str):
            raise PartitionError(f"a partition key must be a string, got {key!r}")
        if self.index_of(key, limit=count) is None:
            raise PartitionError(self._key_problem(key, count, current_time))

    def key_order(self, key: str) -> int:
        index = self.index_of(key)
        if index is None:
            raise PartitionError(self._key_problem(key, None, None))
        return index

    def partition_key_for_time(self, moment: datetime) -> str | None:
        """The key of the window containing `moment` (None before the first window)."""
        timestamp = max(min(self._timestamp(moment), _LATEST_NOW), self.window_start_timestamp(-1))
        index = self._cadence.first_tick_after(timestamp) - 1 - self._origin
        return self.partition_key_at(index) if index >= 0 else None

    def time_window_for_key(self, key: str) -> TimeWindow:
        return self.time_window_at(self.key_order(key))

    def time_window_for_range(self, key_range: PartitionKeyRange) -> TimeWindow:
        """From the start of the range's first partition to the end of its last."""
        first, last = self.key_order(key_range.start), self.key_order(key_range.end)
        if first > last:
            raise PartitionError(_backwards(key_range, self))
        return self.time_window_for_indexes(first, last + 1)

    def subset_for_keys(
        self,
        keys: Iterable[str],
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> TimeWindowPartitionsSubset:
        count = self.get_num_partitions(current_time)
        quick, origin, index_of = self._codec.quick_number, self._origin, self.index_of
        indexes: list[int] = []
        invalid: list[str] = []
        for key in keys:
            if not isinstance(key, str):
                invalid.append(key)
                continue
            # the fast path inlined: stored keys arrive ~100k at a time
            number = quick(key)
            index = index_of(key, limit=count) if number is None else number - origin
            if index is None or not 0 <= index < count:
                invalid.append(key)
            else:
                indexes.append(index)
        if invalid:
            problems = [self._key_problem(k, count, current_time) for k in invalid[:5]]
            raise PartitionError(describe_problems("partition keys", problems, len(invalid)))
        return TimeWindowPartitionsSubset.from_indexes(self, indexes)

    def subset_for_range(
        self,
        key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> TimeWindowPartitionsSubset:
        self.get_partition_key_range(key_range.start, key_range.end, current_time)
        first, last = self.key_order(key_range.start), self.key_order(key_range.end)
        return TimeWindowPartitionsSubset(partitions_def=self, ranges=((first, last + 1),))

    def subset_for_indexes(self, start: int, end: int) -> TimeWindowPartitionsSubset:
        """Partitions [start, end) by index (no check that they exist yet)."""
        return TimeWindowPartitionsSubset(
            partitions_def=self, ranges=((start, end),) if start < end else ()
        )

    def empty_subset(self) -> TimeWindowPartitionsSubset:
        return TimeWindowPartitionsSubset(partitions_def=self)

    def all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        return AllPartitionsSubset(
            partitions_def=self, current_time=resolve_current_time(current_time)
        )

    def concrete_all_subset(
        self,
        current_time: datetime | None = None,
        dynamic_store: DynamicPartitionsStore | None = None,
    ) -> TimeWindowPartitionsSubset:
        return self.subset_for_indexes(0, self.get_num_partitions(current_time))

    # -- messages --------------------------------------------------------------------------

    def _key_problem(self, key: str, count: int | None, current_time: datetime | None) -> str:
        """Why `key` is not a partition, with the nearest valid key or the valid range."""
        what = f"partition key {key!r} is not a partition of {self!r}"
        first = self.partition_key_at(0)
        if count == 0:
            first_end = self.time_window_at(0).end.isoformat()
            return f"{what}: it has no partitions yet (the first, {first!r}, ends at {first_end})"
        last = None if count is None else count - 1
        valid = f"valid keys run from {first!r}" + (
            "" if last is None else f" to {self.partition_key_at(last)!r}"
        )
        named = self._parse_key(key) if isinstance(key, str) else None
        if named is not None and not FIRST_SUPPORTED <= named[0] < END_SUPPORTED:
            return f"{what}: time partitions start {SUPPORTED_SPAN}; {valid}"
        far = named is not None and self._is_beyond_walk(
            local_timestamp(named[0], self._zone, named[1])
        )
        if count is None and far:
            return (
                f"{what}: it is more than a year from now, and windows of cron schedule "
                f"{self.cron_schedule!r} are numbered only up to a year ahead; {valid}"
            )
        located = None if named is None else self._locate(key, count)
        if located is None:
            return f"{what}: keys look like {first!r} (format {self.fmt!r}); {valid}"
        index = located[0]
        if count is None and not self._is_supported(index):
            return f"{what}: time partitions start {SUPPORTED_SPAN}; {valid}"
        if index < 0:
            return f"{what}: it is before the first partition; {valid}"
        if last is not None and index > last:
            as_of = resolve_current_time(current_time).isoformat(timespec="minutes")
            bound = (
                "end"
                if self._end_count is not None and last + 1 >= self._end_count
                else f"as of {as_of}"
            )
            return f"{what}: it is after the last partition ({bound}); {valid}"
        nearest, following = self.partition_key_at(index), self.partition_key_at(index + 1)
        if nearest.startswith(key) and following.startswith(key):
            # a wall time clocks went back over: both readings are partitions
            return (
                f"{what}: {key!r} occurs twice on that day (clocks go back); add the UTC "
                f"offset: {nearest!r} or {following!r}"
            )
        return f"{what}: it is not the start of a partition; the nearest valid key is {nearest!r}"

    def _timestamp(self, moment: datetime) -> float:
        if moment.tzinfo is None:
            return local_timestamp(moment, self._zone)
        return moment.timestamp()

    def __repr__(self) -> str:
        start = self._format.format(local_wall_time(self.start.timestamp(), self._zone))
        parts = [f"start={start!r}"]
        if type(self) is TimeWindowPartitionsDefinition:
            parts.insert(0, f"cron_schedule={self.cron_schedule!r}")
        if self.end is not None:
            parts.append(f"end={self._format.format(self.end.replace(tzinfo=None))!r}")
        if self.timezone != "UTC":
            parts.append(f"timezone={self.timezone!r}")
        if self.end_offset:
            parts.append(f"end_offset={self.end_offset}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _backwards(key_range: PartitionKeyRange, partitions_def: PartitionsDefinition) -> str:
    return (
        f"partition range {key_range} of {partitions_def!r} is backwards: {key_range.start!r} "
        f"comes after {key_range.end!r}; swap them ({key_range.end}...{key_range.start})"
    )


def _rebuild(
    cls: type[TimeWindowPartitionsDefinition],
    arguments: Sequence[Any],
    options: dict[str, Any],
) -> TimeWindowPartitionsDefinition:
    rebuilt = object.__new__(cls)
    TimeWindowPartitionsDefinition.__init__(rebuilt, *arguments, **options)
    return rebuilt


_DERIVED_FIELDS = (
    "cron_schedule",
    "start",
    "timezone",
    "fmt",
    "end",
    "end_offset",
    "_zone",
    "_cadence",
    "_format",
    "_codec",
    "_origin",
    "_end_count",
)


def _derive(
    cron_schedule: str,
    start: Moment,
    fmt: str | None,
    timezone: str,
    end: Moment | None,
    end_offset: int,
) -> tuple[Any, ...]:
    """Every field of a TimeWindowPartitionsDefinition, in `_DERIVED_FIELDS` order."""
    cron = normalize_cron(cron_schedule)
    if not isinstance(timezone, str):
        raise InvalidDefinitionError(
            f"timezone must be an IANA name such as 'Europe/Berlin', got {timezone!r}"
        )
    if (
        isinstance(end_offset, bool)
        or not isinstance(end_offset, int)
        or not -MAX_END_OFFSET <= end_offset <= MAX_END_OFFSET
    ):
        raise InvalidDefinitionError(
            f"end_offset must be an int from {-MAX_END_OFFSET} to {MAX_END_OFFSET} (windows "
            f"added after the last complete one), got {_short(end_offset)}"
        )
    if fmt is not None and (not isinstance(fmt, str) or not fmt or "\x00" in fmt):
        raise InvalidDefinitionError(
            f"fmt must be a strftime format string such as {DATE_FORMAT!r}, got {fmt!r}"
        )
    if fmt is not None:
        _check_format(fmt)
    zone = load_timezone(timezone)
    start_ts = _moment_timestamp(start, zone, fmt, "start")
    end_ts = None if end is None else _moment_timestamp(end, zone, fmt, "end")
    if not FIRST_SUPPORTED_TIMESTAMP <= start_ts < END_SUPPORTED_TIMESTAMP:
        raise InvalidDefinitionError(
            f"start {start!r} of schedule {cron!r} is out of range: time partitions start "
            f"{SUPPORTED_SPAN}"
        )
    if end_ts is not None and end_ts < start_ts:
        raise InvalidDefinitionError(
            f"end {end!r} is before start {start!r}, so there would be no partitions; "
            "give an end after the start, or no end"
        )
    try:
        cadence = _cadence_for(cron, zone, start_ts)
        key_format = KeyFormat(fmt or (MINUTE_FORMAT if cadence.is_sub_daily else DATE_FORMAT))
        codec = TimeKeyCodec(cadence, key_format, zone)
        origin = cadence.first_tick_at_or_after(start_ts)
        if cadence.tick_timestamp(origin) >= END_SUPPORTED_TIMESTAMP:
            raise OverflowError("the first window starts after the supported times")
        _check_keys_are_distinct(codec, origin, cron, key_format.fmt)
    except (ValueError, OverflowError):
        raise InvalidDefinitionError(
            f"schedule {cron!r} from start {start!r} has no partition starting "
            f"{SUPPORTED_SPAN} (the range time partitions support); give an earlier start"
        ) from None
    if end_ts is not None:
        # an end past the supported times (e.g. '9999-12-31' for 'never') ends with them
        end_ts = min(end_ts, END_SUPPORTED_TIMESTAMP)
    end_count = None if end_ts is None else max(0, cadence.first_tick_after(end_ts) - 1 - origin)
    end_dt = None if end_ts is None else datetime.fromtimestamp(end_ts, zone)
    start_dt = datetime.fromtimestamp(start_ts, zone)
    return (
        cron,
        start_dt,
        timezone,
        key_format.fmt,
        end_dt,
        end_offset,
        zone,
        cadence,
        key_format,
        codec,
        origin,
        end_count,
    )


# definitions are often built once per asset with the same arguments; share the derived state
_derive_cached = functools.lru_cache(maxsize=512)(_derive)


def _check_format(fmt: str) -> None:
    try:
        datetime(2000, 1, 1).strftime(fmt)
    except ValueError as error:
        raise InvalidDefinitionError(
            f"fmt {fmt!r} is not a strftime format ({error}); e.g. {MINUTE_FORMAT!r}"
        ) from None


def _short(value: object) -> str:
    """`repr(value)`, or a note of its size for an int too long to print."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an int of {value.bit_length()} bits"
    return repr(value)


def _check_keys_are_distinct(codec: TimeKeyCodec, origin: int, cron: str, fmt: str) -> None:
    first, second = codec.key(origin), codec.key(origin + 1)
    if first == second:
        raise InvalidDefinitionError(
            f"fmt {fmt!r} gives the same key {first!r} to consecutive partitions of "
            f"schedule {cron!r}; use a format with enough detail (e.g. {MINUTE_FORMAT!r})"
        )


def _cadence_for(cron: str, zone: tzinfo, start: float) -> Cadence:
    cadence = arithmetic_cadence(cron, zone, start)
    if cadence is not None:
        return cadence
    # croniter (~25 ms to import) is loaded only when a schedule needs it, to keep
    # `import freshet` within its time budget; common cadences never load it
    from freshet.core.cron import CronCadence

    return CronCadence(cron, zone, start)


def _moment_timestamp(value: Moment, zone: tzinfo, fmt: str | None, what: str) -> float:
    """The instant a start/end argument names; naive values are local to `zone`."""
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else local_timestamp(value, zone)
    if isinstance(value, date):
        return local_timestamp(datetime.combine(value, time()), zone)
    if isinstance(value, str):
        for candidate in filter(None, (fmt, DATE_FORMAT, MINUTE_FORMAT)):
            parsed = KeyFormat(candidate).parse(value)
            if parsed is not None:
                return local_timestamp(parsed, zone)
        try:
            return _moment_timestamp(datetime.fromisoformat(value), zone, None, what)
        except ValueError:
            pass
    raise InvalidDefinitionError(
        f"{what} {value!r} is not a date: give a datetime, a date, or a string like "
        f"'2024-01-31'{f' or in format {fmt!r}' if fmt else ''}"
    )


def _check_offset(name: str, value: int, low: int, high: int, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidDefinitionError(
            f"{name} must be an int from {low} to {high}, got {value!r}{hint}"
        )
    return value


class HourlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per hour; keys like '2024-01-31-13:00'."""

    __slots__ = ()

    def __init__(
        self,
        start_date: Moment,
        end_date: Moment | None = None,
        *,
        minute_offset: int = 0,
        timezone: str = "UTC",
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        minute = _check_offset("minute_offset", minute_offset, 0, 59)
        super().__init__(
            f"{minute} * * * *", start_date, fmt, timezone, end=end_date, end_offset=end_offset
        )


class DailyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per day; keys like '2024-01-31'."""

    __slots__ = ()

    def __init__(
        self,
        start_date: Moment,
        end_date: Moment | None = None,
        *,
        minute_offset: int = 0,
        hour_offset: int = 0,
        timezone: str = "UTC",
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        minute = _check_offset("minute_offset", minute_offset, 0, 59)
        hour = _check_offset("hour_offset", hour_offset, 0, 23)
        super().__init__(
            f"{minute} {hour} * * *", start_date, fmt, timezone, end=end_date, end_offset=end_offset
        )


class WeeklyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per week, starting on `day_offset` (0 = Sunday); keys like '2024-01-28'."""

    __slots__ = ()

    def __init__(
        self,
        start_date: Moment,
        end_date: Moment | None = None,
        *,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 0,
        timezone: str = "UTC",
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        minute = _check_offset("minute_offset", minute_offset, 0, 59)
        hour = _check_offset("hour_offset", hour_offset, 0, 23)
        day = _check_offset("day_offset", day_offset, 0, 6, " (0 is Sunday)")
        super().__init__(
            f"{minute} {hour} * * {day}",
            start_date,
            fmt,
            timezone,
            end=end_date,
            end_offset=end_offset,
        )


class MonthlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per month, starting on day `day_offset`; keys like '2024-01-01'."""

    __slots__ = ()

    def __init__(
        self,
        start_date: Moment,
        end_date: Moment | None = None,
        *,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 1,
        timezone: str = "UTC",
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        minute = _check_offset("minute_offset", minute_offset, 0, 59)
        hour = _check_offset("hour_offset", hour_offset, 0, 23)
        day = _check_offset(
            "day_offset",
            day_offset,
            1,
            28,
            " (days 29-31 are missing from some months; use TimeWindowPartitionsDefinition "
            "with a cron schedule such as '0 0 L * *' for month ends)",
        )
        super().__init__(
            f"{minute} {hour} {day} * *",
            start_date,
            fmt,
            timezone,
            end=end_date,
            end_offset=end_offset,
        )
