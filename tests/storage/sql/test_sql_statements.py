"""The write statements compile for every SQL dialect freshet supports."""

from __future__ import annotations

import pytest
from sqlalchemy import Dialect
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import pysqlite

from freshet.errors import StorageError
from freshet.storage.records import EventType
from freshet.storage.sql.dialects import (
    INLINE_LIST_LIMIT,
    dialect_traits,
    event_inserter,
    in_values,
    upsert_factory,
)
from freshet.storage.sql.schema import event_logs
from freshet.storage.sql.status_writes import build_write_statements

DIALECTS = {"sqlite": pysqlite.dialect(), "postgresql": psycopg.dialect()}


@pytest.mark.parametrize("dialect", list(DIALECTS.values()), ids=list(DIALECTS))
def test_status_upserts_compile_to_on_conflict(dialect: Dialect) -> None:
    statements = build_write_statements(dialect)
    for index in (statements.assets, statements.partitions):
        for event_type in (
            EventType.ASSET_MATERIALIZATION,
            EventType.ASSET_OBSERVATION,
            EventType.ASSET_MATERIALIZATION_PLANNED,
        ):
            assert "ON CONFLICT" in index.by_event[event_type].sql
        assert "ON CONFLICT" in index.failed.sql
    assert "ON CONFLICT (asset_key, check_name, partition)" in statements.check_evaluated.sql
    assert callable(event_inserter(dialect))


def test_unsupported_dialect_is_refused() -> None:
    with pytest.raises(StorageError, match="'mysql'"):
        upsert_factory("mysql")


@pytest.mark.parametrize(
    ("dialect", "long_form"),
    [("sqlite", "json_each"), ("postgresql", "ANY")],
    ids=list(DIALECTS),
)
def test_long_value_lists_bind_one_parameter(dialect: str, long_form: str) -> None:
    column = event_logs.c.run_id
    short = in_values(column, ["a"] * INLINE_LIST_LIMIT, dialect).compile(dialect=DIALECTS[dialect])
    long = in_values(column, ["a"] * (INLINE_LIST_LIMIT + 1), dialect).compile(
        dialect=DIALECTS[dialect]
    )
    assert long_form not in str(short)
    assert long_form in str(long)
    assert len(long.params) == 1


def test_only_postgres_orders_event_writes_with_a_lock() -> None:
    assert dialect_traits(DIALECTS["postgresql"]).order_writes is not None
    assert dialect_traits(DIALECTS["postgresql"]).notify_events is not None
    assert dialect_traits(DIALECTS["sqlite"]).order_writes is None
