"""Fuzzing partition keys, ranges and definitions for every kind of partitions definition:
every question ends in an answer or a `FreshetError` with a message (never ValueError,
OverflowError, TypeError or StopIteration), and the answers agree with each other.
Example counts come from the hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from freshet.core.partitions import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from freshet.errors import FreshetError

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


class Store:
    def get_dynamic_partitions(self, name: str) -> list[str]:
        return ["alpha", "beta", "2024-01-01"]

    def has_dynamic_partition(self, name: str, key: str) -> bool:
        return key in self.get_dynamic_partitions(name)


STORE = Store()
DAILY = DailyPartitionsDefinition("2024-01-01")
DEFINITIONS = [
    DAILY,
    DailyPartitionsDefinition("2023-12-30", timezone="America/New_York", end_offset=1),
    HourlyPartitionsDefinition("2024-02-20-00:00", timezone="Europe/Berlin"),
    WeeklyPartitionsDefinition("2023-06-01", day_offset=3),
    MonthlyPartitionsDefinition("2020-01-01", day_offset=5, end_date="2024-02-01"),
    TimeWindowPartitionsDefinition("*/15 9-17 * * 1-5", "2024-02-26", timezone="Europe/Berlin"),
    TimeWindowPartitionsDefinition("0 0 29 2 *", "2000-01-01"),
    DailyPartitionsDefinition("2024-01-01", fmt="%Y%m%d"),
    StaticPartitionsDefinition(["a", "b", "c|d", "2024-01-01"]),
    DynamicPartitionsDefinition("dyn"),
    MultiPartitionsDefinition({"date": DAILY, "region": StaticPartitionsDefinition(["eu", "us"])}),
    MultiPartitionsDefinition(
        {"x": StaticPartitionsDefinition(["1", "2"]), "y": DynamicPartitionsDefinition("dyn")}
    ),
]

moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
offsets = st.builds(
    lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
)
time_keys = st.one_of(
    moments.map(lambda m: m.strftime("%Y-%m-%d")),
    moments.map(lambda m: m.strftime("%Y-%m-%d-%H:%M")),
    moments.map(lambda m: m.strftime("%Y%m%d")),
    st.builds(lambda m, o: m.strftime("%Y-%m-%d-%H:%M") + o, moments, offsets),
    st.builds(lambda m, o: m.strftime("%Y-%m-%d") + o, moments, offsets),
    st.dates(date(2023, 1, 1), date(2024, 6, 1)).map(date.isoformat),
)
simple_keys = st.one_of(
    time_keys,
    st.sampled_from(["a", "b", "c|d", "alpha", "eu", "us", "1", "2", "", "|", "||"]),
    st.text(max_size=24),
)
keys = st.one_of(
    simple_keys,
    st.builds(lambda a, b: f"{a}|{b}", simple_keys, simple_keys),
    st.integers(),
    st.none(),
)
definitions = st.sampled_from(DEFINITIONS)


def clear(error: FreshetError) -> None:
    assert str(error).strip(), f"{type(error).__name__} without a message"


def ask(question, *args, **kwargs):
    """The answer, or None after checking that the refusal is a clear FreshetError."""
    try:
        return question(*args, **kwargs)
    except FreshetError as error:
        clear(error)
        return None


@given(definition=definitions, key=keys)
def test_questions_about_one_key_are_answered_or_refused_clearly(definition, key):
    possible = ask(definition.is_possible_key, key)
    exists = ask(definition.has_partition_key, key, NOW, STORE)
    valid = ask(definition.validate_key, key, NOW, STORE) is None and _accepts(definition, key)
    ask(definition.key_order, key)
    ask(definition.time_window_for_key, key)
    ask(definition.subset_for_keys, [key], NOW, STORE)
    if valid:
        assert exists is True
        assert possible is not False


def _accepts(definition, key) -> bool:
    try:
        definition.validate_key(key, NOW, STORE)
    except FreshetError:
        return False
    return True


@given(definition=definitions, start=keys, end=keys)
def test_key_ranges_are_answered_or_refused_clearly(definition, start, end):
    key_range = ask(PartitionKeyRange, start, end)
    if key_range is None:
        return
    checked = ask(definition.get_partition_key_range, start, end, NOW, STORE)
    subset = ask(definition.subset_for_range, key_range, NOW, STORE)
    if checked is not None:
        assert subset is not None  # a range that checks out has a subset


@given(
    start=st.one_of(moments, moments.map(str), st.text(max_size=20), st.dates(), st.integers()),
    end=st.one_of(st.none(), moments, st.text(max_size=20)),
    end_offset=st.one_of(st.integers(-3, 3), st.integers()),
    fmt=st.one_of(
        st.none(),
        st.sampled_from(["%Y-%m-%d", "%Y", "%d/%m/%Y %H", "%%", "x"]),
        st.text(max_size=6),
        st.integers(),
    ),
    timezone=st.one_of(
        st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Kiritimati", "America/St_Johns"]),
        st.text(max_size=10),
    ),
    cadence=st.sampled_from(["daily", "hourly", "weekly", "monthly"]),
)
def test_time_window_definitions_are_built_or_refused_clearly(
    start, end, end_offset, fmt, timezone, cadence
):
    make = {
        "daily": DailyPartitionsDefinition,
        "hourly": HourlyPartitionsDefinition,
        "weekly": WeeklyPartitionsDefinition,
        "monthly": MonthlyPartitionsDefinition,
    }[cadence]
    definition = ask(make, start, end, end_offset=end_offset, fmt=fmt, timezone=timezone)
    if definition is None:
        return
    count = ask(definition.get_num_partitions, NOW)
    last = ask(definition.get_last_partition_key, datetime(9999, 12, 31, tzinfo=UTC))
    for key in (definition.partition_key_at(0), last):
        if key is not None:
            ask(definition.time_window_for_key, key)
            ask(definition.key_order, key)
    assert count is None or count >= 0


@given(
    cron=st.one_of(
        st.sampled_from(
            [
                "0 0 * * *",
                "*/7 * * * 1",
                "0 0 31 2 *",
                "0 0 L * *",
                "@weekly",
                "0 12 1 1 *",
                "59 23 31 12 *",
                "* * * * *",
            ]
        ),
        st.text(max_size=16),
    ),
    start=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2024, 3, 1)).map(
        lambda m: m.replace(tzinfo=UTC)
    ),
)
def test_cron_definitions_are_built_or_refused_clearly(cron, start):
    definition = ask(TimeWindowPartitionsDefinition, cron, start)
    if definition is None:
        return
    count = ask(definition.get_num_partitions, start + timedelta(days=3))
    if count:
        ask(definition.time_window_for_key, definition.partition_key_at(count - 1))
